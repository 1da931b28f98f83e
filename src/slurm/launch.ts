// `repro make --launcher slurm`: each missing stage becomes one sbatch job that runs
// `repro run --if-missing <config>` in the project folder, with afterok dependencies on the jobs
// of its upstream stages, so that SLURM orders the graph. Exclusive result folders still decide
// who computes a config; the submission records only keep a second make from submitting again.
import { distFile, fs, join, os, relative } from '../_builtins.ts';
import type { GraphNode } from '../graph/graph.ts';
import {
  blockedBy,
  type MakeOptions,
  type MakePlan,
  type MakeSummary,
  makeLog,
  type StageOutcomes,
  summarize,
} from '../graph/make.ts';
import { readRunState } from '../run/status.ts';
import {
  isLive,
  type JobState,
  jobLog,
  jobStates,
  readSubmissions,
  type Submission,
  shellLine,
  slurmCommand,
  stageOptions,
  withSubmitLock,
  writeSubmission,
} from './slurm.ts';

/** The sbatch arguments of one stage; `after` holds the upstream jobs (ids, or $shell names in a dry run). */
export function sbatchArgs(
  plan: MakePlan,
  node: GraphNode,
  after: readonly string[],
  options: readonly string[],
  runFlags: readonly string[],
): string[] {
  const { project } = plan;
  // the job runs this Node.js and this repro, by absolute path: a cluster's shared filesystem
  // holds both (docs/distributed.md)
  const command = [
    'exec',
    'env',
    `REPRO_SLURM_OPTIONS=${JSON.stringify(options)}`,
    process.execPath,
    distFile('cli.js'),
    'run',
    '--if-missing',
    ...runFlags,
    node.file as string,
  ];
  return [
    '--parsable',
    `--job-name=repro:${node.name}`,
    `--chdir=${project.root}`,
    `--output=${jobLog(project, node.name)}`,
    ...(after.length ? [`--dependency=afterok:${after.join(':')}`, '--kill-on-invalid-dep=yes'] : []),
    ...options,
    `--wrap=${shellLine(command)}`,
  ];
}

/**
 * Submits every missing stage of the plan (in order, each after its upstream stages' jobs);
 * a stage already done is used, one whose job is still pending or running is not submitted
 * again (its job id serves the stages after it). With `wait`, follows the jobs to their end.
 */
export async function launchOnSlurm(plan: MakePlan, options: MakeOptions): Promise<MakeSummary> {
  const { project, order, outcome, todo, stale, moved } = plan;
  const env = options.env ?? process.env;
  const log = makeLog(options);
  const runFlags = [
    ...(options.requireClean ? ['--require-clean'] : []),
    ...(options.strict ? ['--strict'] : []),
  ];
  const extra = options.slurmArgs ?? [];
  const todoNames = new Set(todo.map((n) => n.name));
  const blocked = (node: GraphNode) => blockedBy(node, outcome);

  if (options.dryRun) {
    // a shell script: each job's id in a variable that the stages after it name
    const vars = new Map<string, string>();
    order.forEach((node) => {
      if (!todoNames.has(node.name)) return;
      const cause = blocked(node);
      if (cause) {
        outcome.set(node.name, { outcome: 'skipped', detail: `upstream ${cause} did not finish` });
        return;
      }
      const v = `job${vars.size + 1}`;
      const after = node.sources.flatMap((s) => (vars.has(s) ? [`$${vars.get(s)}`] : []));
      const args = sbatchArgs(plan, node, after, stageOptions(project, node.name, extra), runFlags);
      vars.set(node.name, v);
      // the dependency names shell variables, left unquoted for the shell to fill in
      const line = shellLine(['sbatch', ...args]).replace(/'(--dependency=afterok:[^']*)'/, '$1');
      log(`${v}=$(${line})  # ${node.name}`);
      outcome.set(node.name, { outcome: 'planned', detail: `would submit ${node.file}` });
    });
    return summarize(order, outcome, stale, moved);
  }

  const jobs = await withSubmitLock(project, () => {
    const subs = readSubmissions(project);
    const states = jobStates(
      order.flatMap((n) => subs.get(n.name)?.job ?? []),
      env,
    );
    const jobOf = new Map<string, string>();
    for (const node of order) {
      const sub = subs.get(node.name);
      const state = sub && states.get(sub.job);
      // pending or running in SLURM (a second make, or this one earlier): its job serves
      if (
        sub &&
        isLive(state) &&
        (todoNames.has(node.name) || outcome.get(node.name)?.outcome === 'running')
      ) {
        jobOf.set(node.name, sub.job);
        outcome.set(node.name, {
          outcome: 'queued',
          detail: `submitted before as slurm ${sub.job} (${state?.state.toLowerCase()})`,
        });
        continue;
      }
      if (!todoNames.has(node.name)) continue;
      const cause = blocked(node);
      if (cause) {
        outcome.set(node.name, {
          outcome: 'skipped',
          detail:
            outcome.get(cause)?.outcome === 'running'
              ? `upstream ${cause} is being made by another process (not a SLURM job to wait for)`
              : `upstream ${cause} did not finish`,
        });
        continue;
      }
      const after = node.sources.flatMap((s) => jobOf.get(s) ?? []);
      const resources = stageOptions(project, node.name, extra);
      const out = slurmCommand('sbatch', sbatchArgs(plan, node, after, resources, runFlags), env);
      // --parsable: "id" or "id;cluster"
      const job = out.trim().split(';')[0] as string;
      const submission: Submission = {
        name: node.name,
        job,
        file: node.file as string,
        submitted_at: new Date().toISOString(),
        after,
        options: resources,
        host: os.hostname(),
        log: jobLog(project, node.name, job),
      };
      writeSubmission(project, submission);
      jobOf.set(node.name, job);
      outcome.set(node.name, {
        outcome: 'submitted',
        detail: `slurm ${job}${after.length ? ` after ${after.join(', ')}` : ''}`,
      });
      log(
        `repro make: submitted ${node.name} as slurm ${job}${after.length ? ` (after ${after.join(', ')})` : ''}`,
      );
    }
    return jobOf;
  });

  if (options.wait) await waitForJobs(plan, jobs, outcome, options, log);
  else if (jobs.size)
    log(
      `repro make: ${jobs.size} job${jobs.size === 1 ? '' : 's'} in SLURM; repro status shows them, repro cancel stops them (--wait follows them)`,
    );
  return summarize(order, outcome, stale, moved);
}

