"""`make bench-nlu`: the production NLU against two baselines, on two held-out test sets.

- tests/nlu/: the project's own test set, written alongside the training data;
- tests/nlu_independent/: written by someone who never read the training data (issue 19; its README says how),
  frozen before any training change and never used for training or tuning. Its multi_incident.yml carries, per
  message, the other incidents of the story (`metadata: also`).

Prints, for each model and test set: per-intent precision/recall/F1, macro-F1 over the 18 incident intents with a
bootstrap 95 % interval (and the production model's difference from each baseline, with its interval over the same
resamples), accuracy, the most frequent confusion pairs, emergency recall and false alarms (emergency
predicted for a message that is not one), parse latency p50/p95 and training time; on the multi-incident lines, how
often the driving incident comes first and the other one is among the next three. Then emergency recall and false
alarms on the blind set tests/nlu_blind/ (messages never read while tuning the safety rules: reported, never tuned
on), and 5-fold cross-validation on the training data (mean ± sd of macro-F1; `--folds 0` skips it, it trains
every model five more times). Writes everything to results/bench_nlu.json.

Models are trained with Rasa's cache disabled so that training times are real, and reused on later runs while the
configuration and the training data are unchanged.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Tuple

import yaml
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bot.taxonomy import EMERGENCY_INTENT, INCIDENT_INTENTS  # noqa: E402

RESULTS = ROOT / "results"
MODELS_DIR = RESULTS / "bench-models"
TRAIN_DIR = ROOT / "bot" / "data" / "nlu"
TEST_DIR = ROOT / "tests" / "nlu"
INDEPENDENT_DIR = ROOT / "tests" / "nlu_independent"
BLIND_DIR = ROOT / "tests" / "nlu_blind"
RASA = str(Path(sys.executable).parent / "rasa")
BOOTSTRAP_SAMPLES, BOOTSTRAP_SEED = 1000, 2026

Examples = List[Tuple[str, str]]
Ranker = Callable[[str], List[str]]  # intent names, most likely first


def _blocks(directory: Path):
    for path in sorted(directory.glob("*.yml")):
        yield from yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", [])


def _texts(block: Dict):
    """(text, metadata) of a block: Rasa's short form (a `- text` list in one string) or its long form."""
    examples = block["examples"]
    if isinstance(examples, str):
        for line in examples.splitlines():
            line = line.strip()
            if line.startswith("- "):
                yield line[2:], {}
    else:
        for example in examples:
            yield str(example["text"]).strip(), example.get("metadata") or {}


def load_examples(directory: Path) -> Examples:
    return [(text, block["intent"]) for block in _blocks(directory) for text, _ in _texts(block)]


def load_also(directory: Path) -> Dict[str, List[str]]:
    """The other incidents of each multi-incident message (`metadata: also`), by text."""
    return {
        text: list(meta["also"]) for block in _blocks(directory) for text, meta in _texts(block) if meta.get("also")
    }


