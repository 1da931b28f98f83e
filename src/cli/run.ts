import { parseRunArgs } from '../config/argv.ts';
import { UsageError } from '../errors.ts';
import { runConfig } from '../run/runner.ts';

export const USAGE = `usage: repro run <config.json> [--conf JSON]... [--set key=value]... [--postfix X] [--quiet] [-- command...]

Creates the result folder runs/<name> (plus a postfix when overrides change the config),
saves the merged config and the run record into it, runs the config's "script" (or the
command after --) with -c <folder>/config.json, and saves its output. Exits with the
script's exit code; 130 when interrupted.

options:
  -c, --config FILE   the config (or give it as the first argument)
  --conf JSON         merge a JSON object into the config (repeatable, applied in order)
  --set key=value     set one key; the value is JSON when it parses, else a string (repeatable)
  --postfix X         name the result <name>~X
  -q, --quiet         print only the script's output`;

export async function main(argv: string[]): Promise<number> {
  const dashdash = argv.indexOf('--');
  const own = dashdash < 0 ? argv : argv.slice(0, dashdash);
  const command = dashdash < 0 ? undefined : argv.slice(dashdash + 1);
  const args = parseRunArgs(own, {
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (args.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = args.config ?? args.positionals[0];
  if (!config) throw new UsageError('repro run needs a config', USAGE);
  if (args.positionals.length > (args.config ? 0 : 1)) {
    throw new UsageError(
      `unexpected argument "${args.positionals[args.config ? 0 : 1]}"`,
      'Put a command after "--": repro run configs/x.json -- python train.py',
    );
  }
  if (command && command.length === 0)
    throw new UsageError('nothing after "--"', 'Give a command: -- python train.py');
  const result = await runConfig({
    config,
    overrides: args.overrides,
    postfix: args.postfix,
    command,
    quiet: Boolean(args.values.quiet),
  });
  return result.exitCode;
}
