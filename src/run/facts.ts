import { childProcess, fs, join, os, readBytes } from '../_builtins.ts';
import { cacheDir, writeCacheFile } from '../project/cache.ts';

/** Git state of the project at the start of a run. */
export interface GitFacts {
  commit: string | null;
  branch: string | null;
  dirty: boolean;
  /** Untracked, unignored files: not in the saved diff, so listed by name. */
  untracked: string[];
  /** Name of the saved `git diff HEAD` in the result folder, when dirty. */
  diff: string | null;
}

/** The machine and process a run started on. */
export interface HostFacts {
  hostname: string;
  user: string;
  os: string;
  arch: string;
  node: string;
  cpus: number;
  memory_bytes: number;
  /** Linux boot id: a different one means the machine rebooted since. */
  boot_id: string | null;
}

type Output = { stdout: string; stderr: string } | null;
/** Runs a command to completion, asynchronously or (in an exit handler) synchronously. */
type Exec = (cmd: string, args: string[], cwd?: string, timeout?: number) => Output | Promise<Output>;

const execAsync: Exec = (cmd, args, cwd, timeout = 10_000) =>
  new Promise((done) => {
    childProcess().execFile(
      cmd,
      args,
      { cwd, timeout, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        done(error ? null : { stdout, stderr });
      },
    );
  });

const execSync: Exec = (cmd, args, cwd, timeout = 10_000) => {
  const r = childProcess().spawnSync(cmd, args, {
    cwd,
    timeout,
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  return r.status === 0 ? { stdout: r.stdout, stderr: r.stderr } : null;
};

/**
 * Git facts plus the text of `git diff HEAD` when the work tree has changes, and the paths git
 * does not track (untracked and ignored; a folder ends in `/` and covers what is below it).
 */
export type GitResult = { facts: GitFacts; diffText: string | null; notTracked: string[] } | null;

// --ignored=matching lists an ignored folder, not its files: the same one call also tells which
// of a run's code files git does not track
const STATUS_ARGS = [
  '--no-optional-locks',
  'status',
  '--porcelain=v2',
  '--branch',
  '-z',
  '--ignored=matching',
];
const DIFF_ARGS = ['--no-optional-locks', 'diff', 'HEAD', '--binary'];

/**
 * One `git status` for commit, branch, dirtiness and untracked files, then `git diff HEAD` only
 * when tracked files changed. `--no-optional-locks` keeps parallel runs from fighting over
 * index.lock.
 */
export async function gatherGitFacts(root: string): Promise<GitResult> {
  const status = await execAsync('git', STATUS_ARGS, root);
  const parsed = status && parseGitStatus(status.stdout);
  if (!parsed) return null;
  const diff = parsed.changed && parsed.facts.commit ? await execAsync('git', DIFF_ARGS, root) : null;
  return { facts: parsed.facts, diffText: diff?.stdout || null, notTracked: parsed.notTracked };
}

/** The same, blocking: for a run that ends before the asynchronous facts arrived. */
export function gatherGitFactsSync(root: string): GitResult {
  const status = execSync('git', STATUS_ARGS, root) as Output;
  const parsed = status && parseGitStatus(status.stdout);
  if (!parsed) return null;
  const diff = parsed.changed && parsed.facts.commit ? (execSync('git', DIFF_ARGS, root) as Output) : null;
  return { facts: parsed.facts, diffText: diff?.stdout || null, notTracked: parsed.notTracked };
}

/**
 * Whether git tracks a path (relative to the project root), from the untracked and ignored
 * entries of `git status` (paths relative to the work tree root, `prefix` being the project's
 * place in it).
 */
export function isTracked(path: string, notTracked: readonly string[], prefix = ''): boolean {
  const full = prefix ? `${prefix}/${path}` : path;
  return !notTracked.some((p) => (p.endsWith('/') ? full.startsWith(p) : full === p));
}

/** Parses `git status --porcelain=v2 --branch -z`. */
export function parseGitStatus(stdout: string): { facts: GitFacts; changed: boolean; notTracked: string[] } {
  let commit: string | null = null;
  let branch: string | null = null;
  let changed = false;
  const untracked: string[] = [];
  const ignored: string[] = [];
  const entries = stdout.split('\0');
  for (let i = 0; i < entries.length; i++) {
    const line = entries[i] as string;
    if (line.startsWith('# branch.oid ')) {
      const oid = line.slice(13);
      commit = oid === '(initial)' ? null : oid;
    } else if (line.startsWith('# branch.head ')) {
      const head = line.slice(14);
      branch = head === '(detached)' ? null : head;
    } else if (line.startsWith('? ')) {
      untracked.push(line.slice(2));
    } else if (line.startsWith('! ')) {
      ignored.push(line.slice(2));
    } else if (line.startsWith('2 ')) {
      changed = true;
      i++; // a rename entry is followed by its original path
    } else if (line.startsWith('1 ') || line.startsWith('u ')) {
      changed = true;
    }
  }
  return {
    facts: { commit, branch, dirty: changed || untracked.length > 0, untracked, diff: null },
    changed,
    notTracked: [...untracked, ...ignored],
  };
}

let hostCache: HostFacts | undefined;

export function gatherHostFacts(): HostFacts {
  if (hostCache) return hostCache;
  let user = process.env.USER ?? '';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (containers): keep $USER
  }
  hostCache = {
    hostname: os.hostname(),
    user,
    os: `${os.type()} ${os.release()}`,
    arch: process.arch,
    node: process.version,
    cpus: os.availableParallelism(),
    memory_bytes: os.totalmem(),
    boot_id: readBootId(),
  };
  return hostCache;
}

export function readBootId(): string | null {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

/** Start time of a process in clock ticks since boot (Linux), to tell a reused pid from ours. */
export function processStartTicks(pid: number): string | null {
  return processStat(pid)?.startTicks ?? null;
}

/**
 * A Linux process's state letter (`Z`: a zombie, dead but not yet reaped) and start time in
 * clock ticks, from /proc; null elsewhere or when it is gone.
 */
export function processStat(pid: number): { state: string; startTicks: string | null } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may hold spaces and parentheses: fields count from the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', startTicks: fields[19] ?? null };
  } catch {
    return null;
  }
}

