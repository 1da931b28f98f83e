import type { JsonObject } from '../config/json.ts';
import { ReproError } from '../errors.ts';
import type { Project } from '../project/project.ts';
import { type FingerprintLevel, fingerprint, LEVELS, type Manifest } from './fingerprint.ts';

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
