/**
 * One Stripe event as `GET /v1/events` lists it (https://docs.stripe.com/api/events/object): the
 * same object a webhook delivers. `created` is in Unix seconds.
 */
export interface ListedStripeEvent {
  id: string;
  type: string;
  created: number;
  livemode: boolean;
  [field: string]: unknown;
}

/** Which events to list: `created` between the two bounds (Unix seconds, both inclusive). */
export interface StripeEventQuery {
  createdGte: number;
  createdLte: number;
  /** event types (any number: split into requests of at most 20, Stripe's limit) */
  types: readonly string[];
}

/** Stripe's events, by creation time and type. */
export interface StripeEventSource {
  /** Every event matching the query, each once; throws StripeApiError when Stripe refuses or fails. */
  list(query: StripeEventQuery): Promise<ListedStripeEvent[]>;
}

/** Stripe answered with an error status (401: wrong key; 429/5xx: retry later). */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'StripeApiError';
  }
}

/** "An array of up to 20 strings containing specific event names" (https://docs.stripe.com/api/events/list). */
export const STRIPE_MAX_TYPES_PER_LIST = 20;
/** A list page holds 1 to 100 objects (`limit`, https://docs.stripe.com/api/pagination). */
export const STRIPE_MAX_PAGE = 100;

/**
 * Stripe's List events API (`GET /v1/events`) with plain fetch: `created[gte]`, `created[lte]`,
 * `types[]`, `limit=100`, paging with `starting_after` (the last id of the previous page; pages go
 * from the newest to the oldest) while `has_more`. Authorization: `Bearer <key>`, a restricted key
 * that can only read events. `baseUrl` is https://api.stripe.com, or the local stand-in.
 */
export class StripeEventsApi implements StripeEventSource {
  constructor(
    private readonly apiKey: () => Promise<string>,
    private readonly baseUrl = 'https://api.stripe.com',
    private readonly timeoutMs = 10_000,
  ) {}

  async list(query: StripeEventQuery): Promise<ListedStripeEvent[]> {
    const seen = new Map<string, ListedStripeEvent>();
    for (let i = 0; i < query.types.length; i += STRIPE_MAX_TYPES_PER_LIST) {
      const types = query.types.slice(i, i + STRIPE_MAX_TYPES_PER_LIST);
      let startingAfter: string | undefined;
      for (;;) {
        const page = await this.page(query, types, startingAfter);
        for (const event of page.data) seen.set(event.id, event);
        const last = page.data.at(-1);
        if (!page.has_more || !last) break;
        startingAfter = last.id;
      }
    }
    return [...seen.values()];
  }

  private async page(
    query: StripeEventQuery,
    types: readonly string[],
    startingAfter?: string,
  ): Promise<{ data: ListedStripeEvent[]; has_more: boolean }> {
    const params = new URLSearchParams({
      'created[gte]': String(query.createdGte),
      'created[lte]': String(query.createdLte),
      limit: String(STRIPE_MAX_PAGE),
    });
    for (const type of types) params.append('types[]', type);
    if (startingAfter) params.set('starting_after', startingAfter);
    const response = await fetch(`${this.baseUrl}/v1/events?${params.toString()}`, {
      headers: { authorization: `Bearer ${await this.apiKey()}` },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) {
      let message = text.slice(0, 200);
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        // not JSON: keep the text
      }
      throw new StripeApiError(response.status, `Stripe GET /v1/events answered ${response.status}: ${message}`);
    }
    const body = JSON.parse(text) as { object?: string; data?: unknown; has_more?: unknown };
    if (body.object !== 'list' || !Array.isArray(body.data) || typeof body.has_more !== 'boolean') {
      throw new StripeApiError(response.status, 'Stripe GET /v1/events: not a list');
    }
    return { data: body.data as ListedStripeEvent[], has_more: body.has_more };
  }
}
