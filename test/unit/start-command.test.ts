import type { CommanderError } from 'commander';
import { PORT_SETTINGS, parseStartCommand, type StartCommand } from '../../local/start-command';

/** Issue 16.3/16.4: `npm start -- --help`, its flags and variables, and a mistyped flag. */
describe("npm start's command line", () => {
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    let out = '';
    let err = '';
    let result: StartCommand | undefined;
    let exitCode: number | undefined;
    try {
      result = parseStartCommand(args, env, { out: (t) => (out += t), err: (t) => (err += t) });
    } catch (error) {
      exitCode = (error as CommanderError).exitCode;
    }
    return { result, exitCode, out, err };
  };

  test('--help lists the options and every variable, and exits 0', () => {
    const { exitCode, out, err } = run(['--help']);
    expect(exitCode).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/^Usage: npm start -- \[options\]/);
    for (const name of [
      ...PORT_SETTINGS.map((s) => s.env),
      'LOCAL_DATA_DIR',
      'DYNAMODB_IN_MEMORY',
      'DYNAMODB_ENDPOINT',
      'TABLE_NAME',
      'STRIPE_WEBHOOK_SECRET',
      'PRINTIFY_WEBHOOK_SECRET',
      'PRINTIFY_API_TOKEN',
      'PRINTIFY_RATE_LIMIT_PER_MINUTE',
      'PRINTIFY_RATE_LIMIT_WINDOW_MS',
      'SES_MAX_SEND_RATE',
      'SES_SEND_RATE_WINDOW_MS',
      'DRAIN_SECONDS',
      'LOG_LEVEL',
      'NO_COLOR',
      '--no-watch',
      '--log-format',
      '--order',
      '--in-memory',
    ])
      expect(out).toContain(name);
  });

  test('defaults: the documented ports, watching, readable logs', () => {
    const { result } = run([]);
    expect(result).toMatchObject({
      ports: { port: 3000, dynamodbPort: 8000, sesPort: 8005, sfnPort: 8083, printifyPort: 8085, stripeApiPort: 8086 },
      inMemory: false,
      watch: true,
      logFormat: 'pretty',
      logLevel: 'INFO',
    });
    expect(result?.order).toBeUndefined();
  });

  test('variables set the ports and the rest; an option wins; an empty variable is unset', () => {
    const env = { PORT: '17000', SES_PORT: '', DYNAMODB_IN_MEMORY: '1', LOCAL_DATA_DIR: '/tmp/x', LOG_LEVEL: 'debug' };
    const { result } = run(['--port', '17100', '--no-watch', '--log-format', 'json', '--order', 'ord_1'], env);
    expect(result).toMatchObject({
      ports: { port: 17100, sesPort: 8005 },
      inMemory: true,
      dataDir: '/tmp/x',
      watch: false,
      logFormat: 'json',
      order: 'ord_1',
      logLevel: 'DEBUG',
    });
    expect(run([], { PORT: '17000' }).result?.ports.port).toBe(17000);
  });

  test('an unknown flag, a bad value or an argument: the error, the hint, exit 2', () => {
    for (const [args, env, message] of [
      [['--bogus'], {}, /unknown option '--bogus'/],
      [['--prot', '1'], {}, /unknown option '--prot'/],
      [['--port', 'x'], {}, /--port must be a port number/],
      [[], { SFN_PORT: '99999' }, /SFN_PORT must be a port number/],
      [['--log-format', 'xml'], {}, /xml.*is invalid/],
      [['extra'], {}, /too many arguments/],
    ] as const) {
      const { exitCode, out, err } = run([...args], env);
      expect(exitCode).toBe(2);
      expect(out).toBe('');
      expect(err).toMatch(message);
      expect(err).toMatch(/npm start -- --help/);
      expect(err.trim().split('\n').length).toBeLessThanOrEqual(3);
    }
  });
});
