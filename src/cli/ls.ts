import { differingKeys, runConfigs } from '../compare/diff.ts';
import { X_KEYS } from '../compare/metrics.ts';
import {
  FIXED_KEYS,
  hasKey,
  knownKeys,
  listRunViews,
  matches,
  parseWhere,
  type RunSummary,
  sortRuns,
  stringifyNumbersPieces,
  valueReader,
  withUpstream,
} from '../compare/runs.ts';
import { fittedPieces, formatValue, truncate } from '../compare/table.ts';
import type { Json } from '../config/json.ts';
import { UsageError } from '../errors.ts';
import type { ProjectGraph, StatedConfigs } from '../graph/graph.ts';
import { nearestNames } from '../hints.ts';
import type { Project } from '../project/project.ts';
import { indexStamp } from '../project/results.ts';
import { atticDir } from '../run/attic.ts';
import { formatSeconds } from '../run/format.ts';
import { reproVersion } from '../version.ts';
import { keptListings, type ListingKey, listingKey, recorder, replay } from './replay.ts';
import { REMOTE_OPTIONS, resultSource, slurmLabelsOf } from './source.ts';
import { type CommandContext, defineCommand, writeAll } from './spec.ts';

export default defineCommand({
  name: 'ls',
  summary: 'list result folders with their status',
  api: ['listRuns'],
  description: `Lists the result folders under the runs root: name, status, start time, duration, the config keys that differ across the listed runs, and for each logged metric its last value (loss) and its best (loss.best). Best is the largest value for metrics whose name has a word such as acc, accuracy, f1, precision, recall, auc, score, reward, iou, map, bleu, rouge, r2, psnr, ssim, topN or ndcg (val_acc, f1/test), else the smallest; NaN is never best.

Status is done, failed or interrupted from end.json; a folder without one is running while its process lives and crashed when it does not; a folder whose records are not records is damaged, with the reason below the table (docs/results.md). A done result built on something that changed since (its config, its script, its input data, or an upstream result, as repro status tells) shows as "done, stale", and --json gives the reasons in "stale"; --no-stale skips that check. The check's answer is kept in the same cache folder with what it rests on (the results index, each config file's size, time and inode, each script's hash, the input data's reasons, checked again every time) and read again while all of that holds; after a change but a script's, only the results it touches (a config, a result new, gone or replaced, its data) and what is downstream of them are worked out again. A run still going means it is worked out at every listing.

--where and --sort take a key: name, status, a config key (a default the script used counts), a metric (its last value) or metric.best; --sort also started and duration. A metric named like a config key is metric:<name> (and config:<key> the config's). An unknown key is an error naming the closest ones.

--upstream adds, to each run, the configs of the results it was built on, through the whole chain, as <stage>.<key> columns: an evaluation row gets model.gamma and data.seed, so repro ls --upstream --sort=-accuracy answers which gamma won. The stage is the upstream config's name without a sweep's trailing digits (model3 -> model); a nearer upstream wins a clash. --where, --sort, --columns, --json and --csv take those columns. --json prints name, dir, status, reason, config_name, started_at, duration_s, exit_code, config (flat dotted keys), defaults, metrics ({"loss": {"last", "best", "count"}}; NaN and infinities as strings).

The listing comes from the results index in $XDG_CACHE_HOME/repro (else ~/.cache/repro), which status, make, check and the dashboard share; deleting it loses nothing. An ended result never changes, so it is read once; a result whose run has not ended is read every time (a run can crash without touching a file); a folder added, removed or replaced in the runs root changes the root's time, and then every ended result's folder is stat'ed again (a record removed by hand shows then; --no-cache reads every folder now). A listing reads only the parts of the index it needs, each checked against its checksum: a damaged one is removed and the folders read again. A wide table is cut into blocks of columns that fit the terminal, each repeating the name.

A listing of 10,000 results or more, asked for a second time, is kept in the same folder with everything it is made from (the index, the staleness verdicts, the options, the terminal's width), and while all of that holds it is written again as it was, checked against its checksum, instead of being made: at 100,000 results ~0.5 s instead of ~1.3 s. Up to eight are kept per project (256 MiB), the most recently asked; a change to the index or the verdicts lets go of them. A run still going means none is kept; --no-cache neither uses nor keeps one.`,
  args: [
    {
      name: 'targets',
      variadic: true,
      description: 'list only these results: names, globs or folders (see Targets)',
    },
  ],
  options: {
    where: {
      type: 'string',
      value: 'K=V',
      multiple: true,
      description:
        'keep runs where K equals V; also K!=V, and K>V, K<V, K>=V, K<=V for numbers (repeatable; all must hold)',
    },
    sort: {
      type: 'string',
      value: 'KEY',
      description: 'sort by a key; --sort=-KEY for descending; runs without it go last',
    },
    columns: {
      type: 'string',
      value: 'A,B,...',
      description: 'the columns, from the same keys plus started, duration, reason',
    },
    limit: { type: 'integer', description: 'show the first N after filtering and sorting' },
    json: { type: 'boolean', description: 'the runs as JSON' },
    csv: { type: 'boolean', description: 'the table as RFC 4180 CSV' },
    attic: {
      type: 'boolean',
      description: 'list the results moved aside into the attic (repro rm, --retry, --rebuild)',
    },
    'no-stale': {
      type: 'boolean',
      description:
        'skip the staleness check (configs, scripts, data, upstream results): faster on a large project',
    },
    upstream: {
      type: 'boolean',
      description:
        'add the configs of the results each run was built on, as <stage>.<key> columns (model.gamma on an evaluation)',
    },
    'no-cache': {
      type: 'boolean',
      description: 'read every folder again, without the results index',
    },
    ...REMOTE_OPTIONS,
  },
  examples: [
    "repro ls --sort=-accuracy --where 'accuracy>0.9'",
    'repro ls --upstream --columns name,model.gamma,model.C,accuracy --sort=-accuracy',
    'repro ls --columns name,lr,loss --csv > runs.csv',
  ],
  async run({ args, options }, ctx) {
    const filters = (options.where ?? []).map(parseWhere);
    const project = inAttic(await resultSource(options, ctx).project(), options.attic);
    // the attic and the store have no configs to be stale against; the graph is read once, for
    // the staleness and the targets both
    const checkStale = !options.attic && !options.db && !options['no-stale'];
    // the graph's modules load only when asked for: a listing with --no-stale starts without
    // them, and one whose kept verdicts hold (graph/verdicts.ts) reads no graph for staleness
    const graphModule = checkStale || args.length ? await import('../graph/graph.ts') : undefined;
    // the staleness check rests on every config file's stat: taken before the results are read
    // (10,000 of them took ~0.15 s here after the index was read, ~0.1 s before)
    const configStats = checkStale ? graphModule?.statConfigs(project) : undefined;
    const all = await listRunViews({ cache: !options['no-cache'], project });
    const loadGraph = graphModule?.loadGraph;
    let loaded: ProjectGraph | undefined;
    // the configs as stat'ed above, unless markStale gives its own (the targets' graph too)
    const graph = (configs: StatedConfigs | undefined = configStats) => {
      loaded ??= (loadGraph as NonNullable<typeof loadGraph>)(project, { links: false, configs });
      return loaded;
    };
    const verdicts = checkStale
      ? await (await import('../graph/verdicts.ts')).markStale(project, all, graph, configStats)
      : undefined;
    // stages submitted to SLURM: a running one says its job; queued ones have no folder yet
    const slurm = options.attic || options.db ? new Map() : await slurmLabelsOf(project, ctx.env);
    // a big listing asked again while nothing it shows changed is written as it was (replay.ts)
    keptListings.last = '';
    const kept =
      all.length >= keptListings.from && !args.length && !slurm.size && !options.db && !options['no-cache']
        ? keptKey(project, all, checkStale, verdicts, options, ctx)
        : undefined;
    if (kept && (await replay(kept, ctx))) return 0;
    const recorded = kept ? recorder(kept, ctx) : undefined;
    const list = async (out: CommandContext): Promise<number> => {
      const named = args.length
        ? await chosen(options.attic ? undefined : graph(), all, args, ctx.cwd)
        : undefined;
      const listed = options.upstream ? withUpstream(all, all) : all;
      const columns = options.columns
        ?.split(',')
        .map((c) => c.trim())
        .filter(Boolean);
      checkKeys(listed, [
        ...filters.map((f) => ['--where', f.key]),
        ...(options.sort ? [['--sort', options.sort.replace(/^-/, '')]] : []),
        ...(columns ?? []).map((c) => ['--columns', c]),
      ]);
      let runs =
        named || filters.length
          ? listed.filter((r) => (!named || named.has(r.name)) && filters.every((f) => matches(r, f)))
          : listed;
      if (!options.json) warnDamage(runs, out);
      const stale = checkStale ? runs.filter((r) => r.stale?.length).length : 0;
      if (stale && !options.json)
        out.stderr.write(
          `${stale} result${stale === 1 ? ' is' : 's are'} stale: built on a config, script, data or upstream result that changed since (repro status says why)\n`,
        );
      const folders = slurm.size ? new Set(all.map((r) => r.name)) : new Set<string>();
      const queued = [...slurm].filter(([name, s]) => s.label && !folders.has(name));
      if (queued.length && !options.json)
        out.stderr.write(
          `${queued.length} stage${queued.length === 1 ? '' : 's'} submitted to SLURM without a folder yet: ${queued.map(([name, s]) => `${name} ${s.label}`).join(', ')}\n`,
        );
      // the first --limit of the sort are found without sorting the rest
      if (options.sort) runs = sortRuns(runs, options.sort, options.limit);
      if (options.limit !== undefined) runs = runs.slice(0, Math.max(0, options.limit));
      if (options.json) {
        await writeAll(out.stdout, stringifyNumbersPieces(runs));
        out.stdout.write('\n');
        return 0;
      }
      if (runs.length === 0) {
        out.stderr.write(
          filters.length
            ? 'no result matches\n'
            : 'no results yet (repro run configs/<name>.json makes one)\n',
        );
        return 0;
      }
      const shown = columns ?? defaultColumns(runs, options.upstream);
      // a value shown on many rows (a config's) is formatted once
      const shownValues = new Map<string | number | boolean, string>();
      const format = (column: string, v: Json | undefined, csv: boolean): string => {
        if (v === undefined) return csv ? '' : '—';
        if (csv) return typeof v === 'number' ? String(v) : formatValue(v);
        if (v === null || typeof v === 'object') return truncate(formatValue(v), 40);
        // names are each shown once: not worth remembering
        if (column === 'name') return truncate(formatValue(v), 40);
        let text = shownValues.get(v);
        if (text === undefined) {
          text = typeof v === 'number' ? formatNumber(v) : truncate(formatValue(v), 40);
          shownValues.set(v, text);
        }
        return text;
      };
      /** How a column's cells are made, decided once per column (100,000 rows ask). */
      const cellOf = (column: string, csv: boolean): ((run: RunSummary) => string) => {
        switch (column) {
          // each value read once: a getter of the index cuts a text or looks up a column each time
          case 'started':
            return (run) => {
              const at = run.started_at;
              return at ? (csv ? at : `${at.slice(0, 10)} ${at.slice(11, 19)}`) : '';
            };
          case 'duration':
            return (run) => {
              const s = run.duration_s;
              return s === null ? '' : csv ? String(s) : formatSeconds(s);
            };
          case 'reason':
            return (run) => (run.stale?.length ? run.stale.join('; ') : run.reason);
        }
        const read = valueReader(column);
        const value = (run: RunSummary): string => format(column, read(run), csv);
        if (column !== 'status') return value;
        return (run) => (run.status === 'running' && slurm.get(run.name)?.label) || value(run);
      };
      if (options.csv) {
        const cells = shown.map((c) => cellOf(c, true));
        const { toCsv } = await import('../compare/csv.ts');
        await writeAll(out.stdout, csvPieces(toCsv, shown, runs, cells));
        return 0;
      }
      const cells = shown.map((c) => cellOf(c, false));
      const ofConfig = options.upstream ? undefined : configCells(shown, cells);
      let current = -1;
      let fromConfig: readonly (string | undefined)[] = [];
      const pieces = fittedPieces(
        shown,
        runs.length,
        (r, c) => {
          const run = runs[r] as RunSummary;
          if (ofConfig && r !== current) {
            current = r;
            fromConfig = ofConfig(run);
          }
          return fromConfig[c] ?? (cells[c] as (run: RunSummary) => string)(run);
        },
        out.stdout.columns || 120,
      );
      await writeAll(out.stdout, pieces);
      return 0;
    };
    try {
      const code = await list(recorded?.ctx ?? ctx);
      recorded?.keep();
      return code;
    } catch (error) {
      recorded?.drop();
      throw error;
    }
  },
});

