import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Reads a secret's current string value by ARN (Secrets Manager's AWSCURRENT version). */
export interface SecretStore {
  /** Resolves the value; rejects when the store cannot be reached or the secret has no string. */
  read(arn: string): Promise<string>;
}

/** Secrets Manager GetSecretValue (one client per container, endpoint from AWS_ENDPOINT_URL_SECRETS_MANAGER). */
export class SecretsManagerStore implements SecretStore {
  #client: SecretsManagerClient | undefined;

  async read(arn: string): Promise<string> {
    this.#client ??= new SecretsManagerClient({});
    const result = await this.#client.send(new GetSecretValueCommand({ SecretId: arn }));
    if (!result.SecretString) throw new Error(`secret ${arn} has no string value`);
    return result.SecretString;
  }
}

export interface SecretCacheOptions {
  /** How long a value is used before it is read again, in ms. @default SECRET_TTL_SECONDS × 1000, else 5 minutes */
  readonly ttlMs?: number;
  /**
   * The least time between two re-reads a caller asks for (`reread`: a bad signature, a 401), and
   * between two attempts after a failed refresh, in ms: a flood of forged requests or an outage of
   * the store costs at most one read per interval. @default 30 seconds
   */
  readonly minReadIntervalMs?: number;
  /** the clock, ms since the epoch @default Date.now */
  readonly now?: () => number;
  /** where values come from @default Secrets Manager */
  readonly store?: SecretStore;
}

interface Entry {
  value?: string;
  /** when the last read started (successful or not), ms */
  readAt: number;
  /** when the last read a caller asked for (`reread`) started, ms */
  rereadAt: number;
  /** when `value` was read, ms */
  freshAt: number;
  pending?: Promise<string>;
}

/** SECRET_TTL_SECONDS (a positive number) or 5 minutes, in ms. */
function defaultTtlMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.SECRET_TTL_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 5 * 60_000;
}

/**
 * Secret values cached per container for a bounded time, so that a rotation or a
 * `put-secret-value` reaches every warm container within the TTL (AWS's guidance for caching
 * secrets in Lambda: https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html).
 * Reads are single-flight per ARN. When a read after the TTL fails, the last good value is used and
 * the read is tried again after `minReadIntervalMs`; with no good value yet, the failure is thrown
 * (the caller answers 5xx or fails the task, and the next call reads again).
 */
export class SecretCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #minReadIntervalMs: number;
  readonly #now: () => number;
  readonly #store: SecretStore;

  constructor(options: SecretCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? defaultTtlMs();
    this.#minReadIntervalMs = options.minReadIntervalMs ?? 30_000;
    this.#now = options.now ?? Date.now;
    this.#store = options.store ?? new SecretsManagerStore();
  }

  /** The value of `arn`: cached while younger than the TTL, otherwise read again. */
  get(arn: string): Promise<string> {
    const entry = this.#entries.get(arn);
    if (entry?.pending) return entry.pending;
    if (entry?.value !== undefined) {
      const now = this.#now();
      if (now - entry.freshAt < this.#ttlMs || now - entry.readAt < this.#minReadIntervalMs) return Promise.resolve(entry.value);
    }
    return this.#read(arn);
  }

  /**
   * Reads `arn` again now (a signature failed to verify, an API answered 401), unless a re-read was
   * asked for less than `minReadIntervalMs` ago: then resolves the cached value. Resolves the
   * current value.
   */
  reread(arn: string): Promise<string> {
    const entry = this.#entries.get(arn);
    if (entry?.pending) return entry.pending;
    if (entry?.value !== undefined && this.#now() - entry.rereadAt < this.#minReadIntervalMs) return Promise.resolve(entry.value);
    const pending = this.#read(arn);
    this.#entries.get(arn)!.rereadAt = this.#now();
    return pending;
  }

  #read(arn: string): Promise<string> {
    const entry: Entry = this.#entries.get(arn) ?? { readAt: 0, rereadAt: Number.NEGATIVE_INFINITY, freshAt: 0 };
    this.#entries.set(arn, entry);
    entry.readAt = this.#now();
    const pending = this.#store.read(arn).then(
      (value) => {
        entry.value = value;
        entry.freshAt = this.#now();
        entry.pending = undefined;
        return value;
      },
      (error: unknown) => {
        entry.pending = undefined;
        if (entry.value !== undefined) return entry.value; // keep serving the last good value
        throw error;
      },
    );
    entry.pending = pending;
    return pending;
  }
}

/** The container's cache (TTL from SECRET_TTL_SECONDS, default 5 minutes). */
export const secretCache = new SecretCache();

/**
 * One secret of a Lambda: given directly in the environment (local runs: never changes), or read
 * from Secrets Manager by ARN through a SecretCache.
 */
export class RotatingSecret {
  constructor(
    /** the environment variable's name, e.g. STRIPE_WEBHOOK_SECRET (its ARN is `<name>_ARN`) */
    readonly name: string,
    private readonly direct: string | undefined,
    private readonly arn: string | undefined,
    private readonly cache: SecretCache = secretCache,
  ) {}

  /** The current value. Rejects with "invalid configuration" when neither the value nor its ARN is set. */
  value(): Promise<string> {
    if (this.direct) return Promise.resolve(this.direct);
    if (!this.arn) return Promise.reject(new Error(`invalid configuration: set ${this.name} or ${this.name}_ARN`));
    return this.cache.get(this.arn);
  }

  /** Reads the value again (rate-limited by the cache); a direct value is returned as it is. */
  reread(): Promise<string> {
    if (this.direct || !this.arn) return this.value();
    return this.cache.reread(this.arn);
  }
}

/**
 * Runs `use` with the secret's value; when the outcome says the value may be stale (`stale(result)`
 * for an answer such as a signature that did not verify, `staleError(error)` for a thrown one such
 * as a 401), reads the secret once more and, only if the value changed, runs `use` again with it.
 * Otherwise the first outcome stands (returned or thrown).
 */
export async function withSecret<T>(
  secret: RotatingSecret,
  use: (value: string) => Promise<T>,
  stale: { result?: (result: T) => boolean; error?: (error: unknown) => boolean },
): Promise<T> {
  const value = await secret.value();
  let outcome: { result: T } | { error: unknown };
  try {
    outcome = { result: await use(value) };
  } catch (error) {
    outcome = { error };
  }
  const mayBeStale = 'result' in outcome ? (stale.result?.(outcome.result) ?? false) : (stale.error?.(outcome.error) ?? false);
  if (mayBeStale) {
    const fresh = await secret.reread().catch(() => value);
    if (fresh !== value) return use(fresh);
  }
  if ('result' in outcome) return outcome.result;
  throw outcome.error;
}

/**
 * A secret's value, as `new RotatingSecret(name, direct, arn).value()`: for scripts and callers
 * that read a secret once.
 */
export function resolveSecret(name: string, direct: string | undefined, arn: string | undefined): Promise<string> {
  return new RotatingSecret(name, direct, arn).value();
}
