/**
 * `npm start`'s command line (commander): the options, the environment variables that set the
 * same things, and the help that lists both.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULTS } from './defaults';

export interface StartCommand {
  ports: {
    port: number;
    dynamodbPort: number;
    sesPort: number;
    sfnPort: number;
    printifyPort: number;
    stripeApiPort: number;
  };
  /** LOCAL_DATA_DIR, or .local (relative paths from the current folder) */
  dataDir: string;
  inMemory: boolean;
  watch: boolean;
  logFormat: 'pretty' | 'json';
  /** only this order's Lambda log lines */
  order?: string;
  logLevel: string;
}

/** What the ports are for, with the variable that moves each (the port check and the help say them). */
export const PORT_SETTINGS = [
  { key: 'port', flag: '--port', env: 'PORT', service: 'HTTP API and console', fallback: DEFAULTS.port },
  { key: 'dynamodbPort', flag: '--dynamodb-port', env: 'DYNAMODB_PORT', service: 'DynamoDB Local', fallback: DEFAULTS.dynamodbPort },
  { key: 'sesPort', flag: '--ses-port', env: 'SES_PORT', service: 'local SES', fallback: DEFAULTS.sesPort },
  { key: 'sfnPort', flag: '--sfn-port', env: 'SFN_PORT', service: 'Step Functions API', fallback: DEFAULTS.sfnPort },
  { key: 'printifyPort', flag: '--printify-port', env: 'PRINTIFY_PORT', service: 'Printify stand-in', fallback: DEFAULTS.printifyPort },
  {
    key: 'stripeApiPort',
    flag: '--stripe-api-port',
    env: 'STRIPE_API_PORT',
    service: 'Stripe API stand-in',
    fallback: DEFAULTS.stripeApiPort,
  },
] as const;

const ENVIRONMENT = `
Environment (an option wins over its variable; the ports' and LOCAL_DATA_DIR's are above):
  DYNAMODB_IN_MEMORY=1             as --in-memory
  DYNAMODB_ENDPOINT                a running DynamoDB to use instead of starting DynamoDB Local
  TABLE_NAME                       the table (default ${DEFAULTS.tableName})
  STRIPE_WEBHOOK_SECRET            the whsec_ the webhook checks (default: a local one, printed at start)
  PRINTIFY_WEBHOOK_SECRET          signs the Printify webhooks (X-Pfy-Signature; default: a local one)
  PRINTIFY_API_TOKEN               the token the Printify stand-in expects (default: a local one)
  PRINTIFY_RATE_LIMIT_PER_MINUTE   the Printify stand-in's quota (default 600) ...
  PRINTIFY_RATE_LIMIT_WINDOW_MS    ... per this window (default 60000)
  SES_MAX_SEND_RATE                the local SES's sending rate (default 14) ...
  SES_SEND_RATE_WINDOW_MS          ... per this window (default 1000)
  DRAIN_SECONDS                    how long Ctrl-C lets running executions finish (default ${DEFAULTS.drainMs / 1000})
  LAMBDA_CONCURRENCY               the most worker threads (execution environments) per function (default 8)
  NO_COLOR, FORCE_COLOR            colours off / on (default: on a terminal only)

Examples:
  PORT=3100 DYNAMODB_PORT=8100 SES_PORT=8105 SFN_PORT=8183 PRINTIFY_PORT=8185 STRIPE_API_PORT=8186 npm start
                                               beside another npm start (every port moved)
  npm start -- --order ord_123                 follow one order's Lambda logs
  npm start -s -- --log-format json | jq .     the raw Powertools JSON lines (all else on stderr)
  jq 'select(.level == "ERROR")' .local/logs/lambdas.jsonl
                                               this run's raw lines, kept in LOCAL_DATA_DIR/logs
`;

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'];

function portNumber(name: string) {
  return (raw: string): number => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(value) || value < 0 || value > 65535)
      throw new InvalidArgumentError(`${name} must be a port number (0-65535), got "${raw}"`);
    return value;
  };
}

