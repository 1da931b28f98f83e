import { Command, CommanderError, InvalidArgumentError } from 'commander';
import type { Override } from '../config/overrides.ts';
import { UsageError } from '../errors.ts';

/** Where a command's output goes: the process's streams, or a test's buffer. */
export interface Output {
  write(chunk: string | Uint8Array): unknown;
  /** Terminal width, when a terminal. */
  columns?: number;
  rows?: number;
  isTTY?: boolean;
}

/** What a command reads and writes besides its arguments: never `process` directly. */
export interface CommandContext {
  /** The folder the command runs in. */
  cwd: string;
  stdout: Output;
  stderr: Output;
  env: Readonly<Record<string, string | undefined>>;
}

/** One option: its type, its help line, and how it is spelled. */
export interface OptionSpec {
  /** `integer` and `number` are parsed and checked; a wrong value is a usage error naming the option. */
  type: 'string' | 'boolean' | 'integer' | 'number';
  description: string;
  /** A one-letter alias, e.g. `j` for `-j`. */
  short?: string;
  /** The value's placeholder in help. @default by type: N, X or VALUE */
  value?: string;
  /** Repeatable: the values come as an array, in order. */
  multiple?: boolean;
  /** Shown in help and returned when the option is absent. */
  default?: string | number | boolean;
  /** The values accepted (a string option). */
  choices?: readonly string[];
}

/** A positional argument. */
export interface ArgSpec {
  name: string;
  description: string;
  /** @default false */
  required?: boolean;
  /** Takes every remaining argument. @default false */
  variadic?: boolean;
}

type OptionValue<O extends OptionSpec> = O['multiple'] extends true
  ? O['type'] extends 'integer' | 'number'
    ? number[]
    : string[]
  : O['type'] extends 'boolean'
    ? boolean
    : O['type'] extends 'integer' | 'number'
      ? O['default'] extends number
        ? number
        : number | undefined
      : O['default'] extends string
        ? string
        : string | undefined;

/** What a command's run function gets. */
export interface CommandInput<O extends Record<string, OptionSpec>> {
  /** The positional arguments, in order (a variadic one spread at the end). */
  args: string[];
  /** Every declared option, by its long name; booleans are false when absent. */
  options: { [K in keyof O]: OptionValue<O[K]> };
  /** `--conf` and `--set`, in the order given (commands declared with `overrides`). */
  overrides: Override[];
  /** What came after `--` (commands declared with `passThrough`). */
  command: string[] | undefined;
  /** `-c/--config` (commands declared with `overrides`). */
  config: string | undefined;
}

/** A command, declared once: help, docs/cli.md and parsing all come from this. */
export interface CommandSpec<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  name: string;
  /** One line, for `repro --help`. */
  summary: string;
  /** Paragraphs for `repro <name> --help` and docs/cli.md (plain text; `code` reads well in both). */
  description: string;
  /** The library functions it calls, named in docs/cli.md. */
  api?: readonly string[];
  args?: readonly ArgSpec[];
  options: O;
  /** Takes `-c/--config`, `--conf` and `--set` as a script does (the overrides keep their order). */
  overrides?: boolean;
  /** Everything after `--` is a command, handed to `run` as `command`. */
  passThrough?: boolean;
  /** Example lines, shown in help and docs. */
  examples?: readonly string[];
  run(input: CommandInput<O>, ctx: CommandContext): Promise<number>;
}

/** Declares a command (typed options for `run`). */
export function defineCommand<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

/** The options every script takes, for commands declared with `overrides`. */
export const OVERRIDE_OPTIONS = {
  config: {
    type: 'string',
    short: 'c',
    value: 'FILE',
    description: 'the config (or give it as the first argument)',
  },
  conf: {
    type: 'string',
    value: 'JSON',
    multiple: true,
    description: 'merge a JSON object into the config (repeatable, applied in order with --set)',
  },
  set: {
    type: 'string',
    value: 'key=value',
    multiple: true,
    description: 'set one key; the value is JSON when it parses, else a string (repeatable)',
  },
} as const satisfies Record<string, OptionSpec>;

const PLACEHOLDER = { string: 'VALUE', integer: 'N', number: 'X', boolean: '' } as const;

