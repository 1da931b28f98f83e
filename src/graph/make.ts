import { join, relative } from '../_builtins.ts';
import { canonicalJson } from '../config/hash.ts';
import { findProject, type Project } from '../project/project.ts';
import { againIfIndexDamaged } from '../project/results.ts';
import { type AtticMove, moveToAttic } from '../run/attic.ts';
import type { EndStatus } from '../run/record.ts';
import { type Output, runConfig } from '../run/runner.ts';
import {
  assertValid,
  downstreamOf,
  type GraphNode,
  loadGraph,
  topologicalOrder,
  upstreamOf,
} from './graph.ts';
import { graphStatus, isGood, type NodeStatus } from './status.ts';
import { resolveTargets } from './targets.ts';

export interface MakeOptions {
  /** Config names (or files, or result folders) to produce, with everything upstream. */
  targets: readonly string[];
  /** Stages run at once. @default 1 */
  jobs?: number;
  /** Say what would run, run nothing. @default false */
  dryRun?: boolean;
  /**
   * Move every stale, failed, interrupted or crashed result upstream of the targets to the attic
   * first, then build them again. @default false
   */
  rebuild?: boolean;
  /** Also make everything downstream of the targets. @default false */
  downstream?: boolean;
  /** After a failure, go on with the stages that do not depend on it. @default false */
  keepGoing?: boolean;
  /** @default process.cwd() */
  cwd?: string;
  project?: Project;
  /** Progress and the scripts' output. @default process.stderr / process.stdout */
  log?: (line: string) => void;
  /** Where the scripts' output goes with -j 1 (with more jobs it is only saved). @default process.stdout */
  stdout?: Output;
  stderr?: Output;
  /** The scripts' environment. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Refuse to start a stage while tracked files have uncommitted changes. @default repro.json requireClean */
  requireClean?: boolean;
  /** A stage whose config has a likely typo (a key no earlier run of its script read) does not start. @default repro.json strict */
  strict?: boolean;
  /**
   * Where the stages run: here (`local`, up to `jobs` at once), or each as a SLURM job with the
   * graph as job dependencies (`slurm`: submits and returns, unless `wait`). @default "local"
   */
  launcher?: 'local' | 'slurm';
  /** With the slurm launcher: wait for the jobs and report each as it ends. @default false */
  wait?: boolean;
  /** With the slurm launcher: more sbatch options for every stage, after repro.json's "slurm". */
  slurmArgs?: readonly string[];
  /** With the slurm launcher and wait: how often squeue is asked, in ms. @default 2000 */
  pollMs?: number;
}

/**
 * `running`: another process (a second make, a run) is making it right now. With the slurm
 * launcher, `submitted`: a job was submitted for it now; `queued`: a job submitted earlier (by
 * another make, or an earlier one) is pending or running.
 */
export type StageOutcome =
  | 'exists'
  | 'ran'
  | 'failed'
  | 'skipped'
  | 'planned'
  | 'running'
  | 'submitted'
  | 'queued';

export type StageOutcomes = Map<string, { outcome: StageOutcome; detail: string }>;

/** What make found before running anything: the stages in order, their states, what to make. */
export interface MakePlan {
  project: Project;
  order: GraphNode[];
  statuses: Map<string, NodeStatus>;
  /** The stages already decided (exists, running, failed); the others are in `todo`. */
  outcome: StageOutcomes;
  /** The missing stages to make, in dependency order. */
  todo: GraphNode[];
  stale: NodeStatus[];
  moved: AtticMove[];
}

export interface MakeSummary {
  stages: { name: string; outcome: StageOutcome; detail: string }[];
  /** Existing results that are stale: reported, never recomputed. */
  stale: NodeStatus[];
  /** What --rebuild moved to the attic. */
  moved: AtticMove[];
  ok: boolean;
}

/**
 * `repro make`: every missing result upstream of the targets, in dependency order, independent
 * stages in parallel up to `jobs`. Each stage runs exactly as `repro run`. A stage with a result
 * is never rerun (results are immutable); a failed or crashed one blocks what depends on it.
 */
