import { join } from '../_builtins.ts';
import type { JsonObject } from '../config/json.ts';
import { ReproError } from '../errors.ts';
import type { Project } from '../project/project.ts';
import { RUN_FILES } from '../run/layout.ts';
import { readJsonFile } from '../run/record.ts';
import { diffManifests, type FingerprintLevel, fingerprint, LEVELS, type Manifest } from './fingerprint.ts';

/** The paranoia level of a config: its `paranoia` key, else the project's (repro.json). */
export function paranoiaOf(config: JsonObject, project: Project, label: string): FingerprintLevel {
  const level = config.paranoia ?? project.paranoia;
  if (typeof level !== 'string' || !LEVELS.includes(level as FingerprintLevel)) {
    throw new ReproError(
      'REPRO_BAD_LEVEL',
      `${label}: key "paranoia" must be "path", "list" or "checksum", not ${JSON.stringify(level)}`,
      'path records the patterns, list adds each file with size and time, checksum adds content hashes.',
    );
  }
  return level as FingerprintLevel;
}

/** The patterns in a config's `inputs` key: none, one, or a list. */
export function inputPatterns(config: JsonObject, label: string): string[] {
  const inputs = config.inputs;
  if (inputs === undefined || inputs === null) return [];
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (!list.every((p) => typeof p === 'string' && p !== '')) {
    throw new ReproError(
      'REPRO_BAD_INPUTS',
      `${label}: key "inputs" must be a path or glob, or a list of them, not ${JSON.stringify(inputs)}`,
    );
  }
  return list as string[];
}

/** The fingerprint of a config's declared inputs, or null when it declares none. */
export async function fingerprintConfigInputs(
  config: JsonObject,
  project: Project,
  label: string,
): Promise<Manifest | null> {
  const patterns = inputPatterns(config, label);
  if (patterns.length === 0) return null;
  return fingerprint(patterns, {
    level: paranoiaOf(config, project, label),
    root: project.root,
    allowEmpty: config.inputs_allow_empty === true,
  });
}

/**
 * Why a result's data no longer matches: its manifests (inputs.json, inputs-read.json) are
 * taken again at their level and compared. `path` level records no files, so it never goes
 * stale by data.
 */
export async function dataStaleness(dir: string, project: Project): Promise<string[]> {
  const manifests: Manifest[] = [];
  const declared = readJsonFile<Manifest>(join(dir, RUN_FILES.inputs));
  if (declared) manifests.push(declared);
  manifests.push(...(readJsonFile<Manifest[]>(join(dir, RUN_FILES.inputsRead)) ?? []));
  const reasons: string[] = [];
  for (const before of manifests) {
    if (before.level === 'path') continue;
    const now = await fingerprint(before.patterns, {
      level: before.level,
      root: project.root,
      allowEmpty: true,
      progress: false,
    });
    const d = diffManifests(before, now);
    const parts = [
      d.added.length
        ? `${d.added.length} added (${d.added.slice(0, 3).join(', ')}${d.added.length > 3 ? ', ...' : ''})`
        : '',
      d.removed.length
        ? `${d.removed.length} removed (${d.removed.slice(0, 3).join(', ')}${d.removed.length > 3 ? ', ...' : ''})`
        : '',
      d.changed.length
        ? `${d.changed.length} changed (${d.changed.slice(0, 3).join(', ')}${d.changed.length > 3 ? ', ...' : ''})`
        : '',
    ].filter(Boolean);
    if (parts.length) reasons.push(`data changed in ${before.patterns.join(', ')}: ${parts.join(', ')}`);
  }
  return reasons;
}
