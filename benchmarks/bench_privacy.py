"""Redaction (bot/privacy.py): coverage on the frozen pastes, over-redaction on the training data, speed.

    make bench-privacy

Prints: the frozen set of pastes fully redacted (tests/privacy/pastes.yml), how many training examples the
redaction changes (they hold no real secret: each change is a false alarm or an invented number), the per-message
latency, and the time to redact 100 kB of hostile input of each kind (the worst one is the figure that matters).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bot.privacy import redact
from bot.text import normalise

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = {
    "digits": "1" * 100_000 + "a",
    "dotted digits": "1." * 50_000,
    "spaced digits": "1 " * 50_000,
    "phone pairs": "06 12 " * 16_000,
    "plus signs": "+1 " * 33_000,
    "IBAN starts": "FR76 " * 20_000,
    "at signs": "a@" * 50_000,
    "keywords": "mot de passe " * 7_700,
    "titles": "Mme Dupont " * 9_000,
    "streets": "12 rue " * 14_000,
    "a link": "https://a.fr/" + "x1" * 50_000,
    "one long word": "login " + "a" * 100_000,
    "seed words": "abandon " * 12_500,
    "a story": (
        "Bonjour, je m'appelle Marie Dupont, j'habite 12 rue des Lilas à Dole, ma carte 4970 1012 3456 7893. " * 1000
    )[:100_000],
}


def main() -> None:
    redact("Marie Dupont, 12 rue des Lilas")  # loads spaCy's NER once, as a server process does
    pastes = yaml.safe_load((ROOT / "tests" / "privacy" / "pastes.yml").read_text(encoding="utf-8"))["pastes"]
    right = 0
    for paste in pastes:
        shown = redact(paste["text"])
        leaked = any(s in shown or normalise(s) in shown for s in paste["secrets"])
        lost = any(normalise(k) not in shown for k in paste["keep"])
        right += not leaked and not lost
    print(f"frozen pastes fully right: {right}/{len(pastes)}")

    texts = [m.get("text") for m in load_data(str(ROOT / "bot" / "data" / "nlu")).intent_examples]
    timings, changed = [], 0
    for text in texts:
        started = time.perf_counter()
        shown = redact(text)
        timings.append(time.perf_counter() - started)
        changed += shown != normalise(text)
    timings.sort()
    print(
        f"training examples changed: {changed}/{len(texts)}; per message p50 {statistics.median(timings) * 1000:.2f} ms,"
        f" p95 {timings[int(len(timings) * 0.95)] * 1000:.2f} ms"
    )
    worst = 0.0
    for name, text in HOSTILE.items():
        started = time.perf_counter()
        redact(text)
        elapsed = time.perf_counter() - started
        worst = max(worst, elapsed)
        print(f"  100 kB of {name:14}: {elapsed * 1000:7.1f} ms")
    print(f"worst hostile input: {worst * 1000:.0f} ms")


if __name__ == "__main__":
    main()
