import { basename, fs, resolve } from '../_builtins.ts';
import {
  ConfigNameError,
  ConfigNotFoundError,
  ConfigNotObjectError,
  ConfigParseError,
  ConfigUnreadableError,
  ConfigValueError,
} from '../errors.ts';
import { checkFlatness } from './flatness.ts';
import {
  _JsonSyntaxError,
  describeJsonType,
  findDuplicateKeys,
  isJsonObject,
  type JsonObject,
  locate,
  parseJson,
} from './json.ts';
import { checkConfigSize, checkConfigValue } from './limits.ts';

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
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(abs);
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new ConfigNotFoundError(file);
    throw new ConfigUnreadableError(
      file,
      err.code === 'EISDIR' ? 'it is a folder' : (err.code ?? err.message),
    );
  }
  const text = decodeUtf8(bytes, file);
  const config = parseConfigText(text, file);
  return { name, file: abs, config, warnings: configWarnings(text, config) };
}

/**
 * The text of a config file, refusing bytes that are not UTF-8 (a plain read would turn them
 * into U+FFFD silently, and the config would differ from the file).
 */
function decodeUtf8(bytes: Buffer, file: string): string {
  checkConfigSize(bytes, file);
  const bad = firstInvalidUtf8(bytes);
  if (bad < 0) return bytes.toString('utf8');
  const before = bytes.subarray(0, bad).toString('utf8');
  const location = locate(before + bytes.subarray(bad).toString('latin1'), before.length);
  throw new ConfigValueError(
    file,
    null,
    `byte 0x${bytes[bad]?.toString(16).padStart(2, '0')} at offset ${bad} is not UTF-8`,
    'Save the file as UTF-8 (JSON is UTF-8).',
    location,
  );
}

/** The offset of the first byte that is not part of valid UTF-8, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0 || i + n >= b.length) return i;
    for (let k = 1; k <= n; k++) if (((b[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    // overlong three-byte forms, surrogates, and code points past U+10FFFF
    const c1 = b[i + 1] as number;
    if (
      (c === 0xe0 && c1 < 0xa0) ||
      (c === 0xed && c1 > 0x9f) ||
      (c === 0xf0 && c1 < 0x90) ||
      (c === 0xf4 && c1 > 0x8f)
    )
      return i;
    i += n + 1;
  }
  return -1;
}

/** Parses the text of a config; `label` names it in errors (a path, or `--conf #2`). */
export function parseConfigText(text: string, label: string): JsonObject {
  checkConfigSize(text, label);
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    if (error instanceof _JsonSyntaxError) throw new ConfigParseError(label, error.location, error.reason);
    throw error;
  }
  if (!isJsonObject(value)) throw new ConfigNotObjectError(label, describeJsonType(value));
  checkConfigValue(value, label, text);
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
