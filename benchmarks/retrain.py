"""`make retrain`: train a candidate model on the current data (reviewed exports included), compare it with the
model in service on the held-out NLU test set, and report the difference. Nothing is switched.

    python benchmarks/retrain.py                      # train models/candidates/candidate-<date>.tar.gz, then compare
    python benchmarks/retrain.py --candidate PATH     # compare an existing candidate (no training)

The model in service is the newest `models/*.tar.gz` (what `rasa run` and the tests load); candidates live in
`models/candidates/`, which neither of them reads. Metrics come from benchmarks/bench_nlu.py: macro-F1 over the 18
incident intents, accuracy, emergency recall (on tests/nlu and on the blind set tests/nlu_blind) and per-intent F1.
Writes results/retrain.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.bench_nlu import (  # noqa: E402
    BLIND_DIR,
    RASA,
    RESULTS,
    TEST_DIR,
    blind_emergency,
    evaluate,
    load_examples,
    rasa_predictor,
)
from bot import erasure  # noqa: E402

MODELS = ROOT / "models"
CANDIDATES = MODELS / "candidates"
# Changes smaller than this are noise on a test set of a few hundred sentences.
SIGNIFICANT = 0.01


def model_in_service() -> Optional[Path]:
    models = sorted(MODELS.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def erasure_warning(model: Path) -> Optional[str]:
    """What to say when training text was erased (a victim forgotten, STOP, the purge: bot/erasure.py) after
    `model` was trained: the model still holds those words."""
    erased = erasure.training_erasures(since=model.stat().st_mtime)
    if not erased:
        return None
    examples = sum(e["examples"] for e in erased)
    return (
        f"WARNING: the model in service ({model}) was trained before an erasure of training text "
        f"({examples} example(s) erased from bot/data/nlu, last on {erased[-1]['at'][:16]} UTC): it must be "
        f"retrained and replaced. Train a new model (`make train`), restart the servers with it, and delete the "
        f"models trained before (models/, models/candidates/): they hold the erased words too."
    )


def train_candidate() -> Path:
    """A full model (NLU and dialogue, switchable as is) trained on bot/data into models/candidates/."""
    CANDIDATES.mkdir(parents=True, exist_ok=True)
    name = f"candidate-{datetime.now():%Y%m%d-%H%M%S}"
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    subprocess.run(
        [
            RASA,
            "train",
            "--data",
            "bot/data",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--out",
            str(CANDIDATES),
            "--fixed-model-name",
            name,
            "--force",
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return CANDIDATES / f"{name}.tar.gz"


def _delta(current: float, candidate: float) -> Dict[str, float]:
    return {"current": current, "candidate": candidate, "delta": round(candidate - current, 4)}


def compare(current: Dict[str, Any], candidate: Dict[str, Any]) -> Dict[str, Any]:
    """The differences between two `bench_nlu.evaluate` results (with an optional "blind" part), and a verdict."""
    comparison: Dict[str, Any] = {
        "macro_f1_incidents": _delta(current["macro_f1_incidents"], candidate["macro_f1_incidents"]),
        "accuracy": _delta(current["accuracy"], candidate["accuracy"]),
        "emergency_recall": _delta(current["emergency_recall"], candidate["emergency_recall"]),
    }
    blind_now, blind_new = current.get("blind") or {}, candidate.get("blind") or {}
    if "emergency_recall" in blind_now and "emergency_recall" in blind_new:
        comparison["blind_emergency_recall"] = _delta(blind_now["emergency_recall"], blind_new["emergency_recall"])
    changes = []
    for intent in sorted(set(current["per_intent"]) | set(candidate["per_intent"])):
        before = current["per_intent"].get(intent, {"f1": 0.0, "recall": 0.0, "precision": 0.0})
        after = candidate["per_intent"].get(intent, {"f1": 0.0, "recall": 0.0, "precision": 0.0})
        delta = round(after["f1"] - before["f1"], 3)
        if abs(delta) >= SIGNIFICANT:
            changes.append(
                {
                    "intent": intent,
                    "f1_current": before["f1"],
                    "f1_candidate": after["f1"],
                    "delta": delta,
                    "recall_current": before["recall"],
                    "recall_candidate": after["recall"],
                }
            )
    comparison["per_intent_changes"] = sorted(changes, key=lambda c: c["delta"])
    warnings: List[str] = []
    for key, label in (
        ("emergency_recall", "emergency recall on tests/nlu"),
        ("blind_emergency_recall", "emergency recall on the blind set"),
    ):
        if key in comparison and comparison[key]["delta"] < 0:
            warnings.append(
                f"{label} DROPS from {comparison[key]['current']:.4f} to "
                f"{comparison[key]['candidate']:.4f}: do not switch (victims in danger would be missed)"
            )
    f1, accuracy = comparison["macro_f1_incidents"]["delta"], comparison["accuracy"]["delta"]
    if warnings:
        verdict = "worse"
    elif f1 >= SIGNIFICANT and accuracy > -SIGNIFICANT:
        verdict = "better"
    elif f1 <= -SIGNIFICANT or accuracy <= -SIGNIFICANT:
        verdict = "worse"
    else:
        verdict = "similar"
    comparison["warnings"] = warnings
    comparison["verdict"] = verdict
    return comparison


def report(comparison: Dict[str, Any], current_name: str, candidate_name: str) -> str:
    lines = [f"{'':28}{'current':>12}{'candidate':>12}{'change':>10}"]
    for key, label in (
        ("macro_f1_incidents", "macro-F1 (incidents)"),
        ("accuracy", "accuracy"),
        ("emergency_recall", "emergency recall"),
        ("blind_emergency_recall", "blind emergency recall"),
    ):
        if key in comparison:
            m = comparison[key]
            lines.append(f"{label:28}{m['current']:>12.4f}{m['candidate']:>12.4f}{m['delta']:>+10.4f}")
    changes = comparison["per_intent_changes"]
    lines.append("")
    lines.append(
        "per-intent F1 changes (|change| >= %.2f):" % SIGNIFICANT
        if changes
        else "no per-intent F1 change of %.2f or more" % SIGNIFICANT
    )
    for c in changes:
        lines.append(
            f"  {c['intent']:26} {c['f1_current']:.3f} -> {c['f1_candidate']:.3f} ({c['delta']:+.3f}), "
            f"recall {c['recall_current']:.2f} -> {c['recall_candidate']:.2f}"
        )
    lines.append("")
    for warning in comparison["warnings"]:
        lines.append(f"WARNING: {warning}")
    lines.append(
        {
            "better": "Verdict: the candidate is better on the test set.",
            "worse": "Verdict: the candidate is WORSE on the test set: keep the current model.",
            "similar": "Verdict: no significant difference on the test set.",
        }[comparison["verdict"]]
    )
    lines.append(
        f"Nothing was switched: the model in service is still {current_name}. The candidate is "
        f"{candidate_name}; to put it in service, copy it into models/ and restart the servers "
        f"(`make run` also retrains from bot/data when the data changed)."
    )
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidate", type=Path, help="compare this model instead of training a new one")
    args = parser.parse_args(argv)
    current = model_in_service()
    if current is None:
        print("No model in service in models/: run `make train` first.", file=sys.stderr)
        return 1
    warning = erasure_warning(current)
    if warning:
        print(warning)
    started = time.perf_counter()
    candidate = args.candidate or train_candidate()
    train_seconds = time.perf_counter() - started
    logging.disable(logging.WARNING)
    test = load_examples(TEST_DIR)
    print(
        f"evaluating on {len(test)} examples of {TEST_DIR.relative_to(ROOT)}"
        f"{' and the blind set' if BLIND_DIR.exists() else ''}..."
    )
    results = {}
    for name, model in (("current", current), ("candidate", candidate)):
        predict = rasa_predictor(model)
        results[name] = {**evaluate(predict, test), "blind": blind_emergency(predict)}
    comparison = compare(results["current"], results["candidate"])
    print(report(comparison, str(current.relative_to(ROOT)), str(candidate)))
    if warning:
        print(f"\n{warning}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "retrain.json").write_text(
        json.dumps(
            {
                "current": str(current),
                "candidate": str(candidate),
                "train_seconds": round(train_seconds, 1),
                "comparison": comparison,
                "results": results,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
