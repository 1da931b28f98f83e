// The SLURM client: sbatch, squeue and scancel as commands (a login node has them; nothing to
// link), the resources a stage asks for (repro.json "slurm", --slurm-args), and the submission
// records kept in <runs>/.slurm so that status, ls, cancel and a second make know what is queued.
import picomatch from 'picomatch';
import { parse } from 'shell-quote';
import { childProcess, fs, join, os, relative } from '../_builtins.ts';
import { ReproError } from '../errors.ts';
import { matchNames } from '../graph/targets.ts';
import { nearestNames } from '../hints.ts';
import { writeWhole } from '../project/cache.ts';
import { type Project, SLURM_OWN_OPTIONS, slurmOwnOption } from '../project/project.ts';
import { RUN_FILES, SLURM_DIR } from '../run/layout.ts';
import { isAlive } from '../run/status.ts';

/** A stage submitted to SLURM: what `status`, `ls`, `cancel` and a second `make` read. */
export interface Submission {
  /** The config (and result) name. */
  name: string;
  /** SLURM's job id. */
  job: string;
  /** The config file, relative to the project root. */
  file: string;
  submitted_at: string;
  /** The jobs it waits for (afterok). */
  after: string[];
  /** The resource options given to sbatch (repro.json "slurm", then --slurm-args). */
  options: string[];
  /** The machine that submitted it. */
  host: string;
  /** The job's log (sbatch --output): repro's own lines; the script's are in the result folder. */
  log: string;
}

/** A job as squeue tells it: its state (PENDING, RUNNING, COMPLETED, CANCELLED…) and reason. */
export interface JobState {
  state: string;
  reason: string;
}

/** The states of a job that has not ended: it may still make its result. */
const LIVE = new Set([
  'PENDING',
  'RUNNING',
  'CONFIGURING',
  'COMPLETING',
  'SUSPENDED',
  'REQUEUED',
  'REQUEUE_HOLD',
  'REQUEUE_FED',
  'RESIZING',
  'SIGNALING',
  'STAGE_OUT',
  'STOPPED',
]);

/** True when a job may still run (a job squeue no longer knows has ended). */
export const isLive = (job: JobState | undefined): boolean => job !== undefined && LIVE.has(job.state);

type Env = Readonly<Record<string, string | undefined>>;

/** Runs a SLURM command; a missing command or a failure is a REPRO_SLURM error with its stderr. */
export function slurmCommand(command: string, args: readonly string[], env: Env = process.env): string {
  const r = childProcess().spawnSync(command, args, { encoding: 'utf8', env: env as NodeJS.ProcessEnv });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ReproError(
      'REPRO_SLURM',
      missing ? `${command} is not on PATH: this machine cannot submit SLURM jobs` : r.error.message,
      missing
        ? 'Run it on a login node of the cluster (where sbatch and squeue work), or use repro make -j N here, or workers (docs/distributed.md).'
        : undefined,
    );
  }
  if (r.status !== 0)
    throw new ReproError(
      'REPRO_SLURM',
      `${command} ${args.slice(0, 3).join(' ')}${args.length > 3 ? ' …' : ''} failed (exit ${r.status}): ${r.stderr.trim() || r.stdout.trim()}`,
    );
  return r.stdout;
}

/**
 * The state of each job SLURM still knows (ended ones stay for its MinJobAge, 300 s by
 * default); a job missing from the map has ended long ago.
 */
export function jobStates(ids: readonly string[], env: Env = process.env): Map<string, JobState> {
  const out = new Map<string, JobState>();
  if (ids.length === 0) return out;
  let text: string;
  try {
    text = slurmCommand(
      'squeue',
      ['-h', '--states=all', '-j', [...new Set(ids)].join(','), '-o', '%i|%T|%r'],
      env,
    );
  } catch (error) {
    // every id unknown (all ended long ago): squeue says so and fails
    if (error instanceof ReproError && /Invalid job id/i.test(error.message)) return out;
    throw error;
  }
  for (const line of text.split('\n')) {
    const [id, state, reason] = line.trim().split('|');
    if (id && state) out.set(id, { state, reason: reason ?? '' });
  }
  return out;
}

/**
 * The sbatch options a stage asks for: each pattern of repro.json "slurm" that matches its name
 * (a config name or a glob, in the file's order, a later one over an earlier one), then
 * --slurm-args over them all.
 */
export function stageOptions(project: Project, name: string, extra: readonly string[] = []): string[] {
  const merged = new Map<string, string | number | true>();
  for (const [pattern, options] of Object.entries(project.slurm)) {
    if (pattern !== name && !picomatch(pattern)(name)) continue;
    for (const [k, v] of Object.entries(options)) merged.set(k, v);
  }
  return [...[...merged].map(([k, v]) => (v === true ? `--${k}` : `--${k}=${v}`)), ...extra];
}

