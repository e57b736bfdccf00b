import type { StripeApiPort, StripeRefund } from '../ports/stripe-api';

/** Stripe refused a request or could not be reached; `retryable` says whether trying again can help. */
export class StripeApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'StripeApiError';
  }
}

/** Where Stripe's API is and the secret key (sk_… or a restricted rk_… allowed to write refunds). */
export interface StripeApiClientOptions {
  /** default https://api.stripe.com (STRIPE_API_URL): a local stand-in may take its place */
  baseUrl?: string;
  secretKey: string;
  /** per request, default 10 s */
  timeoutMs?: number;
}

/**
 * Stripe's REST API over fetch (form-encoded requests, Bearer secret key, Idempotency-Key header:
 * https://docs.stripe.com/api/authentication, https://docs.stripe.com/api/idempotent_requests).
 * Throws StripeApiError (see StripeApiPort).
 */
export class StripeApiClient implements StripeApiPort {
  private readonly baseUrl: string;

  constructor(private readonly options: StripeApiClientOptions) {
    this.baseUrl = (options.baseUrl ?? 'https://api.stripe.com').replace(/\/+$/, '');
  }

  async refundPaymentIntent(request: {
    paymentIntentId: string;
    idempotencyKey: string;
    metadata?: Record<string, string>;
  }): Promise<StripeRefund> {
    const form = new URLSearchParams({ payment_intent: request.paymentIntentId });
    for (const [key, value] of Object.entries(request.metadata ?? {})) form.set(`metadata[${key}]`, value);
    const body = (await this.post('/v1/refunds', form, request.idempotencyKey)) as {
      id?: unknown;
      status?: unknown;
      amount?: unknown;
      currency?: unknown;
    };
    if (typeof body.id !== 'string' || typeof body.amount !== 'number' || typeof body.currency !== 'string') {
      throw new StripeApiError(`Stripe answered POST /v1/refunds without a refund: ${JSON.stringify(body).slice(0, 300)}`, 200, false);
    }
    return { refundId: body.id, status: String(body.status ?? 'pending'), amount: body.amount, currency: body.currency.toLowerCase() };
  }

  private async post(path: string, form: URLSearchParams, idempotencyKey: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.options.secretKey}`,
          'content-type': 'application/x-www-form-urlencoded',
          'idempotency-key': idempotencyKey,
        },
        body: form.toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new StripeApiError(`Stripe could not be reached (POST ${path}): ${(error as Error).message}`, undefined, true);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const message = (body as { error?: { message?: string } } | undefined)?.error?.message ?? text.slice(0, 300);
      throw new StripeApiError(
        `Stripe answered ${response.status} to POST ${path}: ${message}`,
        response.status,
        response.status === 429 || response.status >= 500,
      );
    }
    return body ?? {};
  }
}
