import { parseArgs } from '../_builtins.ts';
import { UsageError } from '../errors.ts';

type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };

/**
 * Parses a command's argv strictly (an unknown or misspelt option is an error, never ignored).
 * Returns null after printing the usage when --help was asked for.
 */
export function parseCommand<O extends Record<string, OptionSpec>>(
  argv: string[],
  options: O,
  usage: string,
): {
  values: {
    [K in keyof O]?: O[K]['multiple'] extends true
      ? string[]
      : O[K]['type'] extends 'boolean'
        ? boolean
        : string;
  };
  positionals: string[];
} | null {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(
      (error as Error).message.replace(/\. To specify a positional argument.*$/s, ''),
      usage,
    );
  }
  if (parsed.values.help) {
    process.stdout.write(`${usage}\n`);
    return null;
  }
  return parsed as never;
}

/** A whole number option, or a usage error naming it. */
export function intOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} takes a whole number, not "${value}"`);
  return n;
}

/** Writes text to stdout with a final newline. */
export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