/** The version of a script's interpreter and the packages its runtime has installed. */
export interface RuntimeFacts {
  version: string | null;
  /**
   * Python: every installed distribution (importlib.metadata); Node.js: the project's direct
   * dependencies as installed. Null when they could not be learned.
   */
  packages: { runtime: 'python' | 'node'; versions: Record<string, string> } | null;
}

/**
 * One Python start for both: the version line, then the installed distributions as JSON, read
 * from the names of the *.dist-info and *.egg-info folders on sys.path (the first of a name
 * wins, as for imports). Listing folders costs a few milliseconds where importlib.metadata,
 * which parses every METADATA file, costs 300 ms for 100 packages. Names are as the folders
 * spell them (PEP 427: scikit_learn), with "_" read as "-".
 */
const PYTHON_FACTS = `import sys, os, json
print("Python " + sys.version.split()[0])
d = {}
dirs = []
for p in sys.path:
    if not p:
        continue
    try:
        names = os.listdir(p)
    except OSError:
        continue
    dirs.append(os.path.abspath(p))
    for n in names:
        if n.endswith((".dist-info", ".egg-info")):
            parts = n.rsplit(".", 1)[0].split("-")
            if len(parts) >= 2:
                d.setdefault(parts[0].replace("_", "-"), parts[1])
print(json.dumps(d, sort_keys=True))
print(json.dumps(dirs))
`;

/** True for a command that is a Python interpreter (python, python3, python3.11, a venv's). */
export function isPython(command: string): boolean {
  return /^python[\d.]*$/.test(command.split('/').pop() ?? '');
}

function parseRuntime(command: string, out: Output): RuntimeFacts {
  if (!isPython(command)) return { version: firstLine(out), packages: null };
  const [version, packages, dirs] = (out?.stdout ?? '').split('\n');
  remember(command, version, packages, dirs);
  let versions: Record<string, string> | null = null;
  try {
    versions = JSON.parse(packages ?? 'null');
  } catch {
    // an interpreter that printed something else: the version line is still worth keeping
  }
  return {
    version: version?.trim() || null,
    packages: versions ? { runtime: 'python', versions } : null,
  };
}

