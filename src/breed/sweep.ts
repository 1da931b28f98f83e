import { dirname, fs, join, relative } from '../_builtins.ts';
import { canonicalJson } from '../config/hash.ts';
import { describeJsonType, isJsonObject, type Json, type JsonObject, parseJson } from '../config/json.ts';
import { loadConfig } from '../config/load.ts';
import { mergeConfig } from '../config/overrides.ts';
import { ReproError, UsageError } from '../errors.ts';
import { findProject, type Project } from '../project/project.ts';
import { seededRandom } from './random.ts';
import { ConfigExistsError, checkNewKeys, configsByContent, nameTaken, writeConfigs } from './write.ts';

/** A search space: each key maps to a list of values, or (for --random) a range. */
export type SearchSpace = Record<
  string,
  Json[] | { uniform: [number, number] } | { log_uniform: [number, number] } | { int: [number, number] }
>;

export interface SweepConfigsOptions {
  /** The base config file. */
  config: string;
  /** The space as JSON text (`--grid`), or parsed. */
  space: string | JsonObject;
  /** Sample this many configs at random instead of the full grid. @default the grid */
  random?: number;
  /** Seed for --random. @default 1 */
  seed?: number;
  /** Name prefix instead of the config name: `<prefix>1`, `<prefix>2` ... @default the config name */
  prefix?: string;
  /** Work out the configs and names, write nothing. @default false */
  dryRun?: boolean;
  /** Write a config even when an existing one has the same content. @default false */
  allowDuplicates?: boolean;
  /** Let the grid add a key close to one the base has (refused as a likely typo otherwise). @default false */
  newKeys?: boolean;
  /** @default process.cwd() */
  cwd?: string;
  project?: Project;
}

export interface SweepResult {
  /** The new configs (written unless a dry run). */
  configs: { name: string; file: string; config: JsonObject; changes: JsonObject }[];
  /** Points of the sweep that an existing config already is: named, not written again. */
  existing: { file: string; changes: JsonObject }[];
  written: boolean;
}

export class SpaceError extends ReproError {
  constructor(message: string) {
    super(
      'REPRO_SWEEP_SPACE_INVALID',
      message,
      `--grid takes a JSON object of lists, e.g. '{"lr": [1e-3, 1e-4], "filters": [5, 10]}'; with --random a key may also be {"uniform": [a, b]}, {"log_uniform": [a, b]} or {"int": [a, b]}.`,
    );
  }
}