export async function make(options: MakeOptions): Promise<MakeSummary> {
  const plan = await planMake(options);
  if (options.launcher === 'slurm') {
    const { launchOnSlurm } = await import('../slurm/launch.ts');
    return launchOnSlurm(plan, options);
  }
  const { project, order, statuses, outcome, todo, stale, moved } = plan;
  const log = makeLog(options);
  if (options.dryRun) {
    for (const node of todo) outcome.set(node.name, { outcome: 'planned', detail: `would run ${node.file}` });
    return summarize(order, outcome, stale, moved);
  }

  const jobs = Math.max(1, options.jobs ?? 1);
  // with several stages at once their output is only saved, not shown interleaved
  const { Writable } = process.getBuiltinModule('node:stream');
  const quiet = new Writable({ write: (_c, _e, done) => done() });
  const total = todo.length;
  let finished = 0;
  let started = 0;
  let stopping = false;
  const running = new Set<string>();
  const blocked = (node: GraphNode) => blockedBy(node, outcome);
  const ready = (node: GraphNode) =>
    node.sources.every((s) => ['exists', 'ran'].includes(outcome.get(s)?.outcome ?? ''));
  const onSignal = () => {
    stopping = true;
  };
  process.once('SIGINT', onSignal);
  try {
    await new Promise<void>((resolveAll) => {
      const pump = () => {
        // mark what can never run
        for (const node of todo) {
          if (outcome.has(node.name) || running.has(node.name)) continue;
          const cause = blocked(node);
          if (cause || stopping) {
            outcome.set(node.name, {
              outcome: 'skipped',
              detail: cause
                ? outcome.get(cause)?.outcome === 'running'
                  ? `upstream ${cause} is still being made by another process`
                  : `upstream ${cause} did not finish`
                : 'stopped',
            });
            finished++;
          }
        }
        for (const node of todo) {
          if (running.size >= jobs || stopping) break;
          if (outcome.has(node.name) || running.has(node.name) || !ready(node)) continue;
          running.add(node.name);
          started++;
          // the count is of finished stages, so it only ever goes up, whatever -j interleaves
          log(`[${finished}/${total}] ▶ ${node.name} (${running.size} running, ${total - started} waiting)`);
          runConfig({
            env: options.env,
            config: join(project.root, node.file as string),
            cwd: options.cwd,
            project,
            quiet: true,
            requireClean: options.requireClean,
            strict: options.strict,
            // what this make knows of the sources: a stage it ran is fresh, the others as found
            staleSources: new Map(
              node.sources.map((s) => [
                s,
                outcome.get(s)?.outcome === 'ran' ? [] : (statuses.get(s)?.stale ?? []),
              ]),
            ),
            stdout: jobs === 1 ? (options.stdout ?? process.stdout) : quiet,
            stderr: jobs === 1 ? (options.stderr ?? process.stderr) : quiet,
          }).then(
            (r) =>
              done(
                node,
                r.status,
                `${r.status} in ${r.end.duration_s} s${r.status === 'done' ? '' : `, exit ${r.exitCode}; see ${node.name}/stderr.log`}`,
              ),
            (error: unknown) =>
              done(
                node,
                'failed',
                error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error),
              ),
          );
        }
        if (running.size === 0) resolveAll();
      };
      const done = (node: GraphNode, status: EndStatus, detail: string) => {
        running.delete(node.name);
        finished++;
        const ok = status === 'done';
        outcome.set(node.name, { outcome: ok ? 'ran' : 'failed', detail });
        log(`[${finished}/${total}] ${ok ? '✓' : '✗'} ${node.name}: ${detail}`);
        if (!ok && !options.keepGoing) stopping = true;
        if (status === 'interrupted') stopping = true;
        pump();
      };
      pump();
    });
  } finally {
    process.off('SIGINT', onSignal);
  }
  await restale(project, order, outcome);
  return summarize(order, outcome, stale, moved);
}

/**
 * The kept stale stages' reasons as they are once the make has run: worked out before it, they
 * could name an upstream as missing that it has just made (the kept result was not built on that
 * new upstream either, and says so now). Only when a stage ran and a stale one was kept.
 */
async function restale(project: Project, order: GraphNode[], outcome: StageOutcomes): Promise<void> {
  const kept = order.filter((n) => {
    const o = outcome.get(n.name);
    return o?.outcome === 'exists' && o.detail.startsWith('stale: ');
  });
  if (!kept.length || ![...outcome.values()].some((o) => o.outcome === 'ran')) return;
  const now = await graphStatus(
    loadGraph(project, { links: false }),
    kept.map((n) => n.name),
  );
  for (const s of now)
    outcome.set(s.name, {
      outcome: 'exists',
      detail: s.state !== 'done' ? s.state : s.stale.length ? `stale: ${s.stale.join('; ')}` : 'done',
    });
}

/**
 * make's first half, the same for every launcher: the targets resolved, the stages upstream of
 * them in order with their states, --rebuild's moves to the attic, and what is left to make.
 */