/**
 * The key a listing is kept under: the index it lists (its stamp: every run in it ended), the
 * staleness verdicts (their digest, when checked), repro's version and code, the options and the
 * width. Undefined when the listing may change without any of these changing: a run still
 * going, verdicts worked out but not kept.
 */
function keptKey(
  project: Project,
  all: readonly RunSummary[],
  checkStale: boolean,
  verdicts: string | undefined,
  options: Record<string, unknown>,
  ctx: CommandContext,
): ListingKey | undefined {
  const stamp = indexStamp(all);
  if (!stamp || (checkStale && !verdicts)) return undefined;
  const state = { repro: reproVersion(), code: import.meta.url, stamp };
  const asked = Object.fromEntries(
    ['where', 'sort', 'columns', 'limit', 'json', 'csv', 'attic', 'upstream'].map((k) => [
      k,
      options[k] ?? null,
    ]),
  );
  const width = ctx.stdout.columns || 120;
  return listingKey(project, state, verdicts ?? null, { ...asked, stale: checkStale, width });
}

/**
 * The CSV a thousand rows at a time: 100,000 rows of cells made at once and kept until written
 * cost the garbage collector more than the CSV itself.
 */
function* csvPieces(
  toCsv: (rows: string[][]) => string,
  shown: string[],
  runs: readonly RunSummary[],
  cells: readonly ((run: RunSummary) => string)[],
): Generator<string, void, undefined> {
  yield toCsv([shown]);
  for (let r = 0; r < runs.length; r += 1000)
    yield toCsv(runs.slice(r, r + 1000).map((run) => cells.map((cell) => cell(run))));
}

