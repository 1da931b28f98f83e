import { Command, CommanderError, InvalidArgumentError } from 'commander';
import type { Override } from '../config/overrides.ts';
import { UsageError } from '../errors.ts';
import { type CommandContext, type CommandSpec, type OptionSpec, OVERRIDE_OPTIONS } from './spec.ts';

// The commander adapter: parses a declared command's argv and renders its help. Loaded only
// when a command runs (repro --version never pays for it).

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
