/** The folder in the runs root with the SLURM submission records and the jobs' logs. */
export const SLURM_DIR = '.slurm';

/**
 * The files repro itself writes into a result folder (docs/results.md). Each is created
 * exclusively; the logs and metrics are append-only after that. Nothing is ever rewritten.
 */
export const RUN_FILES = {
  /** The merged config: what the script saw. */
  config: 'config.json',
  /** The start record: command, hashes, git, host, environment. */
  record: 'run.json',
  /** The end record, created when the run ends: status, exit code, end time. */
  end: 'end.json',
  /** Every value the code read, which came from defaults, and keys never read. */
  effective: 'effective.json',
  /** One JSON object per line, appended by `run.log()` or by hand. */
  metrics: 'metrics.jsonl',
  stdout: 'stdout.log',
  stderr: 'stderr.log',
  /** The fingerprint of the config's `inputs`, taken before the script started. */
  inputs: 'inputs.json',
  /** The fingerprints of what the script declared with `run.inputs()`, written at the end. */
  inputsRead: 'inputs-read.json',
  /** `git diff HEAD` when the work tree was dirty at the start. */
  diff: 'git.diff',
  /** Copies of the code git does not track: the script, files the config names. */
  code: 'repro-code',
  /** Touched (never written) while the run is alive, so other hosts can tell a crash. */
  heartbeat: '.heartbeat',
  /**
   * 64 KiB that `repro run` holds while the script runs and gives back at its end, so that a
   * disk the script filled still takes end.json and the tail of stderr.log.
   */
  reserve: '.reserve',
} as const;

/**
 * A file of a result folder while it is written (writeExclusive, and the Python module's
 * `_write_new`): whole under this name, then linked to its own, so that no reader ever sees it
 * empty or cut short. `tag` tells writers apart (process id and a count).
 */
export function writingName(name: string, tag: string): string {
  return `.${name}.${tag}.writing`;
}

/** Whether a file name in a result folder is a file still being written (writingName). */
export function isWriting(file: string): boolean {
  return file.startsWith('.') && file.endsWith('.writing');
}

/** The size of RUN_FILES.reserve. */
export const RESERVE_BYTES = 64 * 1024;

/** How often a live run touches its heartbeat file, in milliseconds. */
export const HEARTBEAT_MS = 30_000;
/** A run on another host whose heartbeat is older than this is `crashed`. */
export const HEARTBEAT_STALE_MS = 4 * HEARTBEAT_MS;

/**
 * What repro sets in a script's environment unless the user set it, because a per-process
 * random value would make results differ from run to run: Python randomises string hashing,
 * and with it the iteration order of sets (and so the order of a floating-point sum).
 */
export const SCRIPT_ENV_DEFAULTS: Readonly<Record<string, string>> = { PYTHONHASHSEED: '0' };

/** Environment variables recorded in every run because they commonly change results. */
export const RECORDED_ENV = [
  'CUDA_VISIBLE_DEVICES',
  'NVIDIA_VISIBLE_DEVICES',
  'HIP_VISIBLE_DEVICES',
  'ROCR_VISIBLE_DEVICES',
  'CUBLAS_WORKSPACE_CONFIG',
  'CUDA_LAUNCH_BLOCKING',
  'PYTORCH_CUDA_ALLOC_CONF',
  'TF_DETERMINISTIC_OPS',
  'TF_CUDNN_DETERMINISTIC',
  'XLA_FLAGS',
  'OMP_NUM_THREADS',
  'MKL_NUM_THREADS',
  'OPENBLAS_NUM_THREADS',
  'OPENBLAS_CORETYPE',
  'NUMEXPR_NUM_THREADS',
  'VECLIB_MAXIMUM_THREADS',
  'UV_THREADPOOL_SIZE',
  'PYTHONHASHSEED',
  'PYTHONPATH',
  'NODE_OPTIONS',
  'LANG',
  'LC_ALL',
  'TZ',
  'SLURM_JOB_ID',
  'SLURM_ARRAY_TASK_ID',
] as const;
