// The one command framework of the operator and developer commands (`npm run ops`, `mapping`,
// `printify-webhooks`, and `trigger`): commander parses, generates every --help and refuses an
// unknown command or flag or a missing argument; every command gets the same target flags (the
// local stack, or `--stage <name>`), `--json`, and the same exit codes:
//   0 done · 1 failed for a reason it names (one line) · 2 bad usage (one line and the usage).
// An unexpected error prints its name and message; its stack only with DEBUG=1.
import { Argument, Command, CommanderError, Option } from 'commander';
import { EXIT, OpsError, UsageError } from './errors';
import {
  resolveTarget,
  TARGET_HEADING,
  TARGET_OPTIONS,
  targetOptionsOf,
  type ResolveOptions,
  type Target,
  type TargetOptions,
} from './target';

export { EXIT, OpsError, UsageError } from './errors';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** The process's stdout and stderr, a line per call. */
export const processIo: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

/** A command's parsed flags by their long name without dashes: `json`, `wait-seconds`, `no-wait`, `stage`. */
export type Flags = Record<string, string | boolean | undefined>;

export interface OptionSpec {
  /** commander's syntax: `--status <status>`, `--dry-run`, `--no-wait`, `-p, --product <id>` */
  flags: string;
  description: string;
  choices?: readonly string[];
}

export interface ArgumentSpec {
  /** `<order-id>` (required) or `[url]` (optional) */
  name: string;
  description?: string;
  choices?: readonly string[];
}

/** One command: its arguments and options, what it does with a target, and how its value is printed. */
export interface CommandSpec<T = Target> {
  summary: string;
  /** more text under the generated usage and options */
  help?: string;
  args?: readonly (string | ArgumentSpec)[];
  options?: readonly OptionSpec[];
  /** what the command needs of the target: the workflows too (default), or only the table and Printify */
  needs?: 'workflows' | 'store';
  /** the value printed: as JSON with --json, else as `text(value)` */
  run(target: T, args: string[], flags: Flags): Promise<unknown>;
  text(value: never): string;
  /** the exit code of a value (default 0): e.g. 1 when the order is still not fulfilled */
  exitCode?(value: never): number;
}

export interface ProgramSpec {
  /** how it is run, as its usage lines print it: `npm run ops --` */
  name: string;
  description: string;
  commands?: Record<string, CommandSpec>;
  /**
   * A program that is one command (`npm run trigger -- <type> [options]`): its arguments and options
   * are the program's own. Give this or `commands`, not both.
   */
  root?: CommandSpec;
  /** text under the program's generated help */
  help?: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** how a target is resolved (default: resolveTarget); tests pass their own */
  resolve?: (options: TargetOptions, env: NodeJS.ProcessEnv, resolveOptions: ResolveOptions) => Promise<Target>;
}

const optionOf = (spec: OptionSpec) => {
  const option = new Option(spec.flags, spec.description);
  return spec.choices ? option.choices(spec.choices) : option;
};

const argumentOf = (spec: string | ArgumentSpec) => {
  if (typeof spec === 'string') return new Argument(spec);
  const argument = new Argument(spec.name, spec.description);
  return spec.choices ? argument.choices(spec.choices) : argument;
};

/** commander's values by the flag's own name (`--no-wait` given: `no-wait: true`). */
function flagsOf(command: Command): Flags {
  const values = command.opts();
  const flags: Flags = {};
  for (const option of command.options) {
    const value = values[option.attributeName()] as string | boolean | undefined;
    const name = (option.long ?? option.short ?? '').replace(/^--?/, '');
    flags[name] = option.negate ? (value === false ? true : undefined) : value;
  }
  return flags;
}

const CONNECTION = /ECONNREFUSED|fetch failed|connect ETIMEDOUT/;

/** Runs one command line of `spec`; returns the exit code. Never throws for what a user can cause. */
export async function runProgram(spec: ProgramSpec, argv: readonly string[], io: Io, options: RunOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const resolve = options.resolve ?? resolveTarget;
  let code: number = EXIT.ok;
  const write = (to: (text: string) => void) => (text: string) => to(text.replace(/\n$/, ''));
  const program = new Command(spec.name)
    .description(spec.description)
    .exitOverride()
    .configureOutput({ writeOut: write(io.out), writeErr: write(io.err) })
    .configureHelp({ sortSubcommands: false })
    .showHelpAfterError(`usage: ${spec.name} <command> [options]   (${spec.name} --help lists the commands)`);
  if (spec.help) program.addHelpText('after', `\n${spec.help}`);

  /** Declares a command's arguments, options and action on `cmd` (a subcommand, or the program itself). */
  const define = (cmd: Command, command: CommandSpec, invocation: string) => {
    for (const argument of command.args ?? []) cmd.addArgument(argumentOf(argument));
    for (const option of command.options ?? []) cmd.addOption(optionOf(option));
    cmd.addOption(new Option('--json', 'machine-readable output (errors too: {"error": "…"})'));
    for (const option of TARGET_OPTIONS) cmd.addOption(optionOf(option).helpGroup(TARGET_HEADING));
    if (command.help) cmd.addHelpText('after', `\n${command.help}`);
    const usage = `${invocation} ${cmd.usage()}`;
    cmd.showHelpAfterError(`usage: ${usage}   (--help for more)`);
    cmd.action(async () => {
      const args = cmd.processedArgs.flat().filter((a): a is string => typeof a === 'string');
      code = await execute(command, args, flagsOf(cmd), { io, env, resolve, usage });
    });
  };
  if (spec.root) define(program, spec.root, spec.name);
  else program.usage('<command> [options]');
  for (const [name, command] of Object.entries(spec.commands ?? {})) {
    define(program.command(name).summary(command.summary).description(command.summary), command, `${spec.name} ${name}`);
  }

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    // commander has printed the help, or the error and the usage hint
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw error;
  }
}

interface Execution {
  io: Io;
  env: NodeJS.ProcessEnv;
  resolve: NonNullable<RunOptions['resolve']>;
  usage: string;
}

async function execute(command: CommandSpec, args: string[], flags: Flags, { io, env, resolve, usage }: Execution): Promise<number> {
  const json = Boolean(flags.json);
  const fail = (message: string) => io.err(json ? JSON.stringify({ error: message }) : `error: ${message}`);
  let target: Target | undefined;
  try {
    target = await resolve(targetOptionsOf(flags), env, { workflows: command.needs !== 'store' });
    const value = await command.run(target, args, flags);
    io.out(json ? JSON.stringify(value, null, 2) : command.text(value as never));
    return command.exitCode?.(value as never) ?? EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      fail(error.message);
      if (!json) io.err(`usage: ${usage}   (--help for more)`);
      return EXIT.usage;
    }
    if (error instanceof OpsError) {
      fail(error.message);
      return EXIT.failed;
    }
    const e = error instanceof Error ? error : new Error(String(error));
    const where = target ? ` (${target.description})` : '';
    const hint = CONNECTION.test(e.message) && (!target || target.local) ? ': is `npm start` running? (or pass --stage <name>)' : '';
    fail(`${e.name}: ${e.message}${where}${hint}`);
    if (env.DEBUG && e.stack) io.err(e.stack);
    return EXIT.failed;
  } finally {
    target?.close();
  }
}

/** The entry point of a command's script: runs `process.argv` and sets the exit code. */
export function main(spec: ProgramSpec): void {
  runProgram(spec, process.argv.slice(2), processIo).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // a bug of the framework itself: the stack helps whoever fixes it
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = EXIT.failed;
    },
  );
}
