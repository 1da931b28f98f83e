"""Stage 4, in Python with the standard library only: scores the model on the test split.

repro runs it like any script: the merged config is at -c, the result folder in REPRO_RUN_DIR.
It writes metrics.jsonl by hand in the documented format, and report.json.
"""
import json
import math
import os
import re
import sys

config_path = sys.argv[sys.argv.index("-c") + 1]
config = json.load(open(config_path))
run_dir = os.environ["REPRO_RUN_DIR"]
runs = os.path.dirname(run_dir)


def upstream(name):
    """The result folder of a source, checked to have finished well."""
    folder = os.path.join(runs, name)
    with open(os.path.join(folder, "end.json")) as f:
        if json.load(f)["status"] != "done":
            sys.exit(f"source {name} did not finish well")
    return folder


# the same two functions as lib/text.ts
def tokenize(text):
    return re.findall(r"[a-z0-9$!]{2,20}", text.lower())


def features(tokens, bigrams):
    # A set, as users write it: its iteration order follows Python's string hashing, and so
    # does the order of the sum below. That order is reproducible because `repro run` starts
    # Python with PYTHONHASHSEED=0 (unless you set it) and records it; `repro verify` reruns
    # with the recorded value. Run by hand with a random seed, log_loss moves in the last bits.
    out = set(tokens)
    if bigrams:
        out.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:]))
    return out


model_dir = upstream(config["source"])
model = json.load(open(os.path.join(model_dir, "model.json")))
model_config = json.load(open(os.path.join(model_dir, "config.json")))
data_dir = upstream(model_config["source"])
weights = dict(zip(model["vocab"], model["weights"]))

tp = fp = tn = fn = 0
log_loss = 0.0
n = 0
with open(os.path.join(data_dir, "test.jsonl")) as f:
    for line in f:
        row = json.loads(line)
        z = model["bias"] + sum(weights.get(t, 0.0) for t in features(row["tokens"], model["bigrams"]))
        p = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
        y = row["y"]
        log_loss -= math.log(max(p if y else 1 - p, 1e-12))
        spam = p >= 0.5
        tp += spam and y == 1
        fp += spam and y == 0
        tn += (not spam) and y == 0
        fn += (not spam) and y == 1
        n += 1

precision = tp / (tp + fp) if tp + fp else 0.0
recall = tp / (tp + fn) if tp + fn else 0.0
report = {
    "n": n,
    "accuracy": (tp + tn) / n,
    "precision": precision,
    "recall": recall,
    "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
    "log_loss": log_loss / n,
    "confusion": {"tp": tp, "fp": fp, "tn": tn, "fn": fn},
}
# exclusive create ("x"), as every result file
with open(os.path.join(run_dir, "report.json"), "x") as f:
    json.dump(report, f, indent=2)
with open(os.path.join(run_dir, "metrics.jsonl"), "x") as f:
    f.write(json.dumps({k: v for k, v in report.items() if k != "confusion"}) + "\n")
print(f"accuracy {report['accuracy']:.4f}  precision {precision:.4f}  recall {recall:.4f}  f1 {report['f1']:.4f}")