/** The option's flags as commander spells them: `-j, --jobs <N>`. */
function flags(name: string, o: OptionSpec): string {
  const value = o.type === 'boolean' ? '' : ` <${o.value ?? PLACEHOLDER[o.type]}>`;
  return `${o.short ? `-${o.short}, ` : ''}--${name}${value}`;
}

function parseNumber(name: string, o: OptionSpec) {
  return (text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || (o.type === 'integer' && !Number.isInteger(n)))
      throw new InvalidArgumentError(
        `--${name} takes ${o.type === 'integer' ? 'a whole number' : 'a number'}`,
      );
    return n;
  };
}

/** A commander Command for the spec; `onOverride` sees each --conf/--set in order. */
export function toCommander(spec: CommandSpec, onOverride?: (o: Override) => void): Command {
  const cmd = new Command(spec.name)
    .description(spec.description)
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .configureHelp({ helpWidth: 100, sortOptions: false });
  cmd.name(`repro ${spec.name}`);
  for (const a of spec.args ?? []) {
    const name = `${a.name}${a.variadic ? '...' : ''}`;
    cmd.argument(a.required ? `<${name}>` : `[${name}]`, a.description);
  }
  const options: Record<string, OptionSpec> = spec.overrides
    ? { ...OVERRIDE_OPTIONS, ...spec.options }
    : spec.options;
  for (const [name, o] of Object.entries(options)) {
    const numeric = o.type === 'integer' || o.type === 'number' ? parseNumber(name, o) : null;
    const isOverride = spec.overrides && (name === 'conf' || name === 'set');
    const parse = (text: string, previous: unknown) => {
      if (isOverride) onOverride?.({ kind: name as 'conf' | 'set', text });
      const value = numeric ? numeric(text) : text;
      if (o.choices && !o.choices.includes(text))
        throw new InvalidArgumentError(`--${name} takes ${o.choices.join(', ')}`);
      return o.multiple ? [...((previous as unknown[] | undefined) ?? []), value] : value;
    };
    const description =
      o.default === undefined || o.type === 'boolean'
        ? o.description
        : `${o.description} (default: ${o.default})`;
    if (o.type === 'boolean') cmd.option(flags(name, o), description);
    else cmd.option(flags(name, o), description, parse);
  }
  if (spec.examples?.length) cmd.addHelpText('after', `\n${examplesText(spec)}`);
  return cmd;
}

function examplesText(spec: CommandSpec): string {
  return `Examples:\n${(spec.examples ?? []).map((e) => `  ${e}`).join('\n')}`;
}

/** Runs a command on its argv (after the command's name) in a context. Returns the exit code. */
export async function runCommand(
  spec: CommandSpec,
  argv: readonly string[],
  ctx: CommandContext,
): Promise<number> {
  // what follows -- is a command of its own, not ours to parse
  const dashdash = spec.passThrough ? argv.indexOf('--') : -1;
  const own = dashdash < 0 ? [...argv] : argv.slice(0, dashdash);
  const command = dashdash < 0 ? undefined : argv.slice(dashdash + 1);
  const overrides: Override[] = [];
  const cmd = toCommander(spec, (o) => overrides.push(o));
  cmd.configureOutput({
    writeOut: (s) => ctx.stdout.write(s),
    writeErr: (s) => ctx.stderr.write(s),
    outputError: () => {},
  });
  try {
    cmd.parse(own, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return 0;
      throw new UsageError(
        error.message.replace(/^error: /, '').replace(/\n\(Did you mean (.*)\?\)$/, ' (did you mean $1?)'),
        `See repro ${spec.name} --help`,
      );
    }
    throw error;
  }
  const parsed = cmd.opts();
  const values: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    const option = cmd.options.find((x) => x.long === `--${name}`);
    const value = option ? parsed[option.attributeName()] : undefined;
    // commander keeps --no-x as x = false
    if (name.startsWith('no-')) values[name] = value === false;
    else values[name] = o.type === 'boolean' ? Boolean(value) : (value ?? o.default);
  }
  const config = spec.overrides ? (parsed.config as string | undefined) : undefined;
  return spec.run({ args: cmd.args, options: values as never, overrides, command, config }, ctx);
}

/** The command's help, as `repro <name> --help` prints it. */
export function helpText(spec: CommandSpec): string {
  const text = toCommander(spec).helpInformation();
  return spec.examples?.length ? `${text}\n${examplesText(spec)}\n` : text;
}