/**
 * `python3 --version` and the like (for Python, the installed distributions too). A Python
 * interpreter's facts are cached (pythonCache) while nothing they depend on changed. When the
 * command is a wrapper (a pyenv or asdf shim: a script that picks a Python at each call), the
 * Python it chose is read from the script's own process once it is running (`script`, its pid),
 * and that interpreter's facts are cached and asked for instead: no second trip through the shim.
 */
export async function interpreterFacts(
  command: string,
  script?: Promise<number | undefined>,
): Promise<RuntimeFacts> {
  if (!isPython(command)) return parseRuntime(command, await execAsync(command, ['--version']));
  const known = recall(command);
  if (known) return known;
  const pid = script && (await script);
  const chosen = pid === undefined ? undefined : await pythonOfProcess(pid);
  if (chosen && chosen !== command) {
    const facts = recall(chosen);
    if (facts) return facts;
    const asked = parseRuntime(chosen, await execAsync(chosen, ['-c', PYTHON_FACTS]));
    if (asked.version) return asked;
  }
  return parseRuntime(command, await execAsync(command, ['-c', PYTHON_FACTS]));
}

/** How long a wrapper may take to become Python before it is asked through the wrapper. */
const WRAPPER_WAIT_MS = 3000;

/**
 * The Python interpreter a process became (Linux): the path it was started by (argv[0], which
 * is how Python finds a venv) once its executable is a Python binary; a shim execs the Python
 * it picks in the same process. Undefined when the process ends first or does not become Python
 * within WRAPPER_WAIT_MS, or when argv[0] is not a path (it was found on the wrapper's PATH).
 */
export async function pythonOfProcess(pid: number, waitMs = WRAPPER_WAIT_MS): Promise<string | undefined> {
  const started = processStartTicks(pid);
  if (started === null) return undefined;
  const until = Date.now() + waitMs;
  for (let pause = 1; ; pause = Math.min(pause * 2, 20)) {
    // the same process still (a pid is reused only after its process is gone)
    if (processStartTicks(pid) !== started) return undefined;
    let exe: string;
    try {
      exe = fs.readlinkSync(`/proc/${pid}/exe`);
    } catch {
      return undefined;
    }
    if (isPython(exe)) {
      const argv0 = pythonArgv0(pid);
      // mid-exec the executable is Python already while the new argv is not yet in place
      // (cmdline reads empty for a moment): look again
      if (argv0 !== '') return argv0;
    }
    if (Date.now() >= until) return undefined;
    await new Promise((wake) => setTimeout(wake, pause));
  }
}

/** argv[0] of a Python process as a full path; '' while its argv is not readable yet. */
function pythonArgv0(pid: number): string | undefined {
  try {
    const argv0 = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[0] ?? '';
    if (argv0 === '') return '';
    if (!argv0.includes('/') || !isPython(argv0)) return undefined;
    return argv0.startsWith('/') ? argv0 : join(fs.readlinkSync(`/proc/${pid}/cwd`), argv0);
  } catch {
    return undefined;
  }
}

export function interpreterFactsSync(command: string): RuntimeFacts {
  const known = isPython(command) ? recall(command) : undefined;
  if (known) return known;
  const args = isPython(command) ? ['-c', PYTHON_FACTS] : ['--version'];
  return parseRuntime(command, execSync(command, args) as Output);
}

// --- the Python facts cache -----------------------------------------------------------------
//
// Asking Python costs a whole interpreter start (55-120 ms here) on every run. The answer
// depends on the interpreter binary and on the folders of its sys.path (pip adds and removes
// *.dist-info folders there, which changes the folder's time), so it is kept per binary and
// reused while the binary's and every folder's modification time are as they were. A command
// that is a script (a pyenv shim picks its Python at each call) is never cached; the variables
// that change sys.path are part of the key.

type PythonCacheEntry = {
  binary: string;
  mtimeMs: number;
  dirs: Record<string, number>;
  facts: RuntimeFacts;
};

const PYTHON_ENV = ['PYTHONPATH', 'PYTHONHOME', 'PYTHONUSERBASE', 'PYTHONNOUSERSITE', 'PYTHONSAFEPATH'];