def fingerprint(config: Path, train_dir: Path = TRAIN_DIR) -> str:
    digest = hashlib.sha256(config.read_bytes())
    for path in sorted(train_dir.glob("*.yml")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def train_rasa(name: str, config: Path, train_dir: Path = TRAIN_DIR) -> Tuple[Path, float]:
    """Trains an NLU-only Rasa model (or reuses it) and returns its path and training time in seconds."""
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    tag = f"{name}-{fingerprint(config, train_dir)}"
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
            str(train_dir),
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


def rasa_parser(model: Path) -> Callable[[str], Dict]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    # Rasa's structlog events print every parsed text at debug level: the held-out sets stay out of the output
    # (whoever reads it could tune on them), and the output stays readable.
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()
    return lambda text: loop.run_until_complete(agent.parse_message(text))


def rasa_ranker(model: Path) -> Ranker:
    parse = rasa_parser(model)

    def rank(text: str) -> List[str]:
        parsed = parse(text)
        ranking = [r["name"] for r in parsed.get("intent_ranking") or []]
        top = parsed["intent"]["name"]  # the safety override may put an intent first that the ranking lacks
        return [top] + [name for name in ranking if name != top]

    return rank


def rasa_predictor(model: Path):
    rank = rasa_ranker(model)
    return lambda text: rank(text)[0]


def train_tfidf(train: Examples) -> Tuple[Ranker, float]:
    """The linear baseline: the same TF-IDF + logistic regression model that the production ensemble averages with
    DIET (bot/nlu/components.py), on its own."""
    from bot.nlu.components import LinearIntentEnsemble

    started = time.perf_counter()
    model = LinearIntentEnsemble.pipeline(C=10.0, random_seed=42)
    model.fit([t for t, _ in train], [i for _, i in train])
    seconds = time.perf_counter() - started

    def rank(text: str) -> List[str]:
        scores = model.predict_proba([text])[0]
        return [name for _, name in sorted(zip(scores, model.classes_), key=lambda pair: -pair[0])]

    return rank, seconds


def macro_f1(truth: List[str], predicted: List[str]) -> float:
    return float(f1_score(truth, predicted, labels=list(INCIDENT_INTENTS), average="macro", zero_division=0))


def _resamples(size: int) -> Iterator[List[int]]:
    """The bootstrap's resamples of a test set's indices: the same ones for every model (fixed seed)."""
    pick = random.Random(BOOTSTRAP_SEED)
    indices = range(size)
    for _ in range(BOOTSTRAP_SAMPLES):
        yield [pick.choice(indices) for _ in indices]


def _interval(values: List[float]) -> Tuple[float, float]:
    values = sorted(values)
    return round(values[int(0.025 * len(values))], 4), round(values[int(0.975 * len(values)) - 1], 4)


def bootstrap_interval(truth: List[str], predicted: List[str]) -> Tuple[float, float]:
    """95 % interval of the incidents' macro-F1 over resamples of the test messages (fixed seed)."""
    return _interval(
        [macro_f1([truth[i] for i in sample], [predicted[i] for i in sample]) for sample in _resamples(len(truth))]
    )


def paired_difference(truth: List[str], ours: List[str], theirs: List[str]) -> Tuple[float, float, float]:
    """Macro-F1 of `ours` minus `theirs` and its 95 % interval, both scored on the same resamples (fixed seed).

    Two models' separate intervals overlap even when one is better on nearly every resample; the paired interval
    says whether the difference itself is more than the luck of the draw."""
    differences = []
    for sample in _resamples(len(truth)):
        kept = [truth[i] for i in sample]
        differences.append(macro_f1(kept, [ours[i] for i in sample]) - macro_f1(kept, [theirs[i] for i in sample]))
    low, high = _interval(differences)
    return round(macro_f1(truth, ours) - macro_f1(truth, theirs), 4), low, high


def multi_incident(rank: Ranker, test: Examples, also: Dict[str, List[str]]) -> Dict:
    """On the messages that tell several incidents: the driving one first, and another one among the next three
    (what lets the diagnosis name the first and mention the other)."""
    lines = [(t, i) for t, i in test if t in also]
    if not lines:
        return {}
    first = mentioned = 0
    for text, intent in lines:
        ranking = rank(text)
        first += ranking[0] == intent
        mentioned += bool(set(ranking[1:4]) & set(also[text]))
    return {
        "messages": len(lines),
        "driving_first": round(first / len(lines), 4),
        "other_in_next_3": round(mentioned / len(lines), 4),
    }


def diagnosis(parse: Callable[[str], Dict], test: Examples, also: Dict[str, List[str]]) -> Dict:
    """What the diagnosis turn does (bot/actions/diagnosis.py) with the production model's parse: on the stories of
    several incidents, names the driving one and mentions another, or asks between the two; on the messages of one
    incident (incidents.yml lines), how often it mentions a second one that is not there."""
    from bot.actions.diagnosis import ambiguous_pair, choose_incident, other_incident

    outcomes: Counter = Counter()
    single = Counter()
    for text, intent in test:
        if intent not in INCIDENT_INTENTS:
            continue
        parsed = parse(text)
        pair = ambiguous_pair(parsed) if parsed["intent"]["name"] != EMERGENCY_INTENT else None
        named = choose_incident(parsed)
        other = other_incident(parsed, named) if named and not pair else None
        if text in also:
            if pair:
                outcome = "asked_between_both" if intent in pair and set(pair) & set(also[text]) else "asked_other"
            elif named == intent:
                outcome = "named_and_mentioned" if other in also[text] else "named_only"
            else:
                outcome = "wrong_incident"
            outcomes[outcome] += 1
        else:
            single["messages"] += 1
            single["mentioned_another"] += bool(other)
            single["asked"] += bool(pair)
    total = sum(outcomes.values())
    return {
        "multi_incident": {k: round(v / total, 4) for k, v in sorted(outcomes.items())} | {"messages": total},
        "single_incident": dict(single),
    }


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
    pairs = Counter(tuple(sorted((t, p))) for t, p in zip(truth, predicted) if t != p)
    return {
        "per_intent": {
            label: {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
        "macro_f1_incidents": round(macro_f1(truth, predicted), 4),
        "macro_f1_ci95": bootstrap_interval(truth, predicted),
        "accuracy": round(accuracy_score(truth, predicted), 4),
        "emergency_recall": round(sum(p == EMERGENCY_INTENT for p in emergencies) / max(len(emergencies), 1), 4),
        "false_alarms": f"{sum(p == EMERGENCY_INTENT and t != EMERGENCY_INTENT for t, p in zip(truth, predicted))}"
        f"/{sum(t != EMERGENCY_INTENT for t in truth)}",
        "confusion_pairs": [{"pair": list(pair), "count": n} for pair, n in pairs.most_common(10)],
        "confusions": [
            {"true": t, "predicted": p, "count": n}
            for (t, p), n in Counter((t, p) for t, p in zip(truth, predicted) if t != p).most_common(15)
        ],
        "latency_ms": {
            "p50": round(latencies[len(latencies) // 2], 2),
            "p95": round(latencies[int(len(latencies) * 0.95) - 1], 2),
        },
        "predicted": predicted,  # in the set's order, for the paired comparison of two models
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


CONFIGS = {
    "production": ROOT / "config.yml",
    "whitespace_diet": ROOT / "benchmarks" / "config_whitespace_diet.yml",
}


def rankers(train_dir: Path, train: Examples) -> Dict[str, Tuple[Ranker, float]]:
    """The three models trained on `train_dir` (whose examples are `train`): ranker and training time."""
    models = {name: train_rasa(name, config, train_dir) for name, config in CONFIGS.items()}
    found: Dict[str, Tuple[Ranker, float]] = {name: (rasa_ranker(m), t) for name, (m, t) in models.items()}
    found["tfidf_logreg"] = train_tfidf(train)
    return found


def test_sets() -> Dict[str, Examples]:
    sets = {"own": load_examples(TEST_DIR)}
    if INDEPENDENT_DIR.exists():
        sets["independent"] = load_examples(INDEPENDENT_DIR)
    return sets


def cross_validation(train: Examples, folds: int) -> Dict[str, Dict]:
    """Macro-F1 of each model over `folds` stratified folds of the training data (mean and standard deviation)."""
    from sklearn.model_selection import StratifiedKFold

    scores: Dict[str, List[float]] = {}
    labels = [intent for _, intent in train]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=42)
    for number, (kept, held) in enumerate(splitter.split(train, labels), start=1):
        with tempfile.TemporaryDirectory() as folder:
            fold_dir = Path(folder)
            by_intent: Dict[str, List[str]] = {}
            for index in kept:
                by_intent.setdefault(train[index][1], []).append(train[index][0])
            blocks = [{"intent": i, "examples": "".join(f"- {t}\n" for t in texts)} for i, texts in by_intent.items()]
            (fold_dir / "fold.yml").write_text(
                yaml.safe_dump({"version": "3.1", "nlu": blocks}, allow_unicode=True, width=10_000), encoding="utf-8"
            )
            held_out = [train[index] for index in held]
            for name, (rank, _) in rankers(fold_dir, [train[index] for index in kept]).items():
                predicted = [rank(text)[0] for text, _ in held_out]
                scores.setdefault(name, []).append(macro_f1([i for _, i in held_out], predicted))
        print(f"  fold {number}/{folds}: " + ", ".join(f"{n} {v[-1]:.4f}" for n, v in scores.items()), flush=True)
    return {
        name: {
            "mean": round(statistics.mean(v), 4),
            "sd": round(statistics.stdev(v), 4),
            "folds": [round(x, 4) for x in v],
        }
        for name, v in scores.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds on the training data (0: none)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    train, sets = load_examples(TRAIN_DIR), test_sets()
    also = load_also(INDEPENDENT_DIR) if INDEPENDENT_DIR.exists() else {}
    print(f"training examples: {len(train)}; test sets: " + ", ".join(f"{n} {len(e)}" for n, e in sets.items()))
    results: Dict[str, Dict] = {}
    models = rankers(TRAIN_DIR, train)
    for name, (rank, seconds) in models.items():
        predict = lambda text, rank=rank: rank(text)[0]  # noqa: E731
        results[name] = {
            "train_seconds": round(seconds, 1),
            "sets": {set_name: evaluate(predict, examples) for set_name, examples in sets.items()},
            "multi_incident": multi_incident(rank, sets.get("independent", []), also),
            "blind": blind_emergency(predict),
        }
    for set_name, examples in sets.items():
        truth = [intent for _, intent in examples]
        ours = results["production"]["sets"][set_name]["predicted"]
        for baseline in (n for n in results if n != "production"):
            theirs = results[baseline]["sets"][set_name]["predicted"]
            results["production"]["sets"][set_name][f"minus_{baseline}"] = paired_difference(truth, ours, theirs)
    report(results)
    if "independent" in sets:
        model, _ = train_rasa("production", CONFIGS["production"])  # already trained: reused
        results["production"]["diagnosis"] = turn = diagnosis(rasa_parser(model), sets["independent"], also)
        multi, single = turn["multi_incident"], turn["single_incident"]
        print(f"\ndiagnosis turn, production model, independent set: {multi['messages']} stories of several incidents:")
        for outcome, share in multi.items():
            if outcome != "messages":
                print(f"  {outcome:22} {share:.0%}")
        print(
            f"  messages of one incident: another mentioned in {single['mentioned_another']} of {single['messages']},"
            f" a choice asked in {single['asked']}"
        )
    if args.folds:
        print(f"\n{args.folds}-fold cross-validation on the training data (every model trained {args.folds} times)")
        cv = cross_validation(train, args.folds)
        for name, figures in cv.items():
            results[name]["cross_validation"] = figures
            print(f"  {name:18} macro-F1 {figures['mean']:.4f} ± {figures['sd']:.4f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_nlu.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nwritten to {(RESULTS / 'bench_nlu.json').relative_to(ROOT)}")


def report(results: Dict) -> None:
    names = list(results)
    for set_name in results[names[0]]["sets"]:
        print(f"\n=== test set: {set_name}")
        per_set = {n: results[n]["sets"][set_name] for n in names}
        print(f"{'intent':26}" + "".join(f"{n:>22}" for n in names))
        print(f"{'':26}" + "".join(f"{'P / R / F1':>22}" for _ in names))
        for intent in per_set[names[0]]["per_intent"]:
            cells = []
            for n in names:
                m = per_set[n]["per_intent"].get(intent, {"precision": 0, "recall": 0, "f1": 0})
                cells.append(f"{m['precision']:.2f} / {m['recall']:.2f} / {m['f1']:.2f}")
            print(f"{intent:26}" + "".join(f"{c:>22}" for c in cells))
        rows = [
            ("macro-F1 (incidents)", lambda r: f"{r['macro_f1_incidents']:.4f}"),
            ("  95 % interval", lambda r: "{:.3f}–{:.3f}".format(*r["macro_f1_ci95"])),
            ("accuracy", lambda r: f"{r['accuracy']:.4f}"),
            ("emergency recall", lambda r: f"{r['emergency_recall']:.4f}"),
            ("emergency false alarms", lambda r: r["false_alarms"]),
            ("parse p50 (ms)", lambda r: f"{r['latency_ms']['p50']:.1f}"),
            ("parse p95 (ms)", lambda r: f"{r['latency_ms']['p95']:.1f}"),
        ]
        print()
        for label, cell in rows:
            print(f"{label:26}" + "".join(f"{cell(per_set[n]):>22}" for n in names))
        for n in names:
            print(f"\nmost frequent confusion pairs, {n} ({set_name}):")
            for c in per_set[n]["confusion_pairs"][:6]:
                print(f"  {c['pair'][0]:>26} <> {c['pair'][1]:<26} {c['count']}")
        for key, value in per_set["production"].items():
            if key.startswith("minus_"):
                print(
                    f"production − {key[6:]}: macro-F1 {value[0]:+.4f}, paired 95 % interval {value[1]:+.3f}–{value[2]:+.3f}"
                )
    print("\n=== every set")
    rows = [
        ("multi-incident: first", lambda r: str(r["multi_incident"].get("driving_first", "-"))),
        ("  other in next 3", lambda r: str(r["multi_incident"].get("other_in_next_3", "-"))),
        ("blind emergency recall", lambda r: str(r["blind"].get("emergency_recall", "-"))),
        ("blind false alarms", lambda r: str(r["blind"].get("false_alarms", "-"))),
        ("training time (s)", lambda r: f"{r['train_seconds']:.1f}"),
    ]
    print(f"{'':26}" + "".join(f"{n:>22}" for n in names))
    for label, cell in rows:
        print(f"{label:26}" + "".join(f"{cell(results[n]):>22}" for n in names))


if __name__ == "__main__":
    main()
