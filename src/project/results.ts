import { distFile, fileURLToPath, fs, join, os, packageRequire, parseJsonFile } from '../_builtins.ts';
import { flattenConfig } from '../compare/flatten.ts';
import { type MetricSummary, summarizeMetrics } from '../compare/metrics.ts';
import { sha1Hex, sha256Hex } from '../config/hash.ts';
import { isJsonObject, type JsonObject } from '../config/json.ts';
import { IndexDamagedError } from '../errors.ts';
import { isWriting, RUN_FILES } from '../run/layout.ts';
import { parseMetricsCounted } from '../run/metrics.ts';
import {
  type Checked,
  type EndRecord,
  NO_SOURCES,
  type RunFacts,
  type RunRecord,
  type RunStatus,
  runFacts,
} from '../run/record.ts';
import { judgeRunState, readRecordFiles } from '../run/status.ts';
import { cacheDir, ParsedFile, writeCacheFile } from './cache.ts';

/**
 * What one result folder holds, as the listings (`ls`, the dashboard) and the graph (`status`,
 * `make`, `check`, staleness) read it: the folder's files, its records, its config, and
 * the summaries of its metrics.
 */
export interface IndexedResult {
  readonly name: string;
  /** The folder's file names. */
  readonly files: ReadonlySet<string>;
  /** The start record (for an ended run, the fields the listings and the graph read). */
  readonly record: Checked<RunRecord>;
  readonly end: Checked<EndRecord>;
  /** config.json, or null when it is not a JSON object. */
  readonly config: JsonObject | null;
  /** The same config as flat dotted keys ({} when it is not an object). */
  readonly flat: JsonObject;
  readonly status: RunStatus;
  /** Why it is `running`, `crashed` or `damaged`, or when it ended. */
  readonly reason: string;
  readonly started_at: string | null;
  readonly config_name: string | null;
  readonly exit_code: number | null;
  readonly duration_s: number | null;
  /** Values the script took from its defaults (effective.json). */
  readonly defaults: JsonObject;
  readonly metrics: Record<string, MetricSummary>;
  readonly metrics_skipped: number;
  /** What its staleness rests on, from its records (null without a start record). */
  readonly facts: RunFacts | null;
}

/**
 * The index's rows, one column per field, so that the file loads as arrays of numbers and
 * strings (V8's deserializer makes objects slowly). What many results share (configs, file
 * lists, defaults, metric names) is a table; the columns hold its indexes. Records are JSON text,
 * parsed only when asked for (the graph asks; a listing does not).
 */
export interface Columns {
  name: Texts<string>;
  ino: number[];
  mtimeMs: number[];
  /** 1 when the run ended and its records are whole: the folder never changes again. */
  final: number[];
  files: number[];
  /** Index into STATUSES: six values, read without making a text. */
  status: number[];
  reason: Texts<string>;
  started: Texts<string | null>;
  configName: Texts<string | null>;
  exitCode: (number | null)[];
  duration: (number | null)[];
  /**
   * Checked<RunRecord> and Checked<EndRecord> as JSON, each row's two texts one after the other
   * in `records` from recordAt (one string loads in a copy; 200,000 small ones do not).
   */
  recordAt: number[];
  recordLength: number[];
  endLength: number[];
  /** Index into tables.configs, -1 when config.json is not an object. */
  config: number[];
  defaults: number[];
  /** Where the row's metrics start in metricValues (4 numbers each: name, last, best, count), -1 for none. */
  metricsAt: number[];
  metricsCount: number[];
  metricValues: number[];
  skipped: number[];
  /** RunFacts, for the graph's status without parsing records: ids and times, */
  runId: Texts<string | null>;
  ended: Texts<string | null>;
  /**
   * the config the run was made from (base hash, name and file as JSON) and the script as
   * indexes into tables.baseHashes and tables.scripts (-1 for none: results of one config share
   * one), the sources as JSON (null for none).
   */
  baseHash: number[];
  script: number[];
  sources: Texts<string | null>;
}

/**
 * A table of JSON objects: each entry's text, one per line (JSON.stringify writes no line
 * break), parsed when that entry is first asked for, then kept (one object per entry: results of
 * one config share it). A listing cut to 20 rows parses 20 configs of 10,000.
 */
export class JsonTable {
  #text: (() => string) | undefined;
  #texts: string[] | undefined;
  readonly #values: (JsonObject | undefined)[] = [];

  /** `text`: the entries one per line, read when first needed. */
  constructor(text?: () => string) {
    this.#text = text;
  }

  /** Each entry's JSON text. */
  texts(): string[] {
    if (!this.#texts) {
      const text = this.#text?.() ?? '';
      this.#texts = text ? text.split('\n') : [];
      this.#text = undefined;
    }
    return this.#texts;
  }

  /** Entry `id`, parsed when first asked for; undefined when there is none. */
  at(id: number): JsonObject | undefined {
    let value = this.#values[id];
    if (value === undefined) {
      const text = this.texts()[id];
      if (text === undefined) return undefined;
      value = JSON.parse(text) as JsonObject;
      this.#values[id] = value;
    }
    return value;
  }

  /** Adds an entry (its text, and the value when it is at hand); returns its id. */
  push(text: string, value?: JsonObject): number {
    const id = this.texts().push(text) - 1;
    if (value) this.#values[id] = value;
    return id;
  }

  /** The entries one per line, as the file keeps them. */
  joined(): string {
    return this.#texts ? this.#texts.join('\n') : (this.#text?.() ?? '');
  }
}

/**
 * Shared values, only ever appended to (an index in a column stays right). The JSON tables are
 * parsed an entry at a time when asked for (a listing never reads the configs as written, only
 * their flat form; a graph never reads the flat form). A loaded index's tables are read from its
 * file when first asked for.
 */
export class Tables {
  readonly configs: JsonTable;
  readonly flats: JsonTable;
  /** The defaults each result's script used; entry 0 is {} in every index. */
  readonly defaults: JsonTable;
  #lists: (() => TableLists) | TableLists | undefined;

  constructor(packed?: LazyTables) {
    this.configs = new JsonTable(packed?.configs);
    this.flats = new JsonTable(packed?.flats);
    this.defaults = new JsonTable(packed?.defaults ?? (() => '{}'));
    this.#lists = packed?.lists;
  }

  /** A folder's file names joined by '/' (no file name holds one). */
  get fileSets(): string[] {
    return this.#listsNow().fileSets;
  }
  get metricNames(): string[] {
    return this.#listsNow().metricNames;
  }
  get scripts(): string[] {
    return this.#listsNow().scripts;
  }
  get baseHashes(): string[] {
    return this.#listsNow().baseHashes;
  }

  /**
   * Whether some flat config or defaults of the index has this key: when none has, a sort or
   * filter by it need not parse any config (RunFields.mayHaveKey).
   */
  hasConfigKey(key: string): boolean {
    this.#configKeys ??= new Set(this.#listsNow().configKeys);
    return this.#configKeys.has(key);
  }

  /** Notes the keys of a new flat config or defaults. */
  addConfigKeys(o: JsonObject): void {
    const keys = this.#listsNow().configKeys;
    this.#configKeys ??= new Set(keys);
    for (const k in o)
      if (!this.#configKeys.has(k)) {
        this.#configKeys.add(k);
        keys.push(k);
      }
  }
  #configKeys: Set<string> | undefined;

  #listsNow(): TableLists {
    if (typeof this.#lists === 'function') this.#lists = this.#lists();
    this.#lists ??= { fileSets: [], metricNames: [], configKeys: [], scripts: [], baseHashes: [] };
    return this.#lists;
  }

  /** The tables as the index file keeps them. */
  pack(): PackedTables {
    return {
      configs: this.configs.joined(),
      flats: this.flats.joined(),
      defaults: this.defaults.joined(),
      lists: this.#listsNow(),
    };
  }
}

interface TableLists {
  fileSets: string[];
  metricNames: string[];
  /** Every key of the flat configs and the defaults. */
  configKeys: string[];
  /** The scripts runs recorded: path and hash joined by NUL. */
  scripts: string[];
  baseHashes: string[];
}
interface PackedTables {
  configs: string;
  flats: string;
  defaults: string;
  lists: TableLists;
}
type LazyTables = { [K in keyof PackedTables]: () => PackedTables[K] };

/** The index in memory. */
interface IndexData {
  root: string;
  /** The runs root's stat when its listing was taken, and the clock then. */
  rootIno: number;
  rootMtimeMs: number;
  listedAt: number;
  count: number;
  rows: Columns;
  /**
   * The records of every row, as JSON texts one after the other in UTF-8 (Columns.recordAt, in
   * bytes), loaded when first asked for; undefined when they cannot be read (the rows are read
   * from their folders). Bytes, not a string: written again, a kept row's records are copied as
   * they are, never decoded and encoded (100,000 results' 33 MB passed through memory four times).
   */
  records: () => Buffer | undefined;
  /**
   * The records as pieces, when the index was just made (a kept row's records may still lie in
   * the file it was copied from): what encode writes.
   */
  recordPieces?: RecordPieces;
  /**
   * Where the records lie in the index's file, once their checksum is checked (read through a
   * buffer kept for that, never into fresh memory), when they are not in memory already;
   * undefined when they cannot be read.
   */
  recordsInFile?: () => FilePiece | undefined;
  tables: Tables;
  /** Row numbers by start time, then name (the listings' order): made when first asked for, kept in the file. */
  startOrder?: Int32Array;
  /** A digest of the file's parts (stampOf), when it was read from its file or written to it. */
  stamp?: string;
}

/**
 * The index file: a header, then its parts one after the other, each read only when first asked
 * for. `ls --sort=-acc --limit 20` over 100,000 results reads the start order, statuses and metric
 * columns (3 MB) and, for the 20 rows it shows, the parts of names, times and configs (7 MB):
 * never the records, ino and file lists (44 MB of 54).
 *
 *     "repro-results-index\n" | header length (u32 LE) | header (node:v8) | parts
 *
 * A part is a column of numbers as its bytes (`f64`, `i32`: no copy to make when read) or a
 * value in V8's serializer (`v8`: a column of texts as one string joined by NUL, null as \u0001;
 * a table). Each carries a SHA-1 of its bytes: a part that does not match is found when read.
 */