/** Validates a search space; ranges are allowed only when sampling at random. */
export function parseSpace(space: string | JsonObject, random: boolean): SearchSpace {
  let value: unknown = space;
  if (typeof space === 'string') {
    try {
      value = parseJson(space);
    } catch (error) {
      throw new SpaceError(`--grid is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (!isJsonObject(value) || Object.keys(value).length === 0)
    throw new SpaceError('--grid must be a JSON object with at least one key');
  for (const [key, v] of Object.entries(value)) {
    if (Array.isArray(v)) {
      if (v.length === 0) throw new SpaceError(`--grid key "${key}" has an empty list`);
      continue;
    }
    const range = isJsonObject(v) ? Object.entries(v) : [];
    const [kind, bounds] = range[0] ?? [];
    const ok =
      range.length === 1 &&
      (kind === 'uniform' || kind === 'log_uniform' || kind === 'int') &&
      Array.isArray(bounds) &&
      bounds.length === 2 &&
      bounds.every((b) => typeof b === 'number') &&
      (bounds[0] as number) <= (bounds[1] as number) &&
      (kind !== 'log_uniform' || (bounds[0] as number) > 0);
    if (!ok || !random) {
      throw new SpaceError(
        random
          ? `--grid key "${key}" must be a list or a range such as {"log_uniform": [1e-5, 1e-2]}, not ${describeJsonType(v)} ${JSON.stringify(v)}`
          : `--grid values must be lists: key "${key}" is ${describeJsonType(v)}${isJsonObject(v) ? ' (ranges need --random N)' : ''}`,
      );
    }
  }
  return value as SearchSpace;
}

/** Every combination, the first key varying slowest. */
export function gridPoints(space: SearchSpace): JsonObject[] {
  let points: JsonObject[] = [{}];
  for (const [key, values] of Object.entries(space)) {
    const list = values as Json[];
    points = points.flatMap((p) => list.map((v) => ({ ...p, [key]: v })));
  }
  return points;
}

/** `n` samples, reproducible for the seed. Floats keep 6 significant digits, to read well in a config. */
export function randomPoints(space: SearchSpace, n: number, seed: number): JsonObject[] {
  const random = seededRandom(seed);
  const points: JsonObject[] = [];
  for (let i = 0; i < n; i++) {
    const p: JsonObject = {};
    for (const [key, spec] of Object.entries(space)) {
      if (Array.isArray(spec)) p[key] = spec[random.int(0, spec.length - 1)] as Json;
      else if ('int' in spec) p[key] = random.int(spec.int[0], spec.int[1]);
      else if ('uniform' in spec)
        p[key] = round6(spec.uniform[0] + random.float() * (spec.uniform[1] - spec.uniform[0]));
      else {
        const [lo, hi] = spec.log_uniform.map(Math.log) as [number, number];
        p[key] = round6(Math.exp(lo + random.float() * (hi - lo)));
      }
    }
    points.push(p);
  }
  return points;
}

const round6 = (x: number) => Number(x.toPrecision(6));

/**
 * `repro sweep`: one config per point of a grid (or per random sample), named with digits
 * (`model1` ... `model4`, zero-padded past nine), all or nothing: if any name is taken,
 * nothing is written.
 */
export function sweepConfigs(options: SweepConfigsOptions): SweepResult {
  const cwd = options.cwd ?? process.cwd();
  const project = options.project ?? findProject({ cwd });
  const base = loadConfig(options.config, { cwd });
  const isRandom = options.random !== undefined;
  if (isRandom && !(Number.isInteger(options.random) && (options.random as number) > 0)) {
    throw new UsageError(`--random takes a positive whole number, not ${options.random}`);
  }
  const space = parseSpace(options.space, isRandom);
  checkNewKeys(base.config, Object.keys(space), '--grid key', base.name, options.newKeys ?? false);
  const points = isRandom
    ? randomPoints(space, options.random as number, options.seed ?? 1)
    : gridPoints(space);
  const prefix = options.prefix ?? base.name;
  const dir = dirname(base.file);
  // a point an existing config already is (the base itself, an earlier sweep, a clone) is named
  // and not written again
  const twins = options.allowDuplicates ? new Map<string, string>() : configsByContent(project, dir);
  const fresh: { config: JsonObject; changes: JsonObject }[] = [];
  const existing: SweepResult['existing'] = [];
  const seen = new Set<string>();
  for (const changes of points) {
    const config = mergeConfig(base.config, changes);
    const key = canonicalJson(config);
    if (seen.has(key)) {
      if (!isRandom) throw new SpaceError('--grid makes the same config twice: a value is listed twice');
      continue;
    }
    seen.add(key);
    const twin = twins.get(key);
    if (twin) existing.push({ file: relative(cwd, join(project.root, twin)) || twin, changes });
    else fresh.push({ config, changes });
  }
  // numbering goes on after the sweeps before: model1 ... model4, then model5 ...
  const first = nextSweepNumber(project, dir, prefix);
  const last = first + fresh.length - 1;
  const digits = Math.max(fresh.length > 9 ? String(fresh.length).length : 1, String(last).length);
  const configs = fresh.map((c, i) => {
    const name = `${prefix}${String(first + i).padStart(digits, '0')}`;
    return { name, file: join(dir, `${name}.json`), ...c };
  });
  if (!options.dryRun) {
    const taken = configs.filter((c) => nameTaken(project, dir, c.name)).map((c) => c.name);
    if (taken.length) throw new ConfigExistsError(taken);
    writeConfigs(configs);
  }
  return {
    configs: configs.map((c) => ({ ...c, file: relative(cwd, c.file) || c.file })),
    existing,
    written: !options.dryRun,
  };
}

/** One past the highest `<prefix><digits>` config or result name: where a new sweep starts. */
function nextSweepNumber(project: Project, dir: string, prefix: string): number {
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d+)(\\.json)?$`);
  let highest = 0;
  for (const folder of new Set([dir, ...project.configDirs, project.runsRoot])) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(folder);
    } catch {
      // no such folder yet
    }
    for (const n of names) {
      const m = pattern.exec(n);
      if (m) highest = Math.max(highest, Number(m[1]));
    }
  }
  return highest + 1;
}
