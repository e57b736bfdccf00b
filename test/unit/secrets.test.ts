import { PrintifyApiError } from '../../lambdas/adapters/printify-client';
import { printifyWithRotatingToken, type PrintifyOrderApi } from '../../lambdas/adapters/printify-token';
import { RotatingSecret, SecretCache, withSecret, type SecretStore } from '../../lambdas/shared/secrets';

const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:stripe';
const MINUTE = 60_000;

/** Secrets Manager stand-in: `value` is what a read returns now; `down` makes reads fail; `reads` counts them. */
class FakeStore implements SecretStore {
  reads = 0;
  down = false;
  constructor(public value: string) {}
  async read(arn: string): Promise<string> {
    this.reads += 1;
    if (this.down) throw new Error(`Secrets Manager unavailable for ${arn}`);
    return this.value;
  }
}

/** A clock the test moves by hand. */
function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function setup(options: { ttlMs?: number; minReadIntervalMs?: number } = {}) {
  const clock = fakeClock();
  const store = new FakeStore('whsec_old');
  const cache = new SecretCache({ ttlMs: 5 * MINUTE, minReadIntervalMs: 30_000, ...options, now: clock.now, store });
  return { clock, store, cache, secret: new RotatingSecret('STRIPE_WEBHOOK_SECRET', undefined, ARN, cache) };
}

describe('SecretCache: a bounded time to live', () => {
  it('reads once while the value is younger than the TTL', async () => {
    const { clock, store, secret } = setup();
    await expect(secret.value()).resolves.toBe('whsec_old');
    store.value = 'whsec_new';
    clock.advance(5 * MINUTE - 1);
    await expect(secret.value()).resolves.toBe('whsec_old');
    expect(store.reads).toBe(1);
  });

  it('reads again once the TTL has passed, so that a rotation reaches a warm container', async () => {
    const { clock, store, secret } = setup();
    await secret.value();
    store.value = 'whsec_new';
    clock.advance(5 * MINUTE);
    await expect(secret.value()).resolves.toBe('whsec_new');
    expect(store.reads).toBe(2);
  });

  it('takes its TTL from SECRET_TTL_SECONDS when none is given', async () => {
    const clock = fakeClock();
    const store = new FakeStore('a');
    const previous = process.env.SECRET_TTL_SECONDS;
    process.env.SECRET_TTL_SECONDS = '60';
    try {
      const cache = new SecretCache({ now: clock.now, store, minReadIntervalMs: 0 });
      await cache.get(ARN);
      store.value = 'b';
      clock.advance(59_999);
      await expect(cache.get(ARN)).resolves.toBe('a');
      clock.advance(1);
      await expect(cache.get(ARN)).resolves.toBe('b');
    } finally {
      if (previous === undefined) delete process.env.SECRET_TTL_SECONDS;
      else process.env.SECRET_TTL_SECONDS = previous;
    }
  });

  it('shares one read among concurrent callers', async () => {
    const { store, secret } = setup();
    await Promise.all([secret.value(), secret.value(), secret.value()]);
    expect(store.reads).toBe(1);
  });

  it('keeps serving the last good value when a read after the TTL fails, and tries again later', async () => {
    const { clock, store, secret } = setup();
    await secret.value();
    store.down = true;
    clock.advance(5 * MINUTE);
    await expect(secret.value()).resolves.toBe('whsec_old');
    await expect(secret.value()).resolves.toBe('whsec_old');
    expect(store.reads).toBe(2); // no second read within the minimum interval
    store.down = false;
    store.value = 'whsec_new';
    clock.advance(30_000);
    await expect(secret.value()).resolves.toBe('whsec_new');
  });

  it('throws when the very first read fails, and reads again on the next call', async () => {
    const { store, secret } = setup();
    store.down = true;
    await expect(secret.value()).rejects.toThrow(/unavailable/);
    store.down = false;
    await expect(secret.value()).resolves.toBe('whsec_old');
  });

  it('re-reads on demand, at most once per minimum interval (a flood of forged signatures costs one read)', async () => {
    const { clock, store, secret } = setup();
    await secret.value();
    store.value = 'whsec_new';
    clock.advance(1_000); // a put-secret-value just after the container read the secret
    await expect(secret.reread()).resolves.toBe('whsec_new');
    store.value = 'whsec_newer';
    for (let i = 0; i < 100; i++) await expect(secret.reread()).resolves.toBe('whsec_new');
    expect(store.reads).toBe(2);
    clock.advance(30_000);
    await expect(secret.reread()).resolves.toBe('whsec_newer');
  });

  it('uses a value given directly (local runs) without any read, and names a missing configuration', async () => {
    const { store, cache } = setup();
    await expect(new RotatingSecret('X', 'direct', ARN, cache).reread()).resolves.toBe('direct');
    await expect(new RotatingSecret('PRINTIFY_API_TOKEN', undefined, undefined, cache).value()).rejects.toThrow(
      'invalid configuration: set PRINTIFY_API_TOKEN or PRINTIFY_API_TOKEN_ARN',
    );
    expect(store.reads).toBe(0);
  });
});

