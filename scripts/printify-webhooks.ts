// `npm run printify-webhooks -- <command>`: registers this pipeline's Printify webhooks (the order
// topics it acts on) for its URL, signed with its secret; lists or removes them. Against the
// Printify stand-in of `npm start` by default, a deployed stage's Printify shop with --stage (its
// stack's outputs name the URL, the shop, the token's and the signing secret's secrets).
import '../local/polyfills';
import { PrintifyClient, type PrintifyWebhook } from '../lambdas/adapters/printify-client';
import { resolveSecret } from '../lambdas/shared/secrets';
import { main, OpsError, runProgram, UsageError, type CommandSpec, type Io, type ProgramSpec, type RunOptions } from './cli/framework';
import type { Target } from './cli/target';

/** The order topics the Printify webhook Lambda acts on (order:created needs nothing from us). */
export const WEBHOOK_TOPICS = ['order:sent-to-production', 'order:shipment:created', 'order:shipment:delivered', 'order:updated'] as const;

async function clientOf(target: Target): Promise<PrintifyClient> {
  const { printify } = target;
  if (!printify.shopId) throw new OpsError('set PRINTIFY_SHOP_ID, or deploy the stage with its printifyShopId (its PrintifyShopId output)');
  return new PrintifyClient({
    baseUrl: printify.baseUrl,
    token: await resolveSecret('PRINTIFY_API_TOKEN', printify.token, printify.tokenSecretArn),
    shopId: printify.shopId,
    userAgent: 'Otaku-mori order pipeline (operator)',
  });
}

function urlOf(target: Target, given: string | undefined): string {
  const url = given ?? target.printify.webhookUrl;
  if (!url) throw new UsageError('no URL: give it, or pass --stage <name> (its PrintifyWebhookUrl output)');
  return url;
}

const hostOf = (url: string) => new URL(url).host;
const show = (w: PrintifyWebhook) => `${w.id}  ${w.topic.padEnd(26)} ${w.url}`;

/** What register and unregister did, one line per webhook. */
interface Change {
  action: 'kept' | 'created' | 'replaced' | 'removed';
  webhook: PrintifyWebhook;
}
const changesText = (changes: Change[], none: string) =>
  changes.length ? changes.map((c) => `${c.action.padEnd(8)} ${show(c.webhook)}`).join('\n') : none;

export const PRINTIFY_WEBHOOK_COMMANDS: Record<string, CommandSpec> = {
  list: {
    summary: "the shop's webhooks",
    needs: 'store',
    run: async (target) => (await clientOf(target)).listWebhooks(),
    text: (webhooks: PrintifyWebhook[]) => (webhooks.length ? webhooks.map(show).join('\n') : 'no webhooks'),
  },
  register: {
    summary: `subscribe the URL to ${WEBHOOK_TOPICS.join(', ')}`,
    args: [
      { name: '[url]', description: "default: the target's (locally the HTTP API of `npm start`; a stage's PrintifyWebhookUrl output)" },
    ],
    options: [
      { flags: '--replace', description: 'delete and re-create existing subscriptions (e.g. after rotating the secret)' },
      {
        flags: '--secret-arn <arn>',
        description: "the signing secret in Secrets Manager (default $PRINTIFY_WEBHOOK_SECRET, or the stage's)",
      },
    ],
    help: 'A topic already subscribed for that URL is left as it is, unless --replace.',
    needs: 'store',
    async run(target, [given], flags): Promise<Change[]> {
      const url = urlOf(target, given);
      if (!/^https:\/\//.test(url) && !target.local) throw new UsageError(`Printify delivers only to https URLs: ${url}`);
      const secretArn = typeof flags['secret-arn'] === 'string' ? flags['secret-arn'] : target.printify.webhookSecretArn;
      if (!target.printify.webhookSecret && !secretArn)
        throw new OpsError('no signing secret: pass --stage <name> or --secret-arn <arn>, or set PRINTIFY_WEBHOOK_SECRET');
      const signingSecret = await resolveSecret('PRINTIFY_WEBHOOK_SECRET', target.printify.webhookSecret, secretArn);
      const client = await clientOf(target);
      const existing = await client.listWebhooks();
      const changes: Change[] = [];
      for (const topic of WEBHOOK_TOPICS) {
        const current = existing.filter((w) => w.topic === topic && w.url === url);
        if (current.length > 0 && !flags.replace) {
          changes.push({ action: 'kept', webhook: current[0]! });
          continue;
        }
        for (const old of current) await client.deleteWebhook(old.id, hostOf(url));
        const webhook = await client.createWebhook({ topic, url, secret: signingSecret });
        changes.push({ action: current.length ? 'replaced' : 'created', webhook });
      }
      return changes;
    },
    text: (changes: Change[]) => changesText(changes, 'nothing to register'),
  },
  unregister: {
    summary: "remove the shop's webhooks for the URL",
    args: [{ name: '[url]', description: "default: the target's, as for register" }],
    needs: 'store',
    async run(target, [given]): Promise<Change[]> {
      const url = urlOf(target, given);
      const client = await clientOf(target);
      const mine = (await client.listWebhooks()).filter((w) => w.url === url);
      for (const webhook of mine) await client.deleteWebhook(webhook.id, hostOf(url));
      return mine.map((webhook) => ({ action: 'removed', webhook }));
    },
    text: (changes: Change[]) => changesText(changes, 'no webhooks for that URL'),
  },
};

export const PRINTIFY_WEBHOOKS: ProgramSpec = {
  name: 'npm run printify-webhooks --',
  description: "this pipeline's Printify webhooks: register, list, unregister (the stand-in of `npm start`, or a deployed stage's shop)",
  commands: PRINTIFY_WEBHOOK_COMMANDS,
  help: `Printify: PRINTIFY_API_URL, PRINTIFY_SHOP_ID, PRINTIFY_API_TOKEN (or PRINTIFY_API_TOKEN_ARN) and
PRINTIFY_WEBHOOK_SECRET override the target's. Exit codes: 0 done, 1 failed, 2 bad usage.`,
};

export const runPrintifyWebhooks = (argv: string[], io: Io, options: RunOptions = {}) => runProgram(PRINTIFY_WEBHOOKS, argv, io, options);

if (require.main === module) main(PRINTIFY_WEBHOOKS);