export function startProgram(): Command {
  const program = new Command('npm start --')
    .description(
      "Runs the order pipeline on this machine: the synthesized stack's Lambdas and state machines, DynamoDB Local, " +
        'a local SES, and the Printify and Stripe API stand-ins. A change under lambdas/ reloads the functions that use it. ' +
        'Ctrl-C stops everything it started.',
    )
    .configureHelp({ helpWidth: 110 })
    .usage('[options]')
    .helpOption('-h, --help', 'show this help')
    .showHelpAfterError('(run `npm start -- --help` for the options)')
    .allowExcessArguments(false);
  // The variables are read after parsing (parseStartCommand), not by commander: an empty one is unset.
  for (const setting of PORT_SETTINGS) {
    program.addOption(
      new Option(`${setting.flag} <port>`, `${setting.service} port (env: ${setting.env}, default: ${setting.fallback})`).argParser(
        portNumber(setting.flag),
      ),
    );
  }
  program
    .option('--data-dir <dir>', "DynamoDB Local's data, the executions' journal, the Lambda logs (env: LOCAL_DATA_DIR, default: .local)")
    .option('--in-memory', 'DynamoDB Local in memory: nothing is kept, nothing is run again at the next start')
    .option('--no-watch', 'do not reload a Lambda when its sources under lambdas/ change')
    .addOption(
      new Option('--log-format <format>', 'Lambda logs: one readable line each, or the raw JSON lines on stdout')
        .choices(['pretty', 'json'])
        .default('pretty'),
    )
    .option('--order <id>', "show only this order's Lambda log lines")
    .addOption(new Option('--log-level <level>', "the Lambdas' POWERTOOLS_LOG_LEVEL (env: LOG_LEVEL, default: INFO)").choices(LOG_LEVELS))
    .addHelpText('after', ENVIRONMENT);
  return program;
}

export interface ParseOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * Parses `args` (what follows `npm start --`) against the environment. Throws CommanderError on
 * --help (exitCode 0, the help written to `out`) and on a bad argument (exitCode 2, one line and
 * the hint written to `err`).
 */
export function parseStartCommand(args: string[], env: NodeJS.ProcessEnv = process.env, output?: ParseOutput): StartCommand {
  const program = startProgram().exitOverride((error) => {
    throw new CommanderError(error.exitCode === 0 ? 0 : 2, error.code, error.message);
  });
  if (output) program.configureOutput({ writeOut: output.out, writeErr: output.err });
  program.parse(args, { from: 'user' });
  const o = program.opts<{
    dataDir?: string;
    inMemory?: boolean;
    watch: boolean;
    logFormat: 'pretty' | 'json';
    order?: string;
    logLevel?: string;
  }>();
  const given = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const ports = {} as StartCommand['ports'];
  for (const setting of PORT_SETTINGS) {
    const option = program.getOptionValue(setting.key) as number | undefined;
    const raw = given(setting.env);
    if (option !== undefined) ports[setting.key] = option;
    else if (raw === undefined) ports[setting.key] = setting.fallback;
    else {
      try {
        ports[setting.key] = portNumber(setting.env)(raw);
      } catch (error) {
        program.error(`error: ${(error as Error).message}`, { exitCode: 2, code: 'otakumori.invalidEnvironment' });
      }
    }
  }
  const logLevel = (o.logLevel ?? given('LOG_LEVEL') ?? 'INFO').toUpperCase();
  if (!LOG_LEVELS.includes(logLevel))
    program.error(`error: LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`, { exitCode: 2 });
  return {
    ports,
    dataDir: o.dataDir || given('LOCAL_DATA_DIR') || DEFAULTS.localDir,
    inMemory: o.inMemory === true || env.DYNAMODB_IN_MEMORY === '1',
    watch: o.watch,
    logFormat: o.logFormat,
    ...(o.order ? { order: o.order } : {}),
    logLevel,
  };
}