/**
 * The cells a run's config decides (its config keys, and defaults), made once for all the runs
 * of one config: 100,000 results of 10,000 configs format 10,000 rows of them. A cell its config
 * and defaults do not decide (a metric, the name) is undefined.
 */
function configCells(
  shown: readonly string[],
  cells: readonly ((run: RunSummary) => string)[],
): (run: RunSummary) => readonly (string | undefined)[] {
  const keys = shown.map((c) => (FIXED_KEYS.includes(c) || c.startsWith('metric:') ? undefined : c));
  const made = new Map<object, { defaults: object; cells: (string | undefined)[] }>();
  return (run) => {
    const { config, defaults } = run;
    let row = made.get(config);
    if (row?.defaults !== defaults) {
      row = {
        defaults,
        // config:<key> reads the config only; a plain key neither has is a metric's, read per run
        cells: keys.map((k, c) =>
          k !== undefined && (k.startsWith('config:') || config[k] !== undefined || defaults[k] !== undefined)
            ? (cells[c] as (run: RunSummary) => string)(run)
            : undefined,
        ),
      };
      made.set(config, row);
    }
    return row.cells;
  };
}

/** The names the targets pick; in the attic (no graph) by name or glob over names only. */
async function chosen(
  graph: ProjectGraph | undefined,
  runs: readonly RunSummary[],
  targets: readonly string[],
  cwd: string,
): Promise<Set<string>> {
  const { isGlob, matchNames, resolveTargets } = await import('../graph/targets.ts');
  if (graph) return new Set(resolveTargets(graph, targets, cwd));
  const names = runs.map((r) => r.name);
  return new Set(targets.flatMap((t) => (isGlob(t) ? matchNames(t, names) : names.filter((n) => n === t))));
}

