import { fs, join, relative } from '../_builtins.ts';
import { ReproError } from '../errors.ts';
import type { Project } from '../project/project.ts';
import { RUN_FILES } from './layout.ts';
import { readRunState } from './status.ts';

/** The attic's folder name inside the runs root: listings, globs and the graph skip it (a dot folder). */
export const ATTIC = '.attic';

/** One result moved aside: where it was, where it is, when and why (a line of `.attic/moves.jsonl`). */
export interface AtticMove {
  name: string;
  from: string;
  to: string;
  at: string;
  why: string;
}

/** The attic of a project: `<runs root>/.attic`. */
export function atticDir(project: Pick<Project, 'runsRoot'>): string {
  return join(project.runsRoot, ATTIC);
}

/** `model` moved at 2026-11-28T10:31:02.123Z is `model@2026-11-28T10-31-02Z` (then `-2`, `-3` ...). */
function atticName(name: string, at: Date, taken: (n: string) => boolean): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  let candidate = `${name}@${stamp}`;
  for (let i = 2; taken(candidate); i++) candidate = `${name}@${stamp}-${i}`;
  return candidate;
}

/**
 * Moves a result folder, whole and untouched, into the attic by one atomic rename, and logs the
 * move in `.attic/moves.jsonl`. Nothing is deleted or rewritten. A running result is refused;
 * when two callers move the same result at once, one moves it and the other gets
 * REPRO_RESULT_GONE.
 */
export function moveToAttic(project: Pick<Project, 'runsRoot'>, dir: string, why: string): AtticMove {
  const name = relative(project.runsRoot, dir);
  if (!fs.existsSync(join(dir, RUN_FILES.config))) {
    throw new ReproError(
      'REPRO_RESULT_GONE',
      `${name} is not a result in ${project.runsRoot} (moved or removed already?)`,
    );
  }
  const state = readRunState(dir);
  if (state.status === 'running') {
    throw new ReproError(
      'REPRO_RESULT_RUNNING',
      `${name} is running (${state.reason}); a running result is never moved`,
    );
  }
  const attic = atticDir(project);
  fs.mkdirSync(attic, { recursive: true });
  const at = new Date();
  for (;;) {
    const to = join(
      attic,
      atticName(name, at, (n) => fs.existsSync(join(attic, n))),
    );
    try {
      // rename never replaces a non-empty folder; an empty one of that name was made in between
      fs.renameSync(dir, to);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        throw new ReproError('REPRO_RESULT_GONE', `${name} was moved or removed while this command ran`);
      if (code === 'ENOTEMPTY' || code === 'EEXIST') continue;
      throw error;
    }
    const move: AtticMove = { name, from: dir, to, at: at.toISOString(), why };
    fs.appendFileSync(join(attic, 'moves.jsonl'), `${JSON.stringify(move)}\n`);
    return move;
  }
}
