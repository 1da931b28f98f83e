import {
  basename,
  dirname,
  extname,
  fs,
  isAbsolute,
  join,
  packageRequire,
  pathToFileURL,
  relative,
  resolve,
} from '../_builtins.ts';
import { sha256Hex } from '../config/hash.ts';
import {
  ScriptMissingError,
  ScriptNotFoundError,
  ScriptNotRunnableError,
  ScriptOutsideProjectError,
} from '../errors.ts';
import { nearestNames } from '../hints.ts';
import type { Project } from '../project/project.ts';

/** How `repro run` starts a config's script. */
export interface ResolvedScript {
  /** Absolute path of the script file, when there is one. */
  file: string | null;
  /** The script path relative to the project root, as recorded. */
  path: string | null;
  /** The interpreter part of the command (empty when the script runs itself). */
  interpreter: string[];
  /** The full command, without the `-c <config>` that repro appends. */
  command: string[];
  /** The command whose `--version` is recorded, for scripts not run by this Node.js. */
  versionOf: string | null;
}

let tsxLoader: string | undefined;
/** The tsx loader shipped with repro, as a URL for `node --import`. */
function tsxImport(): string {
  tsxLoader ??= pathToFileURL(packageRequire().resolve('tsx')).href;
  return tsxLoader;
}

/** The built-in interpreter table; repro.json's `interpreters` extends and overrides it. */
function builtinInterpreter(ext: string): string[] | undefined {
  switch (ext) {
    case '.ts':
    case '.mts':
    case '.cts':
      return [process.execPath, '--import', tsxImport()];
    case '.js':
    case '.mjs':
    case '.cjs':
      return [process.execPath];
    case '.py':
      return ['python3'];
    case '.sh':
      return ['bash'];
    default:
      return undefined;
  }
}

/**
 * Resolves a config's `script` key to a command. The path is relative to the project root and
 * must stay inside it (after following links); the interpreter comes from repro.json by path,
 * then by extension, then from the built-in table; a file with no known extension must be
 * executable.
 */
export function resolveScript(project: Project, script: unknown, configFile: string): ResolvedScript {
  if (script === undefined || script === null) throw new ScriptMissingError(configFile);
  if (typeof script !== 'string' || script.trim() === '') {
    throw new ScriptNotRunnableError(
      String(script),
      `key "script" in ${configFile} must be a path (a string)`,
    );
  }
  const file = resolve(project.root, script);
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    throw new ScriptNotFoundError(script, configFile, closestFile(project, script));
  }
  const rel = relative(fs.realpathSync(project.root), real);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new ScriptOutsideProjectError(script, project.root);
  if (!fs.statSync(real).isFile()) throw new ScriptNotRunnableError(script, 'it is not a file');
  const ext = extname(real);
  const interpreter = project.interpreters[rel] ?? project.interpreters[ext] ?? builtinInterpreter(ext);
  if (interpreter) {
    try {
      fs.accessSync(real, fs.constants.R_OK);
    } catch {
      throw new ScriptNotRunnableError(script, 'it is not readable');
    }
  } else {
    try {
      fs.accessSync(real, fs.constants.X_OK);
    } catch {
      throw new ScriptNotRunnableError(
        script,
        `no interpreter is known for "${ext || 'no extension'}" and the file is not executable`,
      );
    }
  }
  const runner = interpreter ?? [];
  const first = runner[0];
  return {
    file: real,
    path: rel,
    interpreter: runner,
    command: [...runner, real],
    versionOf: first && first !== process.execPath ? first : null,
  };
}

/** An explicit command (`repro run cfg.json -- python train.py`); its first existing file is the script. */
export function resolveCommand(project: Project, command: string[]): ResolvedScript {
  const fileArg = command.find((arg, i) => {
    if (i === 0 && !arg.includes('/')) return false;
    try {
      return fs.statSync(resolve(project.root, arg)).isFile();
    } catch {
      return false;
    }
  });
  const file = fileArg ? resolve(project.root, fileArg) : null;
  const first = command[0];
  return {
    file,
    path: file ? relative(project.root, file) : null,
    interpreter: fileArg && fileArg !== first ? command.slice(0, command.indexOf(fileArg)) : [],
    command,
    versionOf: first && fileArg !== first && first !== 'node' ? first : null,
  };
}

/**
 * The file a mistyped script path most likely meant: the nearest name in its folder, else a file
 * of the same name elsewhere in the project (not in node_modules or the runs root).
 */
function closestFile(project: Project, script: string): string | undefined {
  const file = resolve(project.root, script);
  const dir = dirname(file);
  const want = basename(file);
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((n) => fs.statSync(join(dir, n)).isFile());
  } catch {
    // the folder itself is wrong: look for the name elsewhere
  }
  const [near] = nearestNames(want, names, { max: Math.max(2, Math.floor(want.length / 3)), k: 1 });
  if (near) return relative(project.root, join(dir, near));
  const { globSync } = packageRequire()('tinyglobby') as typeof import('tinyglobby');
  const elsewhere = globSync(`**/${want.replace(/[*?[\]{}()!]/g, '\\$&')}`, {
    cwd: project.root,
    ignore: ['**/node_modules/**', '**/.git/**', `${relative(project.root, project.runsRoot) || 'runs'}/**`],
    deep: 6,
  });
  return elsewhere.sort((a, b) => a.length - b.length)[0];
}

/** `sha256:<hex>` of a file's bytes, or null when it cannot be read. */
export function hashFile(file: string | null): string | null {
  if (!file) return null;
  try {
    return `sha256:${sha256Hex(fs.readFileSync(file))}`;
  } catch {
    return null;
  }
}

let pythonFolder: string | undefined;
/**
 * The folder of the bundled Python module (`python/` in the package, holding `repro/`), found by
 * walking up from this module to the package root: from dist/, dist/chunks/ or src/run/.
 */
export function pythonPath(): string {
  if (pythonFolder) return pythonFolder;
  for (let dir = dirname(new URL(import.meta.url).pathname); ; dir = dirname(dir)) {
    if (fs.existsSync(join(dir, 'python', 'repro', '__init__.py'))) {
      pythonFolder = join(dir, 'python');
      return pythonFolder;
    }
    if (dirname(dir) === dir)
      throw new Error('the Python module (python/repro) is missing from the repro package');
  }
}
