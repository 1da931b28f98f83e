"""repro for Python scripts: the same run, records and rules as the TypeScript API.

    import repro

    run = repro.start_run()                  # parses -c/--conf/--set/--postfix
    lr = run.params.get("lr", 0.001)         # a default for configs that lack the key
    epochs = run.params.require("epochs")    # a clear error when the config lacks it
    for step in range(epochs):
        run.log(step=step, loss=0.5 / (step + 1))
    with run.open("model.json", "w") as f:   # created exclusively: never overwrites
        f.write("{}")

Started by ``repro run``, the script adopts the result folder repro made (REPRO_RUN_DIR).
Run by hand (``PYTHONPATH=$(npx repro python-path) python3 train.py -c configs/model.json``),
``start_run`` has ``repro begin`` make the folder, config.json and run.json exactly as
``repro run`` and the TypeScript ``startRun`` do, then records how the run ended in end.json.
Either way, ``effective.json`` is written at exit: every key read, the defaults used, and the
keys never read with the closest key that was (typo suspects).

The standard library only, Python 3.9 or newer; importing it loads nothing heavy.
docs/python.md has the whole API.
"""

from __future__ import annotations

import errno
import json
import math
import os
import sys

__all__ = ["start_run", "Run", "Params", "ReproError", "python_path"]

#: The files repro itself writes into a result folder (docs/results.md).
RUN_FILES = {
    "config": "config.json",
    "record": "run.json",
    "end": "end.json",
    "effective": "effective.json",
    "metrics": "metrics.jsonl",
    "stdout": "stdout.log",
    "stderr": "stderr.log",
    "heartbeat": ".heartbeat",
}
#: Config keys that repro itself reads; never reported as unread.
RESERVED_KEYS = ("script", "source", "inputs", "paranoia", "inputs_allow_empty")
#: How often a standalone run touches its heartbeat file, in seconds (as the TypeScript side).
HEARTBEAT_S = 30.0


class ReproError(Exception):
    """An error with a stable code and a hint for the fix, as the TypeScript side's ReproError."""

    def __init__(self, code: str, message: str, hint: str = ""):
        super().__init__(f"{message}\nhint: {hint}" if hint else message)
        self.code = code
        self.message = message
        self.hint = hint


def python_path() -> str:
    """The folder that holds this module: put it on PYTHONPATH (``repro python-path`` prints it)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --- typo guard ------------------------------------------------------------------------------


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, as fastest-levenshtein computes it on the TypeScript side."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _closest(key: str, keys) -> str | None:
    """The first key at the smallest distance (ties keep the order given)."""
    best, best_d = None, None
    for k in keys:
        d = _distance(key, k)
        if best_d is None or d < best_d:
            best, best_d = k, d
    return best


def _is_near(a: str, b: str) -> bool:
    """Close enough to be a typo: at most a third of the letters differ (at least 2 allowed)."""
    return _distance(a, b) <= max(2, max(len(a), len(b)) // 3)


# --- params ----------------------------------------------------------------------------------


def _json_type(value) -> str:
    """The JSON type of a value, in the words of the TypeScript side's messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


_MISSING = object()