export async function planMake(options: MakeOptions): Promise<MakePlan> {
  const project = options.project ?? findProject({ cwd: options.cwd });
  const log = makeLog(options);
  // read once more on the folders when the results index turns out damaged as it is read
  // (nothing is said or moved before the statuses are known)
  const { order, statuses, warnings } = await againIfIndexDamaged(async () => {
    const graph = loadGraph(project);
    const named = resolveTargets(graph, options.targets, options.cwd ?? process.cwd());
    // --downstream: the targets and everything built on them (and so what those need upstream)
    const wanted = options.downstream ? [...new Set([...named, ...downstreamOf(graph, named)])] : named;
    const warnings: string[] = [];
    assertValid(graph, wanted, (line) => warnings.push(line));
    const order = topologicalOrder(graph, upstreamOf(graph, wanted));
    const statuses = new Map(
      (
        await graphStatus(
          graph,
          order.map((n) => n.name),
        )
      ).map((s) => [s.name, s]),
    );
    return { order, statuses, warnings };
  });
  for (const line of warnings) log(line);
  const outcome: StageOutcomes = new Map();
  const todo: GraphNode[] = [];
  // --rebuild: every stale, failed, interrupted or crashed result upstream of the targets (and,
  // since staleness flows down, everything built on one) moves to the attic and is made again
  const moved: AtticMove[] = [];
  if (options.rebuild) {
    for (const node of [...order].reverse()) {
      const s = statuses.get(node.name) as NodeStatus;
      if (!node.result || !node.file || s.state === 'missing' || s.state === 'running' || isGood(s)) continue;
      const why = s.stale.length ? `stale: ${s.stale[0]}` : `${s.state}`;
      if (options.dryRun) log(`repro make: would move ${node.name} to the attic (${why})`);
      else {
        const move = moveToAttic(project, node.result, `make --rebuild (${why})`);
        moved.push(move);
        log(`repro make: moved ${node.name} to ${relative(project.runsRoot, move.to)} (${why})`);
      }
      statuses.set(node.name, {
        ...s,
        state: 'missing',
        stale: [],
        reason: 'moved to the attic',
        result: null,
      });
    }
  }
  for (const node of order) {
    const s = statuses.get(node.name) as NodeStatus;
    if (s.state === 'done')
      outcome.set(node.name, {
        outcome: 'exists',
        detail: s.stale.length ? `stale: ${s.stale.join('; ')}` : 'done',
      });
    else if (s.state === 'running') {
      outcome.set(node.name, {
        outcome: 'running',
        detail: `another process is making it (${s.reason}); run make again when it ends`,
      });
    } else if (s.state !== 'missing') {
      outcome.set(node.name, {
        outcome: 'failed',
        detail: `its result is ${s.state} (${s.reason}); fix the cause, then ${again(options)} --rebuild`,
      });
    } else if (!node.file) {
      outcome.set(node.name, { outcome: 'failed', detail: 'no config file to make it from' });
    } else todo.push(node);
  }
  const stale = [...statuses.values()].filter((s) => s.state === 'done' && s.stale.length > 0);
  for (const s of stale) log(`repro make: ${s.name} is stale (${s.stale[0]}); kept as it is`);
  if (stale.length) {
    log(
      `repro make: kept ${stale.length} stale result${stale.length === 1 ? '' : 's'}; to rebuild ${stale.length === 1 ? 'it' : 'them'} (the old ones move to the attic): ${again(options)} --rebuild`,
    );
  }
  // two configs with the same content would compute the same result twice: say so first
  const twins = new Map<string, string>();
  for (const node of todo) {
    const key = canonicalJson(node.config);
    const twin = twins.get(key);
    if (twin) log(`repro make: warning: ${node.name} has the same content as ${twin}; both will run`);
    else twins.set(key, node.name);
  }
  return { project, order, statuses, outcome, todo, stale, moved };
}

/** The upstream stage that keeps a stage from running: failed, skipped, or made elsewhere. */
export const blockedBy = (node: GraphNode, outcome: StageOutcomes): string | undefined =>
  node.sources.find((s) => ['failed', 'skipped', 'running'].includes(outcome.get(s)?.outcome ?? ''));

/** Where make's progress goes: options.log, else stderr. */
export const makeLog = (options: MakeOptions): ((line: string) => void) =>
  options.log ?? ((line: string) => process.stderr.write(`${line}\n`));

/** The make command again, as a hint: its targets, --downstream and the launcher. */
const again = (options: MakeOptions): string =>
  `repro make ${options.targets.join(' ')}${options.downstream ? ' --downstream' : ''}${options.launcher === 'slurm' ? ' --launcher slurm' : ''}`;

export function summarize(
  order: GraphNode[],
  outcome: StageOutcomes,
  stale: NodeStatus[],
  moved: AtticMove[],
): MakeSummary {
  const stages = order.map((n) => ({
    name: n.name,
    ...(outcome.get(n.name) ?? { outcome: 'skipped' as const, detail: '' }),
  }));
  return {
    stages,
    stale,
    moved,
    ok: stages.every((s) => s.outcome !== 'failed' && s.outcome !== 'skipped' && s.outcome !== 'running'),
  };
}