/** `--slurm-args '--qos=high --comment="two words"'` as sbatch arguments, split as a shell would. */
export function parseSlurmArgs(text: string | undefined): string[] {
  if (!text?.trim()) return [];
  const words = parse(text);
  const bad = words.find((w) => typeof w !== 'string');
  if (bad)
    throw new ReproError(
      'REPRO_USAGE',
      `--slurm-args holds ${JSON.stringify(bad)}: only sbatch options, no shell operators or globs`,
      'For example --slurm-args "--qos=high --account=lab".',
    );
  const args = words as string[];
  const loose = args.find((w, i) => !w.startsWith('-') && !args[i - 1]?.startsWith('-'));
  if (loose)
    throw new ReproError(
      'REPRO_USAGE',
      `--slurm-args holds "${loose}", which is not an sbatch option`,
      'Give options only, such as --slurm-args "--partition=gpu --time=1:00:00".',
    );
  // the options repro sets for each stage, however spelled: one would undo the stages' order
  for (const word of args) {
    const own = slurmOwnOption(word);
    if (own)
      throw new ReproError(
        'REPRO_USAGE',
        `--slurm-args holds ${word}, which sets --${own}: repro sets it for each stage`,
        `Leave it out; the options repro sets are ${SLURM_OWN_OPTIONS.map((o) => `--${o}`).join(', ')}.`,
      );
  }
  return args;
}