interface IndexHeader {
  version: typeof VERSION;
  root: string;
  rootIno: number;
  rootMtimeMs: number;
  listedAt: number;
  count: number;
  /** The parts' length together: a file cut short is known before any part is read. */
  length: number;
  /** os.endianness() of the writer: the number parts are its bytes. */
  endian: string;
  parts: Record<string, Part>;
}

interface Part {
  /** Where it starts, after the header. */
  at: number;
  length: number;
  /** `bytes`: the records' UTF-8, as they are. */
  kind: 'f64' | 'i32' | 'v8' | 'bytes';
  sha1: string;
}

const MAGIC = Buffer.from('repro-results-index\n');
const VERSION = 15;

const FLOAT_COLUMNS = new Set<keyof Columns>([
  'ino',
  'mtimeMs',
  'exitCode',
  'duration',
  'recordAt',
  'metricValues',
]);
const TEXT_COLUMNS = new Set<keyof Columns>([
  'name',
  'reason',
  'started',
  'configName',
  'runId',
  'ended',
  'sources',
]);
const NULL = '\u0001';
type TextKey = 'name' | 'reason' | 'started' | 'configName' | 'runId' | 'ended' | 'sources';

/** The statuses as the status column numbers them (the index's format depends on this order). */
const STATUSES: readonly RunStatus[] = ['done', 'failed', 'interrupted', 'running', 'crashed', 'damaged'];
const STATUS_IDS = new Map(STATUSES.map((s, i) => [s, i]));

/**
 * A column of texts: an array while the index is made, and as loaded one string whose values
 * are cut out when read (100,000 strings made and kept alive cost a listing cut to 20 rows more
 * than reading them: the garbage collector copies every one that lives on).
 */
type Texts<T extends string | null> = T[] | TextColumn<T>;

class TextColumn<T extends string | null = string | null> {
  private constructor(
    /** The values joined by NUL (null as \u0001). */
    readonly text: string,
    /** Where each value ends. */
    readonly ends: Int32Array,
  ) {}

  /** The column of a joined text; undefined when it does not hold `count` values. */
  static of(text: string, count: number): TextColumn | undefined {
    const ends = new Int32Array(count);
    let at = -1;
    for (let i = 0; i < count - 1; i++) {
      at = text.indexOf('\0', at + 1);
      if (at < 0) return undefined;
      ends[i] = at;
    }
    if (count) {
      if (text.indexOf('\0', at + 1) >= 0) return undefined;
      ends[count - 1] = text.length;
    } else if (text !== '') return undefined;
    return new TextColumn(text, ends);
  }

  /**
   * The column of rows start..end (not included) of each column in turn, as loaded or being made:
   * the rows of a loaded one are cut out of its text in one piece.
   */
  static joined<T extends string | null>(parts: [Texts<T>, number, number][], count: number): TextColumn<T> {
    const pieces: string[] = [];
    const ends = new Int32Array(count);
    let n = 0;
    // where the text so far ends; each piece after the first follows a separator
    let length = 0;
    const add = (piece: string) => {
      const base = pieces.length ? length + 1 : 0;
      pieces.push(piece);
      length = base + piece.length;
      return base;
    };
    for (const [column, start, end] of parts) {
      if (start === end) continue;
      if (column instanceof TextColumn) {
        const from = start === 0 ? 0 : (column.ends[start - 1] as number) + 1;
        const base = add(column.text.slice(from, column.ends[end - 1]));
        for (let i = start; i < end; i++) ends[n++] = base + (column.ends[i] as number) - from;
      } else
        for (let i = start; i < end; i++) {
          const value = column[i] ?? NULL;
          ends[n++] = add(value) + value.length;
        }
    }
    return new TextColumn<T>(pieces.join('\0'), ends);
  }

  at(i: number): T {
    const start = i === 0 ? 0 : (this.ends[i - 1] as number) + 1;
    const value = this.text.slice(start, this.ends[i]);
    return (value === NULL ? null : value) as T;
  }
}

/** Value `i` of a column of texts, an array or as loaded. */
function textAt<T extends string | null>(column: Texts<T>, i: number): T {
  return (Array.isArray(column) ? column[i] : column.at(i)) as T;
}

/**
 * A column being made as numbers, NaN for null. A loop: `Float64Array.from(column, mapping)`
 * took ~16 ms for 100,000 rows, each of six columns, while nothing else goes on.
 */
function floats(column: ArrayLike<number | null>): Float64Array {
  const out = new Float64Array(column.length);
  for (let i = 0; i < column.length; i++) out[i] = column[i] ?? Number.NaN;
  return out;
}

/** A column being made as texts, joined by NUL (NULL for null), as TextColumn keeps them. */
function joinTexts(texts: readonly (string | null)[]): string {
  let out = '';
  for (let i = 0; i < texts.length; i++) out += i === 0 ? (texts[i] ?? NULL) : `\0${texts[i] ?? NULL}`;
  return out;
}

/** The index as the parts of its file, header first. */
function encode(index: IndexData): { bytes: Iterable<Uint8Array>; stamp: string } {
  const { serialize } = process.getBuiltinModule('node:v8');
  const bodies: [string, Part['kind'], Uint8Array | RecordPieces][] = [];
  const bytes = (a: Float64Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  for (const key of COLUMNS) {
    if (TEXT_COLUMNS.has(key)) {
      const texts = index.rows[key as TextKey];
      const joined = texts instanceof TextColumn ? texts.text : joinTexts(texts);
      bodies.push([key, 'v8', serialize(joined)]);
      continue;
    }
    const column = index.rows[key] as ArrayLike<number | null>;
    // a column joined or loaded is its bytes already; one being made holds null for no number
    if (FLOAT_COLUMNS.has(key))
      bodies.push([key, 'f64', bytes(column instanceof Float64Array ? column : floats(column))]);
    else
      bodies.push([
        key,
        'i32',
        bytes(column instanceof Int32Array ? column : Int32Array.from(column as ArrayLike<number>)),
      ]);
  }
  const tables = index.tables.pack();
  for (const t of ['configs', 'flats', 'defaults', 'lists'] as const)
    bodies.push([`tables.${t}`, 'v8', serialize(tables[t])]);
  bodies.push(['startOrder', 'i32', bytes(startOrder(index))]);
  bodies.push(['records', 'bytes', index.recordPieces ?? new RecordPieces([index.records() ?? NO_RECORDS])]);
  const parts: Record<string, Part> = {};
  let at = 0;
  for (const [name, kind, body] of bodies) {
    parts[name] = { at, length: body.byteLength, kind, sha1: sha1(body) };
    at += body.byteLength;
  }
  const { root, rootIno, rootMtimeMs, listedAt, count } = index;
  const header = serialize({
    version: VERSION,
    root,
    rootIno,
    rootMtimeMs,
    listedAt,
    count,
    length: at,
    endian: os.endianness(),
    parts,
  } satisfies IndexHeader);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.byteLength);
  function* file(): Generator<Uint8Array, void, undefined> {
    yield* [MAGIC, length, header];
    for (const [, , body] of bodies) {
      if (body instanceof RecordPieces) yield* body.chunks();
      else yield body;
    }
  }
  return { bytes: file(), stamp: stampOf(parts) };
}

function sha1(bytes: Uint8Array | RecordPieces): string {
  if (!(bytes instanceof RecordPieces)) return sha1Hex(bytes);
  const hash = process.getBuiltinModule('node:crypto').createHash('sha1');
  for (const chunk of bytes.chunks()) hash.update(chunk);
  return hash.digest('hex');
}

/** The index's content as one digest: of its parts' names and checksums (the header has them). */
function stampOf(parts: Record<string, Part>): string {
  return sha1(Buffer.from(JSON.stringify(Object.entries(parts).map(([name, p]) => [name, p.sha1]))));
}

/** Closes the file of an index no longer reachable (its parts can no longer be asked for). */
const closeWhenGone = new FinalizationRegistry<number>((fd) => {
  try {
    fs.closeSync(fd);
  } catch {
    // closed already
  }
});

const SCRATCH_MAX = 8 << 20;
let scratchBytes = new Uint8Array(0);
/** `length` bytes of a buffer reused by every read of a serialized part. */
function scratch(length: number): Uint8Array {
  if (scratchBytes.length < length)
    scratchBytes = new Uint8Array(Math.min(SCRATCH_MAX, Math.max(length, 2 * scratchBytes.length)));
  return scratchBytes.subarray(0, length);
}

/**
 * An index file kept open, its parts read when asked for: the descriptor keeps the file this
 * index was read from, even after another command renamed a new one over it.
 */
class IndexSource {
  constructor(
    readonly file: string,
    readonly fd: number,
    readonly header: IndexHeader,
    /** Where the parts start. */
    readonly base: number,
  ) {
    closeWhenGone.register(this, fd);
  }

  /**
   * A part's value; a part that does not match its checksum removes the file and throws
   * IndexDamagedError. `text`: the part is one string, read through a buffer kept for that
   * (deserialized typed arrays would be views of the bytes read, so only a string may).
   */
  read(name: string, text = false): unknown {
    const part = this.header.parts[name];
    try {
      if (!part) throw new Error('no such part');
      // a text's bytes are needed only until deserialized: read into one buffer kept for them
      // (fresh memory costs a page fault per 4 KiB on some hosts), up to a size not worth
      // keeping for the process (the records); a column of numbers is read into its own, and
      // used in place
      const bytes =
        text && part.kind === 'v8' && part.length <= SCRATCH_MAX
          ? scratch(part.length)
          : new Uint8Array(part.length);
      this.readInto(bytes, 0, part.length, this.base + part.at);
      if (sha1(bytes) !== part.sha1) throw new Error('checksum');
      if (part.kind === 'v8') return process.getBuiltinModule('node:v8').deserialize(bytes);
      if (part.kind === 'bytes') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const width = part.kind === 'f64' ? 8 : 4;
      if (part.length % width) throw new Error('torn');
      return part.kind === 'f64'
        ? new Float64Array(bytes.buffer, 0, part.length / 8)
        : new Int32Array(bytes.buffer, 0, part.length / 4);
    } catch {
      throw this.damaged(name);
    }
  }

