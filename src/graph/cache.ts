import { fs, join, relative } from '../_builtins.ts';
import { hashConfig, sha256Hex } from '../config/hash.ts';
import type { JsonObject } from '../config/json.ts';
import { type ConfigWarning, loadConfig } from '../config/load.ts';
import { cacheDir, ParsedFile, writeCacheFile } from '../project/cache.ts';
import type { Project } from '../project/project.ts';

/** A config file as loaded, with the stat it was loaded at. */
interface ConfigEntry {
  size: number;
  mtimeMs: number;
  ino: number;
  config: JsonObject;
  warnings: ConfigWarning[];
  /** hashConfig(config): what run.json's config.base_hash is compared with. */
  hash: string;
}

interface GraphCacheFile {
  version: 3;
  root: string;
  configs: Record<string, ConfigEntry>;
}

/**
 * The configs loadGraph reads again and again, kept between calls in the user's cache folder
 * (one file per project), so `status` over 10,000 configs reads a stat per file instead of every
 * file: a config is read again when its size, modification time or inode changed. The results
 * come from the results index (project/results.ts), which the listings share.
 */
export class GraphCache {
  readonly #file: string;
  readonly #old: GraphCacheFile | undefined;
  readonly #next: GraphCacheFile;
  /** Configs read anew (not from the cache) and kept. */
  #reread = 0;

  constructor(
    readonly project: Project,
    readonly enabled = true,
  ) {
    this.#file = join(cacheDir(), `graph-${sha256Hex(project.root).slice(0, 16)}.json`);
    this.#old = enabled ? read(this.#file, project.root) : undefined;
    this.#next = { version: 3, root: project.root, configs: {} };
  }

  /**
   * A config file, loaded or from the cache; throws what loadConfig throws. `stated`: its stat
   * as the caller took it (ino -1: none), else it is stat'ed now.
   */
  config(
    file: string,
    stated?: { size: number; mtimeMs: number; ino: number },
  ): { config: JsonObject; warnings: ConfigWarning[]; hash: string } {
    const st = stated
      ? stated.ino === -1
        ? undefined
        : stated
      : fs.statSync(file, { throwIfNoEntry: false });
    const hit = this.#old?.configs[file];
    if (st && hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.ino === st.ino) {
      this.#next.configs[file] = hit;
      return hit;
    }
    // named relative to the project root in errors, as the graph names its problems
    const loaded = loadConfig(relative(this.project.root, file) || file, { cwd: this.project.root });
    const entry: ConfigEntry = {
      size: st?.size ?? -1,
      mtimeMs: st?.mtimeMs ?? -1,
      ino: st?.ino ?? -1,
      config: loaded.config,
      warnings: loaded.warnings,
      hash: hashConfig(loaded.config),
    };
    if (st) {
      this.#next.configs[file] = entry;
      this.#reread++;
    }
    return entry;
  }

  /**
   * Writes the cache when more than a few configs were read anew or went away (SAVE_FROM, or a
   * hundredth of them). A few edited configs are read again at each loading instead (~0.1 ms
   * each), where writing the whole file cost ~0.1 s of 10,000 and its garbage more.
   */
  save(): void {
    if (!this.enabled) return;
    const next = this.#next.configs;
    let gone = 0;
    if (this.#old) for (const file in this.#old.configs) if (!(file in next)) gone++;
    const count = Object.keys(next).length;
    if (!this.#old || this.#reread + gone > Math.max(SAVE_FROM, count / 100))
      writeCacheFile(this.#file, JSON.stringify(this.#next));
  }
}

/** Configs read anew or gone that are worth writing the cache for, at least (save). */
const SAVE_FROM = 16;

/** The cache as last parsed in this process (a server asks on every request). */
const parsed = new ParsedFile<GraphCacheFile | undefined>();

function read(file: string, root: string): GraphCacheFile | undefined {
  const cache = parsed.get(file, () => {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as GraphCacheFile;
    } catch {
      return undefined;
    }
  });
  return cache?.version === 3 && cache.root === root ? cache : undefined;
}
