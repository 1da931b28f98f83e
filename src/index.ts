/**
 * repro: reproducible experiments from flat JSON configs. The API a script needs (startRun,
 * params, configs, runs); the tools (compare, pipelines, distributed) are in `repro/tools`.
 */
export { parseRunArgs, type RunArgs } from './config/argv.ts';
export { canonicalJson, hashConfig } from './config/hash.ts';
export type { Json, JsonObject } from './config/json.ts';
export {
  type ConfigWarning,
  configNameOf,
  isValidName,
  type LoadConfigOptions,
  type LoadedConfig,
  loadConfig,
} from './config/load.ts';
export {
  applyOverrides,
  mergeConfig,
  type Override,
  type ParsedOverride,
  parseOverride,
} from './config/overrides.ts';
export { resultName } from './config/postfix.ts';
export { RESERVED_KEYS } from './config/reserved.ts';
export {
  diffManifests,
  type FileEntry,
  type FingerprintLevel,
  type FingerprintOptions,
  fingerprint,
  type HashAlgorithm,
  InputsEmptyError,
  InputUnreadableError,
  type Manifest,
} from './data/fingerprint.ts';
export * from './errors.ts';
export {
  type FindProjectOptions,
  findProject,
  type Project,
  type ProjectSettings,
} from './project/project.ts';
export { type PreparedRun, type PrepareRunOptions, prepareRun } from './run/folder.ts';
export { RECORDED_ENV, RUN_FILES } from './run/layout.ts';
export { type MetricsRow, parseMetrics } from './run/metrics.ts';
export { type EffectiveConfig, Params, type UnreadKey, type Widen } from './run/params.ts';
export type { EndRecord, EndStatus, RunRecord, RunStatus } from './run/record.ts';
export { type RunConfigOptions, type RunResult, runConfig } from './run/runner.ts';
export { type ResolvedSource, resolveSources } from './run/sources.ts';
export { Run, type StartRunOptions, startRun } from './run/start.ts';
export { type RunState, readRunState } from './run/status.ts';