  /**
   * Where a part lies in the file, once its checksum is checked by reading it through a buffer
   * kept for that; undefined (and the file removed, as `read` does) when it does not match.
   */
  checked(name: string): FilePiece | undefined {
    const part = this.header.parts[name];
    if (!part) return undefined;
    const piece: FilePiece = { source: this, at: this.base + part.at, byteLength: part.length };
    try {
      if (sha1(new RecordPieces([piece])) === part.sha1) return piece;
    } catch {
      // cut short: as damaged
    }
    this.damaged(name);
    return undefined;
  }

  /** `length` bytes from `position` of the file into `into` at `offset`. */
  readInto(into: Uint8Array, offset: number, length: number, position: number): void {
    for (let done = 0; done < length; ) {
      const n = fs.readSync(this.fd, into, offset + done, length - done, position + done);
      if (n === 0) throw new Error('cut short');
      done += n;
    }
  }

  /** Removes the file (when it is still this one) and forgets it: the next reading rebuilds it. */
  damaged(name: string): IndexDamagedError {
    try {
      if (fs.statSync(this.file).ino === fs.fstatSync(this.fd).ino) fs.rmSync(this.file, { force: true });
    } catch {
      // gone already
    }
    parsed.set(this.file, undefined);
    return new IndexDamagedError(this.file, name);
  }
}

/** Opens an index file and reads its header; undefined when it is no whole index of this root. */
function openIndex(file: string, root: string): IndexData | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const readAt = (length: number, position: number) => {
      const buffer = Buffer.alloc(length);
      if (fs.readSync(fd as number, buffer, 0, length, position) !== length) throw new Error('cut short');
      return buffer;
    };
    const start = MAGIC.length + 4;
    const head = readAt(start, 0);
    if (!head.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    const headerLength = head.readUInt32LE(MAGIC.length);
    if (start + headerLength > size) return undefined;
    const header = process
      .getBuiltinModule('node:v8')
      .deserialize(readAt(headerLength, start)) as IndexHeader;
    if (
      header?.version !== VERSION ||
      header.root !== root ||
      start + headerLength + header.length !== size ||
      header.endian !== os.endianness()
    )
      return undefined;
    const source = new IndexSource(file, fd, header, start + headerLength);
    fd = undefined; // the source keeps it
    return unpack(source);
  } catch {
    return undefined; // a torn or foreign file: rebuilt from the folders
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The index as its columns and tables, each read from the file when first asked for. */
function unpack(source: IndexSource): IndexData {
  const { header } = source;
  const { count } = header;
  const rows = {} as Columns;
  for (const key of COLUMNS) {
    lazy(rows, key, () => {
      const value = source.read(key, TEXT_COLUMNS.has(key));
      if (TEXT_COLUMNS.has(key)) {
        const column = typeof value === 'string' ? TextColumn.of(value, count) : undefined;
        if (!column) throw source.damaged(key);
        return column as never;
      }
      // read in place: an old index's columns are only read (null numbers are NaN here)
      if ((value as ArrayLike<number>).length !== count && key !== 'metricValues') throw source.damaged(key);
      return value as never;
    });
  }
  let records: { bytes: Buffer | undefined } | undefined;
  let inFile: { piece: FilePiece | undefined } | undefined;
  const text = (part: string) => () => {
    const value = source.read(part, true);
    if (typeof value !== 'string') throw source.damaged(part);
    return value;
  };
  const index: IndexData = {
    root: header.root,
    rootIno: header.rootIno,
    rootMtimeMs: header.rootMtimeMs,
    listedAt: header.listedAt,
    count,
    stamp: stampOf(header.parts),
    rows,
    records: () => {
      if (!records) {
        try {
          const bytes = source.read('records');
          if (!Buffer.isBuffer(bytes)) throw source.damaged('records');
          records = { bytes };
        } catch {
          records = { bytes: undefined }; // each row is read from its folder
        }
      }
      return records.bytes;
    },
    recordsInFile: () => {
      if (records) return undefined;
      inFile ??= { piece: source.checked('records') };
      // damaged: as records() finds it, each row is read from its folder
      if (!inFile.piece) records = { bytes: undefined };
      return inFile.piece;
    },
    tables: new Tables({
      configs: text('tables.configs'),
      flats: text('tables.flats'),
      defaults: text('tables.defaults'),
      lists: () => {
        const lists = source.read('tables.lists') as TableLists;
        if (
          ![lists?.fileSets, lists?.metricNames, lists?.configKeys, lists?.scripts, lists?.baseHashes].every(
            Array.isArray,
          )
        )
          throw source.damaged('tables.lists');
        return lists;
      },
    }),
  };
  lazy(index, 'startOrder', () => {
    const order = source.read('startOrder') as Int32Array;
    if (order.length !== count) throw source.damaged('startOrder');
    return order;
  });
  return index;
}

/** Defines `key` as a value made when first read, then kept (and writable). */
function lazy<T extends object, K extends keyof T>(target: T, key: K, make: () => T[K]): void {
  Object.defineProperty(target, key, {
    configurable: true,
    enumerable: true,
    get() {
      const value = make();
      Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
      return value;
    },
  });
}

const COLUMNS: (keyof Columns)[] = [
  'name',
  'ino',
  'mtimeMs',
  'final',
  'files',
  'status',
  'reason',
  'started',
  'configName',
  'exitCode',
  'duration',
  'recordAt',
  'recordLength',
  'endLength',
  'config',
  'defaults',
  'metricsAt',
  'metricsCount',
  'metricValues',
  'skipped',
  'runId',
  'ended',
  'baseHash',
  'script',
  'sources',
];

/** Columns being made: plain arrays. */
type NewColumns = { [K in keyof Columns]: Columns[K] extends Texts<infer T> ? T[] : Columns[K] };

const emptyColumns = (): NewColumns =>
  Object.fromEntries(COLUMNS.map((c) => [c, []])) as unknown as NewColumns;

/**
 * The results index: a derived summary of every result folder under a runs root, kept in the
 * user's cache folder (`results-<root hash>-<abi>.v8`) and shared by every command. Deleting it
 * loses nothing: it is rebuilt from the folders.
 *
 * It is right by these rules. A result whose run ended with whole records never changes (repro
 * never writes into an ended result; `rm`, `--retry` and `--rebuild` move the whole folder), so
 * it is read once. The runs root's modification time changes whenever a folder is added,
 * removed or renamed in it: while it is the one the index was made at (and was older than the
 * listing by a second, so no change can hide in the same clock tick), the index's names are the
 * folders, and no ended result is looked at. When the root changed, it is listed again and each
 * ended result's folder is stat'ed (a changed inode or time is read again: a folder made anew
 * under an old name, a record added or removed by hand). A result whose run has not ended is
 * read every time (a run can crash without touching a file). Concurrent commands each write the
 * whole file by rename: the last one wins, and what another one learnt is read again next time.
 *
 * The format is V8's serializer (node:v8) over columns; docs/benchmarks.md says what else was
 * measured. It is specific to the runtime's ABI, hence one file per ABI.
 */
export function readResults<T extends IndexedResult = Row>(
  runsRoot: string,
  options: ReadResultsOptions<T> = {},
): T[] {
  const useCache = options.cache ?? true;
  const file = indexFile(runsRoot);
  const old = useCache ? loadIndex(file, runsRoot) : undefined;
  try {
    return updateIndex(runsRoot, file, old, options);
  } catch (error) {
    // a part of the old index that does not match its checksum: the folders are read again
    if (old && error instanceof IndexDamagedError) return updateIndex(runsRoot, file, undefined, options);
    throw error;
  }
}

/**
 * `read` once more when a part of the results index turned out damaged as it was read (the
 * damaged file is removed by then, so the second reading rebuilds it from the folders). For
 * readers that have done nothing else yet: listRuns, the dashboard's pages, make's plan; a
 * command that may have printed decides for itself (cli/main.ts).
 */
export async function againIfIndexDamaged<T>(read: () => T | Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof IndexDamagedError)) throw error;
    return await read();
  }
}

/**
 * True when a folder's time `mtimeMs` is older than any change made at `at` or later could be
 * stamped: the kernel stamps a change from a clock that may lag by a tick (1-10 ms), and some
 * file systems keep whole seconds only (FAT two). An index whose runs root has kept its time
 * since before its listing began knows every folder added or removed. (Until 2026-11-29 the
 * margin was a second everywhere: `repro run` then `repro ls` at 100,000 results stat'ed every
 * folder in two listings, 3.4 s each, instead of one.)
 */
function stampedBefore(mtimeMs: number, at: number): boolean {
  return mtimeMs < at - (mtimeMs % 1000 === 0 ? 2000 : 100);
}

