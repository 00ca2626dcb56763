"""Waves and campaigns found in simulated time (console/observatory/detect.py), through the live path.

    python benchmarks/bench_observatory.py [--quiet-only] [--days 100] [--monitor 35] [--step-minutes 60]
                                           [--journeys-per-year 420000] [--seed 2026]

Part 1's simulation (benchmarks/bench_observatory_stats.py `simulate`, the 2024 volume) of the last `--days` days
only (the year's rate per day, fewer days). The days before the last `--monitor` are the history: written into
`events` and folded once (refresh and review index), then copied for each run. Two runs: a quiet control, and one
with a sextortion campaign injected `--monitor`/2 days before the end (victims pasting variants of one extortion
e-mail, climbing to most journeys within two days) and, when --days allows the CUSUM's 12 weeks (100 days), a slow
rise of fake bank advisers (+0 to +100 % over a month, from 35 days before the end).

The monitored days are replayed as the server lives them: at each step the events whose timestamp has passed are
written into `events`, then the observatory's refresh, the review index's refresh and `detect` run (so the refresh
lag counts). A step is `--step-minutes` long, except around the campaign (an hour before its start to 12 hours
after) where it is OBSERVATORY_DETECT_SECONDS, the server's own period, in both runs: the campaign's delay after
its 30th victim is what the server would show. Prints each wave's detection delay, the campaign's delay after its
30th victim, false alarms per month of the quiet run, and the time spent per step.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_observatory_stats import PARIS, Templates, _row, simulate  # noqa: E402

EXTORTION = (
    "Bonjour {name}, je suis un hacker et j'ai pris le contrôle de votre appareil il y a plusieurs mois. J'ai "
    "enregistré des vidéos de vous sur des sites pour adultes avec votre webcam. Envoyez {amount} euros en bitcoin "
    "dans les 48 heures, sinon j'envoie la vidéo à tous vos contacts."
)
NAMES = ("Martin", "Bernard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent")
RISE_DAYS = 35  # the slow rise starts this many days before the end
FINE_BEFORE, FINE_AFTER = 3600, 12 * 3600  # the server's own detection period around the campaign's start
Rows = List[Dict[str, Any]]


def injected(start: float, hours: int, per_hour: Callable[[int], float], incident: str,
             text: Callable[[random.Random], str], seed: int) -> List[Rows]:  # fmt: skip
    """Extra journeys (their events rows) of victims of one incident, `per_hour(h)` of them in hour h."""
    rng = random.Random(seed)
    templates = Templates()
    found = []
    for hour in range(hours):
        for n in range(int(per_hour(hour)) + (rng.random() < per_hour(hour) % 1)):
            at = start + hour * 3600 + rng.uniform(0, 3600)
            sender = f"web:wave-{incident}-{hour}-{n}-{seed}"
            rows = [_row(sender, templates.session_action, at), _row(sender, templates.session, at + 0.01)]
            rows.append(_row(sender, templates.user(text(rng), incident, []), at + 20))
            rows.append(_row(sender, templates.slot("incident", incident), at + 21))
            found.append(rows)
    return found


class Scenario:
    """Where the runs happen: the simulated days, the monitored period, the campaign's window."""

    def __init__(self, days: int, monitor: int, per_year: int, seed: int) -> None:
        self.days, self.monitor, self.per_year, self.seed = days, monitor, per_year, seed
        self.end = datetime.now(PARIS).replace(minute=0, second=0, microsecond=0)
        self.first = (self.end - timedelta(days=days)).timestamp()
        self.monitor_start = (self.end - timedelta(days=monitor)).timestamp()
        self.wave_start = (self.end - timedelta(days=monitor // 2)).replace(hour=8).timestamp()

    def moments(self, step: float, fine_step: float) -> List[float]:
        """The detection runs: every `step` seconds, every `fine_step` around the campaign's start."""
        found, moment = [], self.monitor_start
        while moment < self.end.timestamp():
            fine = self.wave_start - FINE_BEFORE <= moment < self.wave_start + FINE_AFTER
            moment = min(moment + (fine_step if fine else step), self.end.timestamp())
            found.append(moment)
        return found

    def waves(self) -> Tuple[List[Rows], Dict[str, float], float]:
        """The injected journeys, each wave's start, and the campaign's 30th victim's message time."""

        def text(r: random.Random) -> str:
            return EXTORTION.format(name=r.choice(NAMES), amount=r.choice((500, 800, 1000, 1500)))

        campaign = injected(self.wave_start, 72, lambda h: min(2 + h * 1.2, 60), "sextorsion", text, self.seed)
        truth = {"sextorsion": self.wave_start}
        thirtieth = sorted(rows[2]["timestamp"] for rows in campaign)[29]  # the pasted message (its 3rd event)
        extra = list(campaign)
        if self.days >= 100:
            rise_start = (self.end - timedelta(days=RISE_DAYS)).timestamp()
            base = self.per_year / 365 / 24 * 0.055
            extra += injected(rise_start, RISE_DAYS * 24, lambda h: base * min(h / 720, 1.0),
                              "faux_conseiller_bancaire", lambda r: "un faux conseiller m'a appelé", self.seed + 1)  # fmt: skip
            truth["faux_conseiller_bancaire"] = rise_start
        return extra, truth, thirtieth


def _insert(engine: Any, rows: Rows) -> None:
    from bot.db import EVENTS

    for start in range(0, len(rows), 20_000):
        with engine.begin() as connection:
            connection.execute(EVENTS.insert(), rows[start : start + 20_000])


def _open(url: str) -> Any:
    import console.schema  # noqa: F401  (every table)
    from bot import db

    os.environ["DATABASE_URL"] = url
    return db.engine(url)


def history(scenario: Scenario, url: str) -> Tuple[List[Tuple[float, Dict]], Dict[str, float]]:
    """Writes and folds the simulated days before the monitored period into `url`; returns the later events rows
    (timestamp, row) in time order, and what it took."""
    from bot import db
    from console import index
    from console.observatory import refresh
    from tests import review_data

    engine = _open(url)
    db.create_all()
    review_data.create_events_table(url)
    started = time.perf_counter()
    before: Rows = []
    later: List[Tuple[float, Dict]] = []
    journeys = 0
    for rows, _handovers in simulate(
        scenario.per_year, scenario.seed, scenario.end, last_days=scenario.days + 1, public_holidays=True
    ):
        if rows[0]["timestamp"] < scenario.first:
            continue
        journeys += 1
        for row in rows:
            if row["timestamp"] < scenario.monitor_start:
                before.append(row)
            else:
                later.append((row["timestamp"], row))
        if len(before) >= 20_000:
            _insert(engine, before)
            before.clear()
    _insert(engine, before)
    written = time.perf_counter() - started
    started = time.perf_counter()
    refresh.refresh(engine, settle_seconds=0)
    folded = time.perf_counter() - started
    started = time.perf_counter()
    index.refresh(url, settle_seconds=0)
    indexed = time.perf_counter() - started
    later.sort(key=lambda pair: pair[0])
    return later, {"journeys": journeys, "written": written, "folded": folded, "indexed": indexed}


def copy(source: str, target: str) -> None:
    """The history's database, copied for one run (SQLite's backup API)."""
    with (
        sqlite3.connect(source.removeprefix("sqlite:///")) as src,
        sqlite3.connect(target.removeprefix("sqlite:///")) as dst,
    ):
        src.backup(dst)


def run(scenario: Scenario, template: str, url: str, later: List[Tuple[float, Dict]], waves: bool,
        moments: List[float]) -> Dict[str, Any]:  # fmt: skip
    from console import index
    from console.observatory import detect, refresh

    copy(template, url)
    engine = _open(url)
    truth: Dict[str, float] = {}
    thirtieth: Optional[float] = None
    pending = later
    if waves:
        extra, truth, thirtieth = scenario.waves()
        pending = sorted(later + [(row["timestamp"], row) for rows in extra for row in rows], key=lambda p: p[0])
    cursor = 0

    def load_until(moment: float) -> None:
        nonlocal cursor
        start = cursor
        while cursor < len(pending) and pending[cursor][0] < moment:
            cursor += 1
        if cursor > start:
            _insert(engine, [row for _, row in pending[start:cursor]])

    load_until(scenario.monitor_start)  # injected events before the monitored period, if any
    refresh.refresh(engine, settle_seconds=0)
    index.refresh(url, settle_seconds=0)
    first_seen: Dict[str, float] = {}
    opened: List[Any] = []
    spent = {"load": 0.0, "refresh": 0.0, "index": 0.0, "detect": 0.0}
    slowest = 0.0
    for moment in moments:
        t0 = time.perf_counter()
        load_until(moment)
        t1 = time.perf_counter()
        refresh.refresh(engine, settle_seconds=0)
        t2 = time.perf_counter()
        index.refresh(url, settle_seconds=0)
        t3 = time.perf_counter()
        touched = detect.detect(moment, url)
        t4 = time.perf_counter()
        for name, took in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            spent[name] += took
        slowest = max(slowest, t4 - t3)
        for alert in touched:
            name = f"{alert.kind}:{alert.incident}"
            if name not in first_seen:
                first_seen[name] = moment
            if alert.id not in {a.id for a in opened}:
                opened.append(alert)
                when = datetime.fromtimestamp(moment, PARIS).strftime("%Y-%m-%d %H:%M")
                print(f"    {when}: {alert.kind} alert {alert.key} (count {alert.count})", flush=True)
    return {
        "truth": truth,
        "first_seen": first_seen,
        "alerts": opened,
        "campaign_30th": thirtieth,
        "runs": len(moments),
        "spent_ms": {k: v / max(len(moments), 1) * 1000 for k, v in spent.items()},
        "slowest_detect_ms": slowest * 1000,
    }


def _spent(result: Dict[str, Any]) -> str:
    parts = ", ".join(f"{k} {v:.0f}" for k, v in result["spent_ms"].items())
    return f"{result['runs']} steps; ms per step: {parts}; slowest detect {result['slowest_detect_ms']:.0f} ms"


def main() -> None:
    from bot import settings

    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--monitor", type=int, default=35)
    parser.add_argument("--step-minutes", type=float, default=60.0, help="detection period outside the campaign")
    parser.add_argument("--journeys-per-year", type=int, default=420_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quiet-only", action="store_true", help="only the quiet control (false alarms)")
    args = parser.parse_args()
    began = time.perf_counter()
    scenario = Scenario(args.days, args.monitor, args.journeys_per_year, args.seed)
    fine = float(settings.current().observatory_detect_seconds)
    moments = scenario.moments(args.step_minutes * 60, fine)
    print(f"{args.days} days simulated (seed {args.seed}), the last {args.monitor} watched: a detection every "
          f"{args.step_minutes:g} min, every {fine:.0f} s around the campaign ({len(moments)} runs)")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        template = f"sqlite:///{Path(tmp) / 'history.db'}"
        later, took = history(scenario, template)
        print(f"  history: {took['journeys']} journeys; the {args.days - args.monitor} days before the watched ones "
              f"written in {took['written']:.0f} s, folded in {took['folded']:.0f} s, indexed in "
              f"{took['indexed']:.0f} s")  # fmt: skip
        print("quiet control:")
        quiet = run(scenario, template, f"sqlite:///{Path(tmp) / 'quiet.db'}", later, False, moments)
        for alert in quiet["alerts"]:
            print(f"    false alarm: {alert.kind} {alert.key} count {alert.count} baseline {alert.baseline}")
        false_alarms = len(quiet["alerts"])
        print(f"  -> {false_alarms} false alarm(s) in {args.monitor} days: {false_alarms / (args.monitor / 30):.2f} "
              f"per month")  # fmt: skip
        print(f"  {_spent(quiet)}")
        if args.quiet_only:
            print(f"total: {time.perf_counter() - began:.0f} s")
            return
        print("with injected waves:")
        waves = run(scenario, template, f"sqlite:///{Path(tmp) / 'waves.db'}", later, True, moments)
    for incident, start in waves["truth"].items():
        delays = [f"{kind} alert {(at - start) / 3600:.1f} h after its start"
                  for kind, at in ((k, waves["first_seen"].get(f"{k}:{incident}")) for k in ("wave", "campaign"))
                  if at is not None]  # fmt: skip
        print(f"  {incident}: {'; '.join(delays) or 'NOT DETECTED'}")
    seen = waves["first_seen"].get("campaign:sextorsion")
    campaign = next((a for a in waves["alerts"] if a.kind == "campaign" and a.incident == "sextorsion"), None)
    if waves["campaign_30th"] is not None:
        delay = f"{(seen - waves['campaign_30th']) / 60:+.0f} min" if seen else "NOT DETECTED"
        victims = f" (the alert opened with {campaign.count} victims)" if campaign is not None else ""
        print(f"  campaign sextorsion: alert {delay} after its 30th victim's message{victims}")
    others = [a for a in waves["alerts"] if a.incident not in waves["truth"]]
    print(f"  other alerts during the injected run: {len(others)} ({', '.join(a.key for a in others)})")
    print(f"  {_spent(waves)}")
    print(f"total: {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
