import { dirname, join, relative } from '../_builtins.ts';
import { canonicalJson } from '../config/hash.ts';
import { describeJsonType, isJsonObject, type Json, type JsonObject, parseJson } from '../config/json.ts';
import { loadConfig } from '../config/load.ts';
import { mergeConfig } from '../config/overrides.ts';
import { ReproError, UsageError } from '../errors.ts';
import { findProject, type Project } from '../project/project.ts';
import { seededRandom } from './random.ts';
import { ConfigExistsError, nameTaken, writeConfigs } from './write.ts';

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
  /** @default process.cwd() */
  cwd?: string;
  project?: Project;
}

export interface SweepResult {
  configs: { name: string; file: string; config: JsonObject; changes: JsonObject }[];
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
  const points = isRandom
    ? randomPoints(space, options.random as number, options.seed ?? 1)
    : gridPoints(space);
  const prefix = options.prefix ?? base.name;
  const digits = points.length > 9 ? String(points.length).length : 1;
  const dir = dirname(base.file);
  const configs = points.map((changes, i) => {
    const name = `${prefix}${String(i + 1).padStart(digits, '0')}`;
    return { name, file: join(dir, `${name}.json`), config: mergeConfig(base.config, changes), changes };
  });
  const taken = configs.filter((c) => nameTaken(project, dir, c.name)).map((c) => c.name);
  if (taken.length) throw new ConfigExistsError(taken);
  const seen = new Map<string, string>();
  for (const c of configs) {
    const key = canonicalJson(c.config);
    const twin = seen.get(key);
    if (twin && !isRandom)
      throw new SpaceError(`--grid makes ${twin} and ${c.name} the same config: a value is listed twice`);
    seen.set(key, c.name);
  }
  if (!options.dryRun) writeConfigs(configs);
  return {
    configs: configs.map((c) => ({ ...c, file: relative(cwd, c.file) || c.file })),
    written: !options.dryRun,
  };
}
