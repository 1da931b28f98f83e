/**
 * Every error code repro reports, declared once: what it means, what to do in general, and the
 * exit code of the CLI. A thrown error may give a sharper hint (with the names at hand);
 * docs/errors.md is generated from this table (npm run docs), and a test keeps it true.
 */
export const ERROR_CODES = {
  // configs
  REPRO_CONFIG_NOT_FOUND: {
    means: 'a config file does not exist',
    hint: 'Check the path; configs are JSON files such as configs/model.json.',
  },
  REPRO_CONFIG_UNREADABLE: {
    means: 'a config file cannot be read',
    hint: 'Check the file permissions, or that the path is a file and not a folder.',
  },
  REPRO_CONFIG_INVALID_JSON: {
    means: 'a config is not valid JSON (the line, column and a caret say where)',
    hint: 'Configs are strict JSON: double-quoted keys and strings, no comments, no trailing commas.',
  },
  REPRO_CONFIG_NOT_OBJECT: {
    means: "a config's top level is not a JSON object",
    hint: 'Wrap the values in an object of flat keys: {"lr": 0.001, "filters": 5}.',
  },
  REPRO_CONFIG_BAD_VALUE: {
    means:
      'a config holds what JSON allows but repro refuses: a number a 64-bit float cannot hold as written, a __proto__, constructor or prototype key, a NUL character, bytes that are not UTF-8, a string, file or nesting over the limits',
    hint: 'See docs/config.md, "Limits"; write an id too long for a float as a string.',
  },
  REPRO_NAME_TOO_LONG: {
    means: 'a result folder name would be longer than the 255 bytes a file system allows',
    hint: 'Name the result with --postfix instead of the overrides: repro run configs/x.json --set ... --postfix short.',
  },
  REPRO_CONFIG_BAD_NAME: {
    means: "a config's file name is not a valid config name",
    hint: 'Rename the file, for example to configs/model2.json.',
  },
  REPRO_CONFIG_EXISTS: {
    means: 'clone, sweep or cross would write over an existing config',
    hint: 'Configs are never overwritten: choose another --name or --prefix.',
  },
  REPRO_OVERRIDE_INVALID: {
    means: 'a --conf or --set override does not parse',
    hint: `--conf takes a JSON object, e.g. --conf '{"lr": 0.001}'; --set takes key=value, e.g. --set lr=0.001.`,
  },
  REPRO_PROJECT_CONFIG_INVALID: {
    means: 'repro.json is invalid',
    hint: 'See docs/config.md for the keys repro.json takes.',
  },
  REPRO_UNKNOWN_CONFIG: {
    means: 'a name matches no config and no result',
    hint: 'See the configs with repro graph, the results with repro ls.',
  },
  REPRO_BAD_INPUT: {
    means: 'an input of diff, tree or plot is not a config or result',
    hint: 'Fix or leave out those inputs, or pass --skip-bad to go on without them.',
  },
  REPRO_GRAPH_INVALID: {
    means: 'the config graph has duplicate names, dangling sources, cycles or broken configs',
    hint: 'Fix each config named; repro check lists them all.',
  },
  // breeding configs
  REPRO_NEW_KEY: {
    means: 'a change adds a key the base config lacks, close to a key it has: a likely typo',
    hint: 'Fix the key, or pass --new-key when the config really gains a new key.',
  },
  REPRO_NO_SUCH_KEY: {
    means: 'clone --unset names a key the config does not have',
    hint: 'Check the key with repro diff; keys are case-sensitive.',
  },
  REPRO_CLONE_UNCHANGED: {
    means: 'a clone would equal its original',
    hint: 'Give the changes with --set key=value or --conf JSON.',
  },
  REPRO_CROSS_SAME: {
    means: 'the two parents of cross are the same config',
    hint: 'Cross two configs that differ.',
  },
  REPRO_CROSS_CLONE: { means: "cross's child would equal a parent", hint: 'Try another --seed.' },
  REPRO_SWEEP_SPACE_INVALID: {
    means: "sweep's --grid is invalid",
    hint: 'A grid is a JSON object of lists: --grid \'{"lr": [0.1, 0.01]}\'.',
  },
  // scripts
  REPRO_SCRIPT_MISSING: {
    means: 'a config has no "script" and no command was given',
    hint: 'Add "script": "train.py" to the config, or give a command after "--".',
  },
  REPRO_SCRIPT_NOT_FOUND: {
    means: 'the "script" of a config does not exist',
    hint: 'The "script" key is a path relative to the project root (the folder with repro.json, else the git root).',
  },
  REPRO_SCRIPT_OUTSIDE_PROJECT: {
    means: 'a script resolves outside the project',
    hint: 'Move the script into the project, or give an explicit command after "--".',
  },
  REPRO_SCRIPT_NOT_RUNNABLE: {
    means: 'repro does not know how to run a script',
    hint: 'Known extensions: .ts .mts .cts .js .mjs .cjs .py .sh. Map others in repro.json ("interpreters": {".R": "Rscript"}) or make the file executable (chmod +x).',
  },
  // results
  REPRO_RESULT_EXISTS: {
    means: 'the result folder of a config already exists',
    hint: 'Clone the config (a changed config is a new config), or keep both results with --postfix.',
  },
  REPRO_FILE_EXISTS: {
    means: 'a file in a result folder already exists',
    hint: 'Files in a result folder are never overwritten: write under another name.',
  },
  REPRO_PATH_OUTSIDE_RUN: {
    means: 'a path given to a run leaves its result folder',
    hint: 'Use a relative path such as "model.bin" or "plots/loss.svg".',
  },
  REPRO_NOT_A_RESULT: {
    means: 'a folder is not a result folder (no config.json)',
    hint: 'Result folders live under the runs root, e.g. runs/model.',
  },
  REPRO_METRIC_MISSING: {
    means: 'no run has the metric to plot',
    hint: 'See which metrics a run logged with repro ls, and pass one with --metric.',
  },
  REPRO_VERIFY_UPSTREAM_GONE: {
    means: 'verify cannot rerun: an upstream result is gone',
    hint: 'Produce the upstream results again (repro make), then verify.',
  },
  REPRO_VERIFY_NOT_DONE: {
    means: 'verify was given a result that did not end done (failed, interrupted, crashed, running)',
    hint: 'Only a done result can be reproduced: rerun it with repro run --retry (the old one moves to the attic), then verify.',
  },
  REPRO_INDEX_DAMAGED: {
    means: "a part of the results index (a derived cache in repro's cache folder) did not match its checksum",
    hint: 'Run the command again: the damaged index was removed and is rebuilt from the result folders (no result was touched).',
  },
  REPRO_RESULT_GONE: {
    means: 'a result to move aside is no longer there',
    hint: 'Another command moved it first; see repro ls --attic.',
  },
  REPRO_NOT_IN_ATTIC: {
    means: 'repro restore was given a name, glob or folder that no result in the attic has',
    hint: 'repro ls --attic lists what the attic holds.',
  },
  REPRO_RESTORE_TWICE: {
    means: 'repro restore was asked to bring back two copies of the same result name',
    hint: 'Name one of them by its folder in the attic (repro ls --attic lists them).',
  },
  REPRO_RESULT_RUNNING: {
    means: 'a running result cannot be moved aside',
    hint: 'Wait for it to end, or stop it (Ctrl-C in its terminal), then try again.',
  },
  REPRO_UNCOMMITTED: {
    means:
      'tracked files have uncommitted changes, and --require-clean (or "requireClean" in repro.json) asks for none',
    hint: 'Commit or stash the changes (git stash), then run again; or run without --require-clean.',
  },
  REPRO_LIKELY_TYPO: {
    means:
      'the config has a key that no earlier run of its script read, close to one they did read, and --strict (or "strict" in repro.json) makes that an error',
    hint: 'Fix the key (repro clone NAME --unset KEY --set RIGHT=VALUE makes a corrected config), or run without --strict if the script now reads it.',
  },
  REPRO_STORE_BAD_ROW: {
    means:
      'a row in the shared store names a path outside where it belongs (a name, location or file path with .., /, or the like)',
    hint: 'Nothing was written from it. Fix or delete the row; rows are written by repro, so someone changed it by hand.',
  },
  REPRO_FOLDER_LOST: {
    means: 'a result folder was removed or replaced while its run went on',
    hint: "Nothing was written into the folder now at that path; the run's output is in the terminal. Run the config again once the path is free.",
  },
  REPRO_FILESYSTEM: {
    means: 'the file system refused a write or read: disk full, read-only, no permission, name too long',
    hint: 'Free space, fix the permissions, or point "runs" in repro.json at another disk; nothing else was changed.',
  },
  REPRO_RESULT_FAILED: {
    means: 'a result of the config exists but failed, was interrupted or crashed',
    hint: 'Run it again with --retry: the old result moves to the attic, nothing is deleted.',
  },
  // sources and params
  REPRO_SOURCE_INVALID: {
    means: 'a "source" value is not a config name',
    hint: '"source" names the upstream config: "source": "data".',
  },
  REPRO_SOURCE_MISSING: {
    means: 'an upstream result does not exist',
    hint: 'Make it first: repro make <name>.',
  },
  REPRO_SOURCE_UNFINISHED: {
    means: 'an upstream result is still running or crashed',
    hint: 'Wait for it, or see repro status.',
  },
  REPRO_SOURCE_FAILED: {
    means: 'an upstream result failed or was interrupted',
    hint: 'See its stderr.log; fix the cause and clone the upstream config.',
  },
  REPRO_PARAM_MISSING: {
    means: 'the script requires a key the config lacks',
    hint: 'Add it to the config, or set it for this run with --set key=value.',
  },
  REPRO_PARAM_TYPE: {
    means: "a config value's type differs from the script's default",
    hint: 'Fix the value in the config, or change the default in the script.',
  },
  // input data
  REPRO_BAD_INPUTS: {
    means: 'a config\'s "inputs" key is not a path, a glob or a list of them',
    hint: 'For example "inputs": ["dataset/**/*.jpg", "labels.csv"] (relative to the project root).',
  },
  REPRO_BAD_LEVEL: {
    means: 'an unknown paranoia level for input data',
    hint: 'Levels: path (the patterns), list (each file with size and time), checksum (content hashes).',
  },
  REPRO_BAD_ALGORITHM: {
    means: 'an unknown hash algorithm for input data (a manifest written by a newer repro)',
    hint: 'Algorithms: blake3-64MiB (big files by 64 MiB blocks), blake3 (every file whole). Update repro to read newer manifests.',
  },
  REPRO_INPUTS_EMPTY: {
    means: 'an input pattern matches no file',
    hint: 'Check the pattern, or allow an empty match.',
  },
  REPRO_INPUT_UNREADABLE: { means: 'an input file cannot be read', hint: 'Check the file permissions.' },
  // distributed runs
  REPRO_NO_DB: {
    means: 'no database URL was given',
    hint: 'Pass --db postgres://user@host:5432/db or set REPRO_DB_URL (docs/distributed.md).',
  },
  REPRO_NO_STORAGE: {
    means: 'no shared storage was given',
    hint: 'Pass --storage file:///shared/results or s3://bucket/prefix, or set REPRO_STORAGE.',
  },
  REPRO_BAD_STORAGE: {
    means: 'a storage URI has an unknown scheme',
    hint: 'Use file:///path (a shared mount) or s3://bucket/prefix.',
  },
  REPRO_STORAGE_EXISTS: {
    means: 'a key already exists in the storage',
    hint: 'Nothing in the storage is overwritten: this upload belongs to another attempt.',
  },
  REPRO_STORAGE_CORRUPT: {
    means: 'a stored file does not match its recorded digest',
    hint: 'Recompute the result (repro queue retry) or restore the storage.',
  },
  REPRO_STORE_CONFIG_CHANGED: {
    means: 'the store has a config of that name with other content',
    hint: 'Configs are immutable: clone the config under a new name and push that.',
  },
  REPRO_PUSH_NO_CONFIG: {
    means: 'a pushed name has no config file and no finished result',
    hint: 'Push config files, or names of configs in the config folders.',
  },
  REPRO_PUSH_NO_STORAGE: {
    means: 'an upstream with a local result is pushed without storage to upload it to',
    hint: 'Pass --storage (or set REPRO_STORAGE), or push the upstream config without its result.',
  },
  REPRO_NOT_IN_STORE: { means: 'the store has no config of that name', hint: 'See repro queue ls.' },
  REPRO_NOT_DONE: {
    means: 'a config is not done in the store yet',
    hint: 'Wait for the workers, or see repro queue ls.',
  },
  REPRO_MISSING_DEPENDENCY: {
    means: 'an optional package a feature needs is not installed',
    hint: 'Install it next to repro with npm install.',
  },
  // SLURM
  REPRO_SLURM: {
    means: 'a SLURM command (sbatch, squeue, scancel) is missing or failed',
    hint: 'Run make --launcher slurm on a machine that can submit jobs (a login node); squeue should work there.',
  },
  REPRO_SLURM_BUSY: {
    means: 'another submission to SLURM from this runs root held its lock too long',
    hint: 'Wait for the other repro make --launcher slurm to finish, then try again.',
  },
  // the command line
  REPRO_USAGE: {
    means: 'a command was called wrongly (unknown command or option, missing argument)',
    hint: 'See repro --help.',
    exit: 2,
  },
} as const satisfies Record<string, { means: string; hint: string; exit?: number }>;