/** readResults with the index as loaded (`old`): the rows it has kept, the folders it has not read. */
function updateIndex<T extends IndexedResult>(
  runsRoot: string,
  file: string,
  old: IndexData | undefined,
  options: ReadResultsOptions<T>,
): T[] {
  const useCache = options.cache ?? true;
  const listedAt = Date.now();
  const rootStat = fs.statSync(runsRoot, { throwIfNoEntry: false });
  if (!rootStat?.isDirectory()) return [];
  const trusted =
    old !== undefined &&
    old.rootIno === rootStat.ino &&
    old.rootMtimeMs === rootStat.mtimeMs &&
    stampedBefore(old.rootMtimeMs, old.listedAt);
  lastReading.trusted = trusted;
  // nothing added, removed or running: the index is the answer as it is
  if (trusted && old.rows.final.every((f) => f === 1)) return rowsOf(runsRoot, old, options, old.stamp);
  // nothing added or removed: the results whose runs had not ended are read again, and while
  // none has ended they are laid over the index as it is (copying 100,000 rows to change a few
  // took seconds at every listing while a run went on)
  let opened: { names: string[]; rows: (FolderRow | undefined)[] } | undefined;
  if (trusted) {
    const open: number[] = [];
    for (let i = 0; i < old.count; i++) if (old.rows.final[i] !== 1) open.push(i);
    const openNames = open.map((i) => textAt(old.rows.name, i));
    const parallelFrom = options.parallelFrom ?? PARALLEL_FROM;
    opened = { names: openNames, rows: readRows(runsRoot, openNames, parallelFrom, options.workerFirst) };
    if (opened.rows.every((row) => row && !row.final))
      return overlay(runsRoot, old, open, opened.rows as FolderRow[], listedAt, options);
  }
  let names: string[];
  if (trusted) names = Array.from({ length: old.count }, (_, i) => textAt(old.rows.name, i));
  else {
    try {
      // in name order, as the graph takes them
      names = fs
        .readdirSync(runsRoot)
        .filter((n) => !n.startsWith('.'))
        .sort();
    } catch {
      return [];
    }
  }
  const previous = new Map<string, number>();
  if (old) for (let i = 0; i < old.count; i++) previous.set(textAt(old.rows.name, i), i);
  // an ended result's row is copied with its records: without them, its folder is read again.
  // Records not in memory yet are copied from where they lie in the old file, as it is written
  const oldInFile = old?.recordsInFile?.();
  const oldRecords = oldInFile ? undefined : old?.records();
  const oldReadable = oldInFile !== undefined || oldRecords !== undefined;
  const tables = old?.tables ?? new Tables();
  const builder = new Builder(tables);
  // the folders read now, as rows of their own; the new index is made of runs of rows of the old
  // one and of these, each run copied whole (100,000 rows copied one by one took ~0.6 s)
  const fresh = emptyColumns();
  const freshRecords = new Records();
  const olds: RowSource | undefined = old && {
    rows: old.rows,
    records: oldInFile
      ? (first, next) => ({ source: oldInFile.source, at: oldInFile.at + first, byteLength: next - first })
      : (first, next) => (oldRecords ?? NO_RECORDS).subarray(first, next),
  };
  // the new rows' records as one buffer, made only when kept rows come between them (joinRuns)
  let freshBytes: Buffer | undefined;
  const news: RowSource = {
    rows: fresh,
    records: (first, next) => {
      freshBytes ??= freshPieces.whole();
      return freshBytes.subarray(first, next);
    },
  };
  const runs: RowRun[] = [];
  const keep = (from: RowSource, i: number) => {
    const last = runs[runs.length - 1];
    if (last?.from === from && last.end === i) last.end++;
    else runs.push({ from, start: i, end: i + 1 });
  };
  // written again also when only the root's time is new, once this listing can vouch for it
  // (stampedBefore), or every listing after `repro run; repro ls` would stat every folder
  let changed =
    !trusted &&
    (old === undefined || names.length !== old.count || stampedBefore(rootStat.mtimeMs, listedAt));
  // each name: the old row kept as it is (its number), or -1: a folder to read, or -2: gone
  const plan = new Int32Array(names.length);
  const toRead: string[] = [];
  // 1: a result the index has, whose run had not ended: read again, written only once it ends
  const open = new Uint8Array(names.length);
  // an ended result the index has, whose row is kept: its number, else undefined
  const kept = (name: string) => {
    const i = previous.get(name);
    return i !== undefined && old?.rows.final[i] === 1 && oldReadable ? i : undefined;
  };
  // each one kept while the root changed: still the folder it read (same inode, same time)?
  // Stat'ed all at once, on two threads when they are many
  const checked = trusted ? [] : names.filter((name) => kept(name) !== undefined);
  const stats = statFolders(
    runsRoot,
    checked,
    options.statParallelFrom ?? STAT_PARALLEL_FROM,
    options.workerFirst,
  );
  for (let k = 0, c = 0; k < names.length; k++) {
    const name = names[k] as string;
    const i = kept(name);
    if (i !== undefined && trusted) {
      plan[k] = i;
      continue;
    }
    if (i !== undefined) {
      const ino = stats.ino[c];
      const mtimeMs = stats.mtimeMs[c++];
      if (Number.isNaN(ino)) {
        plan[k] = -2;
        changed = true;
        continue;
      }
      if (old && old.rows.ino[i] === ino && old.rows.mtimeMs[i] === mtimeMs) {
        plan[k] = i;
        continue;
      }
    }
    plan[k] = -1;
    toRead.push(name);
    const before = previous.get(name);
    if (before !== undefined && old?.rows.final[before] !== 1) open[k] = 1;
    else changed = true;
  }
  // each old row's number in the new index (-1: gone), and the new rows' numbers: the listing's
  // order is the old one with the new rows put in their places (sorting 100,000 again took ~0.05 s)
  const renumbered = old ? new Int32Array(old.count).fill(-1) : undefined;
  const added: number[] = [];
  let count = 0;
  // the rows in the names' order, made as far as the folders read so far reach: while the
  // folders are read (between this thread's batches, the worker reading on), not after them
  let k = 0;
  let next = 0;
  const make = (read: (FolderRow | undefined)[], ready: number) => {
    for (; k < names.length; k++) {
      const p = plan[k] as number;
      if (p >= 0) {
        keep(olds as RowSource, p);
        (renumbered as Int32Array)[p] = count++;
      } else if (p === -1) {
        if (next >= ready) return;
        const row = read[next];
        // made: this thread no longer holds it
        read[next++] = undefined;
        if (row) {
          builder.add(fresh, row, freshRecords);
          keep(news, fresh.name.length - 1);
          added.push(count++);
        }
        // a run still going is read again next time whatever the file says: written only when a
        // row is new, gone or has ended (100,000 results and one running would write the whole
        // index at every listing, and the dashboard lists every few seconds)
        if (!open[k] || !row || row.final) changed = true;
      }
    }
  };
  if (opened && opened.names.length === toRead.length && opened.names.every((n, k) => n === toRead[k]))
    make(opened.rows, opened.rows.length);
  else {
    const read = readRows(runsRoot, toRead, options.parallelFrom ?? PARALLEL_FROM, options.workerFirst, make);
    make(read, read.length);
  }
  const freshPieces = freshRecords.pieces();
  // an index of folders read now alone is their columns as they are (a cold listing of 100,000
  // results copied them all once more, 70 MB at its peak)
  const only = runs.length === 1 ? runs[0] : undefined;
  const { rows, records } =
    runs.length === 0 || (only?.from === news && only.start === 0 && only.end === fresh.final.length)
      ? { rows: fresh as unknown as Columns, records: freshPieces }
      : joinRuns(runs);
  const index: IndexData = {
    root: runsRoot,
    rootIno: rootStat.ino,
    rootMtimeMs: rootStat.mtimeMs,
    listedAt,
    count: rows.final.length,
    rows,
    records: () => records.whole(),
    recordPieces: records,
    tables,
  };
  if (old && renumbered && added.length <= MERGED_ORDER_MAX) {
    try {
      index.startOrder = mergedOrder(startOrder(old), renumbered, added, index.rows.started);
    } catch {
      // the old order's part damaged: this index's order is sorted anew when written
    }
  }
  if (useCache && changed) {
    const { bytes, stamp } = encode(index);
    index.stamp = stamp;
    writeCacheFile(file, bytes);
    parsed.set(file, index);
    // the records file of the index before version 9, which kept them apart
    fs.rmSync(file.replace(/\.v8$/, '.records.v8'), { force: true });
  }
  const ended = index.rows.final.every((f) => f === 1);
  return rowsOf(runsRoot, index, options, ended ? index.stamp : undefined);
}

export interface ReadResultsOptions<T> {
  /** Use the index in the user's cache folder (false: read every folder). @default true */
  cache?: boolean;
  /** `name`: the folders' order (the graph's); `started`: by start time, then name (the listings'). @default 'name' */
  order?: 'name' | 'started';
  /** The class of the rows: a listing's own view of the index (compare/runs.ts). @default Row */
  row?: new (
    view: IndexView,
    i: number,
  ) => T;
  /** From this many folders to read, a worker thread reads beside this one. @default 2000 */
  parallelFrom?: number;
  /** From this many folders to stat, a worker thread stats beside this one. @default 10000 */
  statParallelFrom?: number;
  /**
   * For tests: this thread reads only once the worker has sent its first batch, so that the
   * worker's part is there whatever the timing (its start under a test runner is slow).
   */
  workerFirst?: boolean;
}

/** The index's rows; `stamp`: they are the index as its file has it, every run in it ended. */
function rowsOf<T extends IndexedResult>(
  root: string,
  index: IndexData,
  options: ReadResultsOptions<T>,
  stamp?: string,
): T[] {
  const view = viewOf(root, index, Date.now());
  view.stamp = stamp;
  const make = rowClass(options);
  // a loop, not Array.from over an iterator; the count from the header: no column is read for it
  const rows: T[] = [];
  if (options.order === 'started') {
    const order = startOrder(index);
    for (let k = 0; k < order.length; k++) rows.push(new make(view, order[k] as number));
  } else for (let i = 0; i < index.count; i++) rows.push(new make(view, i));
  return rows;
}

function viewOf(root: string, index: IndexData, listedAt: number): IndexView {
  return {
    root,
    prefix: join(root, '/'),
    listedAt,
    rows: index.rows,
    records: index.records,
    tables: index.tables,
    fileSets: new Map(),
  };
}

function rowClass<T extends IndexedResult>(
  options: ReadResultsOptions<T>,
): new (
  view: IndexView,
  i: number,
) => T {
  return options.row ?? (Row as unknown as new (view: IndexView, i: number) => T);
}

