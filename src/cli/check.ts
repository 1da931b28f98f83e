import { checkProject } from '../graph/check.ts';
import { findProject } from '../project/project.ts';
import { defineCommand, print } from './spec.ts';

export default defineCommand({
  name: 'check',
  summary: "lint the project's configs, sources and scripts",
  api: ['checkProject'],
  description: `Lints the project, one line per finding: "error: <file> [<key>]: <message>" or "warning: …". Errors: a config that does not load, duplicate names, dangling sources, cycles, immutability breaches (a config changed after its result was made), a script that does not exist or cannot run, a damaged result (a record file that is not a record). Warnings: nested values (with the flat spelling), keys that no run of the config's script ever read (from every ended run's effective.json, with the closest key that was read: a likely typo) and keys the last run never read, configs with the same content, and stale results (with the reason, as repro status gives it). Exit 1 on any error.`,
  options: { json: { type: 'boolean', description: 'the findings as JSON' } },
  async run({ options }, ctx) {
    const findings = await checkProject(findProject({ cwd: ctx.cwd }));
    if (options.json) print(ctx, JSON.stringify(findings, null, 2));
    else if (findings.length === 0) print(ctx, 'no problems found');
    else
      print(
        ctx,
        findings.map((f) => `${f.severity}: ${f.file}${f.key ? ` [${f.key}]` : ''}: ${f.message}`).join('\n'),
      );
    return findings.some((f) => f.severity === 'error') ? 1 : 0;
  },
});