class Params:
    """Read access to a run's merged config that remembers what was read (``run.params``)."""

    def __init__(self, config: dict, config_name: str):
        self._config = config
        self._config_name = config_name
        # key -> (value, defaulted), in the order first read
        self._read: dict = {}

    def get(self, key: str, default=None):
        """The config value of ``key``, or ``default`` when the config lacks it.

        A value whose JSON type differs from the default's is an error (``REPRO_PARAM_TYPE``):
        ``get("epochs", 5)`` on ``"epochs": "5"`` stops instead of training on a string.
        """
        value = self._config.get(key, _MISSING)
        if value is _MISSING:
            self._read[key] = (default, True)
            return default
        if default is not None and _json_type(value) != _json_type(default):
            raise ReproError(
                "REPRO_PARAM_TYPE",
                f'config key "{key}" is {_json_type(value)}, but the script\'s default is {_json_type(default)}',
                f"Fix the value in the config (for example --set {key}=...), or change the default in the script.",
            )
        self._read[key] = (value, False)
        return value

    def require(self, key: str):
        """The config value of ``key``; a clear error (``REPRO_PARAM_MISSING``) when it lacks it."""
        value = self._config.get(key, _MISSING)
        if value is _MISSING:
            near = _closest(key, list(self._config))
            tail = f' (did you mean "{near}"?)' if near is not None and _is_near(key, near) else ""
            raise ReproError(
                "REPRO_PARAM_MISSING",
                f'config {self._config_name} has no key "{key}", and the script requires it{tail}',
                f"Add it to the config, or set it for this run: --set {key}=...",
            )
        self._read[key] = (value, False)
        return value

    def has(self, key: str) -> bool:
        """True when the config sets ``key`` (does not count as reading it)."""
        return key in self._config

    def mark_read(self, *keys: str) -> None:
        """Marks keys as read without reading them, for code that takes the config wholesale."""
        for key in keys:
            if key in self._config:
                self._read[key] = (self._config[key], False)

    def __getitem__(self, key: str):
        return self.require(key)

    def __contains__(self, key: str) -> bool:
        return self.has(key)

    def effective(self) -> dict:
        """What the code used: ``values`` read, ``defaults`` used, ``unread`` keys (typo suspects)."""
        values, defaults = {}, {}
        for key in sorted(self._read, key=lambda k: (k.lower(), k.swapcase())):
            value, defaulted = self._read[key]
            values[key] = value
            if defaulted:
                defaults[key] = value
        read_keys = list(self._read)
        unread = []
        for key in self._config:
            if key in self._read or key in RESERVED_KEYS:
                continue
            near = _closest(key, read_keys)
            hit = near if near is not None and _is_near(key, near) else None
            tail = ""
            if hit is not None:
                value, defaulted = self._read[hit]
                how = f"defaulted to {_dumps(value)}" if defaulted else "was read"
                tail = f'; did you mean "{hit}", which {how}?'
            unread.append({"key": key, "closest": hit, "message": f'"{key}" was never read{tail}'})
        return {"values": values, "defaults": defaults, "unread": unread}


# --- writing ---------------------------------------------------------------------------------


def _plain(value):
    """A metric value as JSON takes it: NaN and infinities as the strings the TypeScript side writes,
    NumPy and other number-like scalars as numbers, containers element by element."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    item = getattr(value, "item", None)  # NumPy, PyTorch and JAX scalars
    if callable(item):
        try:
            return _plain(item())
        except (TypeError, ValueError):
            pass
    if hasattr(value, "__float__"):
        return _plain(float(value))
    raise ReproError(
        "REPRO_USAGE",
        f"run.log() cannot write a {type(value).__name__} as JSON",
        "Log numbers, strings, booleans, lists or dicts: convert the value (float(x), x.tolist()).",
    )


def _dumps(value) -> str:
    """JSON as the TypeScript side's JSON.stringify writes it: compact, UTF-8."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


_writes = 0

# what os.link raises on a file system without hard links
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EXDEV, errno.EMLINK}


