import { closest } from 'fastest-levenshtein';
import { dirname, fs, join, resolve } from '../_builtins.ts';
import { _JsonSyntaxError, isJsonObject, parseJson } from '../config/json.ts';
import { formatCaret, ProjectConfigError } from '../errors.ts';

/** The settings file at the project root. Every key is optional. */
export interface ProjectSettings {
  /** Where result folders go, relative to the project root. @default "runs" */
  runs?: string;
  /** Folders that hold configs, relative to the project root. @default ["configs"] */
  configs?: string[];
  /**
   * Commands that run scripts, by extension (".R") or by script path ("train.jl"); a string is
   * split on spaces, an array is taken as is. Extends the built-in table.
   */
  interpreters?: Record<string, string | string[]>;
  /** More environment variables to record in every run, beside the built-in list. */
  env?: string[];
  /** How much to record about input data: path, list or checksum. @default "path" */
  paranoia?: 'path' | 'list' | 'checksum';
  /** Refuse to start a run while tracked files have uncommitted changes. @default false */
  requireClean?: boolean;
  /**
   * Refuse to start a run whose config has a key that no earlier run of its script read and that
   * is close to one they read (a typo), instead of warning. @default false
   */
  strict?: boolean;
  /**
   * Files git does not track (the script, files the config names) are copied into each result
   * up to this many bytes in all. @default 1048576 (1 MiB)
   */
  copyLimitBytes?: number;
  /**
   * SLURM resources for `make --launcher slurm`, by config name or glob (`model*`): sbatch's long
   * options without the dashes, e.g. {"model*": {"partition": "gpu", "gres": "gpu:1"}}. Every
   * pattern that matches applies, later ones over earlier ones. Never part of a config: results
   * depend on the config only.
   */
  slurm?: Record<string, SlurmResources>;
}

/** sbatch long options without their dashes: `{"time": "4:00:00", "exclusive": true}`. */
export type SlurmResources = Record<string, string | number | true>;

/** sbatch options repro sets itself for each stage: not allowed in repro.json's "slurm". */
export const SLURM_OWN_OPTIONS = [
  'dependency',
  'job-name',
  'output',
  'error',
  'chdir',
  'wrap',
  'parsable',
  'kill-on-invalid-dep',
  'array',
];

/** sbatch's short letters for the options repro sets itself. */
const SLURM_OWN_LETTERS: Record<string, string> = {
  d: 'dependency',
  J: 'job-name',
  o: 'output',
  e: 'error',
  D: 'chdir',
  a: 'array',
};

/**
 * The option repro sets itself that an sbatch argument (`--dependency=…`, `-d`, or an
 * abbreviation sbatch accepts, `--depend`) would set, or undefined: one of them would undo a
 * stage's order or its log.
 */
export function slurmOwnOption(arg: string): string | undefined {
  const m = /^(--?)([^=]+)/.exec(arg);
  if (!m) return undefined;
  const [, dashes, name] = m as unknown as [string, string, string];
  if (dashes === '-') return SLURM_OWN_LETTERS[name[0] as string];
  return SLURM_OWN_OPTIONS.find((o) => o === name || (name.length >= 3 && o.startsWith(name)));
}

/** A resolved project: its root and its settings with defaults applied. */
export interface Project {
  /** The folder with repro.json, else the git root, else the starting folder. */
  root: string;
  /** How the root was found. */
  rootFrom: 'repro.json' | 'git' | 'cwd';
  /** Absolute path of repro.json, when there is one. */
  settingsFile: string | undefined;
  /** Absolute path of the runs root. */
  runsRoot: string;
  /** Absolute paths of the config folders. */
  configDirs: string[];
  interpreters: Record<string, string[]>;
  env: string[];
  paranoia: 'path' | 'list' | 'checksum';
  requireClean: boolean;
  strict: boolean;
  copyLimitBytes: number;
  /** repro.json "slurm": resources by config name or glob. */
  slurm: Record<string, SlurmResources>;
  /** Absolute path of the git work tree that holds the project, if any. */
  gitRoot: string | undefined;
}

export interface FindProjectOptions {
  /** Where to start looking upward. @default process.cwd() */
  cwd?: string;
}

const KNOWN_KEYS = [
  'runs',
  'configs',
  'interpreters',
  'env',
  'paranoia',
  'requireClean',
  'strict',
  'copyLimitBytes',
  'slurm',
] as const;

/** The default of repro.json `copyLimitBytes`. */
export const COPY_LIMIT_BYTES = 1024 * 1024;

/**
 * Finds the project that holds `cwd`: the nearest folder upward with a `repro.json`; without one,
 * the git root; without git, `cwd` itself.
 */
export function findProject(options: FindProjectOptions = {}): Project {
  const cwd = resolve(options.cwd ?? process.cwd());
  const settingsDir = findUp(cwd, (d) => fs.existsSync(join(d, 'repro.json')));
  const gitRoot = findUp(cwd, (d) => fs.existsSync(join(d, '.git')));
  const root = settingsDir ?? gitRoot ?? cwd;
  const settingsFile = settingsDir ? join(settingsDir, 'repro.json') : undefined;
  const settings = settingsFile ? readSettings(settingsFile) : {};
  return {
    root,
    rootFrom: settingsDir ? 'repro.json' : gitRoot ? 'git' : 'cwd',
    settingsFile,
    runsRoot: resolve(root, settings.runs ?? 'runs'),
    configDirs: (settings.configs ?? ['configs']).map((d) => resolve(root, d)),
    interpreters: Object.fromEntries(
      Object.entries(settings.interpreters ?? {}).map(([k, v]) => [
        k,
        typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : v,
      ]),
    ),
    env: settings.env ?? [],
    paranoia: settings.paranoia ?? 'path',
    requireClean: settings.requireClean ?? false,
    strict: settings.strict ?? false,
    copyLimitBytes: settings.copyLimitBytes ?? COPY_LIMIT_BYTES,
    slurm: settings.slurm ?? {},
    gitRoot,
  };
}

