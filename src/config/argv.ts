import { parseArgs } from '../_builtins.ts';
import { UsageError } from '../errors.ts';
import type { Override } from './overrides.ts';

/** The arguments every repro script takes (README, "Writing a script"). */
export interface RunArgs {
  /** `-c/--config FILE` */
  config: string | undefined;
  /** `--conf JSON` and `--set key=value`, in the order given. */
  overrides: Override[];
  /** `--postfix X` */
  postfix: string | undefined;
  /** Positional arguments. */
  positionals: string[];
}

export const RUN_ARG_OPTIONS = {
  config: { type: 'string', short: 'c' },
  conf: { type: 'string', multiple: true },
  set: { type: 'string', multiple: true },
  postfix: { type: 'string' },
} as const;

/**
 * Parses `-c config.json --conf '{...}' --set k=v --postfix X`. Unknown options are an error
 * (a typo such as --postifx must not be ignored silently); `extra` adds more options.
 */
export function parseRunArgs(
  argv: readonly string[],
  extra: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {},
): RunArgs & { values: Record<string, unknown> } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...RUN_ARG_OPTIONS, ...extra },
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const overrides: Override[] = [];
  for (const token of parsed.tokens ?? []) {
    if (
      token.kind === 'option' &&
      (token.name === 'conf' || token.name === 'set') &&
      token.value !== undefined
    ) {
      overrides.push({ kind: token.name, text: token.value });
    }
  }
  const values = parsed.values as Record<string, unknown>;
  return {
    config: values.config as string | undefined,
    overrides,
    postfix: values.postfix as string | undefined,
    positionals: parsed.positionals,
    values,
  };
}
