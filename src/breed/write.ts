import { basename, dirname, fs, join, relative } from '../_builtins.ts';
import { canonicalJson } from '../config/hash.ts';
import { isJsonObject, type JsonObject } from '../config/json.ts';
import { ReproError } from '../errors.ts';
import { likelyTypos } from '../hints.ts';
import type { Project } from '../project/project.ts';

/** A config name that is already taken. */
export class ConfigExistsError extends ReproError {
  constructor(readonly names: string[]) {
    super(
      'REPRO_CONFIG_EXISTS',
      `config${names.length > 1 ? 's' : ''} ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''} already exist${names.length > 1 ? '' : 's'}; configs are never overwritten`,
      'Choose another name (--name, or --prefix for a sweep).',
    );
  }
}

/** True when a config or result of that name exists anywhere in the project (or in `dir`). */
export function nameTaken(project: Project, dir: string, name: string): boolean {
  return (
    fs.existsSync(join(dir, `${name}.json`)) ||
    project.configDirs.some((d) => fs.existsSync(join(d, `${name}.json`))) ||
    fs.existsSync(join(project.runsRoot, name))
  );
}

/**
 * The next free lettered name: `model` -> `modela`, `modelb`, ... `modelz`, then `modelza` ...
 * `modelzz`, then `modelzza`: a sequence that never ends, so it never collides.
 */
export function nextLetterName(project: Project, dir: string, base: string): string {
  for (let zs = 0; ; zs++) {
    for (let c = 0; c < 26; c++) {
      const name = `${base}${'z'.repeat(zs)}${String.fromCharCode(97 + c)}`;
      if (!nameTaken(project, dir, name)) return name;
    }
  }
}

/** The text of a config file: two-space JSON and a final newline. */
export function configText(config: JsonObject): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * Writes configs all or nothing: every name is checked first, then each file is created
 * exclusively; if one fails, those already written by this call are removed again.
 */
export function writeConfigs(files: { file: string; config: JsonObject }[]): void {
  const taken = files.filter((f) => fs.existsSync(f.file)).map((f) => f.file);
  if (taken.length) throw new ConfigExistsError(taken);
  const written: string[] = [];
  try {
    for (const f of files) {
      fs.mkdirSync(dirname(f.file), { recursive: true });
      fs.writeFileSync(f.file, configText(f.config), { flag: 'wx' });
      written.push(f.file);
    }
  } catch (error) {
    for (const w of written) fs.rmSync(w, { force: true });
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new ConfigExistsError([(error as { path?: string }).path ?? '?']);
    throw error;
  }
}

/**
 * Writes `config` under the next free letter of `base` in `dir` (`modela`, `modelb`, ...). When
 * another process takes that name between the look and the exclusive write, it takes the next:
 * eight clones at once each get a file of their own and report it.
 */
export function writeNextFree(
  project: Project,
  dir: string,
  base: string,
  config: JsonObject,
): { name: string; file: string } {
  for (let attempt = 0; ; attempt++) {
    const name = nextLetterName(project, dir, base);
    const file = join(dir, `${name}.json`);
    try {
      writeConfigs([{ file, config }]);
      return { name, file };
    } catch (error) {
      if (!(error instanceof ConfigExistsError) || attempt >= 100) throw error;
    }
  }
}

/**
 * The existing config with the same content as `config` (in the project's config folders or
 * `dir`), as clone and cross name it instead of writing a twin; undefined when there is none.
 */
export function existingTwin(
  project: Project,
  dir: string,
  config: JsonObject,
  cwd: string,
): { name: string; file: string } | undefined {
  const twin = configsByContent(project, dir).get(canonicalJson(config));
  if (!twin) return undefined;
  const file = join(project.root, twin);
  return { name: basename(file).replace(/\.json$/, ''), file: relative(cwd, file) || file };
}

/**
 * Every config of the project (its config folders, and `dir`) by its content (canonical JSON):
 * what a new config would duplicate. Files that are not configs are passed over.
 */
export function configsByContent(project: Project, dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const folder of new Set([dir, ...project.configDirs])) {
    let names: string[];
    try {
      names = fs.readdirSync(folder, { recursive: true }) as string[];
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (!name.endsWith('.json')) continue;
      const file = join(folder, name);
      try {
        const value: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
        const key = isJsonObject(value) ? canonicalJson(value) : undefined;
        if (key && !out.has(key)) out.set(key, relative(project.root, file) || file);
      } catch {
        // not a config: the lint names it
      }
    }
  }
  return out;
}

/**
 * The typo guard of clone, sweep and cross: a key the change adds that the base config lacks but
 * that is close to a key it has (`gama` beside `gamma`) is refused with the key it probably
 * meant; `allowNew` (`--new-key`) lets it in. A key far from every existing one is a new key.
 */
export function checkNewKeys(
  base: JsonObject,
  added: readonly string[],
  how: string,
  baseName: string,
  allowNew: boolean,
): void {
  if (allowNew) return;
  const typos = likelyTypos(
    added.filter((k) => !(k in base)),
    Object.keys(base),
  );
  if (typos.length === 0) return;
  throw new ReproError(
    'REPRO_NEW_KEY',
    typos
      .map(({ key, near }) => `${how} "${key}" is not a key of ${baseName}; did you mean "${near}"?`)
      .join('\n'),
  );
}
