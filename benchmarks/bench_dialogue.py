"""The conversation fuzzer at length, and every incident's follow-ups after the advice (`make bench-dialogue`).

    .venv/bin/python benchmarks/bench_dialogue.py [--seconds 600] [--seed 2026] [--followups 35]

Starts its own action server and Rasa server (the newest model in models/, a throw-away SQLite database), then:
1. random walks for `--seconds` (tests/support/fuzzer.py): walks, turns, walks that reached the advice, failures;
2. for each of the 18 incidents, the advice, then `--followups` held-out follow-ups (tests/dialogue/followups.yml)
   in one conversation, going back to the advice whenever a follow-up left it: follow-ups sent, dead turns
   (no reply or the safety reply), loops (a text repeated within one reply), the generic "not understood" answer,
   and answers that contain what a kind operator's answer to that kind of follow-up contains ("sensible").
Prints the figures; a failing walk prints its transcript. Exit code 1 when any property failed.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import knowledge  # noqa: E402
from bot.taxonomy import INCIDENT_INTENTS  # noqa: E402
from tests.conftest import Bot, start_action_server, start_rasa_server  # noqa: E402
from tests.support import fuzzer  # noqa: E402


def follow_ups(bot: Bot, seed: int, count: int) -> int:
    failures = 0
    print(f"\nFollow-ups after the advice ({count} per incident, held out):")
    print(f"{'incident':26} {'sent':>5} {'dead':>5} {'loops':>6} {'generic':>8} {'sensible':>9}")
    total: Counter = Counter()
    by_category: Dict[str, Counter] = defaultdict(Counter)
    for incident in INCIDENT_INTENTS:
        rng = random.Random(f"{seed}-{incident}")
        walker = fuzzer.Walker(bot.say, rng)
        public = knowledge.load().sheets[incident].publics[0]
        row: Counter = Counter()
        try:
            fuzzer.advise(walker, incident, public)
            for category, message in fuzzer.followup_messages(rng, count):
                replies = bot.say(walker.sender, message)
                shown = "\n".join(fuzzer.texts(replies))
                problem = fuzzer.check_turn(message, replies)
                row["sent"] += 1
                if problem and "repeated" in problem:
                    row["loops"] += 1
                elif problem:
                    row["dead"] += 1
                if "Je n'ai pas bien compris" in shown:
                    row["generic"] += 1
                good = fuzzer.sensible(category, shown)
                row["sensible"] += good
                by_category[category].update({"sent": 1, "sensible": good})
        except fuzzer.WalkFailed as failure:
            print(failure)
            row["dead"] += 1
        failures += row["dead"] + row["loops"]
        total.update(row)
        print(f"{incident:26} {row['sent']:5} {row['dead']:5} {row['loops']:6} {row['generic']:8} {row['sensible']:9}")
    print(
        f"{'all':26} {total['sent']:5} {total['dead']:5} {total['loops']:6} {total['generic']:8} {total['sensible']:9}"
    )
    print("\nSensible answers per kind of follow-up (what a kind operator's answer contains, tests/support/fuzzer.py):")
    for category, counts in sorted(by_category.items()):
        print(
            f"  {category:14} {counts['sensible']:4} / {counts['sent']:<4} ({100 * counts['sensible'] / counts['sent']:.0f} %)"
        )
    return failures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--followups", type=int, default=35)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        database_url = f"sqlite:///{tmp / 'bench.db'}"
        actions, action_url = start_action_server(tmp, database_url)
        rasa, base_url = start_rasa_server(tmp, database_url, action_url)
        bot = Bot(base_url, database_url)
        failures = 0
        try:
            started = time.monotonic()
            try:
                stats = fuzzer.run_walks(bot.say, args.seed, args.seconds)
            except fuzzer.WalkFailed as failure:
                print(failure)
                stats, failures = {}, 1
            elapsed = time.monotonic() - started
            print(f"Random walks (seed {args.seed}, {elapsed:.0f} s): {stats}")
            if stats:
                print(
                    f"  {stats['turns'] / elapsed:.1f} turns/s; advice reached in {stats['advised']} of "
                    f"{stats['walks']} walks"
                )
            failures += follow_ups(bot, args.seed, args.followups)
            breakers = rasa.log.read_text().count("Circuit breaker")
            print(f"Circuit breaker in the server log: {breakers}")
            failures += breakers
        finally:
            rasa.stop()
            actions.stop()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
