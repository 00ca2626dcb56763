"""Exact counts for staff, read from the aggregates: the CLI's `stats` and the queries of the statistics page.

Every query takes a `Filters` (period, public, channel, région, incident) and reads the rollups of the aggregates,
`observatory_rollup` (journeys) and `observatory_fact_rollup` (platform, payment means, money paid, handed over,
waiting time, rating), where ALL stands for every public, channel or région: a page over a year reads a few thousand
rows whatever its filters (make bench-observatory-stats). These are exact counts, small ones included: they are for signed-in staff, never published as such (console/observatory/publish.py
is what leaves the service).

    series(connection, filters, by="incident")   # [(day, key, journeys)] per day × incident (or public, channel, région)
    shares(connection, filters, by="incident")   # [(key, journeys, share)] over the period, largest first
    total(connection, filters)                   # journeys over the period
    top_facts(connection, filters, kind)         # [(value, count, share of journeys)]: platforms, payment means
    fact_counts(connection, filters, kind)       # {value: count} of any fact kind
    all_facts(connection, filters)               # {kind: {value: count}} of every kind, in one query
    wait_buckets(connection, filters)            # [(bucket, count)] in bucket order, zeros included
    rating_counts(connection, filters)           # [(rating, count)] "1".."5", "up", "down", zeros included
    daily_report(connection, days)               # the CLI's `stats --json` document (field names are stable)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.engine import Connection

from bot import geo, vocabulary
from bot.taxonomy import INCIDENT_INTENTS
from console.observatory import refresh
from console.observatory.journeys import FACT_ROLLUP, KINDS, PARIS, RATINGS, ROLLUP, WAIT_BUCKETS
from console.observatory.models import ALL

UNKNOWN = "unknown"  # how the CLI's JSON and the filters name an unknown public or région (stored as "")
DIMENSIONS = ("incident", "public", "channel", "region")
ROLLED = ("incident", "public", "channel", "region")


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


def _values(dimension: str) -> Tuple[str, ...]:
    """Every stored value of a rolled-up dimension (an IN list the primary key can seek, unlike "<> '*'")."""
    if dimension == "public":
        return ("", *vocabulary.PUBLIC_KEYS)
    if dimension == "channel":
        return tuple(vocabulary.CHANNELS)
    if dimension == "incident":
        return INCIDENT_INTENTS
    return ("", *geo.regions())


def rolled(table: Any, filters: Filters, *by: str) -> List[Any]:
    """Conditions on a rollup table: a filtered dimension is that value, the grouped one every value, the others ALL
    (so that each query is a seek on the primary key, then a range of days)."""
    where = [table.c.day >= filters.since, table.c.day <= filters.until]
    for dimension in ROLLED:
        chosen = getattr(filters, dimension)
        if chosen:
            where.append(table.c[dimension] == _stored(chosen))
        elif dimension in by:
            where.append(table.c[dimension].in_(_values(dimension)))
        else:
            where.append(table.c[dimension] == ALL)
    return where


# A year of series is thousands of rows: SQLAlchemy's parsing of SQLite's ISO dates cost more than the query.
RAW_DAY = type_coerce(ROLLUP.c.day, String).label("day")


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _dimension(by: str) -> str:
    if by not in DIMENSIONS:
        raise ValueError(f"unknown dimension {by!r} (one of {', '.join(DIMENSIONS)})")
    return by


def series(connection: Connection, filters: Filters, by: str = "incident") -> List[Tuple[date, str, int]]:
    """Journeys per day and incident (or public, channel, région), days in order; days without any are absent."""
    key = ROLLUP.c[_dimension(by)]
    query = (
        select(RAW_DAY, key, func.sum(ROLLUP.c.journeys))
        .where(*rolled(ROLLUP, filters, by))
        .group_by(ROLLUP.c.day, key)
        .order_by(ROLLUP.c.day, key)
    )
    return [(_day(day), _shown(value), int(n)) for day, value, n in connection.execute(query)]


def total(connection: Connection, filters: Filters) -> int:
    query = select(func.coalesce(func.sum(ROLLUP.c.journeys), 0)).where(*rolled(ROLLUP, filters))
    return int(connection.execute(query).scalar() or 0)


def shares(connection: Connection, filters: Filters, by: str = "incident") -> List[Tuple[str, int, float]]:
    """Journeys per incident (or public, channel, région) over the period, with their share of the total."""
    key = ROLLUP.c[_dimension(by)]
    query = select(key, func.sum(ROLLUP.c.journeys)).where(*rolled(ROLLUP, filters, by)).group_by(key)
    counts = [(_shown(value), int(n)) for value, n in connection.execute(query)]
    whole = sum(n for _, n in counts)
    counts.sort(key=lambda item: (-item[1], item[0]))
    return [(value, n, n / whole if whole else 0.0) for value, n in counts]


def fact_counts(connection: Connection, filters: Filters, kind: str) -> Dict[str, int]:
    if kind not in KINDS:
        raise ValueError(f"unknown fact kind {kind!r} (one of {', '.join(KINDS)})")
    query = (
        select(FACT_ROLLUP.c.value, func.sum(FACT_ROLLUP.c.count))
        .where(FACT_ROLLUP.c.kind == kind, *rolled(FACT_ROLLUP, filters))
        .group_by(FACT_ROLLUP.c.value)
    )
    return {value: int(n) for value, n in connection.execute(query)}


def all_facts(connection: Connection, filters: Filters) -> Dict[str, Dict[str, int]]:
    """{kind: {value: count}} for every fact kind in one query (the statistics page's facts)."""
    query = (
        select(FACT_ROLLUP.c.kind, FACT_ROLLUP.c.value, func.sum(FACT_ROLLUP.c.count))
        .where(FACT_ROLLUP.c.kind.in_(KINDS), *rolled(FACT_ROLLUP, filters))
        .group_by(FACT_ROLLUP.c.kind, FACT_ROLLUP.c.value)
    )
    found: Dict[str, Dict[str, int]] = {kind: {} for kind in KINDS}
    for kind, value, n in connection.execute(query):
        found[kind][value] = int(n)
    return found


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
    rows: Dict[Tuple[date, str], Dict[str, Any]] = {}
    incidents: Dict[str, int] = {}
    for by, field in (("public", "by_public"), ("channel", "by_channel")):
        key = ROLLUP.c[by]
        query = (
            select(RAW_DAY, ROLLUP.c.incident, key, func.sum(ROLLUP.c.journeys))
            .where(*rolled(ROLLUP, filters, "incident", by))
            .group_by(ROLLUP.c.day, ROLLUP.c.incident, key)
        )
        for raw, incident, value, n in connection.execute(query):
            day, n = _day(raw), int(n)
            row = rows.setdefault(
                (day, incident),
                {"day": day.isoformat(), "incident": incident, "journeys": 0, "by_public": {}, "by_channel": {}},
            )
            row[field][_shown(value)] = row[field].get(_shown(value), 0) + n
            if by == "public":  # every journey has one public (maybe unknown): counted once
                row["journeys"] += n
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
