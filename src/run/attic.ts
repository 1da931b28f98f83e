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

/** A result in the attic: its folder there, the name it had, and when it moved there. */
export interface AtticEntry {
  /** The folder's name in the attic: `model@2026-11-28T10-31-02Z` (`-2`, `-3` ... when taken). */
  entry: string;
  /** The result's name in the runs root before it moved: `model`. */
  name: string;
  dir: string;
}

const ENTRY = /^(.+)@(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ)(?:-(\d+))?$/;

/**
 * The results in the attic, each name's copies oldest first (by the time in the folder's name,
 * then its `-2`, `-3`): the last copy of a name is the one moved there last.
 */
export function atticEntries(project: Pick<Project, 'runsRoot'>): AtticEntry[] {
  const attic = atticDir(project);
  let names: string[];
  try {
    names = fs.readdirSync(attic);
  } catch {
    return [];
  }
  const out: (AtticEntry & { stamp: string; n: number })[] = [];
  for (const entry of names) {
    const m = ENTRY.exec(entry);
    if (!m) continue;
    out.push({
      entry,
      name: m[1] as string,
      dir: join(attic, entry),
      stamp: m[2] as string,
      n: Number(m[3] ?? 1),
    });
  }
  const order = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  out.sort((a, b) => order(a.name, b.name) || order(a.stamp, b.stamp) || a.n - b.n);
  return out.map(({ entry, name, dir }) => ({ entry, name, dir }));
}

/** The error of a result that cannot come back: a result of its name is in `where` (the runs root). */
export function nameTaken(entry: AtticEntry, where: string): ReproError {
  return new ReproError(
    'REPRO_RESULT_EXISTS',
    `a result named ${entry.name} is in ${where}; results are never overwritten, so ${entry.entry} stays in the attic`,
    `Move it aside first (repro rm ${entry.name}; it goes to the attic too), then restore ${entry.entry}.`,
  );
}

/**
 * Moves a result back from the attic to its name in the runs root, whole and untouched, by one
 * atomic rename, and logs the move in `.attic/moves.jsonl`. A result of that name in the runs
 * root is never replaced: the name is first taken by an empty folder made exclusively (which a
 * `repro run` of the same name would find there), then the rename puts the result in its place.
 */
export function restoreFromAttic(project: Pick<Project, 'runsRoot'>, entry: AtticEntry): AtticMove {
  const to = join(project.runsRoot, entry.name);
  const exists = () => nameTaken(entry, 'the runs root');
  if (!fs.existsSync(join(entry.dir, RUN_FILES.config)))
    throw new ReproError(
      'REPRO_RESULT_GONE',
      `${entry.entry} is not a result in ${atticDir(project)} (restored or removed already?)`,
    );
  try {
    fs.mkdirSync(to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw exists();
    throw error;
  }
  try {
    // rename replaces the empty folder made above, and nothing else
    fs.renameSync(entry.dir, to);
  } catch (error) {
    try {
      fs.rmdirSync(to);
    } catch {
      // something was written into it meanwhile: it is someone else's now
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new ReproError('REPRO_RESULT_GONE', `${entry.entry} was moved or removed while this command ran`);
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw exists();
    throw error;
  }
  const move: AtticMove = {
    name: entry.name,
    from: entry.dir,
    to,
    at: new Date().toISOString(),
    why: 'repro restore',
  };
  fs.appendFileSync(join(atticDir(project), 'moves.jsonl'), `${JSON.stringify(move)}\n`);
  return move;
}