/** Every code repro reports. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Every failure repro reports on purpose is a `ReproError`: a stable `code`, a message that says
 * what went wrong and where, and a `hint` that says what to do next. The CLI prints
 * `error: <message>` and `hint: <hint>` and exits non-zero; the library throws.
 */
export class ReproError extends Error {
  /** Stable machine-readable code, e.g. `REPRO_RESULT_EXISTS` (ERROR_CODES). */
  readonly code: ErrorCode;
  /** What to do next, in one or two sentences. @default the code's hint in ERROR_CODES */
  readonly hint: string;
  /** Exit code the CLI uses for this error. */
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, hint?: string) {
    super(message);
    const declared: { hint: string; exit?: number } = ERROR_CODES[code];
    this.name = new.target.name;
    this.code = code;
    this.hint = hint ?? declared.hint;
    this.exitCode = declared.exit ?? 1;
  }
}

/** A spot in a text: 1-based line and column, plus the line itself for a caret display. */
export interface TextLocation {
  line: number;
  column: number;
  lineText: string;
}

/** Renders `  3 | "lr": 0.1,,` with a caret under the column. */
export function formatCaret(loc: TextLocation): string {
  const gutter = `${loc.line} | `;
  // tabs keep their width so the caret lines up under them
  const pad = loc.lineText.slice(0, loc.column - 1).replace(/[^\t]/g, ' ');
  return `  ${gutter}${loc.lineText}\n  ${' '.repeat(gutter.length - 2)}| ${pad}^`;
}

