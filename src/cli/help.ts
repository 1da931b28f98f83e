import { Command } from 'commander';
import { commandOptions, flags } from './command.ts';
import type { CommandSpec } from './spec.ts';

// A command's help, rendered by commander from its declaration. Loaded only for --help, `repro
// help` and docs/cli.md: parsing (command.ts) is util.parseArgs, and commander's ~25 ms of
// loading is no longer part of every command's start.

/** The command's help, as `repro <name> --help` prints it. */
export function helpText(spec: CommandSpec): string {
  const cmd = new Command(spec.name)
    .description(spec.description)
    .helpOption('-h, --help', 'show this help')
    .configureHelp({ helpWidth: 100, sortOptions: false });
  cmd.name(`repro ${spec.name}`);
  for (const a of spec.args ?? []) {
    const name = `${a.name}${a.variadic ? '...' : ''}`;
    cmd.argument(a.required ? `<${name}>` : `[${name}]`, a.description);
  }
  for (const [name, o] of Object.entries(commandOptions(spec))) {
    const description =
      o.default === undefined || o.type === 'boolean'
        ? o.description
        : `${o.description} (default: ${o.default})`;
    cmd.option(flags(name, o), description);
  }
  const text = cmd.helpInformation();
  return spec.examples?.length
    ? `${text}\nExamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}\n`
    : text;
}
