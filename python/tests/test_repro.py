"""The Python module's own tests: python3 -m unittest discover -s python/tests (npm test runs them)."""

import io
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import repro  # noqa: E402
from repro import Params, ReproError, Run  # noqa: E402


def make_run(config, adopted=True):
    folder = tempfile.mkdtemp(prefix="repro-py-")
    run_dir = os.path.join(folder, "model")
    os.mkdir(run_dir)
    return Run(dir=run_dir, name="model", config_name="model", config=config, id="x", adopted=adopted,
               runs_root=folder, started_at=time.time())


class ParamsTest(unittest.TestCase):
    def test_get_records_values_and_defaults(self):
        p = Params({"lr": 0.1, "epochs": 3}, "model")
        self.assertEqual(p.get("lr", 0.5), 0.1)
        self.assertEqual(p.get("batch", 32), 32)
        self.assertEqual(p.require("epochs"), 3)
        eff = p.effective()
        self.assertEqual(eff["values"], {"batch": 32, "epochs": 3, "lr": 0.1})
        self.assertEqual(eff["defaults"], {"batch": 32})
        self.assertEqual(eff["unread"], [])

    def test_type_mismatch_is_an_error_naming_the_key(self):
        p = Params({"epochs": "5"}, "model")
        with self.assertRaises(ReproError) as caught:
            p.get("epochs", 5)
        self.assertEqual(caught.exception.code, "REPRO_PARAM_TYPE")
        self.assertIn('config key "epochs" is a string, but the script\'s default is a number', str(caught.exception))
        # a bool is not a number, and an int is (JSON has one number type)
        with self.assertRaises(ReproError):
            Params({"flag": 1}, "m").get("flag", False)
        self.assertEqual(Params({"lr": 1}, "m").get("lr", 0.5), 1)
        self.assertEqual(Params({"x": [1]}, "m").get("x", None), [1])

    def test_require_names_the_closest_key(self):
        with self.assertRaises(ReproError) as caught:
            Params({"gama": 0.1}, "svc").require("gamma")
        self.assertEqual(caught.exception.code, "REPRO_PARAM_MISSING")
        self.assertIn('config svc has no key "gamma", and the script requires it (did you mean "gama"?)',
                      str(caught.exception))
        self.assertIn("--set gamma=...", caught.exception.hint)

    def test_unread_keys_name_the_closest_read_key(self):
        p = Params({"gama": 0.01, "C": 1, "script": "svc.py", "unrelated_thing": 1}, "svc")
        p.get("gamma", 0.1)
        p.get("C", 1.0)
        unread = p.effective()["unread"]
        self.assertEqual(unread[0], {"key": "gama", "closest": "gamma",
                                     "message": '"gama" was never read; did you mean "gamma", which defaulted to 0.1?'})
        self.assertEqual(unread[1], {"key": "unrelated_thing", "closest": None,
                                     "message": '"unrelated_thing" was never read'})
        self.assertEqual(len(unread), 2, "reserved keys (script, source) are never unread")

    def test_distance(self):
        self.assertEqual(repro._distance("kitten", "sitting"), 3)
        self.assertEqual(repro._distance("", "abc"), 3)
        self.assertTrue(repro._is_near("gama", "gamma"))
        self.assertFalse(repro._is_near("lr", "epochs"))


class LogTest(unittest.TestCase):
    def test_lines_are_compact_json_with_non_finite_numbers_as_strings(self):
        run = make_run({})
        run.log(step=0, loss=0.5, bad=float("nan"), up=math.inf, down=-math.inf)
        run.log({"step": 1, "note": "é"}, acc=1)
        run.finish()
        with open(os.path.join(run.dir, "metrics.jsonl"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], '{"step":0,"loss":0.5,"bad":"NaN","up":"Infinity","down":"-Infinity"}')
        self.assertEqual(json.loads(lines[1]), {"step": 1, "note": "é", "acc": 1})

    def test_number_like_scalars_are_written_as_numbers(self):
        class Scalar:  # the shape of a NumPy or PyTorch scalar
            def item(self):
                return 0.25

        class Weird:
            pass

        run = make_run({})
        run.log(step=0, loss=Scalar())
        with self.assertRaises(ReproError):
            run.log(step=1, thing=Weird())
        run.finish()
        with open(os.path.join(run.dir, "metrics.jsonl")) as f:
            self.assertEqual(f.read(), '{"step":0,"loss":0.25}\n')

    def test_a_metrics_file_written_by_hand_is_never_overwritten(self):
        run = make_run({})
        with open(os.path.join(run.dir, "metrics.jsonl"), "w") as f:
            f.write("{}\n")
        with self.assertRaises(ReproError) as caught:
            run.log(step=0)
        self.assertEqual(caught.exception.code, "REPRO_FILE_EXISTS")


class WriteNewTest(unittest.TestCase):
    def test_a_record_appears_whole_is_never_written_over_and_leaves_no_temporary_file(self):
        folder = tempfile.mkdtemp(prefix="repro-py-")
        path = os.path.join(folder, "end.json")
        # a temporary file of the name this process uses next, left by a crash: taken over
        stale = os.path.join(folder, f".end.json.{os.getpid()}-{repro._writes + 1}.writing")
        with open(stale, "w") as f:
            f.write("stale")
        repro._write_new(path, '{"status": "done"}\n')
        with open(path) as f:
            self.assertEqual(json.load(f), {"status": "done"})
        with self.assertRaises(ReproError) as caught:
            repro._write_new(path, "{}")
        self.assertEqual(caught.exception.code, "REPRO_FILE_EXISTS")
        with open(path) as f:
            self.assertEqual(json.load(f), {"status": "done"})
        self.assertEqual(os.listdir(folder), ["end.json"])


