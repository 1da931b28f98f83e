import { fs, join, relative } from '../_builtins.ts';
import { hashConfig, sha256Hex } from '../config/hash.ts';
import { isJsonObject, type JsonObject } from '../config/json.ts';
import { type ConfigWarning, loadConfig } from '../config/load.ts';
import { cacheDir, writeCacheFile } from '../project/cache.ts';
import type { Project } from '../project/project.ts';
import { RUN_FILES } from '../run/layout.ts';
import { type Checked, type EndRecord, type RunRecord, readJsonFile } from '../run/record.ts';
import { readRecordFiles } from '../run/status.ts';

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

/** A result folder whose run has ended: its listing and records, with the folder's stat. */
interface ResultEntry {
  ino: number;
  mtimeMs: number;
  files: string[];
  record: Checked<RunRecord>;
  end: Checked<EndRecord>;
  /** The result's config.json (null when it is not a JSON object): a result is never rewritten. */
  config: JsonObject | null;
}

interface GraphCacheFile {
  version: 2;
  root: string;
  configs: Record<string, ConfigEntry>;
  results: Record<string, ResultEntry>;
}

/**
 * What loadGraph and graphStatus read again and again, kept between calls in the user's cache
 * folder (one file per project), so `status` over 10,000 configs reads a stat per file instead
 * of every file. It is right by the same rules as the ls cache: a config is read again when its
 * size, modification time or inode changed; a result folder when its inode or modification time
 * changed (a record added or removed) or when its run had not ended (a run can crash without
 * touching a file). Nothing else trusts it: records are immutable once the run ended.
 */
export class GraphCache {
  readonly #file: string;
  readonly #old: GraphCacheFile | undefined;
  readonly #next: GraphCacheFile;
  #changed = false;

  constructor(
    readonly project: Project,
    readonly enabled = true,
  ) {
    this.#file = join(cacheDir(), `graph-${sha256Hex(project.root).slice(0, 16)}.json`);
    this.#old = enabled ? read(this.#file, project.root) : undefined;
    this.#next = { version: 2, root: project.root, configs: {}, results: {} };
  }

  /** A config file, loaded or from the cache; throws what loadConfig throws. */
  config(file: string): { config: JsonObject; warnings: ConfigWarning[]; hash: string } {
    const st = fs.statSync(file, { throwIfNoEntry: false });
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
    if (st) this.#next.configs[file] = entry;
    this.#changed = true;
    return entry;
  }

  /**
   * A result folder's listing and records (read again unless its run ended and the folder did
   * not change), or undefined when it is no result folder (no config.json).
   */
  result(
    dir: string,
  ):
    | { files: Set<string>; record: Checked<RunRecord>; end: Checked<EndRecord>; config: JsonObject | null }
    | undefined {
    const st = fs.statSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory()) return undefined;
    const hit = this.#old?.results[dir];
    if (hit && hit.ino === st.ino && hit.mtimeMs === st.mtimeMs) {
      this.#next.results[dir] = hit;
      return { files: new Set(hit.files), record: hit.record, end: hit.end, config: hit.config };
    }
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return undefined;
    }
    const files = new Set(names);
    if (!files.has(RUN_FILES.config)) return undefined;
    const { record, end } = readRecordFiles(dir, files);
    const read = readJsonFile<JsonObject>(join(dir, RUN_FILES.config));
    const config = isJsonObject(read) ? read : null;
    // only an ended, undamaged run is final; the others are read again next time
    if (end.value && record.value && !record.damage && !end.damage) {
      this.#next.results[dir] = {
        ino: st.ino,
        mtimeMs: st.mtimeMs,
        files: names,
        record: { value: slim(record.value) },
        end,
        config,
      };
    }
    this.#changed = true;
    return { files, record, end, config };
  }

  /** Writes the cache when something was read again or went away. */
  save(): void {
    if (!this.enabled) return;
    const gone =
      !this.#old ||
      Object.keys(this.#old.configs).length !== Object.keys(this.#next.configs).length ||
      Object.keys(this.#old.results).length !== Object.keys(this.#next.results).length;
    if (this.#changed || gone) writeCacheFile(this.#file, JSON.stringify(this.#next));
  }
}

/** The fields of a start record that the graph and its status read: the cache stays small. */
function slim(r: RunRecord): RunRecord {
  const { id, name, config, script, sources, started_at, host, pid, pid_start, format } = r;
  return {
    format,
    id,
    name,
    config,
    script: script && { ...script, interpreter: [], interpreter_version: null },
    sources,
    started_at,
    host: { ...host, user: '', os: '', arch: '', node: '', cpus: 0, memory_bytes: 0 },
    pid,
    pid_start,
  } as RunRecord;
}

/** The cache as last parsed in this process (a server asks on every request), by file identity. */
let parsed: { file: string; stamp: string; cache: GraphCacheFile | undefined } | undefined;

function read(file: string, root: string): GraphCacheFile | undefined {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  const stamp = st ? `${st.ino}:${st.mtimeMs}:${st.size}` : '';
  if (!(parsed && parsed.file === file && parsed.stamp === stamp)) {
    let cache: GraphCacheFile | undefined;
    try {
      cache = JSON.parse(fs.readFileSync(file, 'utf8')) as GraphCacheFile;
    } catch {
      cache = undefined;
    }
    parsed = { file, stamp, cache };
  }
  const cache = parsed.cache;
  return cache?.version === 2 && cache.root === root ? cache : undefined;
}