function findUp(start: string, test: (dir: string) => boolean): string | undefined {
  let dir = start;
  for (;;) {
    if (test(dir)) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Reads and validates repro.json; every mistake names the key. */
export function readSettings(file: string): ProjectSettings {
  let value: unknown;
  try {
    value = parseJson(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    if (error instanceof _JsonSyntaxError) {
      throw new ProjectConfigError(
        file,
        `invalid JSON at line ${error.location.line}, column ${error.location.column}: ${error.reason}\n${formatCaret(error.location)}`,
      );
    }
    throw new ProjectConfigError(file, `cannot read: ${(error as Error).message}`);
  }
  if (!isJsonObject(value)) throw new ProjectConfigError(file, 'the top level must be a JSON object');
  for (const key of Object.keys(value)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(key)) {
      throw new ProjectConfigError(
        file,
        `unknown key "${key}"`,
        `Did you mean "${closest(key, [...KNOWN_KEYS])}"? Known keys: ${KNOWN_KEYS.join(', ')}.`,
      );
    }
  }
  const { runs, configs, interpreters, env, paranoia, requireClean, strict, copyLimitBytes, slurm } = value;
  if (slurm !== undefined) checkSlurmSettings(file, slurm);
  if (requireClean !== undefined && typeof requireClean !== 'boolean') {
    throw new ProjectConfigError(file, 'key "requireClean" must be true or false');
  }
  if (strict !== undefined && typeof strict !== 'boolean') {
    throw new ProjectConfigError(file, 'key "strict" must be true or false');
  }
  if (
    copyLimitBytes !== undefined &&
    !(typeof copyLimitBytes === 'number' && Number.isSafeInteger(copyLimitBytes) && copyLimitBytes >= 0)
  ) {
    throw new ProjectConfigError(file, 'key "copyLimitBytes" must be a whole number of bytes, e.g. 1048576');
  }
  if (paranoia !== undefined && !['path', 'list', 'checksum'].includes(paranoia as string)) {
    throw new ProjectConfigError(file, 'key "paranoia" must be "path", "list" or "checksum"');
  }
  if (runs !== undefined && (typeof runs !== 'string' || runs === '')) {
    throw new ProjectConfigError(file, 'key "runs" must be a folder path (a non-empty string)');
  }
  if (configs !== undefined && !(Array.isArray(configs) && configs.every((c) => typeof c === 'string'))) {
    throw new ProjectConfigError(file, 'key "configs" must be a list of folder paths, e.g. ["configs"]');
  }
  if (
    interpreters !== undefined &&
    !(
      isJsonObject(interpreters) &&
      Object.values(interpreters).every(
        (v) =>
          (typeof v === 'string' && v.trim() !== '') ||
          (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')),
      )
    )
  ) {
    throw new ProjectConfigError(
      file,
      'key "interpreters" must map an extension or script to a command, e.g. {".R": "Rscript"}',
    );
  }
  if (env !== undefined && !(Array.isArray(env) && env.every((e) => typeof e === 'string'))) {
    throw new ProjectConfigError(file, 'key "env" must be a list of environment variable names');
  }
  return value as ProjectSettings;
}

/** repro.json "slurm": patterns to objects of sbatch long options, each value text, a number or true. */
function checkSlurmSettings(file: string, slurm: unknown): void {
  const example = 'e.g. {"model*": {"partition": "gpu", "gres": "gpu:1", "time": "4:00:00"}}';
  if (!isJsonObject(slurm))
    throw new ProjectConfigError(
      file,
      `key "slurm" must map config names or globs to sbatch options, ${example}`,
    );
  for (const [pattern, options] of Object.entries(slurm)) {
    if (!isJsonObject(options))
      throw new ProjectConfigError(
        file,
        `key "slurm.${pattern}" must be an object of sbatch options, ${example}`,
      );
    for (const [option, v] of Object.entries(options)) {
      const at = `key "slurm.${pattern}.${option}"`;
      if (!/^[a-z][a-z0-9-]*$/.test(option))
        throw new ProjectConfigError(
          file,
          `${at}: an sbatch long option without its dashes, in lower case`,
          'For example "partition", "gres", "time", "mem", "cpus-per-task".',
        );
      const own = slurmOwnOption(`--${option}`);
      if (own)
        throw new ProjectConfigError(
          file,
          `${at}: repro sets --${own} itself for each stage`,
          `Leave it out; the options repro sets are ${SLURM_OWN_OPTIONS.map((o) => `--${o}`).join(', ')}.`,
        );
      if (!(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || v === true))
        throw new ProjectConfigError(
          file,
          `${at} must be text, a number or true (a flag such as "exclusive")`,
        );
    }
  }
}
