import { closest } from 'fastest-levenshtein';
import { fs, join, relative } from '../_builtins.ts';
import type { JsonObject } from '../config/json.ts';
import { SourceError } from '../errors.ts';
import type { Project } from '../project/project.ts';
import { RUN_FILES } from './layout.ts';
import { type EndRecord, type RunRecord, readJsonFile } from './record.ts';
import { readRunState } from './status.ts';

/** An upstream result that a config names in `source`, checked to be finished and `done`. */
export interface ResolvedSource {
  name: string;
  /** Absolute path of the upstream result folder. */
  dir: string;
  /** The upstream's saved (merged) config. */
  config: JsonObject;
  record: RunRecord | undefined;
  end: EndRecord | undefined;
}

const RESULT_NAME = /^[A-Za-z0-9_][A-Za-z0-9._~=,+-]*$/;

/** True for a result name (`model`, `model~lr=0.1`): safe as one folder name, no `..`. */
export function isResultName(name: unknown): name is string {
  return typeof name === 'string' && RESULT_NAME.test(name) && !name.includes('..');
}

/** The names in a config's `source` key: none, one, or a list. */
export function sourceNames(config: JsonObject, label: string): string[] {
  const source = config.source;
  if (source === undefined || source === null) return [];
  const names = Array.isArray(source) ? source : [source];
  for (const name of names) {
    if (!isResultName(name)) {
      throw new SourceError(
        'REPRO_SOURCE_INVALID',
        String(name),
        `${label}: key "source" must be a result name or a list of names, found ${JSON.stringify(name)}`,
        'Write "source": "data" (the name of a result folder in the runs root) or "source": ["data", "vocab"].',
      );
    }
  }
  return names as string[];
}

/**
 * Resolves every name in `source` to a finished, successful result folder. A missing,
 * unfinished or failed upstream is an error that names it and says how to produce it.
 */
export function resolveSources(
  config: JsonObject,
  project: Project,
  label: string,
  cwd = process.cwd(),
): ResolvedSource[] {
  return sourceNames(config, label).map((name) => resolveSource(name, project, label, cwd));
}

function resolveSource(name: string, project: Project, label: string, cwd: string): ResolvedSource {
  const dir = join(project.runsRoot, name);
  const shown = relative(cwd, dir) || dir;
  if (!fs.existsSync(join(dir, RUN_FILES.config))) {
    const configFile = findConfigFile(project, name.split('~')[0] ?? name);
    throw new SourceError(
      'REPRO_SOURCE_MISSING',
      name,
      `${label} needs source "${name}", but ${shown} does not exist`,
      configFile
        ? `Produce it first: repro run ${relative(cwd, configFile)}`
        : `No config named "${name}" in ${project.configDirs.map((d) => relative(project.root, d) || '.').join(', ')}${suggestName(project, name)}`,
    );
  }
  const state = readRunState(dir);
  if (state.status === 'running') {
    throw new SourceError(
      'REPRO_SOURCE_UNFINISHED',
      name,
      `${label} needs source "${name}", which is still running (${state.reason})`,
      'Wait for it to finish, then run this config again.',
    );
  }
  if (state.status !== 'done') {
    throw new SourceError(
      'REPRO_SOURCE_FAILED',
      name,
      `${label} needs source "${name}", whose run is ${state.status} (${state.reason})`,
      `Read ${shown}/${RUN_FILES.stderr}, fix the cause, and produce the source again under a new name (--postfix, or a cloned config).`,
    );
  }
  const config = readJsonFile<JsonObject>(join(dir, RUN_FILES.config)) ?? {};
  return { name, dir, config, record: state.record, end: state.end };
}

/** The config file for `name` in the project's config folders, if any. */
export function findConfigFile(project: Project, name: string): string | undefined {
  for (const dir of project.configDirs) {
    const file = join(dir, `${name}.json`);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

function suggestName(project: Project, name: string): string {
  const known: string[] = [];
  for (const dir of [project.runsRoot, ...project.configDirs]) {
    try {
      for (const entry of fs.readdirSync(dir)) known.push(entry.replace(/\.json$/, ''));
    } catch {
      // folder absent
    }
  }
  return known.length ? `; closest existing name: "${closest(name, known)}"` : '';
}
