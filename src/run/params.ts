import { closest } from 'fastest-levenshtein';
import { describeJsonType, isJsonObject, type Json, type JsonObject } from '../config/json.ts';
import { isReservedKey } from '../config/reserved.ts';
import { ParamMissingError, ParamTypeError } from '../errors.ts';
import { isNear } from '../hints.ts';

/** `5` reads as `number`, `"adam"` as `string`: `params.get("filters", 5)` is a number. */
export type Widen<T> = T extends number
  ? number
  : T extends string
    ? string
    : T extends boolean
      ? boolean
      : T extends null
        ? Json
        : T;

/** A config key that the code never read, with the closest key it did read. */
export interface UnreadKey {
  key: string;
  closest: string | null;
  message: string;
}

/** What the code actually used: written to `effective.json` at the end of the run. */
export interface EffectiveConfig {
  /** Every key the code read, with the value it used (from the config or the default). */
  values: JsonObject;
  /** The keys whose value came from a default, with that default. */
  defaults: JsonObject;
  /** Config keys never read: typo suspects. */
  unread: UnreadKey[];
}

/**
 * Read access to a run's merged config that remembers what was read. `get` with a default is
 * rule 1's tool: an old config lacks the key and gets the default, a new one sets it.
 */
export class Params {
  readonly #config: JsonObject;
  readonly #configName: string;
  readonly #read = new Map<string, { value: Json; defaulted: boolean }>();

  constructor(config: JsonObject, configName: string) {
    this.#config = config;
    this.#configName = configName;
  }

  /** The config value of `key`, or `fallback` when the config lacks it. Typed by the default. */
  get<T extends Json>(key: string, fallback: T): Widen<T> {
    const value = this.#config[key];
    if (value === undefined) {
      this.#read.set(key, { value: fallback, defaulted: true });
      return fallback as Widen<T>;
    }
    checkType(key, value, fallback);
    this.#read.set(key, { value, defaulted: false });
    return value as Widen<T>;
  }

  /** The config value of `key`; a clear error when the config lacks it. */
  require<T extends Json = Json>(key: string): T {
    const value = this.#config[key];
    if (value === undefined) {
      const keys = Object.keys(this.#config);
      const near = keys.length ? closest(key, keys) : undefined;
      throw new ParamMissingError(key, this.#configName, near && isNear(key, near) ? near : undefined);
    }
    this.#read.set(key, { value, defaulted: false });
    return value as T;
  }

  /** True when the config sets `key` (does not count as reading it). */
  has(key: string): boolean {
    return this.#config[key] !== undefined;
  }

  /** Marks keys as read without reading them, for code that consumes the config wholesale. */
  markRead(...keys: string[]): void {
    for (const key of keys) {
      const value = this.#config[key];
      if (value !== undefined) this.#read.set(key, { value, defaulted: false });
    }
  }

  /** The effective config so far, with the typo guard's findings. */
  effective(): EffectiveConfig {
    const values: JsonObject = {};
    const defaults: JsonObject = {};
    for (const [key, { value, defaulted }] of [...this.#read].sort(([a], [b]) => a.localeCompare(b))) {
      values[key] = value;
      if (defaulted) defaults[key] = value;
    }
    const readKeys = [...this.#read.keys()];
    const unread = Object.keys(this.#config)
      .filter((key) => !this.#read.has(key) && !isReservedKey(key))
      .map((key) => {
        const near = readKeys.length ? closest(key, readKeys) : undefined;
        const hit = near && isNear(key, near) ? near : null;
        const how = hit ? this.#read.get(hit) : undefined;
        const tail = hit
          ? `; did you mean "${hit}", which ${how?.defaulted ? `defaulted to ${JSON.stringify(how.value)}` : 'was read'}?`
          : '';
        return { key, closest: hit, message: `"${key}" was never read${tail}` };
      });
    return { values, defaults, unread };
  }
}

function checkType(key: string, value: Json, fallback: Json): void {
  if (fallback === null) return;
  const ok = Array.isArray(fallback)
    ? Array.isArray(value)
    : isJsonObject(fallback)
      ? isJsonObject(value)
      : typeof value === typeof fallback;
  if (!ok) throw new ParamTypeError(key, describeJsonType(fallback), describeJsonType(value));
}