class FilesTest(unittest.TestCase):
    def test_open_creates_exclusively_and_makes_sub_folders(self):
        run = make_run({})
        with run.open("plots/loss.txt", "w") as f:
            f.write("x")
        with self.assertRaises(ReproError) as caught:
            run.open("plots/loss.txt", "w")
        self.assertEqual(caught.exception.code, "REPRO_FILE_EXISTS")
        with run.open("plots/loss.txt", "r") as f:
            self.assertEqual(f.read(), "x")
        with self.assertRaises(ReproError):
            run.open("plots/loss.txt", "a")
        self.assertEqual(run.write_file("model.bin", b"\x00\x01"), os.path.join(run.dir, "model.bin"))

    def test_paths_that_leave_the_folder_are_refused(self):
        run = make_run({})
        for bad in ("../x", "/etc/passwd", "", ".", "a/../../x"):
            with self.assertRaises(ReproError, msg=bad) as caught:
                run.path(bad)
            self.assertEqual(caught.exception.code, "REPRO_PATH_OUTSIDE_RUN")
        self.assertEqual(str(run.path("a/b.txt")), os.path.join(os.path.realpath(run.dir), "a", "b.txt"))

    def test_nothing_is_written_into_a_folder_that_was_replaced(self):
        run = make_run({})
        os.rename(run.dir, run.dir + ".old")
        os.mkdir(run.dir)
        with self.assertRaises(ReproError) as caught:
            run.log(step=0)
        self.assertEqual(caught.exception.code, "REPRO_FOLDER_LOST")
        err = io.StringIO()
        stderr, sys.stderr = sys.stderr, err
        try:
            run.finish()
        finally:
            sys.stderr = stderr
        self.assertIn("not fully recorded", err.getvalue())
        self.assertEqual(os.listdir(run.dir), [])


class SourcesTest(unittest.TestCase):
    def test_source_is_the_upstream_folder(self):
        run = make_run({"source": "data"})
        upstream = os.path.join(run.runs_root, "data")
        os.mkdir(upstream)
        with open(os.path.join(upstream, "config.json"), "w") as f:
            f.write("{}")
        self.assertEqual(str(run.source()), upstream)
        self.assertEqual(str(run.source("data")), upstream)
        with self.assertRaises(ReproError):
            run.source("nope")
        self.assertEqual(run.effective()["values"], {"source": "data"})

    def test_no_source_says_how_to_name_one(self):
        with self.assertRaises(ReproError) as caught:
            make_run({}).source()
        self.assertIn('Add "source"', caught.exception.hint)


class FinishTest(unittest.TestCase):
    def test_standalone_finish_writes_effective_and_end_once(self):
        run = make_run({"lr": 0.1, "gama": 1}, adopted=False)
        run.params.get("lr", 0.5)
        run.params.get("gamma", 0.1)
        err = io.StringIO()
        stderr, sys.stderr = sys.stderr, err
        try:
            run.finish("failed", 2)
            run.finish("done", 0)
        finally:
            sys.stderr = stderr
        self.assertIn('repro: warning: "gama" was never read; did you mean "gamma"', err.getvalue())
        with open(os.path.join(run.dir, "end.json")) as f:
            end = json.load(f)
        self.assertEqual((end["status"], end["exit_code"], end["signal"]), ("failed", 2, None))
        self.assertRegex(end["ended_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        with open(os.path.join(run.dir, "effective.json")) as f:
            self.assertEqual(json.load(f)["values"], {"gamma": 0.1, "lr": 0.1})

    def test_adopted_finish_leaves_end_json_to_repro_run(self):
        run = make_run({}, adopted=True)
        run.finish()
        self.assertEqual(sorted(os.listdir(run.dir)), ["effective.json"])

    def test_context_manager_records_an_interrupt(self):
        run = make_run({}, adopted=False)
        with self.assertRaises(KeyboardInterrupt):
            with run:
                raise KeyboardInterrupt
        with open(os.path.join(run.dir, "end.json")) as f:
            end = json.load(f)
        self.assertEqual((end["status"], end["exit_code"], end["signal"]), ("interrupted", 130, "SIGINT"))


class ImportTest(unittest.TestCase):
    def test_importing_loads_nothing_heavy(self):
        code = "import sys, repro; print(' '.join(m for m in ('subprocess', 'threading', 'pathlib', 'datetime') if m in sys.modules))"
        out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": os.path.dirname(HERE)}, check=True)
        self.assertEqual(out.stdout.strip(), "")

    def test_python_path_holds_the_module(self):
        self.assertTrue(os.path.isfile(os.path.join(repro.python_path(), "repro", "__init__.py")))

    def test_config_argument_is_found_in_every_spelling(self):
        for argv in (["-c", "a.json"], ["--config", "a.json"], ["--config=a.json"], ["-ca.json"],
                     ["--set", "x=1", "-c", "a.json"]):
            self.assertEqual(repro._config_arg(argv), "a.json", argv)
        self.assertIsNone(repro._config_arg(["--", "-c", "a.json"]))


if __name__ == "__main__":
    unittest.main()
