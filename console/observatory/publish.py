"""The published aggregates: what may leave the service (open data, partners, the CLI's `export --csv`).

Rules, applied here and nowhere else:
- a cell of fewer than MIN_CELL journeys is never exported, whatever its kind;
- a département is named only in a cell of at least MIN_CELL journeys; smaller ones are added to their région's row
  (département empty), which is itself exported only when it reaches MIN_CELL;
- facts (platform, payment means, money paid, handed over, waiting time, rating) never carry a département.

One row per cell, ISO dates, columns COLUMNS (documented in the README, "Observatory"):

    day          the Europe/Paris day the journeys started (YYYY-MM-DD)
    incident     the incident type (intent names of TAXONOMY.md)
    public       particulier, entreprise (businesses and associations), collectivite; empty when not known
    channel      web, telegram, sms, rest
    region       the région's name; empty when not known
    departement  the département's code, only on "journeys" rows of at least MIN_CELL; else empty
    measure      "journeys", or a fact: platform, payment_means, money_paid, handed_over, wait, rating
    value        empty for "journeys"; the fact's value otherwise (a platform, "oui", "<5 min", "4", "up"...)
    count        journeys (for a fact: journeys with that value), always at least MIN_CELL
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.engine import Connection

from console.observatory.journeys import DAILY, FACTS
from console.observatory.models import MIN_CELL
from console.observatory.stats import Filters, conditions

COLUMNS = ("day", "incident", "public", "channel", "region", "departement", "measure", "value", "count")
JOURNEYS = "journeys"


def _daily(connection: Connection, filters: Optional[Filters]) -> Iterator[Dict[str, Any]]:
    query = select(DAILY).order_by(DAILY.c.day, DAILY.c.incident, DAILY.c.public, DAILY.c.channel, DAILY.c.region)
    if filters is not None:
        query = query.where(*conditions(DAILY, filters))
    groups: Dict[Tuple[Any, ...], List[Any]] = {}
    for row in connection.execute(query):
        groups.setdefault((row.day, row.incident, row.public, row.channel, row.region), []).append(row)
    for (day, incident, public, channel, region), cells in groups.items():
        named = sorted((c for c in cells if c.departement and c.journeys >= MIN_CELL), key=lambda c: c.departement)
        rest = sum(c.journeys for c in cells if not (c.departement and c.journeys >= MIN_CELL))
        base = {"day": day.isoformat(), "incident": incident, "public": public, "channel": channel}
        if rest >= MIN_CELL:
            yield {**base, "region": region, "departement": "", "measure": JOURNEYS, "value": "", "count": rest}
        for cell in named:
            yield {
                **base,
                "region": region,
                "departement": cell.departement,
                "measure": JOURNEYS,
                "value": "",
                "count": cell.journeys,
            }


def _facts(connection: Connection, filters: Optional[Filters]) -> Iterator[Dict[str, Any]]:
    query = (
        select(FACTS)
        .where(FACTS.c.count >= MIN_CELL)
        .order_by(
            FACTS.c.day, FACTS.c.incident, FACTS.c.public, FACTS.c.channel, FACTS.c.region, FACTS.c.kind, FACTS.c.value
        )
    )
    if filters is not None:
        query = query.where(*conditions(FACTS, filters))
    for row in connection.execute(query):
        yield {
            "day": row.day.isoformat(),
            "incident": row.incident,
            "public": row.public,
            "channel": row.channel,
            "region": row.region,
            "departement": "",
            "measure": row.kind,
            "value": row.value,
            "count": row.count,
        }


def rows(connection: Connection, filters: Optional[Filters] = None) -> List[Dict[str, Any]]:
    """Every published cell (of the period of `filters`, or of all time), journeys first, then facts."""
    return [*_daily(connection, filters), *_facts(connection, filters)]


def write_csv(cells: Iterable[Dict[str, Any]], path: Path) -> int:
    """Writes the cells as CSV (UTF-8, comma, header line COLUMNS); returns how many rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for cell in cells:
            if cell["count"] < MIN_CELL:  # never, whoever built the rows
                raise ValueError("a cell under the publication threshold")
            writer.writerow(cell)
            count += 1
    return count
