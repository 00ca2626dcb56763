"""The observatory over a year at national scale (console/observatory/), on SQLite and PostgreSQL.

    python benchmarks/bench_observatory_stats.py [--journeys 420000] [--db sqlite|postgresql|both] [--seed 2026]

A seeded simulation of a year of journeys (the 2024 volume: about 420,000), with the publics' split (particuliers
90 %, entreprises and associations 7 %, collectivités 3 %), incidents weighted per public after the activity
reports (domain/brief.md), weekly seasonality (Mondays busiest, Sundays half as busy), channels, places by
population, platforms, payment means, handovers with their waiting times and ratings. The journeys are written as
tracker events into `events` exactly as Rasa stores them and folded by the server's own refresh; then the queries
of the statistics page (console/observatory/stats.py) run for several filters (the year, a quarter, 30 and 7 days;
publics, channels, régions). Prints the load and refresh times and the p95 of each query and of a whole page.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple
from zoneinfo import ZoneInfo

import holidays

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PUBLICS = (("particulier", 0.90), ("entreprise", 0.07), ("collectivite", 0.03))
# Shares of requests per public (activity reports 2022-2024); the rest is spread over the other incidents.
INCIDENTS = {
    "particulier": {
        "hameconnage": 0.34,
        "piratage_compte": 0.15,
        "violation_donnees": 0.08,
        "faux_support_technique": 0.07,
        "faux_conseiller_bancaire": 0.06,
        "arnaque_achat": 0.06,
        "fraude_carte_bancaire": 0.05,
        "sextorsion": 0.04,
        "cyberharcelement": 0.03,
        "escroquerie_placement": 0.03,
        "usurpation_identite": 0.03,
    },
    "entreprise": {
        "piratage_compte": 0.235,
        "hameconnage": 0.21,
        "rancongiciel": 0.166,
        "fraude_virement": 0.10,
        "violation_donnees": 0.08,
        "defiguration": 0.04,
        "deni_de_service": 0.04,
    },
    "collectivite": {
        "hameconnage": 0.27,
        "rancongiciel": 0.21,
        "piratage_compte": 0.175,
        "defiguration": 0.06,
        "logiciel_malveillant": 0.06,
        "cyberharcelement": 0.04,
    },
}
WEEKDAY_WEIGHTS = (1.25, 1.2, 1.15, 1.1, 1.0, 0.65, 0.55)  # Monday .. Sunday
CHANNELS = (("web", 0.55), ("rest", 0.2), ("sms", 0.15), ("telegram", 0.1))
PAGE_RUNS = 5
PARIS = ZoneInfo("Europe/Paris")


def _weighted(rng: random.Random, pairs: List[Tuple[Any, float]]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _incident_tables() -> Dict[str, List[Tuple[str, float]]]:
    from bot.taxonomy import INCIDENT_INTENTS

    tables = {}
    for public, shares in INCIDENTS.items():
        rest = [i for i in INCIDENT_INTENTS if i not in shares]
        left = max(1 - sum(shares.values()), 0.0)
        tables[public] = list(shares.items()) + [(i, left / len(rest)) for i in rest]
    return tables


class Templates:
    """Rasa events serialised once (`event.as_dict()`); each journey only changes timestamps and values."""

    def __init__(self) -> None:
        from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, SessionStarted

        self.session_action = ActionExecuted("action_session_start").as_dict()
        self.session = SessionStarted().as_dict()
        self.listen = ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0).as_dict()
        self.diagnose = ActionExecuted("action_diagnose", policy="RulePolicy", confidence=1.0).as_dict()
        self.handover = ActionExecuted("action_request_handover", policy="RulePolicy", confidence=1.0).as_dict()
        self.pause = ConversationPaused().as_dict()
        self.bot = BotUttered("Au regard de vos éléments…", {"buttons": None}, metadata={}).as_dict()

    @staticmethod
    def user(text: str, intent: str, entities: List[Dict[str, Any]]) -> Dict[str, Any]:
        from rasa.shared.core.events import UserUttered

        parse = {
            "intent": {"name": intent, "confidence": 0.93},
            "entities": entities,
            "text": text,
            "message_id": "m",
            "metadata": {},
            "intent_ranking": [{"name": intent, "confidence": 0.93}],
        }
        return UserUttered(text, intent=parse["intent"], entities=entities, parse_data=parse).as_dict()

    @staticmethod
    def slot(name: str, value: Any) -> Dict[str, Any]:
        from rasa.shared.core.events import SlotSet

        return SlotSet(name, value).as_dict()


def _row(sender: str, data: Dict[str, Any], at: float) -> Dict[str, Any]:
    data = {**data, "timestamp": at}
    return {
        "sender_id": sender,
        "type_name": data["event"],
        "timestamp": at,
        "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def local_moment(day: date, seconds: float) -> float:
    """Epoch seconds of a Paris wall-clock time, `seconds` after that day's midnight. Aware arithmetic is wall-clock
    arithmetic: on the days the clocks change, 7 h is still 07:00 (adding seconds to midnight's timestamp put the
    whole of 25 October 2026 an hour early, from 06:00, which the wave detector rightly took for a wave)."""
    return (datetime(day.year, day.month, day.day, tzinfo=PARIS) + timedelta(seconds=seconds)).timestamp()


def simulate(
    count: int, seed: int, end: datetime, last_days: int = 365, public_holidays: bool = False
) -> Iterator[Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]]:
    """Yields (events rows, handover rows) per journey, in the order of their start.

    `count` journeys a year; with `last_days` below 365 only the journeys of the last `last_days` days, at the same
    rate per day as the year's (that many fewer journeys drawn: a bench watching a few weeks needs no whole year).
    With `public_holidays` the French public holidays are as quiet as Sundays (off by default: this benchmark's
    published figures were taken without)."""
    from bot import geo
    from bot.nlu.entities import PAYMENT_MEANS, PLATFORMS

    rng = random.Random(seed)
    templates = Templates()
    incidents = _incident_tables()
    communes = [c for c in geo.load().communes if c.population > 0]
    populations = list(itertools.accumulate(c.population for c in communes))  # cumulated once: same draws
    days = [end.date() - timedelta(days=n) for n in range(365)]
    closed = holidays.country_holidays("FR", years={d.year for d in days}) if public_holidays else {}
    day_weights = [
        WEEKDAY_WEIGHTS[6 if d in closed else d.weekday()] * (1 + 0.3 * math.sin(d.toordinal() / 58.0)) for d in days
    ]
    if last_days < 365:
        count = round(count * sum(day_weights[:last_days]) / sum(day_weights))
        days, day_weights = days[:last_days], day_weights[:last_days]
    platforms = [(p, 1 / (rank + 1)) for rank, p in enumerate(PLATFORMS)]
    means = [(p, 1 / (rank + 1)) for rank, p in enumerate(PAYMENT_MEANS)]
    chosen = rng.choices(days, weights=day_weights, k=count)
    starts = sorted(local_moment(d, rng.uniform(7 * 3600, 23 * 3600)) for d in chosen)
    for number, start in enumerate(starts):
        public = _weighted(rng, list(PUBLICS))
        incident = _weighted(rng, incidents[public])
        channel = _weighted(rng, list(CHANNELS))
        sender = f"{channel}:bench-{number}" if channel != "rest" else f"rest:bench-{number}"
        at = start
        rows = [_row(sender, templates.session_action, at), _row(sender, templates.session, at + 0.01)]
        rows.append(_row(sender, templates.listen, at + 0.02))
        at += rng.uniform(10, 60)
        rows.append(_row(sender, templates.user("description", incident, []), at))
        if rng.random() < 0.85:  # the public told or asked
            rows.append(_row(sender, templates.slot("public", public), at + 0.01))
        if rng.random() < 0.4:  # a place given (the providers' question)
            commune = rng.choices(communes, cum_weights=populations)[0]
            rows.append(_row(sender, templates.slot("postal_code", commune.postal_code), at + 0.02))
        if rng.random() < 0.35:
            rows.append(_row(sender, templates.slot("platform", _weighted(rng, platforms)), at + 0.03))
        if rng.random() < 0.25:
            rows.append(_row(sender, templates.slot("payment_means", _weighted(rng, means)), at + 0.04))
        rows.append(_row(sender, templates.diagnose, at + 0.1))
        rows.append(_row(sender, templates.slot("incident", incident), at + 0.11))
        rows.append(_row(sender, templates.bot, at + 0.12))
        rows.append(_row(sender, templates.listen, at + 0.13))
        if rng.random() < 0.7:
            at += rng.uniform(5, 40)
            paid = rng.random() < 0.3
            rows.append(_row(sender, templates.user("/affirm" if paid else "/deny", "inform", []), at))
            rows.append(_row(sender, templates.slot("money_paid", paid), at + 0.01))
        handovers: List[Dict[str, Any]] = []
        if rng.random() < 0.06:
            at += rng.uniform(5, 60)
            rows.append(_row(sender, templates.handover, at))
            wait = rng.lognormvariate(math.log(8 * 60), 1.0)
            requested = datetime.utcfromtimestamp(at)
            handovers.append(
                {
                    "sender_id": sender,
                    "channel": channel,
                    "state": "closed",
                    "reason": "asked",
                    "urgency": 2,
                    "requested_at": requested,
                    "taken_at": requested + timedelta(seconds=wait),
                    "timeout_notified": False,
                }
            )
            at += wait
            rows.append(_row(sender, templates.pause, at))
        if rng.random() < 0.15:
            at += rng.uniform(30, 300)
            value = rng.choice(("4", "5", "5", "3", "2", "1", "up", "down"))
            rating = [{"entity": "rating", "value": value}]
            rows.append(_row(sender, templates.user(f'/rate{{"rating": "{value}"}}', "rate", rating), at))
        yield rows, handovers


def _p95(values: List[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def page_queries(stats: Any) -> List[Tuple[str, Callable[[Any, Any], object]]]:
    """What the statistics page asks for one choice of filters (console/observatory/page.py `read`): two series
    and every fact kind; its totals and shares are sums of the series."""
    return [
        ("series per day × incident", lambda c, f: stats.series(c, f, "incident")),
        ("series per day × public", lambda c, f: stats.series(c, f, "public")),
        ("every fact kind", stats.all_facts),
    ]


def bench(kind: str, count: int, seed: int) -> Dict[str, float]:
    from tests.databases import temporary_database

    with tempfile.TemporaryDirectory() as tmp, temporary_database(kind, Path(tmp)) as url:
        os.environ["DATABASE_URL"] = url
        import console.schema  # noqa: F401  (every table)
        from bot import db
        from bot.db import EVENTS
        from bot.handover import Handover
        from console.observatory import journeys, publish, refresh, stats
        from tests import review_data

        db.create_all()
        review_data.create_events_table(url)
        engine = db.engine(url)
        end = datetime.now(PARIS)
        started = time.perf_counter()
        events_rows: List[Dict[str, Any]] = []
        handover_rows: List[Dict[str, Any]] = []
        stored = 0

        def flush() -> None:
            with engine.begin() as connection:
                if events_rows:
                    connection.execute(EVENTS.insert(), events_rows)
                if handover_rows:
                    connection.execute(Handover.__table__.insert(), handover_rows)
            events_rows.clear()
            handover_rows.clear()

        for rows, handovers in simulate(count, seed, end):
            events_rows += rows
            handover_rows += handovers
            stored += len(rows)
            if len(events_rows) >= 20_000:
                flush()
        flush()
        loaded = time.perf_counter() - started
        print(f"{kind}: {count} journeys, {stored} events written in {loaded:.0f} s")

        started = time.perf_counter()
        read = refresh.refresh(engine, settle_seconds=0)
        folded = time.perf_counter() - started
        with engine.connect() as connection:
            daily = connection.execute(select_count(journeys.DAILY)).scalar()
            facts = connection.execute(select_count(journeys.FACTS)).scalar()
            everyone = stats.total(connection, stats.Filters.last_days(366, end.date()))
        print(
            f"  refresh: {read} events folded in {folded:.0f} s ({read / folded:,.0f} events/s); "
            f"{daily} cells in observatory_daily, {facts} in observatory_facts; {everyone} journeys counted"
        )
        assert everyone == count, "every journey counted once"
        results = {"load_seconds": loaded, "refresh_seconds": folded}

        started = time.perf_counter()
        assert refresh.refresh(engine, settle_seconds=0) == 0
        print(f"  refresh with nothing new: {(time.perf_counter() - started) * 1000:.1f} ms")

        today = end.date()
        choices = [
            ("the year", stats.Filters(today - timedelta(days=364), today)),
            ("the year, entreprises", stats.Filters(today - timedelta(days=364), today, public="entreprise")),
            (
                "the year, collectivités, Île-de-France",
                stats.Filters(today - timedelta(days=364), today, public="collectivite", region="Île-de-France"),
            ),
            ("the year, SMS", stats.Filters(today - timedelta(days=364), today, channel="sms")),
            ("a quarter, web, entreprises", stats.Filters(today - timedelta(days=90), today, "entreprise", "web")),
            ("30 days", stats.Filters.last_days(30, today)),
            (
                "30 days, particuliers, Auvergne-Rhône-Alpes",
                stats.Filters.last_days(30, today, public="particulier", region="Auvergne-Rhône-Alpes"),
            ),
            ("7 days", stats.Filters.last_days(7, today)),
        ]
        results.update(measure(engine, stats, choices))
        if kind == "postgresql":
            # Right after the bulk refresh the tables are full of dead row versions (every upsert writes one) and
            # have no statistics; autovacuum cleans and analyses them in the background: measured again after it.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                for table in refresh.TABLES:
                    connection.exec_driver_sql(f"VACUUM ANALYZE {table.name}")
            print("  after VACUUM ANALYZE (what autovacuum does):")
            results.update({f"vacuumed_{k}": v for k, v in measure(engine, stats, choices).items()})

        started = time.perf_counter()
        with engine.connect() as connection:
            published = publish.rows(connection)
        print(f"  published export of the year: {len(published)} rows in {time.perf_counter() - started:.1f} s")
        db._engine.cache_clear()
        return results


def measure(engine: Any, stats: Any, choices: List[Tuple[str, Any]]) -> Dict[str, float]:
    """Runs the page's queries for each choice of filters PAGE_RUNS times; prints and returns the p95s."""
    per_query: Dict[str, List[float]] = {}
    per_page: Dict[str, List[float]] = {}
    queries = page_queries(stats)
    for _ in range(PAGE_RUNS):
        for label, filters in choices:
            page_started = time.perf_counter()
            with engine.connect() as connection:
                for name, query in queries:
                    query_started = time.perf_counter()
                    query(connection, filters)
                    per_query.setdefault(name, []).append((time.perf_counter() - query_started) * 1000)
            per_page.setdefault(label, []).append((time.perf_counter() - page_started) * 1000)
    print("  statistics queries, p95 over the filters (ms):")
    for name, timings in per_query.items():
        print(f"    {name:34} p50 {statistics.median(timings):7.1f}   p95 {_p95(timings):7.1f}")
    everything = [t for timings in per_query.values() for t in timings]
    pages = [t for timings in per_page.values() for t in timings]
    print("  a whole page (its three queries, one connection), per filter choice (ms, median):")
    for label, timings in per_page.items():
        print(f"    {label:44} {statistics.median(timings):7.1f}")
    print(f"  -> p95 of one query {_p95(everything):.1f} ms; p95 of a whole page {_p95(pages):.1f} ms")
    from console.observatory import page

    built = []
    for _ in range(PAGE_RUNS):
        for _, filters in choices:
            started = time.perf_counter()
            page.build(filters, engine.url.render_as_string(hide_password=False))
            built.append((time.perf_counter() - started) * 1000)
    print(f"  -> p95 of the page's content with its charts drawn (page.build): {_p95(built):.1f} ms")
    return {"query_p95": _p95(everything), "page_p95": _p95(pages), "build_p95": _p95(built)}


def select_count(table: Any) -> Any:
    from sqlalchemy import func, select

    return select(func.count()).select_from(table)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--journeys", type=int, default=420_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    for kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        bench(kind, args.journeys, args.seed)


if __name__ == "__main__":
    main()
