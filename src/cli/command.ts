import type { Override } from '../config/overrides.ts';
import { UsageError } from '../errors.ts';
import { nearestNames } from '../hints.ts';
import { type CommandContext, type CommandSpec, type OptionSpec, OVERRIDE_OPTIONS } from './spec.ts';

// Parses a declared command's argv with Node's util.parseArgs (no module to load: commander
// cost ~25 ms of every command's start) and runs it; its help is rendered by help.ts.

/** Every option the command takes: its own, and a script's -c/--conf/--set when it takes overrides. */
export function commandOptions(spec: CommandSpec): Record<string, OptionSpec> {
  return spec.overrides ? { ...OVERRIDE_OPTIONS, ...spec.options } : spec.options;
}

const PLACEHOLDER = { string: 'VALUE', integer: 'N', number: 'X', boolean: '' } as const;

/** The option's flags as help and errors spell them: `-j, --jobs <N>`. */
export function flags(name: string, o: OptionSpec): string {
  const value = o.type === 'boolean' ? '' : ` <${o.value ?? PLACEHOLDER[o.type]}>`;
  return `${o.short ? `-${o.short}, ` : ''}--${name}${value}`;
}

/** What a command line asks for: help, or the command run with these. */
type CommandLine =
  | { help: true }
  | { help: false; args: string[]; values: Record<string, unknown>; overrides: Override[]; config?: string };

/**
 * Reads a command's own arguments (before any `--` of a pass-through command) against its
 * declaration. As the command line was read before (commander): an option's value is the next
 * argument even when it starts with a dash (`--sort -acc`), `--x=v` and `-jN` work, -h/--help
 * anywhere asks for help, a repeated option keeps its last value unless it is `multiple`, and
 * whatever follows a `--` is positional. Every mistake is a UsageError naming the option.
 */
export function parseCommandLine(spec: CommandSpec, argv: readonly string[]): CommandLine {
  const declared = commandOptions(spec);
  const parseOptions: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, o] of Object.entries(declared))
    parseOptions[name] = {
      type: o.type === 'boolean' ? 'boolean' : 'string',
      ...(o.short ? { short: o.short } : {}),
    };
  const { parseArgs } = process.getBuiltinModule('node:util');
  // not strict: an unknown option is named here with the closest known one, and a value may
  // start with a dash
  const { tokens } = parseArgs({
    args: [...argv],
    options: parseOptions,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return { help: true };
  const given = new Map<string, unknown>();
  const overrides: Override[] = [];
  const args: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') args.push(token.value);
    if (token.kind !== 'option') continue;
    const o = declared[token.name];
    if (!o) throw unknownOption(spec, token.rawName, declared);
    const shown = `--${token.name}`;
    if (o.type === 'boolean') {
      if (token.value !== undefined)
        throw usage(spec, `option '${shown}' takes no value (given "${token.value}")`);
      given.set(token.name, true);
      continue;
    }
    if (token.value === undefined) throw usage(spec, `option '${flags(token.name, o)}' argument missing`);
    const value = optionValue(spec, token.name, o, token.value);
    if (spec.overrides && (token.name === 'conf' || token.name === 'set'))
      overrides.push({ kind: token.name, text: token.value });
    given.set(token.name, o.multiple ? [...((given.get(token.name) as unknown[]) ?? []), value] : value);
  }
  checkArgs(spec, args);
  const values: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(spec.options))
    values[name] = o.type === 'boolean' ? given.has(name) : (given.get(name) ?? o.default);
  const config = spec.overrides ? (given.get('config') as string | undefined) : undefined;
  return { help: false, args, values, overrides, config };
}

/** An option's value as its type has it: a number checked, a choice among its choices. */
function optionValue(spec: CommandSpec, name: string, o: OptionSpec, text: string): string | number {
  if (o.choices && !o.choices.includes(text))
    throw usage(spec, `--${name} takes ${o.choices.join(', ')}, not "${text}"`);
  if (o.type !== 'integer' && o.type !== 'number') return text;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || (o.type === 'integer' && !Number.isInteger(n)))
    throw usage(
      spec,
      `--${name} takes ${o.type === 'integer' ? 'a whole number' : 'a number'}, not "${text}"`,
    );
  return n;
}

/** The positional arguments against the declared ones: each required one given, none too many. */
function checkArgs(spec: CommandSpec, args: readonly string[]): void {
  const declared = spec.args ?? [];
  const missing = declared.find((a, i) => a.required && args.length <= i);
  if (missing) throw usage(spec, `missing required argument '${missing.name}'`);
  if (!declared.some((a) => a.variadic) && args.length > declared.length) {
    const extra = args.slice(declared.length).map((a) => `"${a}"`);
    throw usage(
      spec,
      `too many arguments for 'repro ${spec.name}': it takes ${declared.length === 0 ? 'none' : `at most ${declared.length}`}, and ${extra.join(' ')} ${extra.length === 1 ? 'is' : 'are'} one too many`,
    );
  }
}

function unknownOption(spec: CommandSpec, raw: string, declared: Record<string, OptionSpec>): UsageError {
  const long = raw.startsWith('--');
  const names = long
    ? Object.keys(declared).map((n) => `--${n}`)
    : Object.values(declared).flatMap((o) => (o.short ? [`-${o.short}`] : []));
  const [near] = long
    ? nearestNames(raw, [...names, '--help'], { max: Math.max(1, Math.floor(raw.length / 3)), k: 1 })
    : [];
  return usage(spec, `unknown option '${raw}'${near ? ` (did you mean ${near}?)` : ''}`);
}

function usage(spec: CommandSpec, message: string): UsageError {
  return new UsageError(message, `See repro ${spec.name} --help`);
}

/** Runs a command on its argv (after the command's name) in a context. Returns the exit code. */
export async function runCommand(
  spec: CommandSpec,
  argv: readonly string[],
  ctx: CommandContext,
): Promise<number> {
  // what follows -- is a command of its own, not ours to parse
  const dashdash = spec.passThrough ? argv.indexOf('--') : -1;
  const own = dashdash < 0 ? argv : argv.slice(0, dashdash);
  const command = dashdash < 0 ? undefined : argv.slice(dashdash + 1);
  const line = parseCommandLine(spec, own);
  if (line.help) {
    const { helpText } = await import('./help.ts');
    ctx.stdout.write(helpText(spec));
    return 0;
  }
  const { args, values, overrides, config } = line;
  return spec.run({ args, options: values as never, overrides, command, config }, ctx);
}
