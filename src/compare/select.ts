import { globSync } from 'tinyglobby';
import { basename, fs, join, relative, resolve } from '../_builtins.ts';
import type { JsonObject } from '../config/json.ts';
import { loadConfig } from '../config/load.ts';
import { ReproError } from '../errors.ts';
import { matchNames } from '../graph/targets.ts';
import { findProject, type Project } from '../project/project.ts';
import { RUN_FILES } from '../run/layout.ts';
import { readJsonFile } from '../run/record.ts';
import { type ConfigEntry, configEntry } from './entry.ts';

export { type ConfigEntry, configEntry } from './entry.ts';

export interface SelectConfigsOptions {
  /** @default process.cwd() */
  cwd?: string;
  project?: Project;
  /** Leave out files that are not configs (with a warning) instead of failing. @default false */
  skipBad?: boolean;
  /** Where warnings go. @default process.stderr */
  warn?: (line: string) => void;
}

/** Inputs that could not be read as configs, each with its reason. */
export class BadInputsError extends ReproError {
  constructor(readonly problems: { input: string; reason: string }[]) {
    super(
      'REPRO_BAD_INPUT',
      `${problems.length === 1 ? 'an input is' : `${problems.length} inputs are`} not a config:\n${problems.map((p) => `  ${p.input}: ${p.reason}`).join('\n')}`,
    );
  }
}

const GLOB = /[*?[\]{}]/;

/**
 * Resolves config files, result folders, names and globs (`configs/model*.json`, `runs/*`) to
 * configs. A name is looked up in the config folders first, then in the runs root. A glob that
 * matches nothing, and any input that is not a config, is an error naming each with its reason.
 */
export function selectConfigs(inputs: readonly string[], options: SelectConfigsOptions = {}): ConfigEntry[] {
  const cwd = options.cwd ?? process.cwd();
  const project = options.project ?? findProject({ cwd });
  const problems: { input: string; reason: string }[] = [];
  const entries: ConfigEntry[] = [];
  const seen = new Set<string>();
  const add = (file: string, input: string) => {
    const abs = resolve(cwd, file);
    if (seen.has(abs)) return;
    seen.add(abs);
    try {
      entries.push(readEntry(abs, cwd));
    } catch (error) {
      problems.push({ input: relative(cwd, abs) || input, reason: reasonOf(error) });
    }
  };
  for (const input of inputs) {
    if (GLOB.test(input) && !input.includes('/') && !globSync(input, { cwd, onlyFiles: false }).length) {
      // a glob over names ('model*'): configs first, then results, as for a name
      const hits = matchNames(input, namesIn(project));
      if (hits.length === 0) problems.push({ input, reason: 'the glob matches no config or result' });
      for (const name of hits) add(byName(project, name) as string, input);
      continue;
    }
    if (GLOB.test(input)) {
      const matches = globSync(input, { cwd, onlyFiles: false, expandDirectories: false, absolute: true })
        .map((m) => m.replace(/\/$/, ''))
        .filter((m) => m.endsWith('.json') || fs.existsSync(join(m, RUN_FILES.config)))
        .sort();
      if (matches.length === 0) problems.push({ input, reason: 'the glob matches no config or result' });
      for (const m of matches) add(m, input);
      continue;
    }
    const abs = resolve(cwd, input);
    if (fs.existsSync(abs)) {
      add(abs, input);
      continue;
    }
    const named = byName(project, input);
    if (named) add(named, input);
    else problems.push({ input, reason: 'no such file, and no config or result by that name' });
  }
  if (problems.length > 0) {
    if (!options.skipBad) throw new BadInputsError(problems);
    const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
    for (const p of problems) warn(`repro: skipped ${p.input}: ${p.reason}`);
  }
  return entries;
}

/** The config file of a name (configs first), else its result folder; undefined when neither. */
function byName(project: Project, name: string): string | undefined {
  return [...project.configDirs.map((d) => join(d, `${name}.json`)), join(project.runsRoot, name)].find((f) =>
    fs.existsSync(f),
  );
}

/** Every config name (the top of each config folder) and result name in the project. */
function namesIn(project: Project): Set<string> {
  const names = new Set<string>();
  for (const dir of project.configDirs)
    for (const f of safeReaddir(dir)) if (f.endsWith('.json')) names.add(f.slice(0, -5));
  for (const r of safeReaddir(project.runsRoot))
    if (!r.startsWith('.') && fs.existsSync(join(project.runsRoot, r, RUN_FILES.config))) names.add(r);
  return names;
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function readEntry(abs: string, cwd: string): ConfigEntry {
  const path = relative(cwd, abs) || abs;
  if (fs.statSync(abs).isDirectory()) {
    const file = join(abs, RUN_FILES.config);
    if (!fs.existsSync(file)) throw new Error('a folder without config.json, so not a result folder');
    const name = basename(abs);
    const loaded = loadConfig(file, { name });
    const effective = readJsonFile<{ defaults?: JsonObject }>(join(abs, RUN_FILES.effective));
    // defaults count only for keys the config lacks
    const defaults = Object.fromEntries(
      Object.entries(effective?.defaults ?? {}).filter(([key]) => loaded.config[key] === undefined),
    );
    return configEntry(name, loaded.config, { kind: 'result', path, location: abs, defaults });
  }
  const loaded = loadConfig(abs);
  return configEntry(loaded.name, loaded.config, { path, location: abs });
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // the first line, without the file name the listing already shows
  return (message.split('\n')[0] ?? message).replace(/^invalid JSON in .*? at /, 'invalid JSON at ');
}
