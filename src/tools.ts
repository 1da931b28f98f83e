/**
 * repro's tools as a library: compare and breed configs, list runs, pipelines (graph, status,
 * make, verify, check) and distributed runs. Apart from `repro` itself so that a script's
 * `import { startRun } from 'repro'` loads none of it.
 */
export { type CloneConfigOptions, type CloneResult, cloneConfig } from './breed/clone.ts';
export { type CrossConfigsOptions, type CrossResult, crossConfigs } from './breed/cross.ts';
export { type SweepConfigsOptions, type SweepResult, sweepConfigs } from './breed/sweep.ts';
export { ConfigExistsError } from './breed/write.ts';
export { diffToCsv } from './compare/csv.ts';
export { type Cell, type ConfigDiff, type DiffConfigsOptions, diffConfigs } from './compare/diff.ts';
export { higherIsBetter, type MetricSummary, summarizeMetrics } from './compare/metrics.ts';
export { type ListRunsOptions, listRuns, type RunFilter, type RunSummary, sortRuns } from './compare/runs.ts';
export {
  BadInputsError,
  type ConfigEntry,
  type SelectConfigsOptions,
  selectConfigs,
} from './compare/select.ts';
export { diffToJson, renderDiff } from './compare/table.ts';
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
export { type MakeOptions, type MakeSummary, make, type StageOutcome } from './graph/make.ts';
export {
  type RemoveResultsOptions,
  type RestoreResultsOptions,
  removeResults,
  restoreResults,
} from './graph/rm.ts';
export { graphStatus, type NodeStatus } from './graph/status.ts';
export { VERIFY_IGNORED, type VerifyOptions, type VerifyReport, verifyResult } from './graph/verify.ts';
export {
  type ChartOptions,
  type LoadSeriesOptions,
  loadSeries,
  type PlotSeries,
  renderHtml,
  renderSvg,
} from './plot/plot.ts';
export {
  averageLinkage,
  type DistanceOptions,
  distanceMatrix,
  renderTreeSvg,
  renderTreeText,
  type TreeNode,
} from './plot/tree.ts';
export { orphanedUploads, type PushOptions, pullResult, pushConfigs } from './remote/queue.ts';
export { FileStorage, openStorage, S3Storage, type Storage, type StoredFile } from './remote/storage.ts';
export { type Job, type JobState, type Lease, PgStore, type Store } from './remote/store.ts';
export { runWorker, type WorkerOptions, type WorkerSummary } from './remote/worker.ts';
export {
  type AtticEntry,
  type AtticMove,
  atticEntries,
  moveToAttic,
  restoreFromAttic,
} from './run/attic.ts';
export {
  type CancelResult,
  cancelStages,
  type JobState as SlurmJobState,
  type Submission,
  submittedStages,
} from './slurm/slurm.ts';
export type { ServeUiOptions, UiAppOptions } from './ui/server.ts';

/**
 * `repro ui`: serves the dashboard until `close()`. Its server and web framework load when it is
 * called, not with this module.
 */
export async function serveUi(
  options: import('./ui/server.ts').ServeUiOptions,
): Promise<{ url: string; close: () => Promise<void> }> {
  return (await import('./ui/server.ts')).serveUi(options);
}
