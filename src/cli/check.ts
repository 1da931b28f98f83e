import { checkProject } from '../graph/check.ts';
import { findProject } from '../project/project.ts';
import { parseCommand, print } from './args.ts';

export const USAGE = `usage: repro check [--json]

Lints the project, one line per finding with its file and key: configs that do not load,
duplicate names, sources naming nothing, cycles, immutability breaches, scripts that do not
exist (errors); nested values and keys that past runs never read (warnings). Exits 1 on any
error.`;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(argv, { json: { type: 'boolean' } }, USAGE);
  if (!args) return 0;
  const findings = await checkProject(findProject());
  if (args.values.json) print(JSON.stringify(findings, null, 2));
  else if (findings.length === 0) print('no problems found');
  else
    print(
      findings.map((f) => `${f.severity}: ${f.file}${f.key ? ` [${f.key}]` : ''}: ${f.message}`).join('\n'),
    );
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}
