import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const cache = new Map<string, Promise<string>>();

/**
 * A secret's value: from the environment when given directly (local runs), otherwise from Secrets
 * Manager by ARN, fetched once per container.
 */
export function resolveSecret(name: string, direct: string | undefined, arn: string | undefined): Promise<string> {
  if (direct) return Promise.resolve(direct);
  if (!arn) return Promise.reject(new Error(`invalid configuration: set ${name} or ${name}_ARN`));
  let pending = cache.get(arn);
  if (!pending) {
    pending = new SecretsManagerClient({})
      .send(new GetSecretValueCommand({ SecretId: arn }))
      .then((result) => {
        if (!result.SecretString) throw new Error(`secret ${name} has no string value`);
        return result.SecretString;
      });
    pending.catch(() => cache.delete(arn)); // a failed fetch is retried on the next invocation
    cache.set(arn, pending);
  }
  return pending;
}
