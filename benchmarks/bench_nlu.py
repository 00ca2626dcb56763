"""`make bench-nlu`: the production NLU against two baselines, on the held-out test set tests/nlu/.

Prints, for each model: per-intent precision/recall/F1, macro-F1 over the 18 incident intents, accuracy, the most
frequent confusions, parse latency p50/p95 and training time; emergency recall on the test set and, when present,
on the blind set tests/nlu_blind/ (messages never read while tuning the safety rules), with the false alarms on its
hard negatives. Writes everything to results/bench_nlu.json.

Models are trained with Rasa's cache disabled so that training times are real, and reused on later runs while the
configuration and the training data are unchanged.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple

import yaml
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bot.taxonomy import EMERGENCY_INTENT, INCIDENT_INTENTS  # noqa: E402

RESULTS = ROOT / "results"
MODELS_DIR = RESULTS / "bench-models"
TRAIN_DIR = ROOT / "bot" / "data" / "nlu"
TEST_DIR = ROOT / "tests" / "nlu"
BLIND_DIR = ROOT / "tests" / "nlu_blind"
RASA = str(Path(sys.executable).parent / "rasa")

Examples = List[Tuple[str, str]]


def load_examples(directory: Path) -> Examples:
    examples: Examples = []
    for path in sorted(directory.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples.append((line[2:], block["intent"]))
    return examples


def fingerprint(config: Path) -> str:
    digest = hashlib.sha256(config.read_bytes())
    for path in sorted(TRAIN_DIR.glob("*.yml")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def train_rasa(name: str, config: Path) -> Tuple[Path, float]:
    """Trains an NLU-only Rasa model (or reuses it) and returns its path and training time in seconds."""
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    tag = f"{name}-{fingerprint(config)}"
    model, timing = MODELS_DIR / f"{tag}.tar.gz", MODELS_DIR / f"{tag}.json"
    if model.exists() and timing.exists():
        return model, json.loads(timing.read_text())["train_seconds"]
    env = dict(os.environ, RASA_MAX_CACHE_SIZE="0", PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    started = time.perf_counter()
    subprocess.run(
        [
            RASA,
            "train",
            "nlu",
            "--config",
            str(config),
            "--nlu",
            str(TRAIN_DIR),
            "--out",
            str(MODELS_DIR),
            "--fixed-model-name",
            tag,
        ],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    timing.write_text(json.dumps({"train_seconds": seconds}))
    return model, seconds


def rasa_predictor(model: Path):
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()

    def predict(text: str) -> str:
        return loop.run_until_complete(agent.parse_message(text))["intent"]["name"]

    return predict


def train_tfidf(train: Examples):
    """The linear baseline: the same TF-IDF + logistic regression model that the production ensemble averages with
    DIET (bot/nlu/components.py), on its own."""
    from bot.nlu.components import LinearIntentEnsemble

    started = time.perf_counter()
    model = LinearIntentEnsemble.pipeline(C=10.0, random_seed=42)
    model.fit([t for t, _ in train], [i for _, i in train])
    seconds = time.perf_counter() - started
    return (lambda text: model.predict([text])[0]), seconds


def evaluate(predict, test: Examples) -> Dict:
    truth, predicted, latencies = [], [], []
    for text, intent in test:
        started = time.perf_counter()
        predicted.append(predict(text))
        latencies.append((time.perf_counter() - started) * 1000)
        truth.append(intent)
    labels = sorted(set(truth))
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    latencies.sort()
    emergencies = [p for t, p in zip(truth, predicted) if t == EMERGENCY_INTENT]
    return {
        "per_intent": {
            label: {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
        "macro_f1_incidents": round(
            f1_score(truth, predicted, labels=list(INCIDENT_INTENTS), average="macro", zero_division=0), 4
        ),
        "accuracy": round(accuracy_score(truth, predicted), 4),
        "emergency_recall": round(sum(p == EMERGENCY_INTENT for p in emergencies) / max(len(emergencies), 1), 4),
        "confusions": [
            {"true": t, "predicted": p, "count": n}
            for (t, p), n in Counter((t, p) for t, p in zip(truth, predicted) if t != p).most_common(15)
        ],
        "latency_ms": {
            "p50": round(latencies[len(latencies) // 2], 2),
            "p95": round(latencies[int(len(latencies) * 0.95) - 1], 2),
        },
    }


def blind_emergency(predict) -> Dict:
    """Emergency recall and false alarms on the blind set (labels emergency_danger / not_emergency)."""
    blind = load_examples(BLIND_DIR) if BLIND_DIR.exists() else []
    if not blind:
        return {}
    positives = [predict(t) == EMERGENCY_INTENT for t, i in blind if i == EMERGENCY_INTENT]
    negatives = [predict(t) == EMERGENCY_INTENT for t, i in blind if i != EMERGENCY_INTENT]
    return {
        "emergency_recall": round(sum(positives) / len(positives), 4),
        "false_alarms": f"{sum(negatives)}/{len(negatives)}",
    }


def main() -> None:
    logging.disable(logging.WARNING)
    train, test = load_examples(TRAIN_DIR), load_examples(TEST_DIR)
    print(f"training examples: {len(train)}, test examples: {len(test)} ({TEST_DIR.relative_to(ROOT)})")
    results = {}
    for name, config in (
        ("production", ROOT / "config.yml"),
        ("whitespace_diet", ROOT / "benchmarks" / "config_whitespace_diet.yml"),
    ):
        model, seconds = train_rasa(name, config)
        predict = rasa_predictor(model)
        results[name] = {
            "train_seconds": round(seconds, 1),
            **evaluate(predict, test),
            "blind": blind_emergency(predict),
        }
    predict, seconds = train_tfidf(train)
    results["tfidf_logreg"] = {
        "train_seconds": round(seconds, 1),
        **evaluate(predict, test),
        "blind": blind_emergency(predict),
    }
    report(results)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_nlu.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nwritten to {(RESULTS / 'bench_nlu.json').relative_to(ROOT)}")


def report(results: Dict) -> None:
    names = list(results)
    print("\n" + f"{'intent':26}" + "".join(f"{n:>22}" for n in names))
    print(f"{'':26}" + "".join(f"{'P / R / F1':>22}" for _ in names))
    for intent in results[names[0]]["per_intent"]:
        cells = []
        for n in names:
            m = results[n]["per_intent"].get(intent, {"precision": 0, "recall": 0, "f1": 0})
            cells.append(f"{m['precision']:.2f} / {m['recall']:.2f} / {m['f1']:.2f}")
        print(f"{intent:26}" + "".join(f"{c:>22}" for c in cells))
    rows = [
        ("macro-F1 (incidents)", lambda r: f"{r['macro_f1_incidents']:.4f}"),
        ("accuracy", lambda r: f"{r['accuracy']:.4f}"),
        ("emergency recall", lambda r: f"{r['emergency_recall']:.4f}"),
        ("blind emergency recall", lambda r: str(r["blind"].get("emergency_recall", "-"))),
        ("blind false alarms", lambda r: str(r["blind"].get("false_alarms", "-"))),
        ("parse p50 (ms)", lambda r: f"{r['latency_ms']['p50']:.1f}"),
        ("parse p95 (ms)", lambda r: f"{r['latency_ms']['p95']:.1f}"),
        ("training time (s)", lambda r: f"{r['train_seconds']:.1f}"),
    ]
    print()
    for label, cell in rows:
        print(f"{label:26}" + "".join(f"{cell(results[n]):>22}" for n in names))
    for n in names:
        print(f"\nmost frequent confusions, {n}:")
        for c in results[n]["confusions"][:8]:
            print(f"  {c['true']:>26} -> {c['predicted']:<26} {c['count']}")


if __name__ == "__main__":
    main()
