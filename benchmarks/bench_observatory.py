"""Waves and campaigns found in simulated time (console/observatory/detect.py), through the live path.

    python benchmarks/bench_observatory.py [--days 42] [--monitor 14] [--journeys-per-year 420000] [--seed 2026]

Part 1's simulation (benchmarks/bench_observatory_stats.py `simulate`, the 2024 volume) keeps its last `--days`
days (the same rates as a year, fewer days: a full year hour by hour takes hours). Two runs: a quiet control, and
one with a sextortion campaign injected `--monitor`/2 days before the end (victims pasting variants of one extortion
e-mail, climbing to most journeys within two days) and, when --days allows the CUSUM's 12 weeks, a slow rise of fake
bank advisers (+0 to +100 % over a month). Every simulated hour of the monitored days: the hour's events are written
into `events`, then the observatory's refresh, the review index's refresh and `detect` run, as in the server (the
refresh lag counts). Prints each wave's detection delay, the campaign's delay after its 30th victim, and false
alarms per month of the quiet run.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

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


def injected(start: float, hours: int, per_hour, incident: str, text, seed: int) -> List[Tuple[float, List[Dict]]]:
    """Extra journeys: (start time, events) of victims of one incident, `per_hour(h)` of them in hour h."""
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
            found.append((at, rows))
    return found


def run(days: int, monitor: int, per_year: int, seed: int, waves: bool) -> Dict[str, Any]:
    from tests.databases import temporary_database

    with tempfile.TemporaryDirectory() as tmp, temporary_database("sqlite", Path(tmp)) as url:
        os.environ["DATABASE_URL"] = url
        import console.schema  # noqa: F401  (every table)
        from bot import db
        from bot.db import EVENTS
        from console import index
        from console.observatory import detect, refresh
        from tests import review_data

        db.create_all()
        review_data.create_events_table(url)
        engine = db.engine(url)
        end = datetime.now(PARIS).replace(minute=0, second=0, microsecond=0)
        first = (end - timedelta(days=days)).timestamp()
        journeys: List[Tuple[float, List[Dict]]] = []
        for rows, _handovers in simulate(per_year, seed, end):
            if rows[0]["timestamp"] >= first:
                journeys.append((rows[0]["timestamp"], rows))
        monitor_start = (end - timedelta(days=monitor)).timestamp()
        wave_start = (end - timedelta(days=monitor // 2)).replace(hour=8).timestamp()
        truth: Dict[str, float] = {}
        campaign_30th: Optional[float] = None
        if waves:
            rng = random.Random(seed)

            def text(r: random.Random) -> str:
                return EXTORTION.format(name=r.choice(NAMES), amount=r.choice((500, 800, 1000, 1500)))

            campaign = injected(wave_start, 72, lambda h: min(2 + h * 1.2, 60), "sextorsion", text, seed)
            journeys += campaign
            campaign_30th = sorted(at for at, _ in campaign)[29]
            truth["sextorsion"] = wave_start
            if days >= 100:
                rise_start = (end - timedelta(days=35)).timestamp()
                base = per_year / 365 / 24 * 0.055
                rise = injected(rise_start, 35 * 24, lambda h: base * min(h / 720, 1.0), "faux_conseiller_bancaire",
                                lambda r: "un faux conseiller m'a appelé", seed + 1)  # fmt: skip
                journeys += rise
                truth["faux_conseiller_bancaire"] = rise_start
            del rng
        journeys.sort(key=lambda j: j[0])
        cursor = 0

        def load_until(moment: float) -> None:
            nonlocal cursor
            rows: List[Dict] = []
            while cursor < len(journeys) and journeys[cursor][0] < moment:
                rows += [r for r in journeys[cursor][1] if r["timestamp"] < moment + 3600]
                cursor += 1
            if rows:
                with engine.begin() as connection:
                    connection.execute(EVENTS.insert(), rows)

        started = time.perf_counter()
        load_until(monitor_start)
        refresh.refresh(engine, settle_seconds=0)
        index.refresh(url, settle_seconds=0)
        print(
            f"  history: {cursor} journeys before the monitored days, loaded in {time.perf_counter() - started:.0f} s"
        )
        first_seen: Dict[str, float] = {}
        alerts_opened: List[Any] = []
        moment = monitor_start
        runs, spent = 0, 0.0
        while moment < end.timestamp():
            moment += 3600
            load_until(moment)
            refresh.refresh(engine, settle_seconds=0)
            index.refresh(url, settle_seconds=0)
            t0 = time.perf_counter()
            touched = detect.detect(moment, url)
            spent += time.perf_counter() - t0
            runs += 1
            for alert in touched:
                name = f"{alert.kind}:{alert.incident}"
                if name not in first_seen:
                    first_seen[name] = moment
                    alerts_opened.append(alert)
        return {
            "truth": truth,
            "first_seen": first_seen,
            "alerts": alerts_opened,
            "campaign_30th": campaign_30th,
            "runs": runs,
            "detect_ms": spent / max(runs, 1) * 1000,
            "monitor_days": monitor,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=42)
    parser.add_argument("--monitor", type=int, default=14)
    parser.add_argument("--journeys-per-year", type=int, default=420_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print(f"quiet control: {args.days} days simulated, the last {args.monitor} watched hour by hour")
    quiet = run(args.days, args.monitor, args.journeys_per_year, args.seed, waves=False)
    false_alarms = len(quiet["alerts"])
    for alert in quiet["alerts"]:
        print(f"    false alarm: {alert.kind} {alert.key} count {alert.count} baseline {alert.baseline}")
    print(f"  -> {false_alarms} false alarm(s), {false_alarms / (args.monitor / 30):.2f} per month "
          f"(detect: {quiet['detect_ms']:.0f} ms per run)")  # fmt: skip
    print("with injected waves:")
    waves = run(args.days, args.monitor, args.journeys_per_year, args.seed, waves=True)
    for incident, start in waves["truth"].items():
        seen = [at for name, at in waves["first_seen"].items() if name.endswith(f":{incident}")]
        delay = f"{(min(seen) - start) / 3600:.1f} h after its start" if seen else "NOT DETECTED"
        print(f"  wave {incident}: first alert {delay}")
    seen = waves["first_seen"].get("campaign:sextorsion")
    if waves["campaign_30th"] is not None:
        delay = f"{(seen - waves['campaign_30th']) / 60:.0f} min" if seen else "NOT DETECTED"
        print(f"  campaign sextorsion: alert {delay} after its 30th victim (hourly detection steps)")
    others = [a for a in waves["alerts"] if a.incident not in waves["truth"]]
    print(f"  other alerts during the injected run: {len(others)} ({', '.join(a.key for a in others)})")


if __name__ == "__main__":
    main()
