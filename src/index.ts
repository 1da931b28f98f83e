/**
 * repro: reproducible experiments from flat JSON configs. The public API; see README.md.
 */
export { type CloneConfigOptions, type CloneResult, cloneConfig } from './compare/clone.ts';
export { type CrossConfigsOptions, type CrossResult, crossConfigs } from './compare/cross.ts';
export { type Cell, type ConfigDiff, type DiffConfigsOptions, diffConfigs } from './compare/diff.ts';
export { higherIsBetter, type MetricSummary, summarizeMetrics } from './compare/metrics.ts';
export { type ListRunsOptions, listRuns, type RunFilter, type RunSummary, sortRuns } from './compare/runs.ts';
export {
  BadInputsError,
  type ConfigEntry,
  type SelectConfigsOptions,
  selectConfigs,
} from './compare/select.ts';
export { type SweepConfigsOptions, type SweepResult, sweepConfigs } from './compare/sweep.ts';
export { diffToCsv, diffToJson, renderDiff } from './compare/table.ts';
export { ConfigExistsError } from './compare/write.ts';
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
  InputsEmptyError,
  InputUnreadableError,
  type Manifest,
} from './data/fingerprint.ts';
export { orphanedUploads, type PushOptions, pullResult, pushConfigs } from './dist/queue.ts';
export { FileStorage, openStorage, S3Storage, type Storage, type StoredFile } from './dist/storage.ts';
export { type Job, type JobState, type Lease, PgStore, type Store } from './dist/store.ts';
export { runWorker, type WorkerOptions, type WorkerSummary } from './dist/worker.ts';
export * from './errors.ts';
export { checkProject, type Finding } from './graph/check.ts';
export {
  assertValid,
  downstreamOf,
  GraphError,
  type GraphNode,
  type GraphProblem,
  loadGraph,
  type ProjectGraph,
  topologicalOrder,
  upstreamOf,
} from './graph/graph.ts';
export { type MakeOptions, type MakeSummary, make } from './graph/make.ts';
export { graphStatus, type NodeStatus } from './graph/status.ts';
export { VERIFY_IGNORED, type VerifyOptions, type VerifyReport, verifyResult } from './graph/verify.ts';
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
export { Run, type StartRunOptions, startRun } from './run/run.ts';
export { type RunConfigOptions, type RunResult, runConfig } from './run/runner.ts';
export { type ResolvedSource, resolveSources } from './run/sources.ts';
export { type RunState, readRunState } from './run/status.ts';
