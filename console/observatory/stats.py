"""Exact counts for staff, read from the aggregates: the CLI's `stats` and the queries of the statistics page.

Every query takes a `Filters` (period, public, channel, région, incident) and reads `observatory_daily` (journeys)
or `observatory_facts` (platform, payment means, money paid, handed over, waiting time, rating). These are exact
counts, small ones included: they are for signed-in staff, never published as such (console/observatory/publish.py
is what leaves the service).

    series(connection, filters, by="incident")   # [(day, key, journeys)] per day × incident (or public, channel, région)
    shares(connection, filters, by="incident")   # [(key, journeys, share)] over the period, largest first
    total(connection, filters)                   # journeys over the period
    top_facts(connection, filters, kind)         # [(value, count, share of journeys)]: platforms, payment means
    fact_counts(connection, filters, kind)       # {value: count} of any fact kind
    wait_buckets(connection, filters)            # [(bucket, count)] in bucket order, zeros included
    rating_counts(connection, filters)           # [(rating, count)] "1".."5", "up", "down", zeros included
    daily_report(connection, days)               # the CLI's `stats --json` document (field names are stable)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from bot import vocabulary
from bot.taxonomy import INCIDENT_INTENTS
from console.observatory import refresh
from console.observatory.journeys import DAILY, FACTS, KINDS, PARIS, RATINGS, WAIT_BUCKETS

UNKNOWN = "unknown"  # how the CLI's JSON and the filters name an unknown public or région (stored as "")
DIMENSIONS = ("incident", "public", "channel", "region")


@dataclass(frozen=True)
class Filters:
    since: date
    until: date  # included
    public: str = ""  # "" every public; a key of vocabulary.PUBLICS, or UNKNOWN
    channel: str = ""  # "" every channel; web, telegram, sms, rest
    region: str = ""  # "" every région; a région's name, or UNKNOWN
    incident: str = ""  # "" every incident

    @classmethod
    def last_days(cls, days: int, today: Optional[date] = None, **others: str) -> "Filters":
        """The last `days` Europe/Paris days, today included."""
        until = today or datetime.now(PARIS).date()
        return cls(since=until - timedelta(days=max(days, 1) - 1), until=until, **others)

    def valid(self) -> "Filters":
        """The same filters with values outside the known lists dropped (a filter never matches arbitrary text
        except the région, compared as a value)."""
        return replace(
            self,
            public=self.public if self.public in (*vocabulary.PUBLIC_KEYS, UNKNOWN) else "",
            channel=self.channel if self.channel in vocabulary.CHANNELS else "",
            incident=self.incident if self.incident in INCIDENT_INTENTS else "",
            region=self.region[:64],
        )


def _stored(value: str) -> str:
    return "" if value == UNKNOWN else value


def _shown(value: str) -> str:
    return value or UNKNOWN


def conditions(table: Any, filters: Filters) -> List[Any]:
    where = [table.c.day >= filters.since, table.c.day <= filters.until]
    if filters.public:
        where.append(table.c.public == _stored(filters.public))
    if filters.channel:
        where.append(table.c.channel == filters.channel)
    if filters.region:
        where.append(table.c.region == _stored(filters.region))
    if filters.incident:
        where.append(table.c.incident == filters.incident)
    return where


def _dimension(by: str) -> str:
    if by not in DIMENSIONS:
        raise ValueError(f"unknown dimension {by!r} (one of {', '.join(DIMENSIONS)})")
    return by


def series(connection: Connection, filters: Filters, by: str = "incident") -> List[Tuple[date, str, int]]:
    """Journeys per day and incident (or public, channel, région), days in order; days without any are absent."""
    key = DAILY.c[_dimension(by)]
    query = (
        select(DAILY.c.day, key, func.sum(DAILY.c.journeys))
        .where(*conditions(DAILY, filters))
        .group_by(DAILY.c.day, key)
        .order_by(DAILY.c.day, key)
    )
    return [(day, _shown(value), int(n)) for day, value, n in connection.execute(query)]


def total(connection: Connection, filters: Filters) -> int:
    query = select(func.coalesce(func.sum(DAILY.c.journeys), 0)).where(*conditions(DAILY, filters))
    return int(connection.execute(query).scalar() or 0)


def shares(connection: Connection, filters: Filters, by: str = "incident") -> List[Tuple[str, int, float]]:
    """Journeys per incident (or public, channel, région) over the period, with their share of the total."""
    key = DAILY.c[_dimension(by)]
    query = select(key, func.sum(DAILY.c.journeys).label("n")).where(*conditions(DAILY, filters)).group_by(key)
    counts = [(_shown(value), int(n)) for value, n in connection.execute(query)]
    whole = sum(n for _, n in counts)
    counts.sort(key=lambda item: (-item[1], item[0]))
    return [(value, n, n / whole if whole else 0.0) for value, n in counts]


def fact_counts(connection: Connection, filters: Filters, kind: str) -> Dict[str, int]:
    if kind not in KINDS:
        raise ValueError(f"unknown fact kind {kind!r} (one of {', '.join(KINDS)})")
    query = (
        select(FACTS.c.value, func.sum(FACTS.c.count))
        .where(FACTS.c.kind == kind, *conditions(FACTS, filters))
        .group_by(FACTS.c.value)
    )
    return {value: int(n) for value, n in connection.execute(query)}


def top_facts(
    connection: Connection, filters: Filters, kind: str, limit: int = 10, journeys: Optional[int] = None
) -> List[Tuple[str, int, float]]:
    """The most frequent values of a fact (platform, payment_means), with their share of the period's journeys
    (a journey may name several platforms: shares need not add up to 1). `journeys`: the total, if known."""
    counts = sorted(fact_counts(connection, filters, kind).items(), key=lambda item: (-item[1], item[0]))[:limit]
    whole = total(connection, filters) if journeys is None else journeys
    return [(value, n, n / whole if whole else 0.0) for value, n in counts]


def wait_buckets(connection: Connection, filters: Filters) -> List[Tuple[str, int]]:
    """Journeys handed over to an operator, per waiting time until one took the request."""
    counts = fact_counts(connection, filters, "wait")
    return [(label, counts.get(label, 0)) for _, label in WAIT_BUCKETS]


def rating_counts(connection: Connection, filters: Filters) -> List[Tuple[str, int]]:
    counts = fact_counts(connection, filters, "rating")
    return [(value, counts.get(value, 0)) for value in RATINGS]


# --- the CLI's report ------------------------------------------------------------------------------------------------
def daily_report(connection: Connection, days: int, today: Optional[date] = None) -> Dict[str, Any]:
    """Journeys per day and incident over the last `days` days, with their public and channel breakdowns.

    The document of `python -m console.observatory stats --json` (README, "Observatory"): its field names are
    stable. Publics and régions that are not known are named UNKNOWN."""
    filters = Filters.last_days(days, today)
    query = (
        select(DAILY.c.day, DAILY.c.incident, DAILY.c.public, DAILY.c.channel, func.sum(DAILY.c.journeys))
        .where(*conditions(DAILY, filters))
        .group_by(DAILY.c.day, DAILY.c.incident, DAILY.c.public, DAILY.c.channel)
    )
    rows: Dict[Tuple[date, str], Dict[str, Any]] = {}
    incidents: Dict[str, int] = {}
    for day, incident, public, channel, n in connection.execute(query):
        n = int(n)
        row = rows.setdefault(
            (day, incident),
            {"day": day.isoformat(), "incident": incident, "journeys": 0, "by_public": {}, "by_channel": {}},
        )
        row["journeys"] += n
        row["by_public"][_shown(public)] = row["by_public"].get(_shown(public), 0) + n
        row["by_channel"][channel] = row["by_channel"].get(channel, 0) + n
        incidents[incident] = incidents.get(incident, 0) + n
    cursor = refresh.state(connection)
    refreshed = cursor.refreshed_at if cursor is not None else None
    return {
        "days": max(days, 1),
        "since": filters.since.isoformat(),
        "until": filters.until.isoformat(),
        "refreshed_at": (
            datetime.fromtimestamp(refreshed, timezone.utc).isoformat(timespec="seconds") if refreshed else None
        ),
        "total": sum(incidents.values()),
        "incidents": dict(sorted(incidents.items(), key=lambda item: (-item[1], item[0]))),
        "rows": [rows[key] for key in sorted(rows)],
    }
