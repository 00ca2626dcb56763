"""Speed of the review list over many conversations (console/index.py), on SQLite and PostgreSQL.

    python benchmarks/bench_review.py [--conversations 100000] [--db sqlite|postgresql|both]

Fills a throw-away database with synthetic conversations stored as Rasa's SQLTrackerStore stores them (about ten
events each), builds the conversation index from scratch, then times: an incremental refresh with a few new events,
the first page, a page deep in the list (keyset cursor), filters, and full-text search. Prints milliseconds.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = (
    "facebook instagram compte piraté carte bancaire colis sms lien virement conseiller banque arnaque "
    "rançon fichiers chiffrés webcam chantage site annonce leboncoin paiement remboursement"
).split()


def _conversations(count: int, now: float):
    from bot.taxonomy import INCIDENT_INTENTS
    from tests.review_data import Conversation

    rng = random.Random(42)
    channels = ("web", "telegram", "sms", "rest")
    for number in range(count):
        channel = channels[number % 4]
        sender = {
            "web": f"web:{number:08d}",
            "telegram": f"telegram:{10_000_000 + number}",
            "sms": f"sms:+336{number:08d}",
            "rest": f"api-{number}",
        }[channel]
        start = now - rng.uniform(0, 365 * 86400)
        incident = rng.choice(INCIDENT_INTENTS)
        text = " ".join(rng.choice(WORDS) for _ in range(12))
        conversation = (
            Conversation(sender, start)
            .victim(text, incident, rng.uniform(0.2, 1.0))
            .action("action_diagnose")
            .bot("Au regard de vos éléments…")
            .slot("incident", incident)
            .listen()
        )
        if number % 5 == 0:
            conversation.victim("je comprends pas", "nlu_fallback", 0.2).action("action_not_understood").listen()
        yield conversation


def _time(label: str, action: Callable[[], object], runs: int = 5) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    median = statistics.median(timings)
    print(f"  {label:58} {median:9.1f} ms")
    return median


def bench(kind: str, count: int) -> Dict[str, float]:
    from tests.databases import temporary_database

    with tempfile.TemporaryDirectory() as tmp, temporary_database(kind, Path(tmp)) as url:
        os.environ["DATABASE_URL"] = url
        from bot import db
        from console import index
        from tests import review_data

        db.create_all()
        review_data.create_events_table(url)
        now = time.time()
        started = time.perf_counter()
        batch: List = []
        rows = 0
        for conversation in _conversations(count, now):
            batch.append(conversation)
            if len(batch) == 5000:
                rows += review_data.store(url, batch)
                batch = []
        rows += review_data.store(url, batch)
        print(f"{kind}: {count} conversations, {rows} events stored in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        index.refresh(settle_seconds=0)
        built = time.perf_counter() - started
        print(f"  index built from scratch in {built:.1f} s")
        results = {"build_seconds": built}
        extra = list(_conversations(3, now + 10))
        for number, conversation in enumerate(extra):
            conversation.sender_id = f"web:new-{number}"
        review_data.store(url, extra)
        results["incremental"] = _time(
            "incremental refresh (3 new conversations)", lambda: index.refresh(settle_seconds=0), runs=1
        )
        results["noop"] = _time("refresh with nothing new", lambda: index.refresh(settle_seconds=0))
        engine = db.engine(url)

        def page(args: Dict[str, str], deep: int = 0) -> Callable[[], object]:
            filters, _ = index.Filters.from_args(args)

            def run() -> object:
                with engine.connect() as connection:
                    found = index.page(connection, filters)
                    for _ in range(deep):
                        if not found.older:
                            break
                        found = index.page(connection, filters, after=found.older)
                    return found

            return run

        for label, args in (
            ("first page, no filter", {}),
            ("channel sms", {"channel": "sms"}),
            ("incident rancongiciel", {"incident": "rancongiciel"}),
            ("low confidence < 0.3", {"low_confidence": "1", "threshold": "0.3"}),
            ("fallback + not reviewed", {"fallback": "1", "not_reviewed": "1"}),
            ("date range (one month)", {"since": "2026-01-01", "until": "2026-01-31"}),
            ("search 'webcam chantage'", {"q": "webcam chantage"}),
            ("search 'rançon' + channel web", {"q": "rançon", "channel": "web"}),
        ):
            results[label] = _time(label, page(args))
        results["page 200"] = (
            _time("200th page, no filter (200 keyset steps, per page)", page({}, deep=200), runs=1) / 200
        )
        print(f"  -> {results['page 200']:.1f} ms per page when walking 200 pages")
        db._engine.cache_clear()
        return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    for kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        bench(kind, args.conversations)


if __name__ == "__main__":
    main()