// --- configs ---------------------------------------------------------------------------------

export class ConfigNotFoundError extends ReproError {
  constructor(readonly file: string) {
    super('REPRO_CONFIG_NOT_FOUND', `config not found: ${file}`);
  }
}

export class ConfigUnreadableError extends ReproError {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super('REPRO_CONFIG_UNREADABLE', `cannot read config ${file}: ${reason}`);
  }
}

export class ConfigParseError extends ReproError {
  constructor(
    readonly file: string,
    readonly location: TextLocation,
    readonly reason: string,
  ) {
    super(
      'REPRO_CONFIG_INVALID_JSON',
      `invalid JSON in ${file} at line ${location.line}, column ${location.column}: ${reason}\n${formatCaret(location)}`,
    );
  }
}

/** A config value JSON allows and repro refuses (docs/config.md, "Limits"). */
export class ConfigValueError extends ReproError {
  constructor(
    readonly file: string,
    readonly key: string | null,
    reason: string,
    hint?: string,
    readonly location?: TextLocation,
  ) {
    const shown = key && key.length > 60 ? `${key.slice(0, 60)}…` : key;
    const head = shown ? `${file}: key "${shown}"` : file;
    super(
      'REPRO_CONFIG_BAD_VALUE',
      location
        ? `${head} at line ${location.line}, column ${location.column}: ${reason}\n${formatCaret(location)}`
        : `${head}${shown ? ' ' : ': '}${reason}`,
      hint,
    );
  }
}

