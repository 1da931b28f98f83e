import { dirname, join, relative } from '../_builtins.ts';
import { type ConfigDiff, diffConfigs } from '../compare/diff.ts';
import { configEntry } from '../compare/select.ts';
import type { JsonObject } from '../config/json.ts';
import { isValidName, loadConfig } from '../config/load.ts';
import { applyOverrides, type Override } from '../config/overrides.ts';
import { ConfigNameError, ReproError } from '../errors.ts';
import { isNear, nearestNames } from '../hints.ts';
import { findProject, type Project } from '../project/project.ts';
import {
  ConfigExistsError,
  checkNewKeys,
  existingTwin,
  nameTaken,
  nextLetterName,
  writeConfigs,
  writeNextFree,
} from './write.ts';

export interface CloneConfigOptions {
  /** The config file to copy. */
  config: string;
  /** The changes, in order (`--conf`, `--set`). */
  overrides: readonly Override[];
  /** A proper name instead of the next free letter. @default next letter */
  name?: string;
  /** @default process.cwd() */
  cwd?: string;
  project?: Project;
  /** Write the clone even when an existing config has the same content. @default false */
  allowDuplicates?: boolean;
  /** Keys to remove (`--unset`), after the overrides. @default [] */
  unset?: readonly string[];
  /**
   * Let the changes add a key that the original lacks although it is close to one it has (a
   * likely typo, refused otherwise). @default false
   */
  newKeys?: boolean;
}

export interface CloneResult {
  name: string;
  /** The new file, relative to cwd. */
  file: string;
  config: JsonObject;
  /** The new config against the original. */
  diff: ConfigDiff;
  /** The clone would equal this existing config: nothing was written, and `file` is that one. */
  existing: boolean;
}

/**
 * `repro clone`: a copy of a config with some keys changed, next to the original, named by the
 * next free letter (`model` -> `modela`) or `--name`. Created exclusively. A clone that changes
 * nothing is refused: it would be the same config under two names.
 */
export function cloneConfig(options: CloneConfigOptions): CloneResult {
  const cwd = options.cwd ?? process.cwd();
  const project = options.project ?? findProject({ cwd });
  const original = loadConfig(options.config, { cwd });
  const { config, applied } = applyOverrides(original.config, options.overrides);
  // a key being removed is not one the change could have meant: --unset gama --set gamma=0.01
  const kept = Object.fromEntries(
    Object.entries(original.config).filter(([k]) => !(options.unset ?? []).includes(k)),
  );
  for (const o of applied)
    checkNewKeys(kept, Object.keys(o.value), `--${o.kind}`, original.name, options.newKeys ?? false);
  for (const key of options.unset ?? []) {
    if (!(key in config)) {
      const [near] = nearestNames(key, Object.keys(config), { k: 1 });
      throw new ReproError(
        'REPRO_NO_SUCH_KEY',
        `--unset "${key}": ${original.name} has no such key${near && isNear(key, near) ? `; did you mean "${near}"?` : ''}`,
      );
    }
    delete config[key];
  }
  const dir = dirname(original.file);
  const name = options.name ?? nextLetterName(project, dir, original.name);
  if (options.name !== undefined) {
    if (!isValidName(options.name)) throw new ConfigNameError(options.name, '--name');
    if (nameTaken(project, dir, options.name)) throw new ConfigExistsError([options.name]);
  }
  const file = join(dir, `${name}.json`);
  const diff = diffConfigs([
    configEntry(original.name, original.config, { path: options.config }),
    configEntry(name, config, { path: file }),
  ]);
  if (diff.keys.length === 0) {
    throw new ReproError(
      'REPRO_CLONE_UNCHANGED',
      `the clone of ${original.name} would change nothing`,
      'Give the changes: --set key=value, --conf JSON or --unset key.',
    );
  }
  // the same content under another name would be the same config twice: name the one there is
  const twin = options.allowDuplicates ? undefined : existingTwin(project, dir, config, cwd);
  if (twin) return { ...twin, config, diff, existing: true };
  if (options.name !== undefined) {
    writeConfigs([{ file, config }]);
    return { name, file: relative(cwd, file) || file, config, diff, existing: false };
  }
  // the next free letter, again if another clone took it meanwhile
  const made = writeNextFree(project, dir, original.name, config);
  const finalDiff =
    made.name === name
      ? diff
      : diffConfigs([
          configEntry(original.name, original.config, { path: options.config }),
          configEntry(made.name, config, { path: made.file }),
        ]);
  return {
    name: made.name,
    file: relative(cwd, made.file) || made.file,
    config,
    diff: finalDiff,
    existing: false,
  };
}
