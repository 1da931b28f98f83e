import { fs, join } from '../_builtins.ts';
import { findProject, type Project } from '../project/project.ts';
import { RUN_FILES } from './layout.ts';
import type { RunStatus } from './record.ts';
import { readRunState } from './status.ts';

/** One result folder, as `repro ls` shows it. */
export interface RunSummary {
  name: string;
  dir: string;
  status: RunStatus;
  /** Why it is `running` or `crashed`. */
  reason: string;
  config: string | null;
  started_at: string | null;
  duration_s: number | null;
  exit_code: number | null;
}

export interface ListRunsOptions {
  /** Where the project is looked for. @default process.cwd() */
  cwd?: string;
  project?: Project;
}

/** Every result folder under the runs root (folders with a config.json), sorted by start time. */
export function listRuns(options: ListRunsOptions = {}): RunSummary[] {
  const project = options.project ?? findProject({ cwd: options.cwd });
  let names: string[];
  try {
    names = fs.readdirSync(project.runsRoot);
  } catch {
    return [];
  }
  const runs: RunSummary[] = [];
  for (const name of names) {
    const dir = join(project.runsRoot, name);
    if (!fs.existsSync(join(dir, RUN_FILES.config))) continue;
    const state = readRunState(dir);
    const started = state.record?.started_at ?? null;
    runs.push({
      name,
      dir,
      status: state.status,
      reason: state.reason,
      config: state.record?.config.name ?? null,
      started_at: started,
      duration_s:
        state.end?.duration_s ??
        (started && state.status === 'running' ? (Date.now() - Date.parse(started)) / 1000 : null),
      exit_code: state.end?.exit_code ?? null,
    });
  }
  return runs.sort(
    (a, b) => (a.started_at ?? '').localeCompare(b.started_at ?? '') || a.name.localeCompare(b.name),
  );
}