export class ConfigNotObjectError extends ReproError {
  constructor(
    readonly file: string,
    readonly found: string,
  ) {
    super(
      'REPRO_CONFIG_NOT_OBJECT',
      `${file}: the top level of a config must be a JSON object, found ${found} (line 1, column 1)`,
    );
  }
}

export class ConfigNameError extends ReproError {
  constructor(
    readonly configName: string,
    readonly file: string,
  ) {
    super(
      'REPRO_CONFIG_BAD_NAME',
      `bad config name "${configName}" (from ${file}): names use only letters, digits, ".", "_" and "-", start with a letter, digit or "_", and never contain ".."`,
    );
  }
}

export class OverrideError extends ReproError {
  constructor(message: string, hint?: string) {
    super('REPRO_OVERRIDE_INVALID', message, hint);
  }
}

export class ProjectConfigError extends ReproError {
  constructor(file: string, message: string, hint?: string) {
    super('REPRO_PROJECT_CONFIG_INVALID', `${file}: ${message}`, hint);
  }
}

// --- scripts ---------------------------------------------------------------------------------

export class ScriptMissingError extends ReproError {
  constructor(readonly configFile: string) {
    super(
      'REPRO_SCRIPT_MISSING',
      `${configFile} has no "script" key, and no command was given`,
      `Add "script": "train.py" (a path relative to the project root) to the config, or give a command: repro run ${configFile} -- python train.py`,
    );
  }
}

export class ScriptNotFoundError extends ReproError {
  constructor(
    readonly script: string,
    readonly configFile: string,
    readonly closest?: string,
  ) {
    super(
      'REPRO_SCRIPT_NOT_FOUND',
      `script "${script}" named by ${configFile} (key "script") does not exist${closest ? `; the closest file is "${closest}"` : ''}`,
      closest ? `Did you mean "script": "${closest}"? Paths are relative to the project root.` : undefined,
    );
  }
}

