import { relative } from '../_builtins.ts';
import { UsageError } from '../errors.ts';
import { assertValid, loadGraph, topologicalOrder } from '../graph/graph.ts';
import { LAST_BITS_NOTE, verifyResult } from '../graph/verify.ts';
import { findProject } from '../project/project.ts';
import { parseCommand, print } from './args.ts';

export const USAGE = `usage: repro verify <result>... [--rtol X] | repro verify --all [--rtol X]

Reruns the saved config of each result with today's code into a new folder (<name>~verify1,
then ~verify2 ...; never over the original) and compares the set of files, each file's content
hash, and every metric in metrics.jsonl (exactly, or within --rtol). Prints "reproduced" or
every difference; exits 0 when all reproduced, else 1. Not compared: run.json, end.json,
stdout.log, stderr.log, git.diff, .heartbeat (times, hosts, output timing).

options:
  --rtol X   relative tolerance for metrics: |a - b| <= X * max(|a|, |b|)
  --all      every done result whose upstream results exist, in dependency order`;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(argv, { rtol: { type: 'string' }, all: { type: 'boolean' } }, USAGE);
  if (!args) return 0;
  const rtol = args.values.rtol === undefined ? 0 : Number(args.values.rtol);
  if (!Number.isFinite(rtol) || rtol < 0)
    throw new UsageError(`--rtol takes a number >= 0, not "${args.values.rtol}"`);
  let targets = args.positionals;
  if (args.values.all) {
    const graph = loadGraph(findProject());
    assertValid(graph);
    targets = topologicalOrder(graph)
      .filter((n) => n.result && !n.name.includes('~verify'))
      .map((n) => relative(process.cwd(), n.result as string));
  }
  if (targets.length === 0) throw new UsageError('repro verify needs results (or --all)', USAGE);
  let ok = true;
  for (const target of targets) {
    const r = await verifyResult({ result: target, rtol });
    const rerun = relative(process.cwd(), r.rerun);
    if (r.reproduced) {
      print(`${target}: reproduced (${rerun})`);
      continue;
    }
    ok = false;
    const lines = [`${target}: NOT reproduced (rerun in ${rerun})`];
    if (r.failure) lines.push(`  ${r.failure}`);
    if (r.lastBitsOnly) lines.push(`  ${LAST_BITS_NOTE}`);
    for (const f of r.missing) lines.push(`  missing in the rerun: ${f}`);
    for (const f of r.extra) lines.push(`  only in the rerun: ${f}`);
    for (const f of r.changed) lines.push(`  different content: ${f}`);
    for (const m of r.metrics) {
      lines.push(
        `  metric ${m.metric} first differs at row ${m.row}${m.step === undefined ? '' : ` (step ${JSON.stringify(m.step)})`}: ${JSON.stringify(m.original)} then, ${JSON.stringify(m.rerun)} now`,
      );
    }
    print(lines.join('\n'));
  }
  return ok ? 0 : 1;
}