/**
 * The index's rows with those of `open` (results whose runs had not ended, and still have not)
 * as just read: a small index of their own over the same tables (which only grow), and the
 * listing's order with them placed by their start time now.
 */
function overlay<T extends IndexedResult>(
  root: string,
  index: IndexData,
  open: readonly number[],
  read: readonly FolderRow[],
  listedAt: number,
  options: ReadResultsOptions<T>,
): T[] {
  const rows = emptyColumns();
  const records = new Records();
  const builder = new Builder(index.tables);
  for (const row of read) builder.add(rows, row, records);
  const text = records.pieces().whole();
  const fresh: IndexData = {
    root: index.root,
    rootIno: index.rootIno,
    rootMtimeMs: index.rootMtimeMs,
    listedAt: index.listedAt,
    count: read.length,
    rows,
    records: () => text,
    tables: index.tables,
  };
  const make = rowClass(options);
  const views = [viewOf(root, index, listedAt), viewOf(root, fresh, listedAt)] as const;
  const at = new Map(open.map((i, j) => [i, j]));
  const rowAt = (i: number): T => {
    const j = at.get(i);
    return j === undefined ? new make(views[0], i) : new make(views[1], j);
  };
  if (options.order !== 'started') return Array.from({ length: index.count }, (_, i) => rowAt(i));
  const started = (i: number) => {
    const j = at.get(i);
    return (j === undefined ? textAt(index.rows.started, i) : rows.started[j]) ?? '';
  };
  const order = Array.from(startOrder(index)).filter((i) => !at.has(i));
  placeByStart(order, open, started);
  return order.map(rowAt);
}

/**
 * Puts `rows` into `order` (row numbers by start time, then row number: the listing's order)
 * each in its place, found by halving.
 */
function placeByStart(order: number[], rows: readonly number[], started: (i: number) => string): void {
  for (const i of rows) {
    const x = started(i);
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const j = order[mid] as number;
      const y = started(j);
      if (y < x || (y === x && j < i)) lo = mid + 1;
      else hi = mid;
    }
    order.splice(lo, 0, i);
  }
}

/** Up to how many new rows the old order is kept and they are put in it; more, and all are sorted. */
const MERGED_ORDER_MAX = 1000;

/**
 * startOrder of an index made from an old one: the old order of the rows it kept (renumbered),
 * with the rows `added` put in their places by start time, then row number (name order).
 */
function mergedOrder(
  oldOrder: Int32Array,
  renumbered: Int32Array,
  added: readonly number[],
  started: Texts<string | null>,
): Int32Array {
  const order: number[] = [];
  for (let k = 0; k < oldOrder.length; k++) {
    const n = renumbered[oldOrder[k] as number] as number;
    if (n >= 0) order.push(n);
  }
  placeByStart(order, added, (i) => textAt(started, i) ?? '');
  return Int32Array.from(order);
}

/**
 * Row numbers by start time (ISO text: code-unit order is time order), then name: worked out
 * once when the index is written. Rows are in name order, so equal times keep the row order.
 */
function startOrder(index: IndexData): Int32Array {
  if (!index.startOrder) {
    const { started } = index.rows;
    const key = (i: number) => textAt(started, i) ?? '';
    const order = Int32Array.from({ length: index.count }, (_, i) => i);
    order.sort((a, b) => {
      const x = key(a);
      const y = key(b);
      return x < y ? -1 : x > y ? 1 : a - b;
    });
    index.startOrder = order;
  }
  return index.startOrder;
}

/** Where the index of a runs root lives: one file per runs root and per runtime ABI. */
export function indexFile(runsRoot: string): string {
  return join(cacheDir(), `results-${sha256Hex(runsRoot).slice(0, 16)}-${process.versions.modules}.v8`);
}

/** No records: an index of no rows, or one whose records cannot be read. */
const NO_RECORDS = Buffer.alloc(0);

/** Bytes where they lie in an index file, read when asked for (its source keeps the file open). */
interface FilePiece {
  source: IndexSource;
  /** Where they start in the file. */
  at: number;
  byteLength: number;
}

/** A file's bytes, a MiB at a time through the buffer kept for reading: each valid until the next. */
function* chunksOf(piece: FilePiece): Generator<Uint8Array, void, undefined> {
  const size = 1 << 20;
  for (let done = 0; done < piece.byteLength; done += size) {
    const n = Math.min(size, piece.byteLength - done);
    const chunk = scratch(n);
    piece.source.readInto(chunk, 0, n, piece.at + done);
    yield chunk;
  }
}

/**
 * Records as pieces one after the other: bytes in memory, and stretches of the index file they
 * were copied from, read only as they are written (one new result among 100,000 copied the other
 * 33 MB through memory twice) or when the whole is asked for.
 */
class RecordPieces {
  readonly byteLength: number;
  #whole: Buffer | undefined;

  constructor(readonly pieces: readonly (Uint8Array | FilePiece)[]) {
    this.byteLength = pieces.reduce((n, p) => n + p.byteLength, 0);
  }

  /** The pieces' bytes in order, a file's through the buffer kept for reading. */
  *chunks(): Generator<Uint8Array, void, undefined> {
    for (const piece of this.pieces) {
      if (piece instanceof Uint8Array) yield piece;
      else yield* chunksOf(piece);
    }
  }

  /** The records as one buffer, made when first asked for. */
  whole(): Buffer {
    const only = this.pieces.length === 1 ? this.pieces[0] : undefined;
    if (only instanceof Uint8Array) return Buffer.from(only.buffer, only.byteOffset, only.byteLength);
    if (!this.#whole) {
      const out = Buffer.allocUnsafe(this.byteLength);
      let at = 0;
      for (const piece of this.pieces) {
        if (piece instanceof Uint8Array) out.set(piece, at);
        else piece.source.readInto(out, at, piece.byteLength, piece.at);
        at += piece.byteLength;
      }
      this.#whole = out;
    }
    return this.#whole;
  }
}

/**
 * The records being made, in UTF-8: kept rows copy their stretch of the old records (bytes, or
 * where they lie in the old file); rows read now add their texts, encoded a few MiB at a time as
 * they come (while the folders are read, the worker reading on), not all at the end.
 */
class Records {
  readonly #parts: (Uint8Array | FilePiece)[] = [];
  /** Texts added since the last bytes were made, and their length in bytes. */
  #texts: string[] = [];
  #textBytes = 0;
  #length = 0;

  /** Where the next bytes go. */
  get length(): number {
    return this.#length;
  }

