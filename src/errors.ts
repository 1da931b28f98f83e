/**
 * Every failure repro reports on purpose is a `ReproError`: a stable `code`, a message that says
 * what went wrong and where, and a `hint` that says what to do next. The CLI prints
 * `error: <message>` and `hint: <hint>` and exits non-zero; the library throws.
 */
export class ReproError extends Error {
  /** Stable machine-readable code, e.g. `REPRO_RESULT_EXISTS`. */
  readonly code: string;
  /** What to do next, in one or two sentences. */
  readonly hint: string | undefined;
  /** Exit code the CLI uses for this error. */
  readonly exitCode: number = 1;

  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.hint = hint;
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
    super(
      'REPRO_CONFIG_NOT_FOUND',
      `config not found: ${file}`,
      'Check the path; configs are JSON files such as configs/model.json.',
    );
  }
}

export class ConfigUnreadableError extends ReproError {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(
      'REPRO_CONFIG_UNREADABLE',
      `cannot read config ${file}: ${reason}`,
      'Check the file permissions, or that the path is a file and not a folder.',
    );
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
      'Configs are strict JSON: double-quoted keys and strings, no comments, no trailing commas.',
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
      'Wrap the values in an object of flat keys: {"lr": 0.001, "filters": 5}.',
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
      'Rename the file, for example to configs/model2.json.',
    );
  }
}

export class OverrideError extends ReproError {
  constructor(message: string, hint?: string) {
    super(
      'REPRO_OVERRIDE_INVALID',
      message,
      hint ??
        `--conf takes a JSON object, e.g. --conf '{"lr": 0.001}'; --set takes key=value, e.g. --set lr=0.001.`,
    );
  }
}

export class ProjectConfigError extends ReproError {
  constructor(file: string, message: string, hint?: string) {
    super(
      'REPRO_PROJECT_CONFIG_INVALID',
      `${file}: ${message}`,
      hint ?? 'See docs/config.md for the keys repro.json takes.',
    );
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
  ) {
    super(
      'REPRO_SCRIPT_NOT_FOUND',
      `script "${script}" named by ${configFile} (key "script") does not exist`,
      'The "script" key is a path relative to the project root (the folder with repro.json, else the git root).',
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
      'Move the script into the project, or give an explicit command after "--".',
    );
  }
}

export class ScriptNotRunnableError extends ReproError {
  constructor(
    readonly script: string,
    reason: string,
  ) {
    super(
      'REPRO_SCRIPT_NOT_RUNNABLE',
      `cannot run script "${script}": ${reason}`,
      'Known extensions: .ts .mts .cts .js .mjs .cjs .py .sh. Map others in repro.json ("interpreters": {".R": "Rscript"}) or make the file executable (chmod +x).',
    );
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

export class PathOutsideRunError extends ReproError {
  constructor(readonly requested: string) {
    super(
      'REPRO_PATH_OUTSIDE_RUN',
      `"${requested}" is not a path inside the result folder`,
      'Use a relative path such as "model.bin" or "plots/loss.svg".',
    );
  }
}

export class NotAResultError extends ReproError {
  constructor(readonly dir: string) {
    super(
      'REPRO_NOT_A_RESULT',
      `${dir} is not a result folder (it has no config.json)`,
      'Result folders live under the runs root, e.g. runs/model.',
    );
  }
}

// --- sources and params ------------------------------------------------------------------------

export class SourceError extends ReproError {
  constructor(
    code: 'REPRO_SOURCE_MISSING' | 'REPRO_SOURCE_UNFINISHED' | 'REPRO_SOURCE_FAILED' | 'REPRO_SOURCE_INVALID',
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
  override readonly exitCode = 2;
  constructor(message: string, hint?: string) {
    super('REPRO_USAGE', message, hint ?? 'See repro --help.');
  }
}
