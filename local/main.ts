import './polyfills';
// `npm start`: the whole order pipeline on this machine. See README.md, "Run it locally".
import { createWriteStream, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { CommanderError } from 'commander';
import { DEFAULTS } from './defaults';
import { describePortConflicts, findPortConflicts, heldByOurDynamoDbLocal } from './ports';
import { createProgress, painter, seconds, wantsColor } from './progress';
import { PORT_SETTINGS, parseStartCommand, type StartCommand } from './start-command';

function parseArguments(): StartCommand {
  try {
    return parseStartCommand(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    throw error;
  }
}

async function main(): Promise<void> {
  const command = parseArguments();
  const { ports, inMemory } = command;
  const secretFromEnv = process.env.STRIPE_WEBHOOK_SECRET;
  const started = Date.now();
  // with --log-format json, stdout carries the JSON lines only: everything else goes to stderr
  const chatter = command.logFormat === 'json' ? process.stderr : process.stdout;
  const color = wantsColor(chatter);
  // lines written while a step's spinner turns go above it
  const progress = createProgress((text) => chatter.write(text), { tty: chatter.isTTY === true, color });
  const say = (text: string) => progress.print(`${text}\n`);
  const paint = painter(color);
  // everything `npm start` keeps: DynamoDB Local's data and pid file, the executions' journal, the Lambda logs
  const localDir = path.resolve(command.dataDir);
  const pidFile = path.join(localDir, 'dynamodb-local.pid');
  const dynamodbEndpoint = process.env.DYNAMODB_ENDPOINT;

  // every port first: a port in use is said now, not after the synth
  const conflicts = await findPortConflicts(
    PORT_SETTINGS.filter((s) => !(s.key === 'dynamodbPort' && dynamodbEndpoint)).map((s) => ({
      env: s.env,
      port: ports[s.key],
      service: s.service,
    })),
    (use) => use.env === 'DYNAMODB_PORT' && heldByOurDynamoDbLocal(pidFile, use.port),
  );
  if (conflicts.length > 0) {
    const red = wantsColor(process.stderr) ? painter(true)('red', 'cannot start:') : 'cannot start:';
    console.error(`${red} ${describePortConflicts(conflicts).split('\n').join(`\n${red} `)}`);
    process.exit(1);
  }

  // loaded after the check: the stack's modules take a second or so
  const [{ startLocalStack }, { describeReload, functionLabel }, { LambdaLogFormatter, jsonLogLine }] = await Promise.all([
    import('./local-stack'),
    import('./hot-reload'),
    import('./log-format'),
  ]);

  const drainRaw = Number(process.env.DRAIN_SECONDS || DEFAULTS.drainMs / 1000);
  const drainSeconds = Number.isFinite(drainRaw) && drainRaw >= 0 ? drainRaw : DEFAULTS.drainMs / 1000;

  // the Lambdas' lines: readable here (or raw with --log-format json), and always raw in a file
  mkdirSync(path.join(localDir, 'logs'), { recursive: true });
  const logPath = path.join(localDir, 'logs', 'lambdas.jsonl');
  const logFile = createWriteStream(logPath, { flags: 'w' });
  const formatter = new LambdaLogFormatter({ color, ...(command.order ? { order: command.order } : {}) });
  const onLambdaLog = (raw: string, fn: { entry: string; logicalId: string }, stream: 'stdout' | 'stderr' = 'stdout') => {
    // a console.log line is kept as JSON too (its time, level and function): the file stays jq-able
    const line = jsonLogLine(raw, fn.logicalId, stream);
    logFile.write(`${line}\n`);
    if (command.logFormat === 'json') {
      if (!command.order || line.includes(command.order)) process.stdout.write(`${line}\n`);
      return;
    }
    const shown = formatter.format(raw, functionLabel(fn), stream);
    if (shown !== undefined) progress.print(`${shown}\n`);
  };

  const stack = await startLocalStack({
    port: ports.port,
    sfnPort: ports.sfnPort,
    sesPort: ports.sesPort,
    printifyPort: ports.printifyPort,
    stripeApiPort: ports.stripeApiPort,
    dynamodb: dynamodbEndpoint
      ? { endpoint: dynamodbEndpoint }
      : { port: ports.dynamodbPort, inMemory, dataPath: path.join(localDir, 'dynamodb'), pidFile },
    // in memory, the inbox starts empty: there is nothing to keep or run again
    ...(inMemory ? {} : { executionJournal: path.join(localDir, 'step-functions', 'executions.jsonl') }),
    tableName: process.env.TABLE_NAME || DEFAULTS.tableName,
    stripeWebhookSecret: secretFromEnv || DEFAULTS.stripeWebhookSecret,
    printifyToken: process.env.PRINTIFY_API_TOKEN || DEFAULTS.printifyToken,
    printifyWebhookSecret: process.env.PRINTIFY_WEBHOOK_SECRET || DEFAULTS.printifyWebhookSecret,
    logLevel: command.logLevel,
    log: (message) => say(`… ${message}`),
    progress,
    onLambdaLog,
    ...(command.watch
      ? {
          watch: {
            color,
            onReload: (report) => say(`${paint('cyan', '↻')} ${describeReload(report)}`),
            onError: (message) => say(`${paint('red', '↻ not reloaded:')} ${message}`),
          },
        }
      : {}),
  });
  /** a path as the user would type it: relative when under the current folder */
  const shown = (file: string) => {
    const relative = path.relative(process.cwd(), file);
    return relative === '' ? '.' : relative.startsWith('..') ? file : relative;
  };
  const closeLogFile = () => new Promise<void>((resolve) => logFile.end(resolve));

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (signal !== 'SIGINT') {
      // SIGTERM (kill, a process manager, npm's group) and SIGHUP (the terminal closed) mean stop
      // now: npm itself exits at once, and a drain would keep the ports held with nobody waiting
      say(`\n${signal}: stopping now (running executions run again at the next start; Ctrl-C drains first)`);
      await stack.stop();
      await closeLogFile();
      process.exit(signal === 'SIGTERM' ? 143 : 129);
    }
    if (stopping) {
      // a second Ctrl-C: stop now (running executions are aborted; the next start runs them again)
      say(`\n${signal} again: stopping now`);
      await stack.stop();
      await closeLogFile();
      process.exit(130);
    }
    stopping = true;
    say(
      `\n${signal}: no longer taking requests (503); letting running executions finish (up to ${drainSeconds} s; Ctrl-C again to stop now)…`,
    );
    const finished = await stack.drain(drainSeconds * 1000);
    if (!finished) say(`some executions still ran after ${drainSeconds} s: stopped; the next start runs them again`);
    await stack.stop();
    await closeLogFile();
    say('stopped (DynamoDB Local, SES, Printify stand-in, Step Functions, Lambdas)');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));

  const printify = stack.printify.stats();
  const ses = stack.ses.stats();
  say(`
Otaku-mori order pipeline — running locally (ready in ${seconds(Date.now() - started)})

  Console          ${stack.urls.console}  (events, executions, orders; send test events, replay, redrive)
  Stripe webhook   POST ${stack.urls.stripeWebhook}
  Health           GET  ${stack.urls.health}
  Signing secret   ${stack.stripeWebhookSecret}${secretFromEnv ? ' (from STRIPE_WEBHOOK_SECRET)' : ' (default; set STRIPE_WEBHOOK_SECRET to change it)'}
  Printify webhook POST ${stack.urls.printifyWebhook}  (X-Pfy-Signature secret: ${stack.printifyWebhookSecret}${process.env.PRINTIFY_WEBHOOK_SECRET ? ', from PRINTIFY_WEBHOOK_SECRET' : ', default; set PRINTIFY_WEBHOOK_SECRET to change it'})
  DynamoDB Local   ${stack.urls.dynamodb}  table ${stack.tableName}${inMemory ? ' (in memory)' : ` (data in ${shown(path.join(localDir, 'dynamodb'))})`}  (listens on all interfaces)
  Sent email       ${stack.urls.ses}  (JSON: ${stack.urls.ses}/store)
  Printify         ${stack.urls.printify}  (stand-in; orders: ${stack.urls.printify}/__stand-in/orders)
  Quotas           Printify ${printify.limit} requests per ${printify.windowMs / 1000} s, SES ${ses.limit} emails per ${ses.windowMs / 1000} s  (PRINTIFY_RATE_LIMIT_PER_MINUTE, SES_MAX_SEND_RATE)
  Step Functions   ${stack.urls.sfn}  (AWS API: aws stepfunctions --endpoint-url ${stack.urls.sfn} list-executions …)
  Stripe API       ${stack.urls.stripeApi}  (stand-in: GET /v1/events for the reconciler, key ${stack.stripeApi.apiKey}; npm run ops -- reconcile --stripe --since 3d)
  Lambda logs      ${command.logFormat === 'json' ? 'raw JSON lines' : 'one line each'} below${command.order ? `, order ${command.order} only` : ''}; raw JSON in ${shown(logPath)}  (--log-format json, --order <id>)
  Hot reload       ${command.watch ? 'on: a change under lambdas/ reloads the functions that use it (--no-watch turns it off)' : 'off (--no-watch)'}

Try it:  npm run trigger -- checkout.session.completed [--ship]
Real Stripe test events:  stripe listen --forward-to ${stack.urls.stripeWebhook}
         (then STRIPE_WEBHOOK_SECRET=<the whsec_ it prints> npm start)
Options and variables:  npm start -- --help
Ctrl-C stops everything (after letting running executions finish, up to ${drainSeconds} s: DRAIN_SECONDS); SIGTERM stops at once.
${stack.recovered.length ? `\nRunning again ${stack.recovered.length} accepted event(s) whose execution the last run lost.\n` : ''}`);
}

main().catch((error: unknown) => {
  console.error('could not start the local pipeline:', error instanceof Error ? error.message : error);
  process.exit(1);
});