def _write_new(path: str, text: str) -> None:
    """Creates a file exclusively: never over one that exists. The file appears whole: written
    under a temporary name beside it, then linked to its own name (which fails if that exists),
    so that no reader sees an empty or half-written end.json. The same as the TypeScript side's
    writeExclusive; where the file system has no hard links, the file is written in place."""
    global _writes
    _writes += 1
    folder, name = os.path.split(path)
    temp = os.path.join(folder, f".{name}.{os.getpid()}-{_writes}.writing")
    try:
        try:
            with open(temp, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError:
            _write_in_place(path, text)
            return
        try:
            os.link(temp, path)
        except FileExistsError:
            _exists(path)
        except OSError as error:
            if error.errno not in _NO_LINKS:
                raise
            _write_in_place(path, text)
    finally:
        try:
            os.unlink(temp)
        except OSError:
            pass


def _write_in_place(path: str, text: str) -> None:
    try:
        with open(path, "x", encoding="utf-8") as f:
            f.write(text)
    except FileExistsError:
        _exists(path)


def _exists(path: str) -> None:
    raise ReproError(
        "REPRO_FILE_EXISTS",
        f"{path} already exists; files in a result folder are never overwritten",
        "Write under another name.",
    ) from None


class _Tee:
    """A text stream that also copies what is written into a log file (stdout.log, stderr.log)."""

    def __init__(self, stream, log):
        self._stream = stream
        self._log = log

    def write(self, text):
        try:
            self._log.write(text)
            self._log.flush()
        except (OSError, ValueError):
            pass  # the log is a copy; the terminal output goes on
        return self._stream.write(text)

    def flush(self):
        self._stream.flush()

    def __getattr__(self, name):
        return getattr(self._stream, name)


# --- the run ---------------------------------------------------------------------------------


class Run:
    """A running experiment: its result folder, its merged config (``params``) and the ways to
    write into the folder, none of which can overwrite. Made by ``start_run``."""

    def __init__(self, *, dir: str, name: str, config_name: str, config: dict, id: str, adopted: bool,
                 runs_root: str, started_at: float):
        #: absolute path of the result folder
        self.dir = dir
        #: result folder name, e.g. ``model`` or ``model~lr=0.1``
        self.name = name
        #: the config's name (its file name without .json)
        self.config_name = config_name
        #: the merged config; prefer ``params.get`` so reads are recorded
        self.config = config
        #: the run's unique id (run.json ``id``)
        self.id = id
        #: True when ``repro run`` made the folder and this process adopted it
        self.adopted = adopted
        self.params = Params(config, config_name)
        self.runs_root = runs_root
        self._started_at = started_at
        self._ino = os.stat(dir).st_ino
        self._metrics = None
        self._finished = False
        self._interrupted = None
        self._undo = []

    # -- files --

    def owns(self) -> bool:
        """True while the folder at ``dir`` is still this run's (not removed or replaced)."""
        try:
            return os.stat(self.dir).st_ino == self._ino
        except OSError:
            return False

    def _check(self, what: str) -> None:
        if not self.owns():
            raise ReproError(
                "REPRO_FOLDER_LOST",
                f"{self.dir} was removed or replaced during the run; {what} is not written there",
                "Run the config again.",
            )

    def path(self, name: str):
        """The path of a new file ``name`` in the folder (a ``pathlib.Path``): its sub-folders are
        made, a path that leaves the folder is refused, and so is a file that exists already."""
        from pathlib import Path

        root = Path(self.dir).resolve()
        full = (root / name).resolve()
        if not name or os.path.isabs(name) or full == root or root not in full.parents:
            raise ReproError(
                "REPRO_PATH_OUTSIDE_RUN",
                f'"{name}" is not a path inside the result folder',
                'Use a relative path such as "model.bin" or "plots/loss.svg".',
            )
        self._check(name)
        if full.exists():
            raise ReproError(
                "REPRO_FILE_EXISTS",
                f"{full} already exists; files in a result folder are never overwritten",
                "Write under another name.",
            )
        full.parent.mkdir(parents=True, exist_ok=True)
        return full

    def open(self, name: str, mode: str = "w", **kwargs):
        """Opens a file in the folder. Writing creates it exclusively (``"w"`` is taken as ``"x"``):
        an existing file is an error, never overwritten. ``"r"`` reads one."""
        if "a" in mode or "+" in mode:
            raise ReproError(
                "REPRO_USAGE",
                f'run.open("{name}", "{mode}"): result files are created once and never changed',
                'Open a new file with "w" (or "wb"), and write it whole.',
            )
        if "r" in mode:
            return open(os.path.join(self.dir, name), mode, **kwargs)
        full = self.path(name)
        if "b" not in mode:
            kwargs.setdefault("encoding", "utf-8")
        return open(full, mode.replace("w", "x") if "x" not in mode else mode, **kwargs)

    def write_file(self, name: str, data) -> str:
        """Writes a new file whole (``str`` or ``bytes``); returns its path."""
        with self.open(name, "xb" if isinstance(data, (bytes, bytearray)) else "x") as f:
            f.write(data)
        return str(os.path.join(self.dir, name))

    # -- metrics --

    def log(self, row: dict | None = None, /, **metrics) -> None:
        """Appends one line to metrics.jsonl: ``run.log(step=10, loss=0.52)`` or ``run.log({...})``.
        Flushed at once; NaN and infinities are written as "NaN", "Infinity", "-Infinity"."""
        if row is not None and not isinstance(row, dict):
            raise ReproError("REPRO_USAGE", "run.log() takes keyword metrics or a dict such as {'step': 1, 'loss': 0.5}")
        values = dict(row or {})
        if "step" in metrics:
            values = {"step": metrics.pop("step"), **values}
        values.update(metrics)
        line = _dumps(_plain(values)) + "\n"
        if self._metrics is None:
            self._check(RUN_FILES["metrics"])
            file = os.path.join(self.dir, RUN_FILES["metrics"])
            try:
                self._metrics = open(file, "x", encoding="utf-8")
            except FileExistsError:
                raise ReproError(
                    "REPRO_FILE_EXISTS",
                    f"{file} already exists; files in a result folder are never overwritten",
                    "Write under another name.",
                ) from None
        self._metrics.write(line)
        self._metrics.flush()

    # -- sources --

    def sources(self) -> list:
        """The folders (``pathlib.Path``) of every upstream result the config's ``source`` names,
        each checked by repro to be finished and ``done`` before the run started."""
        from pathlib import Path

        self.params.mark_read("source")
        names = self.config.get("source")
        names = [] if names is None else [names] if isinstance(names, str) else list(names)
        out = []
        for n in names:
            folder = Path(self.runs_root) / n
            if not (folder / RUN_FILES["config"]).is_file():
                raise ReproError(
                    "REPRO_SOURCE",
                    f"config {self.config_name}: source {n} has no result at {folder}",
                    f"Make it first: repro make {n}",
                )
            out.append(folder)
        return out

    def source(self, name: str | None = None):
        """The folder of the one upstream result (or of the one named ``name``)."""
        folders = self.sources()
        if name is not None:
            for f in folders:
                if f.name == name:
                    return f
            raise ReproError(
                "REPRO_USAGE",
                f'config {self.config_name} has no source "{name}"',
                f"Its sources: {', '.join(f.name for f in folders) or 'none'}.",
            )
        if len(folders) != 1:
            raise ReproError(
                "REPRO_USAGE",
                f"config {self.config_name} names {len(folders)} sources; run.source() wants exactly one",
                "Use run.sources() for a list, or run.source(name)." if folders
                else 'Add "source": "<upstream result name>" to the config.',
            )
        return folders[0]

    # -- the end --

    def effective(self) -> dict:
        """The effective config so far: every value read, the defaults used, keys never read."""
        return self.params.effective()

    def finish(self, status: str = "done", exit_code: int | None = None, signal: str | None = None) -> None:
        """Ends the run: writes effective.json, warns of keys never read and (unless ``repro run``
        owns the folder) creates end.json. Runs once; later calls do nothing. Called at exit."""
        if self._finished:
            return
        self._finished = True
        if exit_code is None:
            exit_code = 0 if status == "done" else 1
        effective = self.params.effective()
        for u in effective["unread"]:
            sys.stderr.write(f"repro: warning: {u['message']}\n")
        for undo in reversed(self._undo):
            undo()
        if self._metrics is not None:
            self._metrics.close()
        try:
            if not self.owns():
                raise OSError(f"{self.dir} was removed or replaced during the run")
            _write_new(os.path.join(self.dir, RUN_FILES["effective"]), json.dumps(effective, indent=2, ensure_ascii=False) + "\n")
            if not self.adopted:
                import time

                end = {
                    "status": status,
                    "exit_code": exit_code,
                    "signal": signal,
                    "ended_at": _iso_now(),
                    "duration_s": round((time.time() - self._started_at) * 100) / 100,
                }
                _write_new(os.path.join(self.dir, RUN_FILES["end"]), json.dumps(end, indent=2) + "\n")
        except (OSError, ReproError) as error:
            sys.stderr.write(f"repro: warning: the end of the run ({status}) is not fully recorded: {error}\n")

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind is None:
            self.finish("done", 0)
        elif issubclass(kind, KeyboardInterrupt):
            self.finish("interrupted", 130, "SIGINT")
        elif issubclass(kind, SystemExit):
            code = error.code if isinstance(error.code, int) else (0 if error.code is None else 1)
            if getattr(self, "_interrupted", None):
                self.finish("interrupted", 143 if self._interrupted == "SIGTERM" else 130, self._interrupted)
            else:
                self.finish("done" if code == 0 else "failed", code)
        else:
            self.finish("failed", 1)
        return False


def _iso_now() -> str:
    """The time now as the TypeScript side writes it: 2026-01-02T03:04:05.678Z."""
    import datetime

    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


# --- starting --------------------------------------------------------------------------------


def _config_arg(argv) -> str | None:
    """The -c/--config value among a script's arguments (the rest is parsed by repro itself)."""
    for i, arg in enumerate(argv):
        if arg == "--":
            return None
        if arg in ("-c", "--config") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--config="):
            return arg[len("--config="):]
        if arg.startswith("-c") and len(arg) > 2 and not arg.startswith("--"):
            return arg[2:]
    return None


def _cli():
    """The command that runs repro's CLI: $REPRO_NODE (else node on PATH) with the package's cli.js."""
    import shutil

    node = os.environ.get("REPRO_NODE") or shutil.which("node")
    cli = os.path.join(os.path.dirname(python_path()), "dist", "cli.js")
    if not node:
        raise ReproError(
            "REPRO_USAGE",
            "repro.start_run() run by hand needs Node.js to make the result folder, and node is not on PATH",
            "Install Node.js 20 or newer, set REPRO_NODE to its path, or start the script with repro run.",
        )
    if not os.path.isfile(cli):
        raise ReproError(
            "REPRO_USAGE",
            f"repro's CLI is missing beside the Python module ({cli})",
            "Use the module from an installed repro package: PYTHONPATH=$(npx repro python-path).",
        )
    return [node, cli]


def start_run(argv=None, *, strict: bool | None = None, handle_exit: bool = True, capture_output: bool = True) -> Run:
    """Sets up a script in the shape every repro script has and returns its ``Run``.

    Parses ``-c/--config``, ``--conf``, ``--set`` and ``--postfix`` from ``argv`` (default
    ``sys.argv[1:]``) exactly as the TypeScript ``startRun`` does. Started by ``repro run`` it
    adopts the folder repro made; run by hand it has repro make the folder, config.json and
    run.json, then copies stdout and stderr into the folder and writes end.json at exit
    (``interrupted`` on Ctrl-C or SIGTERM, ``failed`` on an uncaught exception or a non-zero
    ``sys.exit``). Bad arguments or a config repro refuses print repro's error and hint and exit
    (``SystemExit``), as argparse does, with nothing made. ``strict`` makes a likely typo in the config's keys an error (default:
    repro.json ``strict``). ``handle_exit=False`` leaves ``run.finish()`` to you (or use the run as
    a context manager: ``with repro.start_run() as run:``).
    """
    import time

    argv = list(sys.argv[1:] if argv is None else argv)
    given = _config_arg(argv)
    env = os.environ
    adopted = (
        env.get("REPRO_RUN_DIR") and env.get("REPRO_CONFIG") and env.get("REPRO_CONFIG_NAME")
        # a script that a run starts with another config is a run of its own
        and (given is None or os.path.realpath(given) == os.path.realpath(env["REPRO_CONFIG"]))
    )
    if adopted:
        with open(env["REPRO_CONFIG"], encoding="utf-8") as f:
            config = json.load(f)
        run_dir = env["REPRO_RUN_DIR"]
        run = Run(
            dir=run_dir,
            name=env.get("REPRO_RUN_NAME") or env["REPRO_CONFIG_NAME"],
            config_name=env["REPRO_CONFIG_NAME"],
            config=config,
            id=env.get("REPRO_RUN_ID", ""),
            adopted=True,
            runs_root=os.path.dirname(run_dir),
            started_at=time.time(),
        )
    else:
        run = _begin(argv, strict)
        if capture_output:
            _capture_output(run)
        _start_heartbeat(run)
    if handle_exit:
        _install_exit_handlers(run)
    return run


def _begin(argv, strict) -> Run:
    """``repro begin``: the folder, config.json and run.json, made by the one implementation."""
    import subprocess
    import time

    script = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] not in ("", "-c", "-") else None
    command = _cli() + ["begin", "--interpreter", sys.executable, "--pid", str(os.getpid())]
    if script and os.path.isfile(script):
        command += ["--script", script]
    if strict:
        command.append("--strict")
    done = subprocess.run(command + ["--"] + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        # repro's own words ("error: ..." and a hint), and its exit code, as argparse does with
        # bad arguments: nothing was made, and a traceback would only hide the message
        sys.stderr.write(done.stderr or f"error: repro begin exited {done.returncode}\n")
        raise SystemExit(done.returncode)
    sys.stderr.write(done.stderr)  # warnings: flatness, a stale upstream, a likely typo
    made = json.loads(done.stdout)
    return Run(
        dir=made["dir"],
        name=made["name"],
        config_name=made["config_name"],
        config=made["config"],
        id=made["id"],
        adopted=False,
        runs_root=made["runs_root"],
        started_at=_parse_iso(made["started_at"]) if made.get("started_at") else time.time(),
    )


def _parse_iso(text: str) -> float:
    import datetime

    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def _capture_output(run: Run) -> None:
    """Copies this process's stdout and stderr into stdout.log and stderr.log (as the TS side)."""
    logs = []
    for name in ("stdout", "stderr"):
        log = open(os.path.join(run.dir, RUN_FILES[name]), "x", encoding="utf-8", errors="replace")
        original = getattr(sys, name)
        setattr(sys, name, _Tee(original, log))
        logs.append((name, original, log))

    def undo():
        for name, original, log in logs:
            if isinstance(getattr(sys, name), _Tee):
                setattr(sys, name, original)
            log.close()

    run._undo.append(undo)


def _start_heartbeat(run: Run) -> None:
    """Touches .heartbeat every 30 s while the run lives, so another host can tell a crash."""
    import threading

    stop = threading.Event()

    def beat():
        file = os.path.join(run.dir, RUN_FILES["heartbeat"])
        while not stop.wait(HEARTBEAT_S):
            if not run.owns():
                continue
            try:
                with open(file, "a"):
                    pass
                os.utime(file)
            except OSError:
                pass  # the end record still decides

    threading.Thread(target=beat, name="repro-heartbeat", daemon=True).start()
    run._undo.append(stop.set)


def _install_exit_handlers(run: Run) -> None:
    """At exit: the end of the run, with its status (done, failed, interrupted) and exit code."""
    import atexit
    import signal

    state = {"code": 0, "error": None}

    original_exit = sys.exit

    def exit(code=0):
        state["code"] = code if isinstance(code, int) else (0 if code is None else 1)
        original_exit(code)

    sys.exit = exit

    original_hook = sys.excepthook

    def hook(kind, error, traceback):
        state["error"] = kind
        original_hook(kind, error, traceback)

    sys.excepthook = hook

    def on_term(signum, frame):
        run._interrupted = "SIGTERM"
        raise SystemExit(143)

    # a script with its own handler (to save a checkpoint, say) keeps it
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        try:
            signal.signal(signal.SIGTERM, on_term)
        except ValueError:
            pass  # not the main thread

    def at_exit():
        if run._interrupted:
            run.finish("interrupted", 143 if run._interrupted == "SIGTERM" else 130, run._interrupted)
        elif state["error"] is not None and issubclass(state["error"], KeyboardInterrupt):
            run.finish("interrupted", 130, "SIGINT")
        elif state["error"] is not None:
            run.finish("failed", 1)
        else:
            code = state["code"]
            run.finish("done" if code == 0 else "failed", code)

    atexit.register(at_exit)

    def undo():
        if sys.exit is exit:
            sys.exit = original_exit
        if sys.excepthook is hook:
            sys.excepthook = original_hook
        atexit.unregister(at_exit)

    run._undo.append(undo)