describe('withSecret: re-read once when the answer says the value may be stale', () => {
  const verifyWith = (expected: string) => async (value: string) => (value === expected ? 'verified' : 'bad signature');

  it('verifies again with the new value when the secret was put after the container cached it', async () => {
    const { clock, store, secret } = setup();
    await secret.value(); // cached: the placeholder of the first deploy
    store.value = 'whsec_new';
    clock.advance(30_000); // well inside the TTL
    const use = jest.fn(verifyWith('whsec_new'));
    await expect(withSecret(secret, use, { result: (r) => r === 'bad signature' })).resolves.toBe('verified');
    expect(use.mock.calls.map(([value]) => value)).toEqual(['whsec_old', 'whsec_new']);
  });

  it('keeps the first answer when the value has not changed (a forged signature)', async () => {
    const { clock, secret } = setup();
    clock.advance(30_000);
    const use = jest.fn(verifyWith('something else'));
    await expect(withSecret(secret, use, { result: (r) => r === 'bad signature' })).resolves.toBe('bad signature');
    expect(use).toHaveBeenCalledTimes(1);
  });

  it('does not re-read after an answer that is not about the secret', async () => {
    const { store, secret } = setup();
    await expect(withSecret(secret, verifyWith('whsec_old'), { result: (r) => r === 'bad signature' })).resolves.toBe('verified');
    expect(store.reads).toBe(1);
  });
});

describe('printifyWithRotatingToken: a 401 reads the token again', () => {
  const unauthorized = () =>
    new PrintifyApiError({
      message: 'Unauthenticated',
      kind: 'http',
      method: 'POST',
      path: '/v1/shops/1/orders.json',
      retryable: false,
      status: 401,
    });

  /** A Printify that accepts only `valid`; records the token of each call. */
  function fakePrintify(valid: () => string, calls: string[]) {
    return (token: string): PrintifyOrderApi =>
      ({
        createOrder: async () => {
          calls.push(token);
          if (token !== valid()) throw unauthorized();
          return { id: 'po_1' };
        },
      }) as unknown as PrintifyOrderApi;
  }

  it('creates the order with the rotated token after a 401 with the cached one', async () => {
    const { clock, store, secret } = setup();
    await secret.value();
    store.value = 'token-2';
    clock.advance(30_000);
    const calls: string[] = [];
    const printify = printifyWithRotatingToken(
      secret,
      fakePrintify(() => store.value, calls),
    );
    await expect(printify.createOrder({} as never)).resolves.toEqual({ id: 'po_1' });
    expect(calls).toEqual(['whsec_old', 'token-2']);
  });

  it('throws the 401 when the token read again is the same (a revoked token: for the operator)', async () => {
    const { clock, secret } = setup();
    clock.advance(30_000);
    const calls: string[] = [];
    const printify = printifyWithRotatingToken(
      secret,
      fakePrintify(() => 'another', calls),
    );
    await expect(printify.createOrder({} as never)).rejects.toMatchObject({ status: 401 });
    expect(calls).toEqual(['whsec_old']);
  });
});
