import { fs, join, relative, resolve } from '../_builtins.ts';
import { ReproError, UsageError } from '../errors.ts';
import { assertValid, loadGraph, topologicalOrder } from '../graph/graph.ts';
import { resolveTargets } from '../graph/targets.ts';
import { LAST_BITS_NOTE, notDone, verifyResult } from '../graph/verify.ts';
import { findProject } from '../project/project.ts';
import { RUN_FILES } from '../run/layout.ts';
import { readRunState } from '../run/status.ts';
import { defineCommand, print } from './spec.ts';

export default defineCommand({
  name: 'verify',
  summary: "rerun a result's config and prove it reproduces",
  api: ['verifyResult'],
  description: `Rule 1, proved: reruns the saved config of a result (its config.json, with today's code) into a new folder runs/.<name>~verify1 (then ~verify2, …; never over the original), a dot name that listings, globs and the graph leave out (--keep names it <name>~verify1, listed like any result), and compares the set of files, each file's content (SHA-256), and every value in metrics.jsonl, row by row: exactly, or within --rtol (|a - b| <= rtol × max(|a|, |b|)). Prints "reproduced", or every difference: files missing or extra in the rerun, files with other content, and for each metric the first row (and step) where it differs. A file with other bytes that is JSON (or JSON lines) whose numbers agree within --rtol counts as the same. When every difference is a number within a relative 1e-12 the report says so: "${LAST_BITS_NOTE}". The rerun gets the recorded PYTHONHASHSEED. When something changed since the original run that explains a difference (its script, its input data), the report says so first. Exit 0 when all reproduced, else 1.

Not compared, by rule: run.json, end.json, stdout.log, stderr.log, git.diff, repro-code/ (copies of untracked code), .heartbeat and .reserve at the top of the folder (times, hosts, pids, output timing). Everything else the script wrote is; the inputs' fingerprints (inputs.json, inputs-read.json) without the files' modification times where they have digests (a data set copied or installed again has new times and the same bytes). Only a done result can be verified (REPRO_VERIFY_NOT_DONE), and only while its upstream results exist (REPRO_VERIFY_UPSTREAM_GONE: produce them again first). --all verifies every done result, in dependency order, and names each other one as skipped, with its state.`,
  args: [
    {
      name: 'results',
      variadic: true,
      description:
        'the results to reproduce: names, globs or folders (see Targets); an attic result by its path',
    },
  ],
  options: {
    rtol: {
      type: 'number',
      default: 0,
      description: 'relative tolerance for numbers: |a - b| <= X * max(|a|, |b|)',
    },
    all: {
      type: 'boolean',
      description: 'every done result whose upstream results exist, in dependency order',
    },
    keep: {
      type: 'boolean',
      description: 'name the rerun <name>~verifyN, listed like any result, not the hidden .<name>~verifyN',
    },
  },
  examples: ['repro verify runs/model', 'repro verify --all'],
  async run({ args, options }, ctx) {
    if (options.rtol < 0) throw new UsageError(`--rtol takes a number >= 0, not ${options.rtol}`);
    let targets = args.length ? resultsOf(args, ctx.cwd) : args;
    if (options.all) {
      const graph = loadGraph(findProject({ cwd: ctx.cwd }));
      assertValid(graph);
      targets = topologicalOrder(graph)
        .filter((n) => n.result && !n.name.includes('~verify'))
        .map((n) => relative(ctx.cwd, n.result as string));
    }
    if (targets.length === 0)
      throw new UsageError('repro verify needs results (or --all)', 'See repro verify --help');
    let ok = true;
    for (const target of targets) {
      if (options.all) {
        // only a done result can be reproduced: --all names the others and goes on
        const state = readRunState(resolve(ctx.cwd, target));
        if (state.status !== 'done') {
          print(ctx, `${target}: skipped: ${notDone(state)}`);
          continue;
        }
      }
      const r = await verifyResult({
        result: target,
        rtol: options.rtol,
        keep: options.keep,
        cwd: ctx.cwd,
        env: ctx.env,
        stdout: ctx.stdout,
        stderr: ctx.stderr,
      });
      const rerun = relative(ctx.cwd, r.rerun);
      if (r.reproduced) {
        print(ctx, `${target}: reproduced (${rerun})`);
        continue;
      }
      ok = false;
      const lines = [`${target}: NOT reproduced (rerun in ${rerun})`];
      if (r.failure) lines.push(`  ${r.failure}`);
      if (r.lastBitsOnly) lines.push(`  ${LAST_BITS_NOTE}`);
      for (const e of r.explanations) lines.push(`  ${e}`);
      for (const f of r.missing) lines.push(`  missing in the rerun: ${f}`);
      for (const f of r.extra) lines.push(`  only in the rerun: ${f}`);
      for (const f of r.changed) lines.push(`  different content: ${f}`);
      for (const m of r.metrics) {
        lines.push(
          `  metric ${m.metric} first differs at row ${m.row}${m.step === undefined ? '' : ` (step ${JSON.stringify(m.step)})`}: ${JSON.stringify(m.original)} then, ${JSON.stringify(m.rerun)} now`,
        );
      }
      print(ctx, lines.join('\n'));
    }
    return ok ? 0 : 1;
  },
});

/**
 * The result folders of the targets (names, globs, config files, result folders: one resolver
 * for every command); a result folder outside the graph (in the attic) is taken by its path.
 */
function resultsOf(targets: readonly string[], cwd: string): string[] {
  const graph = loadGraph(findProject({ cwd }));
  return targets.flatMap((target) => {
    let names: string[];
    try {
      names = resolveTargets(graph, [target], cwd);
    } catch (error) {
      if (fs.existsSync(join(resolve(cwd, target), RUN_FILES.config))) return [target];
      throw error;
    }
    return names.map((name) => {
      const result = graph.nodes.get(name)?.result;
      if (!result)
        throw new ReproError(
          'REPRO_UNKNOWN_CONFIG',
          `${name} has no result to verify`,
          `Make it first: repro make ${name}`,
        );
      return relative(cwd, result) || result;
    });
  });
}