/** The interpreter binary a command runs, when it is one (not a script such as a shim). */
function interpreterBinary(command: string): { key: string; binary: string; mtimeMs: number } | undefined {
  let found: string | undefined;
  if (command.includes('/')) found = command;
  else
    for (const dir of (process.env.PATH ?? '').split(':')) {
      if (dir && fs.existsSync(`${dir}/${command}`)) {
        found = `${dir}/${command}`;
        break;
      }
    }
  if (!found) return undefined;
  try {
    const binary = fs.realpathSync(found);
    if (readBytes(binary, 2).toString('latin1') === '#!') return undefined;
    // the variables that change sys.path are part of the key: the same binary with another
    // PYTHONPATH is another set of packages
    const key = [found, ...PYTHON_ENV.map((k) => process.env[k] ?? '')].join('\0');
    return { key, binary, mtimeMs: fs.statSync(binary).mtimeMs };
  } catch {
    return undefined;
  }
}

function pythonCacheFile(): string {
  return join(cacheDir(), 'python-facts.json');
}

function readPythonCache(): Record<string, PythonCacheEntry> {
  try {
    const value = JSON.parse(fs.readFileSync(pythonCacheFile(), 'utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

function recall(command: string): RuntimeFacts | undefined {
  const bin = interpreterBinary(command);
  if (!bin) return undefined;
  const entry = readPythonCache()[bin.key];
  if (!entry || entry.binary !== bin.binary || entry.mtimeMs !== bin.mtimeMs) return undefined;
  for (const [dir, mtimeMs] of Object.entries(entry.dirs))
    if (fs.statSync(dir, { throwIfNoEntry: false })?.mtimeMs !== mtimeMs) return undefined;
  return entry.facts;
}

function remember(command: string, version?: string, packages?: string, dirs?: string): void {
  const bin = interpreterBinary(command);
  if (!bin || !version?.trim()) return;
  try {
    const list = JSON.parse(dirs ?? 'null') as unknown;
    const versions = JSON.parse(packages ?? 'null') as Record<string, string> | null;
    if (!Array.isArray(list) || !versions) return;
    const times: Record<string, number> = {};
    for (const dir of list) {
      const st = typeof dir === 'string' ? fs.statSync(dir, { throwIfNoEntry: false }) : undefined;
      if (!st) return;
      times[dir as string] = st.mtimeMs;
    }
    const cache = readPythonCache();
    cache[bin.key] = {
      binary: bin.binary,
      mtimeMs: bin.mtimeMs,
      dirs: times,
      facts: { version: version.trim(), packages: { runtime: 'python', versions } },
    };
    writeCacheFile(pythonCacheFile(), JSON.stringify(cache));
  } catch {
    // no cache this time: the next run asks the interpreter again
  }
}

/**
 * The project's direct dependencies (package.json) as installed: each one's version from the
 * nearest node_modules/<name>/package.json up from the project root; null without package.json.
 */
export function nodePackages(root: string): RuntimeFacts['packages'] {
  let manifest: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  try {
    manifest = JSON.parse(fs.readFileSync(`${root}/package.json`, 'utf8'));
  } catch {
    return null;
  }
  const versions: Record<string, string> = {};
  for (const name of Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).sort()) {
    for (let dir = root; ; ) {
      try {
        versions[name] = JSON.parse(
          fs.readFileSync(`${dir}/node_modules/${name}/package.json`, 'utf8'),
        ).version;
        break;
      } catch {
        const up = dir.slice(0, dir.lastIndexOf('/'));
        if (!up || up === dir) {
          versions[name] = 'not installed';
          break;
        }
        dir = up;
      }
    }
  }
  return { runtime: 'node', versions };
}

/** Tracked files with uncommitted changes (`git status`, untracked files left out); null outside git. */
export function uncommittedChanges(root: string): string[] | null {
  const out = execSync(
    'git',
    ['--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=no'],
    root,
  ) as Output;
  if (!out) return null;
  return out.stdout
    .split('\0')
    .filter((e) => e.length > 3)
    .map((e) => e.slice(3));
}

function firstLine(out: Output): string | null {
  const text = out && (out.stdout.trim() || out.stderr.trim()).split('\n')[0];
  return text ? text.trim() : null;
}

/** The values of the recorded environment variables that are set. */
export function recordedEnv(
  names: readonly string[],
  from: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of names) {
    const value = from[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}
