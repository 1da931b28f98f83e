"""Stage 4, in Python with the standard library and repro's bundled module: scores the model on
the test split.

`repro run` puts the module on PYTHONPATH; to run it by hand:
    PYTHONPATH=$(npx repro python-path) python3 evaluate.py -c configs/evaluation.json
"""
import json
import math
import re

import repro

run = repro.start_run()
# the decision threshold: a default, so that configs written before it existed still run
threshold = run.params.get("threshold", 0.5)


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


model_dir = run.source()  # checked by repro: finished and done
model = json.loads((model_dir / "model.json").read_text())
model_config = json.loads((model_dir / "config.json").read_text())
data_dir = model_dir.parent / model_config["source"]  # the model's own source
weights = dict(zip(model["vocab"], model["weights"]))

tp = fp = tn = fn = 0
log_loss = 0.0
n = 0
with open(data_dir / "test.jsonl") as f:
    for line in f:
        row = json.loads(line)
        z = model["bias"] + sum(weights.get(t, 0.0) for t in features(row["tokens"], model["bigrams"]))
        p = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
        y = row["y"]
        log_loss -= math.log(max(p if y else 1 - p, 1e-12))
        spam = p >= threshold
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
# created exclusively: a result file is never overwritten
with run.open("report.json", "w") as f:
    json.dump(report, f, indent=2)
run.log({k: v for k, v in report.items() if k != "confusion"})
print(f"accuracy {report['accuracy']:.4f}  precision {precision:.4f}  recall {recall:.4f}  f1 {report['f1']:.4f}")