export class ScriptOutsideProjectError extends ReproError {
  constructor(
    readonly script: string,
    readonly projectRoot: string,
  ) {
    super(
      'REPRO_SCRIPT_OUTSIDE_PROJECT',
      `script "${script}" resolves outside the project root ${projectRoot}; repro runs only scripts inside the project`,
    );
  }
}

export class ScriptNotRunnableError extends ReproError {
  constructor(
    readonly script: string,
    reason: string,
  ) {
    super('REPRO_SCRIPT_NOT_RUNNABLE', `cannot run script "${script}": ${reason}`);
  }
}

// --- result folders --------------------------------------------------------------------------

export class ResultExistsError extends ReproError {
  constructor(
    readonly dir: string,
    readonly configName: string,
  ) {
    super(
      'REPRO_RESULT_EXISTS',
      `${dir} already exists; results are never overwritten`,
      `Clone the config (a changed config is a new config), or keep both results with --postfix, e.g. repro run configs/${configName}.json --postfix 2`,
    );
  }
}

export class ResultFileExistsError extends ReproError {
  constructor(readonly file: string) {
    super(
      'REPRO_FILE_EXISTS',
      `${file} already exists; files in a result folder are never overwritten`,
      'Write under another name.',
    );
  }
}

/**
 * A part of the results index read when first asked for did not match its checksum (a disk
 * that changed its bytes): the index is removed, and the next command rebuilds it.
 */
export class IndexDamagedError extends ReproError {
  constructor(
    readonly file: string,
    readonly part: string,
  ) {
    super(
      'REPRO_INDEX_DAMAGED',
      `the results index ${file} is damaged (its part "${part}" does not match its checksum): it was removed`,
    );
  }
}

/** A run's folder was removed or replaced while the run went on: nothing is written there. */
export class FolderLostError extends ReproError {
  constructor(
    readonly dir: string,
    readonly file: string,
  ) {
    super(
      'REPRO_FOLDER_LOST',
      `${dir} was removed or replaced while the run went on; ${file} was not written (the folder now at that path is not this run's)`,
    );
  }
}

/** Plain words for the errors a file system gives (disk full, read-only ...). */
const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENAMETOOLONG: 'the name is too long',
  EIO: 'an input/output error from the device',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files on the system',
};

/**
 * A file system error in plain words, with the path and the errno, as a ReproError (so the CLI
 * never calls it a bug); other errors come back as they are.
 */
export function fileSystemError(error: unknown, what?: string): unknown {
  const e = error as NodeJS.ErrnoException;
  const words = e?.code ? ERRNO_WORDS[e.code] : undefined;
  if (!words) return error;
  const path = e.path ?? what ?? '';
  const verb = e.syscall ? ` (${e.syscall})` : '';
  return new ReproError(
    'REPRO_FILESYSTEM',
    `cannot ${what ? `write ${what}` : `use ${path}`}: ${words} (${e.code}${verb})${what && e.path && e.path !== what ? ` at ${e.path}` : ''}`,
  );
}

export class PathOutsideRunError extends ReproError {
  constructor(readonly requested: string) {
    super('REPRO_PATH_OUTSIDE_RUN', `"${requested}" is not a path inside the result folder`);
  }
}

export class NotAResultError extends ReproError {
  constructor(readonly dir: string) {
    super('REPRO_NOT_A_RESULT', `${dir} is not a result folder (it has no config.json)`);
  }
}

// --- sources and params ------------------------------------------------------------------------

export class SourceError extends ReproError {
  constructor(
    code: Extract<ErrorCode, `REPRO_SOURCE_${string}`>,
    readonly source: string,
    message: string,
    hint: string,
  ) {
    super(code, message, hint);
  }
}

export class ParamMissingError extends ReproError {
  constructor(
    readonly key: string,
    readonly configName: string,
    readonly closest: string | undefined,
  ) {
    super(
      'REPRO_PARAM_MISSING',
      `config ${configName} has no key "${key}", and the script requires it${closest ? ` (did you mean "${closest}"?)` : ''}`,
      `Add it to the config, or set it for this run: --set ${key}=...`,
    );
  }
}

export class ParamTypeError extends ReproError {
  constructor(
    readonly key: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(
      'REPRO_PARAM_TYPE',
      `config key "${key}" is ${found}, but the script's default is ${expected}`,
      `Fix the value in the config (for example --set ${key}=...), or change the default in the script.`,
    );
  }
}

export class UsageError extends ReproError {
  constructor(message: string, hint?: string) {
    super('REPRO_USAGE', message, hint);
  }
}
