"""How much the linear model and the sentence-encoder model weigh against DIET in LinearIntentEnsemble (config.yml
`weight` and `encoder_weight`), chosen on the training data only: the held-out test sets (tests/nlu/,
tests/nlu_independent/) must not be used to tune anything.

    .venv/bin/python benchmarks/tune_ensemble.py [--dev-share 0.2]

Splits bot/data/nlu/ (fixed seed, stratified by intent) into a training part and a development part, trains DIET
with the production pipeline on the training part (ensemble weight 0: DIET's ranking only) and the TF-IDF + logistic
regression model and the sentence-embedding model on the same part, then prints the macro-F1 over incident intents
of the average on the development part for each pair of weights (DIET weighs the rest), best first. Takes about as long as one training of the production model.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

import yaml
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.bench_nlu import RASA, TRAIN_DIR, load_examples  # noqa: E402
from bot.taxonomy import INCIDENT_INTENTS  # noqa: E402

WEIGHTS = [0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0]
ENCODER_WEIGHTS = [0.0, 0.1, 0.2, 0.3, 0.4]


def split(dev_share: float, seed: int = 42):
    by_intent: Dict[str, List[str]] = {}
    for text, intent in load_examples(TRAIN_DIR):
        by_intent.setdefault(intent, []).append(text)
    rng = random.Random(seed)
    train, dev = [], []
    for intent, texts in sorted(by_intent.items()):
        texts = sorted(texts)
        rng.shuffle(texts)
        cut = int(round(len(texts) * dev_share)) if len(texts) >= 10 else 0
        dev += [(t, intent) for t in texts[:cut]]
        train += [(t, intent) for t in texts[cut:]]
    return train, dev


def write_nlu(examples, path: Path) -> None:
    blocks: Dict[str, List[str]] = {}
    for text, intent in examples:
        blocks.setdefault(intent, []).append(text)
    path.write_text(
        yaml.safe_dump(
            {
                "version": "3.1",
                "nlu": [
                    {"intent": intent, "examples": "".join(f"- {t}\n" for t in texts)}
                    for intent, texts in blocks.items()
                ],
            },
            allow_unicode=True,
            sort_keys=False,
        ),
        encoding="utf-8",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev-share", type=float, default=0.2)
    args = parser.parse_args()
    train, dev = split(args.dev_share)
    print(f"training part: {len(train)} examples, development part: {len(dev)}")
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        (tmp / "nlu").mkdir()
        write_nlu(train, tmp / "nlu" / "train.yml")
        config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
        for component in config["pipeline"]:
            if component["name"].endswith("LinearIntentEnsemble"):
                component["weight"] = component["encoder_weight"] = 0.0  # DIET's own ranking
        config["pipeline"] = [c for c in config["pipeline"] if not c["name"].endswith("EmergencyOverride")]
        (tmp / "config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
        subprocess.run(
            [
                RASA,
                "train",
                "nlu",
                "--config",
                str(tmp / "config.yml"),
                "--nlu",
                str(tmp / "nlu"),
                "--out",
                str(tmp),
                "--fixed-model-name",
                "dev",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        from rasa.core.agent import Agent

        agent = Agent.load(str(tmp / "dev.tar.gz"))
        loop = asyncio.new_event_loop()
        diet = []
        for text, _ in dev:
            parsed = loop.run_until_complete(agent.parse_message(text))
            diet.append({r["name"]: r["confidence"] for r in parsed.get("intent_ranking") or []})
    from bot.nlu import sentence_encoder
    from bot.nlu.components import LinearIntentEnsemble

    defaults = LinearIntentEnsemble.get_default_config()
    texts, intents, dev_texts = [t for t, _ in train], [i for _, i in train], [t for t, _ in dev]
    linear = LinearIntentEnsemble.pipeline(C=defaults["C"], random_seed=42).fit(texts, intents)
    linear_p = [dict(zip(linear.classes_, p)) for p in linear.predict_proba(dev_texts)]
    encoder = sentence_encoder.classifier(defaults["encoder_C"], 42).fit(sentence_encoder.embed(texts), intents)
    encoder_p = [dict(zip(encoder.classes_, p)) for p in encoder.predict_proba(sentence_encoder.embed(dev_texts))]
    truth = [i for _, i in dev]
    rows = []
    for weight in WEIGHTS:
        for encoder_weight in ENCODER_WEIGHTS:
            if weight + encoder_weight > 1.0 + 1e-9:
                continue
            predicted = []
            for dense, lin, enc in zip(diet, linear_p, encoder_p):
                predicted.append(
                    max(
                        set(dense) | set(lin),
                        key=lambda n: (
                            weight * lin.get(n, 0.0)
                            + encoder_weight * enc.get(n, 0.0)
                            + (1 - weight - encoder_weight) * dense.get(n, 0.0)
                        ),
                    )
                )
            f1 = f1_score(truth, predicted, labels=list(INCIDENT_INTENTS), average="macro", zero_division=0)
            accuracy = sum(p == t for p, t in zip(predicted, truth)) / len(truth)
            rows.append((f1, accuracy, weight, encoder_weight))
    print(f"{'linear':>8}{'encoder':>9}{'DIET':>6}{'macro-F1 (incidents)':>24}{'accuracy':>12}")
    for f1, accuracy, weight, encoder_weight in sorted(rows, reverse=True):
        print(f"{weight:>8.1f}{encoder_weight:>9.1f}{1 - weight - encoder_weight:>6.1f}{f1:>24.4f}{accuracy:>12.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
