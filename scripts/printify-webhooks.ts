// `npm run printify-webhooks -- <command>`: registers this pipeline's Printify webhooks (the order
// topics it acts on) for a deployed URL, signed with the stack's generated secret; lists or removes
// them. With --local, against the Printify stand-in of `npm start`.
import '../local/polyfills';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { PrintifyClient, type PrintifyWebhook } from '../lambdas/adapters/printify-client';
import { resolveSecret } from '../lambdas/shared/secrets';
import { DEFAULTS } from '../local/local-stack';

/** The order topics the Printify webhook Lambda acts on (order:created needs nothing from us). */
export const WEBHOOK_TOPICS = ['order:sent-to-production', 'order:shipment:created', 'order:shipment:delivered', 'order:updated'] as const;

const USAGE = `usage: npm run printify-webhooks -- <command> [options]

commands:
  register [<url>]     subscribe <url> (default: the stack's PrintifyWebhookUrl) to ${WEBHOOK_TOPICS.join(', ')};
                       a topic already subscribed for that URL is left as it is (--replace re-creates it,
                       e.g. after rotating the secret)
  list                 the shop's webhooks
  unregister [<url>]   remove the shop's webhooks for <url>

options:
  --stack <name>       read PrintifyWebhookUrl, PrintifyWebhookSecretArn and PrintifyApiTokenSecretArn
                       from the deployed stack's outputs (AWS credentials and region from the environment)
  --secret-arn <arn>   the webhook signing secret in Secrets Manager (or PRINTIFY_WEBHOOK_SECRET)
  --replace            with register: delete and re-create existing subscriptions
  --local              the Printify stand-in of \`npm start\` (PRINTIFY_PORT, PORT), its token and secret

environment: PRINTIFY_SHOP_ID (required unless --local), PRINTIFY_API_TOKEN or PRINTIFY_API_TOKEN_ARN,
             PRINTIFY_API_URL (default https://api.printify.com), PRINTIFY_WEBHOOK_SECRET`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    stack: { type: 'string' },
    'secret-arn': { type: 'string' },
    replace: { type: 'boolean', default: false },
    local: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

async function stackOutputs(stackName: string): Promise<Record<string, string>> {
  const cloudformation = new CloudFormationClient({});
  try {
    const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
    return Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  } finally {
    cloudformation.destroy();
  }
}

interface Settings {
  client: PrintifyClient;
  url?: string;
  secret?: () => Promise<string>;
}

async function settings(): Promise<Settings> {
  const env = process.env;
  if (values.local) {
    const port = env.PORT || DEFAULTS.port;
    return {
      client: new PrintifyClient({
        baseUrl: `http://127.0.0.1:${env.PRINTIFY_PORT || DEFAULTS.printifyPort}`,
        token: env.PRINTIFY_API_TOKEN || DEFAULTS.printifyToken,
        shopId: env.PRINTIFY_SHOP_ID || 'local-shop',
        userAgent: 'Otaku-mori order pipeline (operator)',
      }),
      url: `http://127.0.0.1:${port}/webhooks/printify`,
      secret: async () => env.PRINTIFY_WEBHOOK_SECRET || DEFAULTS.printifyWebhookSecret,
    };
  }
  const outputs = values.stack ? await stackOutputs(values.stack) : {};
  const shopId = env.PRINTIFY_SHOP_ID || outputs.PrintifyShopId;
  if (!shopId) fail('set PRINTIFY_SHOP_ID, or pass --stack (its PrintifyShopId output names the shop)');
  const token = await resolveSecret(
    'PRINTIFY_API_TOKEN',
    env.PRINTIFY_API_TOKEN,
    env.PRINTIFY_API_TOKEN_ARN ?? outputs.PrintifyApiTokenSecretArn,
  );
  const secretArn = values['secret-arn'] ?? outputs.PrintifyWebhookSecretArn;
  return {
    client: new PrintifyClient({
      baseUrl: env.PRINTIFY_API_URL || 'https://api.printify.com',
      token,
      shopId,
      userAgent: 'Otaku-mori order pipeline (operator)',
    }),
    ...(outputs.PrintifyWebhookUrl ? { url: outputs.PrintifyWebhookUrl } : {}),
    ...(env.PRINTIFY_WEBHOOK_SECRET || secretArn
      ? { secret: () => resolveSecret('PRINTIFY_WEBHOOK_SECRET', env.PRINTIFY_WEBHOOK_SECRET, secretArn) }
      : {}),
  };
}

const hostOf = (url: string) => new URL(url).host;
const show = (w: PrintifyWebhook) => `${w.id}  ${w.topic.padEnd(26)} ${w.url}`;

async function main(): Promise<void> {
  const [command, urlArgument] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const { client, url: defaultUrl, secret } = await settings();
  const existing = await client.listWebhooks();
  switch (command) {
    case 'list':
      console.log(existing.length ? existing.map(show).join('\n') : 'no webhooks');
      break;
    case 'register': {
      const url = urlArgument ?? defaultUrl;
      if (!url) fail(`register needs the URL (or --stack <name>)\n\n${USAGE}`);
      if (!/^https:\/\//.test(url) && !values.local) fail(`Printify delivers only to https URLs: ${url}`);
      if (!secret) fail('no signing secret: pass --stack <name> or --secret-arn <arn>, or set PRINTIFY_WEBHOOK_SECRET');
      const signingSecret = await secret();
      for (const topic of WEBHOOK_TOPICS) {
        const current = existing.filter((w) => w.topic === topic && w.url === url);
        if (current.length > 0 && !values.replace) {
          console.log(`kept     ${show(current[0]!)}`);
          continue;
        }
        for (const old of current) await client.deleteWebhook(old.id, hostOf(url));
        const created = await client.createWebhook({ topic, url, secret: signingSecret });
        console.log(`${current.length ? 'replaced' : 'created '} ${show(created)}`);
      }
      break;
    }
    case 'unregister': {
      const url = urlArgument ?? defaultUrl;
      if (!url) fail(`unregister needs the URL (or --stack <name>)\n\n${USAGE}`);
      const mine = existing.filter((w) => w.url === url);
      for (const webhook of mine) {
        await client.deleteWebhook(webhook.id, hostOf(url));
        console.log(`removed  ${show(webhook)}`);
      }
      if (mine.length === 0) console.log(`no webhooks for ${url}`);
      break;
    }
    default:
      fail(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(/ECONNREFUSED|fetch failed/.test(message) && values.local ? `${message}\nis \`npm start\` running?` : message);
  process.exit(1);
});
