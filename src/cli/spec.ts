import { fs } from '../_builtins.ts';
import type { Override } from '../config/overrides.ts';
import { UsageError } from '../errors.ts';
import type { Output as WriteOnly } from '../run/runner.ts';

/** Where a command's output goes: the process's streams, or a test's buffer. */
export interface Output extends WriteOnly {
  /** Terminal width, when a terminal. */
  columns?: number;
  rows?: number;
  isTTY?: boolean;
  /** Closed or failed: nothing written is taken any more, nor waited for. */
  readonly destroyed?: boolean;
  /** A stream's events (process.stdout): a writer told `false` by write waits for 'drain' (writeAll). */
  once?(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
  off?(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
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

/** Writes text to the command's stdout with a final newline. */
export function print(ctx: Pick<CommandContext, 'stdout'>, text: string): void {
  ctx.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * Writes the pieces in turn, waiting whenever the stream has queued what it could not pass on
 * yet (a pipe whose reader is slower: `repro ls | less`), so that a listing's 27 MB of table are
 * never all held in memory waiting. A stream that closes or fails (the reader went away) ends the
 * wait; what is written after goes where bin.ts sends it.
 */
export async function writeAll(out: Output, pieces: Iterable<string>): Promise<void> {
  for (const piece of pieces) if (out.write(piece) === false) await drained(out);
}

/** Waits until `out` has passed on what it queued (or closed, or failed). */
export function drained(out: Output): Promise<void> {
  const { once, off } = out;
  if (!once || !off || out.destroyed) return Promise.resolve();
  return new Promise((done) => {
    const go = () => {
      for (const event of EVENTS) off.call(out, event, go);
      done();
    };
    for (const event of EVENTS) once.call(out, event, go);
  });
}
const EVENTS = ['drain', 'close', 'error'] as const;

/** A warning printer on the command's stderr. */
export function warnTo(ctx: Pick<CommandContext, 'stderr'>): (line: string) => void {
  return (line) => ctx.stderr.write(`${line}\n`);
}

/** Writes a file the user named, never over an existing one. */
export function writeNewFile(file: string, shown: string, data: string | Uint8Array): void {
  try {
    fs.writeFileSync(file, data, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UsageError(
        `${shown} already exists; repro never overwrites a file`,
        'Choose another name, or remove the old file yourself.',
      );
    }
    throw error;
  }
}
