import { dirname, relative } from '../_builtins.ts';
import { cellOf, cellToken, differingKeys } from '../compare/diff.ts';
import { configEntry } from '../compare/select.ts';
import type { Json, JsonObject } from '../config/json.ts';
import { loadConfig } from '../config/load.ts';
import { ReproError } from '../errors.ts';
import { findProject, type Project } from '../project/project.ts';
import { seededRandom } from './random.ts';
import { existingTwin, writeNextFree } from './write.ts';

export interface CrossConfigsOptions {
  /** The first parent: the child is named after it. */
  a: string;
  b: string;
  /** @default 1 */
  seed?: number;
  /** @default process.cwd() */
  cwd?: string;
  project?: Project;
  /** Write the child even when an existing config has the same content. @default false */
  allowDuplicates?: boolean;
}

export interface CrossResult {
  name: string;
  file: string;
  config: JsonObject;
  /** Each key where the parents differ, with the parent it came from. */
  origins: { key: string; from: string; value: Json | undefined }[];
  /** The child would equal this existing config: nothing was written, and `file` is that one. */
  existing: boolean;
}

/**
 * `repro cross`: uniform crossover of two configs. Each top-level key on which the parents
 * differ comes from one parent chosen by a seeded coin (a key that parent lacks stays absent);
 * the child is named with the next free letter of the first parent. A child equal to a parent
 * is refused, since it would be that parent under a new name; a child whose content an existing
 * config already has is not written: that config is named instead (`existing`).
 */
export function crossConfigs(options: CrossConfigsOptions): CrossResult {
  const cwd = options.cwd ?? process.cwd();
  const project = options.project ?? findProject({ cwd });
  const a = loadConfig(options.a, { cwd });
  const b = loadConfig(options.b, { cwd });
  const [ea, eb] = [configEntry(a.name, a.config), configEntry(b.name, b.config)];
  const keys = differingKeys([ea, eb]);
  if (keys.length === 0) {
    throw new ReproError('REPRO_CROSS_SAME', `${a.name} and ${b.name} are the same config`);
  }
  const random = seededRandom(options.seed ?? 1);
  const child: JsonObject = { ...a.config };
  const origins = keys.map((key) => {
    const fromA = random.float() < 0.5;
    const value = (fromA ? a.config : b.config)[key];
    if (value === undefined) delete child[key];
    else child[key] = value;
    return { key, from: fromA ? a.name : b.name, value };
  });
  // keys only b has, placed after a's keys in b's order
  const ordered: JsonObject = {};
  for (const k of [...Object.keys(a.config), ...Object.keys(b.config)])
    if (child[k] !== undefined) ordered[k] = child[k];
  const ec = configEntry('child', ordered);
  for (const parent of [ea, eb]) {
    if (keys.every((k) => cellToken(cellOf(parent, k)) === cellToken(cellOf(ec, k)))) {
      throw new ReproError(
        'REPRO_CROSS_CLONE',
        `with seed ${options.seed ?? 1} every differing key came from ${parent.name}: the child would be ${parent.name} again`,
      );
    }
  }
  const dir = dirname(a.file);
  // a child an existing config already is (an earlier cross, a clone) is named, not written again
  const twin = options.allowDuplicates ? undefined : existingTwin(project, dir, ordered, cwd);
  if (twin) return { ...twin, config: ordered, origins, existing: true };
  const { name, file } = writeNextFree(project, dir, a.name, ordered);
  return { name, file: relative(cwd, file) || file, config: ordered, origins, existing: false };
}