/**
 * Follows the jobs until each has ended, saying when one starts and how it ended, from its
 * result folder: done, failed (with the log to read), or cancelled by SLURM because an
 * upstream job failed (never left pending for ever: the jobs carry --kill-on-invalid-dep).
 * Ctrl-C stops the waiting; the jobs go on.
 */
async function waitForJobs(
  plan: MakePlan,
  jobs: Map<string, string>,
  outcome: StageOutcomes,
  options: MakeOptions,
  log: (line: string) => void,
): Promise<void> {
  const env = options.env ?? process.env;
  const pollMs = options.pollMs ?? 2000;
  const left = new Map(jobs);
  const total = jobs.size;
  let finished = 0;
  const started = new Set<string>();
  let stopping = false;
  const onSignal = () => {
    stopping = true;
  };
  process.once('SIGINT', onSignal);
  try {
    while (left.size && !stopping) {
      const states = jobStates([...left.values()], env);
      for (const [name, job] of left) {
        const state = states.get(job);
        if (state?.state === 'RUNNING' && !started.has(name)) {
          started.add(name);
          log(`[${finished}/${total}] ▶ ${name} (slurm ${job} running)`);
        }
        if (isLive(state)) continue;
        left.delete(name);
        finished++;
        const ended = endOf(plan, name, job, state, outcome);
        outcome.set(name, ended);
        const mark = ended.outcome === 'ran' ? '✓' : ended.outcome === 'skipped' ? '–' : '✗';
        log(`[${finished}/${total}] ${mark} ${name}: ${ended.detail}`);
      }
      if (left.size && !stopping) await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
  if (left.size)
    log(
      `repro make: stopped waiting; ${left.size} job${left.size === 1 ? '' : 's'} go on in SLURM (repro status shows them, repro cancel stops them)`,
    );
}

/** How a stage's job ended, read from its result folder (the truth) and SLURM's last word. */
function endOf(
  plan: MakePlan,
  name: string,
  job: string,
  state: JobState | undefined,
  outcome: StageOutcomes,
): { outcome: 'ran' | 'failed' | 'skipped'; detail: string } {
  const { project } = plan;
  const dir = join(project.runsRoot, name);
  const run = fs.existsSync(dir) ? readRunState(dir) : { status: 'missing' as const, end: undefined };
  const log = relative(project.root, jobLog(project, name, job));
  if (run.status === 'done')
    return { outcome: 'ran', detail: `done in ${run.end?.duration_s} s (slurm ${job})` };
  if (run.status !== 'missing' && run.status !== 'running') {
    const exit = run.end?.exit_code == null ? '' : `, exit ${run.end.exit_code}`;
    return { outcome: 'failed', detail: `${run.status}${exit} (slurm ${job}); see ${name}/stderr.log` };
  }
  const slurmSaid = state
    ? `${state.state}${state.reason && state.reason !== 'None' ? `, ${state.reason}` : ''}`
    : 'ended';
  if (run.status === 'missing' && state?.reason === 'DependencyNeverSatisfied') {
    const node = plan.order.find((n) => n.name === name);
    const cause = node?.sources.find((s) => ['failed', 'skipped'].includes(outcome.get(s)?.outcome ?? ''));
    return {
      outcome: 'skipped',
      detail: `cancelled by SLURM (slurm ${job}): upstream ${cause ?? 'job'} did not finish`,
    };
  }
  return {
    outcome: 'failed',
    detail: `slurm ${job} ended (${slurmSaid}) ${run.status === 'running' ? 'before its run did' : 'without a result'}; see ${log}`,
  };
}
