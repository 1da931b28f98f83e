import { basename, fs, resolve } from '../_builtins.ts';
import {
  ConfigNameError,
  ConfigNotFoundError,
  ConfigNotObjectError,
  ConfigParseError,
  ConfigUnreadableError,
} from '../errors.ts';
import { checkFlatness } from './flatness.ts';
import {
  _JsonSyntaxError,
  describeJsonType,
  findDuplicateKeys,
  isJsonObject,
  type JsonObject,
  parseJson,
} from './json.ts';

/** A warning about a config that still loads: nested values, or a key given twice. */
export interface ConfigWarning {
  kind: 'flatness' | 'duplicate-key';
  key: string;
  message: string;
}

/** A config read from disk. */
export interface LoadedConfig {
  /** The file name without `.json`: `configs/model.json` is `model`. */
  name: string;
  /** Absolute path of the file. */
  file: string;
  /** The parsed top-level object. */
  config: JsonObject;
  warnings: ConfigWarning[];
}

export interface LoadConfigOptions {
  /** Folder that relative paths are resolved against. @default process.cwd() */
  cwd?: string;
  /** Name to report instead of the file name (e.g. a result folder's config.json). @default from the file name */
  name?: string;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** True when `name` is a valid config (or result) name: letters, digits, `.`, `_`, `-`, no `..`. */
export function isValidName(name: string): boolean {
  return NAME.test(name) && !name.includes('..');
}

/** The config name of a file: its base name without `.json`, validated. */
export function configNameOf(file: string): string {
  const name = basename(file).replace(/\.json$/i, '');
  if (!isValidName(name)) throw new ConfigNameError(name, file);
  return name;
}

/**
 * Reads and validates one config file. Errors are precise: missing file, unreadable file,
 * invalid JSON (line, column, caret), top level not an object, bad name.
 */
export function loadConfig(file: string, options: LoadConfigOptions = {}): LoadedConfig {
  const abs = resolve(options.cwd ?? process.cwd(), file);
  const name = options.name ?? configNameOf(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new ConfigNotFoundError(file);
    throw new ConfigUnreadableError(
      file,
      err.code === 'EISDIR' ? 'it is a folder' : (err.code ?? err.message),
    );
  }
  const config = parseConfigText(text, file);
  return { name, file: abs, config, warnings: configWarnings(text, config) };
}

/** Parses the text of a config; `label` names it in errors (a path, or `--conf #2`). */
export function parseConfigText(text: string, label: string): JsonObject {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    if (error instanceof _JsonSyntaxError) throw new ConfigParseError(label, error.location, error.reason);
    throw error;
  }
  if (!isJsonObject(value)) throw new ConfigNotObjectError(label, describeJsonType(value));
  return value;
}

function configWarnings(text: string, config: JsonObject): ConfigWarning[] {
  const warnings: ConfigWarning[] = checkFlatness(config).map((w) => ({
    kind: 'flatness' as const,
    key: w.key,
    message: w.message,
  }));
  for (const dup of findDuplicateKeys(text)) {
    warnings.push({
      kind: 'duplicate-key',
      key: dup.key,
      message: `key "${dup.key}" appears more than once (line ${dup.location.line}, column ${dup.location.column}); the last value wins`,
    });
  }
  return warnings;
}