/** A command line as a POSIX shell reads it: words with other characters than these single-quoted. */
export const shellLine = (words: readonly string[]): string =>
  words
    .map((w) => (/^[\w/.,:=@%+-][\w/.,:=@%+~-]*$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`))
    .join(' ');

const recordsDir = (project: Project) => join(project.runsRoot, SLURM_DIR);
const recordFile = (project: Project, name: string) => join(recordsDir(project), `${name}.json`);

/** The submission record of every stage that has one, by name. */
export function readSubmissions(project: Project): Map<string, Submission> {
  const out = new Map<string, Submission>();
  let files: string[];
  try {
    files = fs.readdirSync(recordsDir(project));
  } catch {
    return out;
  }
  for (const f of files) {
    if (!f.endsWith('.json')) continue;
    try {
      const s = JSON.parse(fs.readFileSync(join(recordsDir(project), f), 'utf8')) as Submission;
      if (typeof s.name === 'string' && typeof s.job === 'string') out.set(s.name, s);
    } catch {
      // a record cut short (a disk full mid-write is the only way: they are renamed into place)
    }
  }
  return out;
}

/** Writes a submission record whole (a temporary file renamed into place). */
export function writeSubmission(project: Project, submission: Submission): void {
  fs.mkdirSync(join(recordsDir(project), 'logs'), { recursive: true });
  writeWhole(recordFile(project, submission.name), `${JSON.stringify(submission, null, 2)}\n`);
}

/** Where a stage's job writes its own log (sbatch fills in %j, the job id). */
export const jobLog = (project: Project, name: string, job = '%j'): string =>
  join(recordsDir(project), 'logs', `${name}-${job}.out`);

/**
 * Runs `fn` holding the runs root's submission lock (an exclusive mkdir), so that two makes at
 * once read each other's records and never submit one stage twice. A lock whose process is
 * gone (same machine) or that is older than `staleMs` is taken over.
 */
export async function withSubmitLock<T>(
  project: Project,
  fn: () => Promise<T> | T,
  { waitMs = 120_000, staleMs = 600_000 } = {},
): Promise<T> {
  const lock = join(recordsDir(project), 'lock');
  fs.mkdirSync(recordsDir(project), { recursive: true });
  const host = os.hostname();
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(join(lock, 'owner'), `${host} ${process.pid}\n`);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(lock);
    const gone = owner && owner.host === host && !isAlive(owner.pid, null);
    const old = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > staleMs;
    if (gone || old) {
      fs.rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > until)
      throw new ReproError(
        'REPRO_SLURM_BUSY',
        `another submission holds ${lock}${owner ? ` (${owner.host}, pid ${owner.pid})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function readOwner(lock: string): { host: string; pid: number } | null {
  try {
    const [host = '', pid = ''] = fs.readFileSync(join(lock, 'owner'), 'utf8').trim().split(' ');
    return { host, pid: Number(pid) };
  } catch {
    return null;
  }
}

/** What a stage's slurm state reads as in status and ls: `queued (slurm 12)`, `running (slurm 12)`. */
export function slurmLabel(job: string, state: JobState | undefined): string {
  return `${state?.state === 'PENDING' || !state ? 'queued' : 'running'} (slurm ${job})`;
}

/**
 * Each submitted stage's job as SLURM tells it now, for `status`, `ls` and `cancel`: the record
 * and the job's state (undefined: SLURM no longer knows it). One squeue for all; nothing is
 * asked when no stage was ever submitted.
 */
export function submittedStages(
  project: Project,
  env: Env = process.env,
  { unended = false } = {},
): Map<string, { submission: Submission; job: JobState | undefined }> {
  const subs = readSubmissions(project);
  // a stage whose result has ended needs no word from SLURM (records pile up over months)
  if (unended)
    for (const name of subs.keys())
      if (fs.existsSync(join(project.runsRoot, name, RUN_FILES.end))) subs.delete(name);
  const out = new Map<string, { submission: Submission; job: JobState | undefined }>();
  if (subs.size === 0) return out;
  const states = jobStates(
    [...subs.values()].map((s) => s.job),
    env,
  );
  for (const [name, submission] of subs) out.set(name, { submission, job: states.get(submission.job) });
  return out;
}

/** What `cancelStages` did: the stages whose jobs it cancelled, and those named that had ended. */
export interface CancelResult {
  cancelled: { name: string; job: string; state: string }[];
  ended: { name: string; job: string }[];
}

/**
 * Cancels (scancel) the pending or running jobs of the named stages (names or globs over the
 * submitted ones; `all`: every live one), and the live jobs that wait on them, which could never
 * start. A name never submitted is an error naming the closest submitted ones.
 */
export function cancelStages(
  project: Project,
  names: readonly string[] | 'all',
  env: Env = process.env,
): CancelResult {
  const stages = submittedStages(project, env);
  const live = [...stages].filter(([, s]) => isLive(s.job)).map(([name]) => name);
  const chosen = new Set<string>(names === 'all' ? live : []);
  for (const arg of names === 'all' ? [] : names) {
    const found = stages.has(arg) ? [arg] : matchNames(arg, stages.keys());
    if (found.length === 0) {
      const near = nearestNames(arg, [...stages.keys()].sort());
      throw new ReproError(
        'REPRO_USAGE',
        `no stage named "${arg}" was submitted to SLURM from ${project.runsRoot}`,
        near.length
          ? `Closest: ${near.map((n) => `"${n}"`).join(', ')}.`
          : 'repro status shows what is queued.',
      );
    }
    for (const n of found) chosen.add(n);
  }
  // the jobs that wait on a cancelled one could never start: they go too
  const nameOf = new Map([...stages].map(([name, s]) => [s.submission.job, name]));
  for (let grew = true; grew; ) {
    grew = false;
    for (const name of live) {
      const after = stages.get(name)?.submission.after ?? [];
      if (!chosen.has(name) && after.some((job) => chosen.has(nameOf.get(job) ?? ''))) {
        chosen.add(name);
        grew = true;
      }
    }
  }
  const result: CancelResult = { cancelled: [], ended: [] };
  for (const name of chosen) {
    const s = stages.get(name);
    if (!s) continue;
    if (isLive(s.job)) result.cancelled.push({ name, job: s.submission.job, state: s.job?.state ?? '' });
    else result.ended.push({ name, job: s.submission.job });
  }
  if (result.cancelled.length)
    slurmCommand(
      'scancel',
      result.cancelled.map((c) => c.job),
      env,
    );
  return result;
}

/** How status and ls show a submitted stage that has no finished result. */
export interface StageLabel {
  job: string;
  /** `queued (slurm 12)`, `running (slurm 12)`; undefined when the job has ended. */
  label: string | undefined;
  /** In a few words: what it waits for, or how the job ended. */
  why: string;
  state: JobState | undefined;
}

/**
 * The label of each submitted stage, by name, for `status` and `ls`: one squeue for all, none
 * when nothing was ever submitted; when squeue cannot answer, the records say `submitted`.
 */
export function stageLabels(project: Project, env: Env = process.env): Map<string, StageLabel> {
  const out = new Map<string, StageLabel>();
  let stages: ReturnType<typeof submittedStages>;
  try {
    stages = submittedStages(project, env, { unended: true });
  } catch (error) {
    for (const [name, s] of readSubmissions(project))
      out.set(name, {
        job: s.job,
        label: `submitted (slurm ${s.job})`,
        why: `squeue cannot say more: ${(error as Error).message}`,
        state: undefined,
      });
    return out;
  }
  for (const [name, { submission: s, job }] of stages) {
    const reason = job?.reason && job.reason !== 'None' ? job.reason : '';
    out.set(name, {
      job: s.job,
      label: isLive(job) ? slurmLabel(s.job, job) : undefined,
      why: isLive(job)
        ? job?.state === 'PENDING'
          ? `waiting in SLURM${reason ? ` (${reason}${s.after.length ? `: after slurm ${s.after.join(', ')}` : ''})` : ''}`
          : `${job?.state.toLowerCase()} in SLURM`
        : `slurm ${s.job} ended (${job ? `${job.state.toLowerCase()}${reason ? `, ${reason}` : ''}` : 'no longer in squeue'}) without a result; see ${relative(project.root, s.log)}`,
      state: job,
    });
  }
  return out;
}
