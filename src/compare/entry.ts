// One config to compare, made from a config in memory: what ls, the dashboard and the breeding
// commands share with diff, without select.ts's globbing (a listing loads none of it).
import type { Json, JsonObject } from '../config/json.ts';
import { flattenConfig } from './flatten.ts';

/** One config to compare: a config file, or the saved config of a result folder. */
export interface ConfigEntry {
  /** Config name, or result folder name. */
  name: string;
  kind: 'config' | 'result';
  /** The file or folder, relative to the current folder. */
  path: string;
  /** The file or folder, absolute. */
  location: string;
  config: JsonObject;
  /** The config as flat dotted keys. */
  flat: Map<string, Json>;
  /**
   * For a result folder: the values the script used from its defaults (effective.json), for
   * keys the config lacks. Empty for config files.
   */
  defaults: Map<string, Json>;
}

/** A ConfigEntry from a config in memory. */
export function configEntry(
  name: string,
  config: JsonObject,
  more: {
    kind?: ConfigEntry['kind'];
    path?: string;
    location?: string;
    defaults?: JsonObject;
    /** The config is flat already (a listing's): its entries are its flat form. */
    flat?: boolean;
  } = {},
): ConfigEntry {
  return {
    name,
    kind: more.kind ?? 'config',
    path: more.path ?? name,
    location: more.location ?? more.path ?? name,
    config,
    flat: more.flat ? new Map(Object.entries(config)) : flattenConfig(config),
    defaults: new Map(Object.entries(more.defaults ?? {})),
  };
}