  /** Adds a text; returns its length in bytes. */
  addText(text: string): number {
    const n = Buffer.byteLength(text, 'utf8');
    this.#texts.push(text);
    this.#textBytes += n;
    this.#length += n;
    if (this.#textBytes >= TEXTS_ENCODED_FROM) this.#encode();
    return n;
  }

  /** Adds bytes as they are; returns where they start. */
  addBytes(bytes: Uint8Array | FilePiece): number {
    this.#encode();
    const at = this.#length;
    this.#parts.push(bytes);
    this.#length += bytes.byteLength;
    return at;
  }

  /** The texts added so far as one piece of bytes. */
  #encode(): void {
    if (this.#texts.length === 0) return;
    const bytes = Buffer.allocUnsafe(this.#textBytes);
    let at = 0;
    for (const text of this.#texts) at += bytes.write(text, at, 'utf8');
    this.#parts.push(bytes);
    this.#texts = [];
    this.#textBytes = 0;
  }

  /** The records as pieces. */
  pieces(): RecordPieces {
    this.#encode();
    return new RecordPieces(this.#parts.slice());
  }
}

/** Texts of records kept as texts until they are this many bytes, then encoded as one piece. */
const TEXTS_ENCODED_FROM = 4 << 20;

/** The rows of an index, old or just read, and their records' stretch first..next (in bytes). */
interface RowSource {
  rows: Columns | NewColumns;
  records: (first: number, next: number) => Uint8Array | FilePiece;
}

/** Rows start..end (not included) of a source, in the new index one after the other. */
interface RowRun {
  from: RowSource;
  start: number;
  end: number;
}

/**
 * The columns and records text of the rows of `runs`, one after the other: a run's numbers are
 * copied as a block, its texts and records cut out of their joined text in one piece where they
 * follow one another (rows are added in order, so they do), and its places in the records text
 * and the metric values moved by where the run lands.
 */
function joinRuns(runs: readonly RowRun[]): { rows: Columns; records: RecordPieces } {
  const count = runs.reduce((n, r) => n + r.end - r.start, 0);
  const rows = {} as Columns;
  for (const key of COLUMNS) {
    if (key === 'recordAt' || key === 'metricsAt' || key === 'metricValues') continue;
    if (TEXT_COLUMNS.has(key)) {
      rows[key as TextKey] = TextColumn.joined(
        runs.map((r) => [r.from.rows[key as TextKey], r.start, r.end]),
        count,
      ) as never;
      continue;
    }
    const out = FLOAT_COLUMNS.has(key) ? new Float64Array(count) : new Int32Array(count);
    let at = 0;
    for (const { from, start, end } of runs) {
      const column = from.rows[key] as ArrayLike<number | null>;
      if (column instanceof out.constructor) out.set((column as typeof out).subarray(start, end), at);
      // a column being made holds null for no number (NaN as loaded)
      else for (let i = start; i < end; i++) out[at + i - start] = column[i] ?? Number.NaN;
      at += end - start;
    }
    rows[key] = out as unknown as never;
  }
  const recordAt = new Float64Array(count);
  const metricsAt = new Int32Array(count);
  let values = 0;
  for (const { from, start, end } of runs)
    for (let i = start; i < end; i++)
      if ((from.rows.metricsAt[i] as number) >= 0) values += 4 * (from.rows.metricsCount[i] as number);
  const metricValues = new Float64Array(values);
  const records = new Records();
  let row = 0;
  values = 0;
  for (const { from, start, end } of runs) {
    const r = from.rows;
    const length = (i: number) => (r.recordLength[i] as number) + (r.endLength[i] as number);
    for (let i = start; i < end; ) {
      // the longest stretch whose records follow one another: one slice of the text
      const first = r.recordAt[i] as number;
      let next = first + length(i);
      let j = i + 1;
      while (j < end && r.recordAt[j] === next) next += length(j++);
      const base = records.addBytes(from.records(first, next));
      for (let k = i; k < j; k++) recordAt[row + k - start] = base + (r.recordAt[k] as number) - first;
      i = j;
    }
    for (let i = start; i < end; i++, row++) {
      const at = r.metricsAt[i] as number;
      if (at < 0) {
        metricsAt[row] = -1;
        continue;
      }
      metricsAt[row] = values;
      const n = 4 * (r.metricsCount[i] as number);
      for (let k = 0; k < n; k++) metricValues[values++] = r.metricValues[at + k] as number;
    }
  }
  Object.assign(rows, { recordAt, metricsAt, metricValues });
  return { rows, records: records.pieces() };
}

/** Adds rows read from folders, interning what they share into the tables. */
class Builder {
  readonly #known = new Map<string, Map<string, number>>();

  constructor(readonly tables: Tables) {}

  /** The list's index of a text, added when new. */
  #intern(list: 'fileSets' | 'metricNames' | 'scripts' | 'baseHashes', value: string): number {
    const values = this.tables[list];
    const known = this.#knownOf(list, values);
    let id = known.get(value);
    if (id === undefined) {
      id = values.push(value) - 1;
      known.set(value, id);
    }
    return id;
  }

  /** The JSON table's index of an object given as its text, added when new. */
  #internJson(name: 'configs' | 'defaults', text: string): number {
    const table = this.tables[name];
    const known = this.#knownOf(name, table.texts());
    let id = known.get(text);
    if (id === undefined) {
      id = table.push(text);
      known.set(text, id);
      // a new config's flat form: the entry of the same number
      if (name === 'configs') {
        const flat = Object.fromEntries(flattenConfig(table.at(id) as JsonObject));
        if (this.tables.flats.push(JSON.stringify(flat), flat) !== id)
          throw new Error('the flat configs are torn');
        this.tables.addConfigKeys(flat);
      } else this.tables.addConfigKeys(table.at(id) as JsonObject);
    }
    return id;
  }

  #knownOf(name: string, texts: readonly string[]): Map<string, number> {
    let known = this.#known.get(name);
    if (!known) {
      known = new Map(texts.map((t, i) => [t, i]));
      this.#known.set(name, known);
    }
    return known;
  }

  add(rows: NewColumns, r: FolderRow, records: Records): void {
    rows.name.push(r.name);
    rows.ino.push(r.ino);
    rows.mtimeMs.push(r.mtimeMs);
    rows.final.push(r.final ? 1 : 0);
    rows.files.push(this.#intern('fileSets', r.fileSet));
    rows.status.push(STATUS_IDS.get(r.status) as number);
    rows.reason.push(r.reason);
    rows.started.push(r.started);
    rows.configName.push(r.configName);
    rows.exitCode.push(r.exitCode);
    rows.duration.push(r.duration);
    rows.recordAt.push(records.length);
    rows.recordLength.push(records.addText(r.record));
    rows.endLength.push(records.addText(r.end));
    rows.config.push(r.config === null ? -1 : this.#internJson('configs', r.config));
    rows.defaults.push(this.#internJson('defaults', r.defaults));
    const m = r.metrics;
    rows.metricsAt.push(m.length ? rows.metricValues.length : -1);
    rows.metricsCount.push(m.length / 4);
    for (let k = 0; k < m.length; k += 4)
      rows.metricValues.push(
        this.#intern('metricNames', m[k] as string),
        m[k + 1] as number,
        m[k + 2] as number,
        m[k + 3] as number,
      );
    rows.skipped.push(r.skipped);
    rows.runId.push(r.runId);
    rows.ended.push(r.ended);
    rows.baseHash.push(r.baseHash === null ? -1 : this.#intern('baseHashes', r.baseHash));
    rows.script.push(r.script === null ? -1 : this.#intern('scripts', r.script));
    rows.sources.push(r.sources);
  }
}

/**
 * A result folder as the index takes it in: numbers and texts only (records, config and
 * defaults as JSON), so that a worker thread reading folders sends it cheaply.
 */
interface FolderRow {
  name: string;
  ino: number;
  mtimeMs: number;
  final: boolean;
  /** The folder's file names joined by '/'. */
  fileSet: string;
  status: RunStatus;
  reason: string;
  started: string | null;
  configName: string | null;
  exitCode: number | null;
  duration: number | null;
  /** Checked<RunRecord> and Checked<EndRecord> as JSON. */
  record: string;
  end: string;
  /** config.json as JSON, null when it is not an object. */
  config: string | null;
  defaults: string;
  /** Each metric's name, last, best and count, one after the other. */
  metrics: (string | number)[];
  skipped: number;
  /** RunFacts, each null when there is none: */
  runId: string | null;
  ended: string | null;
  /** the config the run was made from: its base hash, name and file as JSON */
  baseHash: string | null;
  /** the script's path and hash joined by NUL */
  script: string | null;
  /** the sources as JSON */
  sources: string | null;
}

/** A folder read, as a row: what the index keeps of it. */
function rowOf(r: FolderRead, st: { ino: number; mtimeMs: number }): FolderRow {
  const final =
    (r.status === 'done' || r.status === 'failed' || r.status === 'interrupted') &&
    r.record.value !== undefined &&
    !r.record.damage &&
    !r.end.damage;
  const facts = runFacts(r.record.value, r.end.value);
  return {
    name: r.name,
    ino: st.ino,
    mtimeMs: st.mtimeMs,
    final,
    fileSet: r.files.join('/'),
    status: r.status,
    reason: r.reason,
    started: r.record.value?.started_at ?? null,
    configName: r.record.value?.config?.name ?? null,
    exitCode: r.end.value?.exit_code ?? null,
    duration: r.end.value?.duration_s ?? null,
    // an ended run's record keeps what the listings and the graph read: the index stays small
    record: JSON.stringify(final && r.record.value ? { value: slim(r.record.value) } : r.record),
    end: JSON.stringify(r.end),
    config: r.config ? JSON.stringify(r.config) : null,
    defaults: JSON.stringify(r.defaults),
    metrics: Object.entries(r.metrics).flatMap(([key, m]) => [key, m.last, m.best, m.count]),
    skipped: r.metrics_skipped,
    runId: facts?.id ?? null,
    ended: facts?.ended_at ?? null,
    // the config the run was made from: results of one config share the entry
    baseHash:
      facts && (facts.base_hash !== null || facts.config_name !== null || facts.config_file !== null)
        ? JSON.stringify([facts.base_hash, facts.config_name, facts.config_file])
        : null,
    script: facts?.script ? `${facts.script.path}\0${facts.script.sha256}` : null,
    sources: facts?.sources.length ? JSON.stringify(facts.sources) : null,
  };
}

/**
 * How the last reading went (tests and benchmarks look): the folders its worker thread read, and
 * whether the index was trusted as it was (no folder looked at).
 */
export const lastReading = { byWorker: 0, statedByWorker: 0, trusted: false };

/** Below this many folders to read, a worker thread costs more to start than it saves. */
const PARALLEL_FROM = 2000;
/** Folders a thread takes at a time. */
const BATCH = 256;
/** A worker that sends nothing for this long is given up on, and its folders read here. */
const STALL_MS = 60_000;

/**
 * Reads folders for the index: in this thread, and from `parallelFrom` folders on in a worker
 * thread beside it (on a machine with more than one core). The two take batches of 256 from one
 * shared counter; the worker sends its rows through a message port, and this thread waits for
 * them without an event loop (Atomics.wait, receiveMessageOnPort), so readResults stays
 * synchronous. A worker that fails or stalls costs nothing but time: its batches are read here.
 * `ready(rows, count)` is told, between this thread's batches, each time the rows read without a
 * gap from the first grow to `count`, so that the caller makes them while the worker reads on.
 */
function readRows(
  root: string,
  names: readonly string[],
  parallelFrom: number,
  workerFirst = false,
  ready: (rows: (FolderRow | undefined)[], count: number) => void = () => {},
): (FolderRow | undefined)[] {
  if (names.length < parallelFrom || os.availableParallelism() < 2)
    return names.map((name) => readRow(root, name));
  const out = new Array<FolderRow | undefined>(names.length);
  const batches = Math.ceil(names.length / BATCH);
  const done = new Uint8Array(batches);
  const place = (batch: number, rows: (FolderRow | undefined)[]) => {
    rows.forEach((row, k) => {
      out[batch * BATCH + k] = row;
    });
    done[batch] = 1;
  };
  // the batches read so far without a gap, from the first: the caller may take those rows
  let through = 0;
  const more = () => {
    const was = through;
    while (through < batches && done[through]) through++;
    if (through > was) ready(out, Math.min(through * BATCH, names.length));
  };
  const threads = process.getBuiltinModule('node:worker_threads');
  // [0]: the next batch to take; [1]: batches the worker has sent
  const shared = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new threads.MessageChannel();
  const worker = startWorker({ reproReadFolders: { root, names, shared, port: port2 } }, [port2]);
  lastReading.byWorker = 0;
  const take = () => {
    for (let m = threads.receiveMessageOnPort(port1); m; m = threads.receiveMessageOnPort(port1)) {
      const { batch, rows } = m.message as { batch: number; rows: (FolderRow | undefined)[] };
      place(batch, rows);
      lastReading.byWorker += rows.length;
    }
  };
  try {
    if (workerFirst) Atomics.wait(shared, 1, 0, STALL_MS);
    // the worker's rows are taken between this thread's batches, while it reads on: not all at
    // the end, when it has nothing left to do
    eachClaimed(shared, batches, (b) => {
      place(b, readBatch(root, names, b));
      take();
      more();
    });
    // the worker's last batches: wait while it sends, read here what it left
    awaitWorker(shared, batches, () => done.includes(0), take);
    done.forEach((d, b) => {
      if (!d) place(b, readBatch(root, names, b));
    });
  } finally {
    port1.close();
    void worker.terminate();
  }
  return out;
}

/**
 * A worker thread (results-worker.ts) given `data` (readRows, statFolders), never keeping the
 * process alive; one that fails takes no batch, or leaves the one it took to this thread. Its
 * entry is a file of its own (dist/results-worker.js), the same whether this code runs from the
 * CLI's chunks, from `repro run`'s own file (dist/fast.js, where this module is initialised only
 * when first imported) or from the library.
 */
function startWorker(data: object, transferList: import('node:worker_threads').Transferable[] = []) {
  const threads = process.getBuiltinModule('node:worker_threads');
  // the sources under a test runner: TypeScript, loaded through tsx's hooks
  const entry = import.meta.url.endsWith('.ts')
    ? `require(${JSON.stringify(packageRequire().resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(fileURLToPath(new URL('./results-worker.ts', import.meta.url)))});`
    : distFile('results-worker.js');
  const worker = new threads.Worker(entry, {
    eval: entry.startsWith('require('),
    workerData: data,
    transferList,
  });
  worker.on('error', () => {});
  worker.unref();
  return worker;
}

/** Below this many folders to stat, a worker thread costs more to start than it saves. */
const STAT_PARALLEL_FROM = 10_000;
/** Folders a thread stats at a time. */
const STAT_BATCH = 1024;

/** Each folder's inode and modification time; NaN for one that is gone or is no folder. */
interface FolderStats {
  ino: Float64Array;
  mtimeMs: Float64Array;
}

/**
 * Stats folders (updateIndex: is each ended result it keeps still the folder it read?): in this
 * thread, and from `parallelFrom` folders on in a worker beside it, both writing into shared
 * memory by batches claimed from one counter. A stat costs ~5 µs on some hosts, and a new
 * result under 100,000 stats every one of them. A worker that fails or stalls leaves its
 * batches to this thread.
 */
function statFolders(
  root: string,
  names: readonly string[],
  parallelFrom: number,
  workerFirst = false,
): FolderStats {
  const parallel = names.length >= parallelFrom && os.availableParallelism() >= 2;
  const memory = (bytes: number) => (parallel ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const stats: FolderStats = {
    ino: new Float64Array(memory(names.length * 8)),
    mtimeMs: new Float64Array(memory(names.length * 8)),
  };
  const batches = Math.ceil(names.length / STAT_BATCH);
  lastReading.statedByWorker = 0;
  if (!parallel) {
    for (let b = 0; b < batches; b++) statBatch(root, names, b, stats);
    return stats;
  }
  // [0]: the next batch to take; [1]: batches the worker has done; then 1 for each batch done
  const shared = new Int32Array(new SharedArrayBuffer(4 * (2 + batches)));
  const worker = startWorker({ reproStatFolders: { root, names, shared, ...stats } });
  try {
    if (workerFirst) Atomics.wait(shared, 1, 0, STALL_MS);
    eachClaimed(shared, batches, (b) => {
      statBatch(root, names, b, stats);
      Atomics.store(shared, 2 + b, 1);
    });
    // the worker's last batches: wait while it goes on, stat here what it left
    const left = (b: number) => Atomics.load(shared, 2 + b) === 0;
    awaitWorker(shared, batches, () => Array.from({ length: batches }, (_, b) => b).some(left));
    for (let b = 0; b < batches; b++) if (left(b)) statBatch(root, names, b, stats);
    lastReading.statedByWorker = Atomics.load(shared, 1);
  } finally {
    void worker.terminate();
  }
  return stats;
}

function statBatch(root: string, names: readonly string[], batch: number, stats: FolderStats): void {
  const prefix = join(root, '/');
  const end = Math.min(names.length, (batch + 1) * STAT_BATCH);
  for (let k = batch * STAT_BATCH; k < end; k++) {
    const st = fs.statSync(`${prefix}${names[k]}`, { throwIfNoEntry: false });
    const folder = st?.isDirectory() ? st : undefined;
    stats.ino[k] = folder?.ino ?? Number.NaN;
    stats.mtimeMs[k] = folder?.mtimeMs ?? Number.NaN;
  }
}

/** In a worker thread started by statFolders: stats batches until none is left. */
function statInWorker(work: { root: string; names: string[]; shared: Int32Array } & FolderStats): void {
  const { root, names, shared } = work;
  eachClaimed(shared, Math.ceil(names.length / STAT_BATCH), (b) => {
    statBatch(root, names, b, work);
    Atomics.store(shared, 2 + b, 1);
    Atomics.add(shared, 1, 1);
    Atomics.notify(shared, 1);
  });
}

/**
 * Waits while the worker goes on with the batches it claimed (`shared[1]` counts those it has
 * done, `take` collects what it sent), until none is `left` or it has done nothing for STALL_MS;
 * then no batch is claimed any more, so that each one left is this thread's alone.
 */
function awaitWorker(shared: Int32Array, batches: number, left: () => boolean, take = () => {}): void {
  let seen = Atomics.load(shared, 1);
  let since = Date.now();
  for (take(); left() && Date.now() - since < STALL_MS; take()) {
    if (Atomics.wait(shared, 1, seen, 100) !== 'timed-out' || Atomics.load(shared, 1) !== seen) {
      seen = Atomics.load(shared, 1);
      since = Date.now();
    }
  }
  Atomics.store(shared, 0, batches);
}

/** Calls `read` with each batch this thread claims from the counter it shares with the other. */
function eachClaimed(shared: Int32Array, batches: number, read: (batch: number) => void): void {
  for (let b = Atomics.add(shared, 0, 1); b < batches; b = Atomics.add(shared, 0, 1)) read(b);
}

/** The folders of one batch, read. */
function readBatch(root: string, names: readonly string[], batch: number): (FolderRow | undefined)[] {
  return names.slice(batch * BATCH, (batch + 1) * BATCH).map((name) => readRow(root, name));
}

/** In a worker thread started by readRows: takes batches until none is left. */
function readInWorker(work: {
  root: string;
  names: string[];
  shared: Int32Array;
  port: import('node:worker_threads').MessagePort;
}): void {
  const { root, names, shared, port } = work;
  eachClaimed(shared, Math.ceil(names.length / BATCH), (b) => {
    port.postMessage({ batch: b, rows: readBatch(root, names, b) });
    Atomics.add(shared, 1, 1);
    Atomics.notify(shared, 1);
  });
  port.close();
}

/** What a worker thread started by startWorker does with its `workerData` (results-worker.ts). */
export function workInThread(data: {
  reproReadFolders?: Parameters<typeof readInWorker>[0];
  reproStatFolders?: Parameters<typeof statInWorker>[0];
}): void {
  if (data?.reproReadFolders) readInWorker(data.reproReadFolders);
  if (data?.reproStatFolders) statInWorker(data.reproStatFolders);
}

/** Stats and reads one folder; undefined when it is gone or is no result. */
function readRow(root: string, name: string): FolderRow | undefined {
  const dir = join(root, name);
  const st = fs.statSync(dir, { throwIfNoEntry: false });
  if (!st?.isDirectory()) return undefined;
  const read = readFolder(dir, name);
  return read && rowOf(read, st);
}

/** What the rows of one reading share. */
export interface IndexView {
  root: string;
  /**
   * The index's digest (its parts' checksums), when these rows are the whole index as its file
   * has it and every run in it has ended: what is worked out from them alone holds while the
   * stamp does (graph/verdicts.ts keeps the staleness so).
   */
  stamp?: string;
  /** The runs root with a separator: a folder name joined to it is its path. */
  prefix: string;
  /** When the index was read: a running result's duration so far is counted to it. */
  listedAt: number;
  rows: Columns;
  records: () => Buffer | undefined;
  tables: Tables;
  /** A file list's Set, made once for every row that shares it. */
  fileSets: Map<number, ReadonlySet<string>>;
  /** Each metric name's number in tables.metricNames, made when first asked for. */
  metricIds?: Map<string, number>;
  /**
   * Rows' parsed records and metric summaries by row number, made when asked for: kept here,
   * not on the rows, so that a row is two fields (100,000 of them are made for every listing,
   * and on some hosts each byte of memory first touched costs).
   */
  parsed?: (ParsedRecords | undefined)[];
  metrics?: (Record<string, MetricSummary> | undefined)[];
  /** A listing's staleness of each row (RunSummary.stale), by row number, when checked. */
  stale?: (string[] | undefined)[];
  /**
   * Kept staleness verdicts of every row (graph/verdicts.ts), each looked up when asked for
   * where `stale` has none: a listing written again as it was asks for none of 100,000.
   */
  verdicts?: { ids: Int32Array; lists: readonly string[][] };
  /** RunFacts.script of each entry of tables.scripts, made when first asked for. */
  scripts?: NonNullable<RunFacts['script']>[];
  /** The base hash, config name and file of each entry of tables.baseHashes, parsed when first asked for. */
  bases?: [string | null, string | null, string | null][];
}

type ParsedRecords = { record: Checked<RunRecord>; end: Checked<EndRecord> };

/** A row's two records from the records text, or from the folder when the index has none of its own. */
function parsedRecords(row: Row): ParsedRecords {
  const { view, i } = row;
  view.parsed ??= [];
  let got = view.parsed[i];
  if (got) return got;
  const { rows } = view;
  const bytes = view.records();
  if (bytes === undefined) got = readRecordFiles(join(view.root, row.name), row.files);
  else {
    const at = rows.recordAt[i] as number;
    const split = at + (rows.recordLength[i] as number);
    got = {
      record: JSON.parse(bytes.toString('utf8', at, split)) as Checked<RunRecord>,
      end: JSON.parse(
        bytes.toString('utf8', split, split + (rows.endLength[i] as number)),
      ) as Checked<EndRecord>,
    };
  }
  view.parsed[i] = got;
  return got;
}

/**
 * The one empty config or defaults of every row that has none: a listing tells configs apart by
 * their objects (runConfigs), and 100,000 fresh empty ones made it compare 100,000.
 */
const NONE: JsonObject = Object.freeze({});

/** One result of the index: its fields read from the columns, its records parsed when asked for. */
/**
 * The stamp of the results index when `runs` are its rows, each once, as listRunViews gives them
 * (every run in them ended: IndexView.stamp), else undefined: what a listing of them is a
 * function of, with the options it was asked with.
 */
export function indexStamp(runs: readonly unknown[]): string | undefined {
  const first = runs[0];
  if (!(first instanceof Row)) return undefined;
  const { view } = first;
  if (!view.stamp || runs.length !== view.rows.final.length) return undefined;
  // an indexed loop over a field: for-of and instanceof took ~18 ms of 100,000 before V8 compiled them
  for (let k = 0; k < runs.length; k++) if ((runs[k] as Row).view !== view) return undefined;
  return view.stamp;
}

/** The reasons of every result that is not stale: one list, never changed. */
export const NOT_STALE: string[] = Object.freeze([]) as unknown as string[];

export class Row implements IndexedResult {
  constructor(
    readonly view: IndexView,
    readonly i: number,
  ) {}

  get name(): string {
    return textAt(this.view.rows.name, this.i);
  }
  /**
   * Why the result is stale, when a listing checked (RunSummary.stale): kept by the rows' view,
   * for a field added to 100,000 rows (each then made anew by V8 with room for it) cost a tenth
   * of a listing's check.
   */
  get stale(): string[] | undefined {
    const set = this.view.stale?.[this.i];
    if (set !== undefined) return set;
    const kept = this.view.verdicts;
    if (!kept) return undefined;
    const id = kept.ids[this.i] as number;
    return id >= 0 ? (kept.lists[id] as string[]) : NOT_STALE;
  }
  set stale(reasons: string[] | undefined) {
    this.view.stale ??= [];
    this.view.stale[this.i] = reasons;
  }
  get files(): ReadonlySet<string> {
    const id = this.view.rows.files[this.i] as number;
    let set = this.view.fileSets.get(id);
    if (!set) {
      set = new Set((this.view.tables.fileSets[id] as string).split('/').filter(Boolean));
      this.view.fileSets.set(id, set);
    }
    return set;
  }
  get record(): Checked<RunRecord> {
    return parsedRecords(this).record;
  }
  get end(): Checked<EndRecord> {
    return parsedRecords(this).end;
  }
  get config(): JsonObject | null {
    const id = this.view.rows.config[this.i] as number;
    return id < 0 ? null : (this.view.tables.configs.at(id) as JsonObject);
  }
  get flat(): JsonObject {
    const id = this.view.rows.config[this.i] as number;
    return id < 0 ? NONE : (this.view.tables.flats.at(id) as JsonObject);
  }
  get status(): RunStatus {
    return STATUSES[this.view.rows.status[this.i] as number] as RunStatus;
  }
  get reason(): string {
    return textAt(this.view.rows.reason, this.i);
  }
  get started_at(): string | null {
    return textAt(this.view.rows.started, this.i) ?? null;
  }
  get config_name(): string | null {
    return textAt(this.view.rows.configName, this.i) ?? null;
  }
  get exit_code(): number | null {
    return orNull(this.view.rows.exitCode[this.i]);
  }
  get duration_s(): number | null {
    return orNull(this.view.rows.duration[this.i]);
  }
  get defaults(): JsonObject {
    return this.view.tables.defaults.at(this.view.rows.defaults[this.i] as number) ?? NONE;
  }
  get metrics(): Record<string, MetricSummary> {
    const { view, i } = this;
    view.metrics ??= [];
    let out = view.metrics[i];
    if (!out) {
      const { rows, tables } = view;
      const at = rows.metricsAt[i] as number;
      if (at < 0) return NO_METRICS;
      const v = rows.metricValues;
      out = Object.create(null) as Record<string, MetricSummary>;
      for (let k = 0; k < (rows.metricsCount[i] as number); k++) {
        const j = at + 4 * k;
        out[tables.metricNames[v[j] as number] as string] = {
          last: v[j + 1] as number,
          best: v[j + 2] as number,
          count: v[j + 3] as number,
        };
      }
      view.metrics[i] = out;
    }
    return out;
  }
  get metrics_skipped(): number {
    return this.view.rows.skipped[this.i] as number;
  }
  get facts(): RunFacts | null {
    const { rows, tables } = this.view;
    const { i } = this;
    const started_at = textAt(rows.started, i);
    if (started_at === null) return null;
    const id = rows.script[i] as number;
    let script: RunFacts['script'] = null;
    if (id >= 0) {
      // one object for each script: the graph knows a script it has checked by it
      this.view.scripts ??= [];
      script = this.view.scripts[id] ?? null;
      if (!script) {
        const [path = '', sha256 = ''] = (tables.scripts[id] as string).split('\0');
        script = this.view.scripts[id] = { path, sha256 };
      }
    }
    const sources = textAt(rows.sources, i);
    const baseHash = rows.baseHash[i] as number;
    let base: [string | null, string | null, string | null] = [null, null, null];
    if (baseHash >= 0) {
      this.view.bases ??= [];
      base = this.view.bases[baseHash] ??= JSON.parse(tables.baseHashes[baseHash] as string);
    }
    return {
      id: textAt(rows.runId, i),
      started_at,
      ended_at: textAt(rows.ended, i),
      base_hash: base[0],
      config_name: base[1],
      config_file: base[2],
      script,
      sources: sources === null ? NO_SOURCES : (JSON.parse(sources) as RunFacts['sources']),
    };
  }
  /** False when no config or defaults of the index has this key (RunFields.mayHaveKey). */
  mayHaveKey(key: string): boolean {
    return this.view.tables.hasConfigKey(key);
  }
  /** One metric's last (or best) value from the columns (RunFields.metricValue). */
  metricValue(name: string, best: boolean): number | undefined {
    const { view } = this;
    const { rows } = view;
    const at = rows.metricsAt[this.i] as number;
    if (at < 0) return undefined;
    if (!view.metricIds) {
      const names = view.tables.metricNames;
      view.metricIds = new Map(names.map((n, id) => [n, id]));
    }
    const id = view.metricIds.get(name);
    if (id === undefined) return undefined;
    const v = rows.metricValues;
    const end = at + 4 * (rows.metricsCount[this.i] as number);
    for (let j = at; j < end; j += 4) if (v[j] === id) return v[j + (best ? 2 : 1)] as number;
    return undefined;
  }
}

/** The metrics of every result that logged none: one shared object, never changed. */
const NO_METRICS: Record<string, MetricSummary> = Object.freeze({}) as Record<string, MetricSummary>;

/** A nullable number of a column (NaN in a loaded index). */
function orNull(v: number | null | undefined): number | null {
  return v === null || v === undefined || Number.isNaN(v) ? null : v;
}

/** One result folder as read from disk. */
interface FolderRead {
  name: string;
  files: string[];
  record: Checked<RunRecord>;
  end: Checked<EndRecord>;
  config: JsonObject | null;
  status: RunStatus;
  reason: string;
  defaults: JsonObject;
  metrics: Record<string, MetricSummary>;
  metrics_skipped: number;
}

/** Reads one result folder: one listing, then only the files it has; undefined when it is no result (no config.json). */
function readFolder(dir: string, name: string): FolderRead | undefined {
  let files: string[];
  try {
    // a file still being written under its temporary name is not one of the folder's files
    files = fs.readdirSync(dir).filter((f) => !isWriting(f));
  } catch {
    return undefined;
  }
  const has = new Set(files);
  if (!has.has(RUN_FILES.config)) return undefined;
  // open only the files the folder has: a failed open costs an exception
  const text = (f: string): string | undefined => {
    if (!has.has(f)) return undefined;
    try {
      return fs.readFileSync(join(dir, f), 'utf8');
    } catch {
      return undefined;
    }
  };
  const json = (f: string): unknown => {
    if (!has.has(f)) return undefined;
    try {
      return parseJsonFile(join(dir, f));
    } catch {
      return undefined;
    }
  };
  const raw = json(RUN_FILES.config);
  const config = isJsonObject(raw) ? raw : null;
  const effective = json(RUN_FILES.effective) as { defaults?: unknown } | undefined;
  const metricsText = text(RUN_FILES.metrics);
  const rows = metricsText ? parseMetricsCounted(metricsText) : { rows: [], skipped: 0 };
  const records = readRecordFiles(dir, has);
  const state = config
    ? judgeRunState(dir, records)
    : {
        status: 'damaged' as const,
        reason: `${RUN_FILES.config} is ${raw === undefined ? 'not JSON' : 'not an object'}`,
      };
  return {
    name,
    files,
    record: records.record,
    end: records.end,
    config,
    status: state.status,
    reason: state.reason,
    defaults: isJsonObject(effective) && isJsonObject(effective.defaults) ? effective.defaults : {},
    metrics: summarizeMetrics(rows.rows),
    metrics_skipped: rows.skipped,
  };
}

/**
 * The fields of an ended run's start record that the listings, the graph and its status read
 * (which config, which script, which sources, when): the rest (host, process, packages,
 * environment) matters only while a run has not ended, and the index stays small.
 */
function slim(r: RunRecord): RunRecord {
  const { format, id, name, config, script, sources, started_at } = r;
  return {
    format,
    id,
    name,
    config,
    script: script && { path: script.path, sha256: script.sha256 },
    sources,
    started_at,
  } as RunRecord;
}

/** The index as last loaded or written in this process (`ls` lists, then its graph asks again). */
const parsed = new ParsedFile<IndexData | undefined>();

function loadIndex(file: string, root: string): IndexData | undefined {
  return parsed.get(file, () => openIndex(file, root));
}