/** Says why a result is damaged and how many metric lines were skipped: never dropped in silence. */
function warnDamage(runs: readonly RunSummary[], ctx: CommandContext): void {
  for (const r of runs) {
    if (r.status === 'damaged') ctx.stderr.write(`${r.name}: damaged: ${r.reason}\n`);
    if (r.metrics_skipped)
      ctx.stderr.write(
        `${r.name}: ${r.metrics_skipped} line${r.metrics_skipped === 1 ? '' : 's'} of metrics.jsonl skipped (not a JSON object)\n`,
      );
  }
}

/** The project, or with --attic one whose runs root is the attic. */
function inAttic(project: Project, attic: boolean): Project {
  return attic ? { ...project, runsRoot: atticDir(project) } : project;
}

/**
 * An unknown key in --where, --sort or --columns is an error naming the closest keys: a column of
 * dashes would hide the typo. Nothing to check against in an empty listing.
 */
function checkKeys(runs: readonly RunSummary[], asked: string[][]): void {
  if (runs.length === 0) return;
  for (const [option, key] of asked as [string, string][]) {
    if (hasKey(runs, key)) continue;
    const known = knownKeys(runs);
    const near = nearestNames(
      key,
      [...known].filter((k) => !k.includes(':')),
      { k: 3 },
    );
    throw new UsageError(
      `${option}: no listed run has "${key}"`,
      near.length
        ? `Did you mean ${near.map((n) => `"${n}"`).join(', ')}?`
        : 'repro ls --json shows every key.',
    );
  }
}

/**
 * name, status, started, duration, the config keys that differ (with --upstream, the upstream
 * columns that differ too), then each metric's last and best.
 */
function defaultColumns(runs: RunSummary[], upstream = false): string[] {
  // what differs across the runs differs across their distinct configs (runConfigs)
  const entries = runConfigs(runs);
  const keys =
    runs.length > 1 || upstream
      ? differingKeys(entries).filter((k) => k !== 'script' && (runs.length > 1 || k.includes('.')))
      : [];
  // every result without metrics shares one empty object: each distinct object is looked at once
  const metricObjects = new Set(runs.map((r) => r.metrics));
  const metrics = [...new Set([...metricObjects].flatMap((o) => Object.keys(o)))].filter(
    (m) => !X_KEYS.has(m),
  );
  // a metric named like a config key is shown by its own name: metric:precision
  const clash = (m: string) =>
    entries.some((e) => e.flat.get(m) !== undefined || e.defaults.get(m) !== undefined);
  const named = (m: string) => (clash(m) ? `metric:${m}` : m);
  return [
    'name',
    'status',
    'started',
    'duration',
    ...keys,
    ...metrics.flatMap((m) => [named(m), `${named(m)}.best`]),
  ];
}

/** Four significant digits: enough to compare runs, narrow enough for a table. */
function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  if (!Number.isFinite(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}
