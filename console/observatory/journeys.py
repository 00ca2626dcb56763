"""Tracker events folded into journeys, and what each journey contributes to the anonymous aggregates.

A journey is one conversation session (Rasa's `session_started` opens it) in which an incident was predicted (a
victim message with an incident intent) or diagnosed (the slot `incident`, also set by an operator's correction);
the latest incident of the session is the journey's. Its cell is (Europe/Paris day of the session's start,
incident, public, channel, région, département) and its facts are (kind, value) pairs of KINDS. The slots Rasa
carries over into a new session (SlotSet events before the session's first victim message) give the journey its
known public and place, but an incident carried over does not make a new journey: a victim who comes back to say
"merci" is not counted twice. A rating or an answer given in a later session (after 120 minutes of silence) counts
for that session only, which is not a journey unless it has an incident of its own.

Only values from closed lists are counted (intents, publics, département codes, the extractor's platforms and
payment means, ratings): a REST client that sets a slot to any text cannot put that text into the aggregates.
Every fold moves a journey's contribution: the old cell and facts are subtracted, the new ones added (`Deltas`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Dict, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from bot import geo, ratings, vocabulary
from bot.db import EVENTS
from bot.handover import Handover
from bot.nlu.entities import PAYMENT_MEANS, PLATFORMS
from bot.taxonomy import INCIDENT_INTENTS
from console import events
from console.observatory.models import (
    ALL,
    JOURNEYS,
    MIN_CELL,
    ObservatoryDaily,
    ObservatoryFact,
    ObservatoryFactRollup,
    ObservatoryHourly,
    ObservatoryRollup,
)

DAILY = ObservatoryDaily.__table__
FACTS = ObservatoryFact.__table__
ROLLUP = ObservatoryRollup.__table__
FACT_ROLLUP = ObservatoryFactRollup.__table__
HOURLY = ObservatoryHourly.__table__
HANDOVERS = Handover.__table__
PARIS = ZoneInfo("Europe/Paris")

KINDS = ("platform", "payment_means", "money_paid", "handed_over", "wait", "rating")
# Waiting time of a request an operator took (handovers.requested_at -> taken_at), upper bounds in minutes.
WAIT_BUCKETS: Tuple[Tuple[Optional[float], str], ...] = (
    (5, "<5 min"),
    (15, "5-15 min"),
    (60, "15-60 min"),
    (None, ">60 min"),
)
RATINGS = (*ratings.SCORES, *ratings.THUMBS)
RATE_INTENT = "rate"
HANDOVER_ACTIONS = ("action_request_handover",)
SESSION_STARTED, SESSION_ACTION = "session_started", "action_session_start"
_PLATFORMS, _PAYMENT_MEANS = frozenset(PLATFORMS), frozenset(PAYMENT_MEANS)

Cell = Tuple[date, str, str, str, str, str]  # day, incident, public, channel, region, departement
Fact = Tuple[str, str]  # kind, value


class Contribution(NamedTuple):
    cell: Cell
    facts: Tuple[Fact, ...]  # sorted
    hour: int = 0  # UTC hour of the session's start (hours since the epoch): observatory_hourly


def epoch_hour(epoch: float) -> int:
    return int(epoch // 3600)


def paris_day(epoch: float) -> date:
    return datetime.fromtimestamp(epoch, PARIS).date()


def wait_bucket(minutes: float) -> str:
    for bound, label in WAIT_BUCKETS:
        if bound is None or minutes < bound:
            return label
    return WAIT_BUCKETS[-1][1]


@dataclass
class Journey:
    """A session as folded so far (whether or not it is a journey yet)."""

    sender_id: str
    session_event_id: int
    started_at: Optional[float] = None
    last_at: Optional[float] = None
    incident: str = ""
    public: str = ""
    departement: str = ""
    region: str = ""
    platforms: Tuple[str, ...] = ()
    payment_means: Tuple[str, ...] = ()
    money_paid: str = ""
    handed_over: bool = False
    wait: str = ""
    rating: str = ""
    spoke: bool = False  # a victim message of the session was folded: later slots are the session's own
    row_id: Optional[int] = None
    stored: Optional[Contribution] = field(default=None, repr=False)  # what the stored row contributes

    @classmethod
    def from_row(cls, row: Any) -> "Journey":
        journey = cls(
            row.sender_id,
            row.session_event_id,
            row.started_at,
            row.last_at,
            incident=row.incident,
            public=row.public,
            departement=row.departement,
            region=row.region,
            spoke=True,
            row_id=row.id,
        )
        facts = tuple(sorted((str(kind), str(value)) for kind, value in row.facts or ()))
        for kind, value in facts:
            if kind == "platform":
                journey.platforms += (value,)
            elif kind == "payment_means":
                journey.payment_means += (value,)
            elif kind == "money_paid":
                journey.money_paid = value
            elif kind == "handed_over":
                journey.handed_over = True
            elif kind == "wait":
                journey.wait = value
            elif kind == "rating":
                journey.rating = value
        cell = (row.day, row.incident, row.public, row.channel, row.region, row.departement)
        journey.stored = Contribution(cell, facts, epoch_hour(row.started_at))
        return journey

    def contribution(self) -> Optional[Contribution]:
        """The cell and facts this session adds to the aggregates; None while it is no journey."""
        if not self.incident or self.started_at is None:
            return None
        channel = vocabulary.channel_of(self.sender_id)
        cell = (paris_day(self.started_at), self.incident, self.public, channel, self.region, self.departement)
        facts = {("platform", p) for p in self.platforms} | {("payment_means", p) for p in self.payment_means}
        if self.money_paid:
            facts.add(("money_paid", self.money_paid))
        if self.handed_over:
            facts.add(("handed_over", "oui"))
        if self.wait:
            facts.add(("wait", self.wait))
        if self.rating:
            facts.add(("rating", self.rating))
        return Contribution(cell, tuple(sorted(facts)), epoch_hour(self.started_at))


# --- one event -------------------------------------------------------------------------------------------------------
def _known(value: Any, allowed: frozenset) -> Tuple[str, ...]:
    values = value if isinstance(value, (list, tuple)) else [value]
    return tuple(sorted({v for v in values if isinstance(v, str) and v in allowed}))


def _place(journey: Journey, code: Optional[str]) -> None:
    found = geo.departement(code) if code else None
    if found is not None:
        journey.departement, journey.region = found.code, found.region


def _slot(journey: Journey, name: Optional[str], value: Any) -> None:
    if name == "incident":
        if journey.spoke and value in INCIDENT_INTENTS:
            journey.incident = value
    elif name == "public":
        if value in vocabulary.PUBLIC_KEYS:
            journey.public = value
    elif name == "departement":
        if isinstance(value, str):
            _place(journey, value)
    elif name == "postal_code":
        if isinstance(value, (str, int)):
            _place(journey, geo.departement_for_postal_code(str(value)))
    # Facts about the incident itself: forgotten (None) when the victim moves on to another incident.
    elif name == "platform":
        journey.platforms = _known(value, _PLATFORMS)
    elif name == "payment_means":
        journey.payment_means = _known(value, _PAYMENT_MEANS)
    elif name == "money_paid":
        if value is True or value is False or value is None:
            journey.money_paid = {True: "oui", False: "non", None: ""}[value]


def _wait(connection: Connection, sender_id: str, at: Optional[float]) -> str:
    """The waiting time of the request an operator just took (the pause follows `handover.take`)."""
    query = select(HANDOVERS.c.requested_at, HANDOVERS.c.taken_at).where(
        HANDOVERS.c.sender_id == sender_id, HANDOVERS.c.taken_at.isnot(None)
    )
    if at is not None:  # naive UTC, as the application tables store it; a minute of clock slack between processes
        limit = datetime.fromtimestamp(at + 60, timezone.utc).replace(tzinfo=None)
        query = query.where(HANDOVERS.c.taken_at <= limit)
    found = connection.execute(query.order_by(HANDOVERS.c.id.desc()).limit(1)).first()
    if found is None:
        return ""
    return wait_bucket(max((found.taken_at - found.requested_at).total_seconds(), 0) / 60)


def fold(connection: Connection, journey: Journey, event: Any) -> None:
    """Adds one `events` row of the session to the journey."""
    if event.timestamp is not None:
        journey.last_at = event.timestamp if journey.last_at is None else max(journey.last_at, event.timestamp)
        if journey.started_at is None:
            journey.started_at = event.timestamp
    kind = event.type_name
    if kind == "user":
        journey.spoke = True
        data = events.load(event.data)
        raw_parse = data.get("parse_data")
        parse: Dict[str, Any] = raw_parse if isinstance(raw_parse, dict) else {}
        raw_intent = parse.get("intent")
        intent: Dict[str, Any] = raw_intent if isinstance(raw_intent, dict) else {}
        name = intent.get("name") or event.intent_name
        if name in INCIDENT_INTENTS:
            journey.incident = name
        elif name == RATE_INTENT:
            for entity in parse.get("entities") or []:
                if isinstance(entity, dict) and entity.get("entity") == "rating":
                    journey.rating = ratings.normalise(entity.get("value")) or journey.rating
    elif kind == "slot":
        _slot(journey, event.action_name, events.load(event.data).get("value"))
    elif kind == "action":
        if event.action_name in HANDOVER_ACTIONS:
            journey.handed_over = True
    elif kind == "pause":
        journey.handed_over = True
        journey.wait = _wait(connection, journey.sender_id, event.timestamp) or journey.wait
    elif kind == "bot":
        if events.is_operator_message(events.load(event.data)):
            journey.handed_over = True


# --- contributions to the aggregates -------------------------------------------------------------------------------
# Which of (incident, public, channel, région) a rollup row keeps; the others are ALL (16 rows per journey).
ROLLUPS = tuple(itertools.product((True, False), repeat=4))


def _rolled(incident: str, public: str, channel: str, region: str) -> Iterator[Tuple[str, str, str, str]]:
    for keeps in ROLLUPS:
        yield tuple(value if keep else ALL for keep, value in zip(keeps, (incident, public, channel, region)))  # type: ignore[misc]


@dataclass
class Deltas:
    """Changes of counts, per cell of each table, gathered over a batch and written once."""

    daily: Dict[Tuple[Any, ...], int] = field(default_factory=dict)
    facts: Dict[Tuple[Any, ...], int] = field(default_factory=dict)
    rollup: Dict[Tuple[Any, ...], int] = field(default_factory=dict)
    fact_rollup: Dict[Tuple[Any, ...], int] = field(default_factory=dict)
    hourly: Dict[Tuple[Any, ...], int] = field(default_factory=dict)

    @staticmethod
    def _bump(changes: Dict[Tuple[Any, ...], int], key: Tuple[Any, ...], sign: int) -> None:
        changes[key] = changes.get(key, 0) + sign

    def add(self, contribution: Optional[Contribution], sign: int) -> None:
        if contribution is None:
            return
        day, incident, public, channel, region, _departement = contribution.cell
        self._bump(self.daily, contribution.cell, sign)
        for kind, value in contribution.facts:  # the facts are counted without the département
            self._bump(self.facts, (day, incident, public, channel, region, kind, value), sign)
        for i, p, c, r in _rolled(incident, public, channel, region):
            self._bump(self.rollup, (p, c, r, i, day), sign)
            for kind, value in contribution.facts:
                self._bump(self.fact_rollup, (kind, p, c, r, i, day, value), sign)
        for i, c in itertools.product((incident, ALL), (channel, ALL)):
            self._bump(self.hourly, (i, c, contribution.hour), sign)

    def move(self, old: Optional[Contribution], new: Optional[Contribution]) -> None:
        if old != new:
            self.add(old, -1)
            self.add(new, +1)


def _upsert(connection: Connection, table: Any, count: str, changes: Dict[Tuple[Any, ...], int]) -> None:
    """Adds the changes to the table's counts (keys in the order of its primary key); a cell left at zero goes."""
    keys = [c.name for c in table.primary_key.columns]
    params = [{**dict(zip(keys, key)), count: n} for key, n in changes.items() if n]
    if not params:
        return
    dialect = connection.dialect.name
    if dialect == "sqlite":
        _sqlite_upsert(connection, table, keys, count, changes)
    elif dialect == "postgresql":
        statement = postgresql.insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=keys, set_={count: table.c[count] + statement.excluded[count]}
        )
        connection.execute(statement, params)
    else:
        raise NotImplementedError(f"the observatory needs SQLite or PostgreSQL, not {dialect}")
    emptied = [{f"key_{k}": p[k] for k in keys} for p in params if p[count] < 0]
    if emptied:  # no row of zero is kept: a cell exists only while a journey is in it
        condition = and_(*(table.c[k] == bindparam(f"key_{k}") for k in keys), table.c[count] <= 0)
        connection.execute(delete(table).where(condition), emptied)


def _sqlite_upsert(
    connection: Connection, table: Any, keys: List[str], count: str, changes: Dict[Tuple[Any, ...], int]
) -> None:
    """The same statement through the driver's executemany: SQLAlchemy's processing of each row's parameters cost
    more than SQLite's work (a catch-up writes tens of thousands of cells). Days as SQLAlchemy stores them (ISO)."""
    columns = ", ".join([*keys, count])
    marks = ", ".join("?" for _ in range(len(keys) + 1))
    sql = (
        f"INSERT INTO {table.name} ({columns}) VALUES ({marks}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {count} = {count} + excluded.{count}"
    )
    rows = [tuple(v.isoformat() if isinstance(v, date) else v for v in key) + (n,) for key, n in changes.items() if n]
    connection.exec_driver_sql(sql, rows)


def write(connection: Connection, deltas: Deltas) -> None:
    _upsert(connection, DAILY, "journeys", deltas.daily)
    _upsert(connection, FACTS, "count", deltas.facts)
    _upsert(connection, ROLLUP, "journeys", deltas.rollup)
    _upsert(connection, FACT_ROLLUP, "count", deltas.fact_rollup)
    _upsert(connection, HOURLY, "journeys", deltas.hourly)


class Writes:
    """The journey rows a batch inserts and updates, written at its end in two statements."""

    def __init__(self) -> None:
        self.inserts: List[Dict[str, Any]] = []
        self.updates: List[Dict[str, Any]] = []

    def save(self, journey: Journey, deltas: Deltas) -> None:
        new = journey.contribution()
        deltas.move(journey.stored, new)
        journey.stored = new
        if new is None:
            return  # not a journey (yet): nothing about the session is stored
        day, incident, public, channel, region, departement = new.cell
        values = {
            "sender_id": journey.sender_id,
            "session_event_id": journey.session_event_id,
            "started_at": journey.started_at,
            "last_at": journey.last_at if journey.last_at is not None else journey.started_at,
            "day": day,
            "incident": incident,
            "public": public,
            "channel": channel,
            "region": region,
            "departement": departement,
            "facts": [list(fact) for fact in new.facts],
        }
        if journey.row_id is None:
            self.inserts.append(values)
        else:
            # Bound under other names: SQLAlchemy keeps the columns' own names for its SET clause.
            self.updates.append({"row_id": journey.row_id, **{f"new_{k}": v for k, v in values.items()}})

    def write(self, connection: Connection) -> None:
        if self.inserts:
            connection.execute(insert(JOURNEYS), self.inserts)
        if self.updates:
            columns = [name[len("new_") :] for name in self.updates[0] if name != "row_id"]
            statement = (
                update(JOURNEYS)
                .where(JOURNEYS.c.id == bindparam("row_id"))
                .values({name: bindparam(f"new_{name}") for name in columns})
            )
            connection.execute(statement, self.updates)


# --- a batch of events -----------------------------------------------------------------------------------------------
def _chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _rows_of(connection: Connection, sender_ids: List[str]) -> Dict[Tuple[str, int], Any]:
    found: Dict[Tuple[str, int], Any] = {}
    for chunk in _chunks(sender_ids):
        for row in connection.execute(select(JOURNEYS).where(JOURNEYS.c.sender_id.in_(chunk))):
            found[(row.sender_id, row.session_event_id)] = row
    return found


def _resume(connection: Connection, sender_id: str, before_id: int, stored: Dict[Tuple[str, int], Any]) -> Journey:
    """The session that `before_id` continues: its journey row, or (not a journey yet) its earlier events again."""
    session_id = (
        connection.execute(
            select(func.max(EVENTS.c.id)).where(
                EVENTS.c.sender_id == sender_id, EVENTS.c.type_name == SESSION_STARTED, EVENTS.c.id < before_id
            )
        ).scalar()
        or 0
    )
    row = stored.get((sender_id, session_id))
    if row is not None:
        return Journey.from_row(row)
    journey = Journey(sender_id, session_id)
    earlier = connection.execute(
        select(EVENTS)
        .where(EVENTS.c.sender_id == sender_id, EVENTS.c.id >= session_id, EVENTS.c.id < before_id)
        .order_by(EVENTS.c.id)
    )
    for event in earlier:
        fold(connection, journey, event)
    return journey


def apply(connection: Connection, rows: Sequence[Any]) -> Deltas:
    """Folds a batch of `events` rows (in id order) into the journeys and returns the changes of counts."""
    by_sender: Dict[str, List[Any]] = {}
    for event in rows:
        by_sender.setdefault(event.sender_id, []).append(event)
    stored = _rows_of(connection, list(by_sender))
    deltas, writes = Deltas(), Writes()
    for sender_id, sender_events in by_sender.items():
        journey: Optional[Journey] = None
        for event in sender_events:
            if event.type_name == SESSION_STARTED:
                if journey is not None:
                    writes.save(journey, deltas)
                journey = Journey(sender_id, event.id, event.timestamp, event.timestamp)
                continue
            if journey is None:
                if event.type_name == "action" and event.action_name == SESSION_ACTION:
                    continue  # the action that opens the next session: nothing to count
                journey = _resume(connection, sender_id, event.id, stored)
            fold(connection, journey, event)
        if journey is not None:
            writes.save(journey, deltas)
    writes.write(connection)
    write(connection, deltas)
    return deltas


# --- retention -------------------------------------------------------------------------------------------------------
def purge_idle(connection: Connection, cutoff: float) -> int:
    """Deletes the working rows of journeys idle since before `cutoff` (retention: their sessions are over and their
    conversations deleted or anonymised); their counts stay in the aggregates."""
    return connection.execute(delete(JOURNEYS).where(JOURNEYS.c.last_at < cutoff)).rowcount or 0


def coarsen_departements(connection: Connection, before: date) -> int:
    """Adds the département cells of fewer than MIN_CELL journeys to their région's row (département empty), for the
    days before `before` that no working row can move any more (their journeys' rows are purged): what outlives the
    conversations' retention names a département only where it is no small group of people. Returns the cells
    folded. Younger days keep their départements, which the staff page and the export need (the export folds small
    ones the same way, console/observatory/publish.py)."""
    live_days = select(JOURNEYS.c.day).where(JOURNEYS.c.day < before).distinct()
    small = connection.execute(
        select(DAILY).where(
            DAILY.c.day < before,
            DAILY.c.departement != "",
            DAILY.c.journeys < MIN_CELL,
            DAILY.c.day.notin_(live_days),
        )
    ).all()
    if not small:
        return 0
    moved: Dict[Tuple[Any, ...], int] = {}
    for row in small:
        region_cell = (row.day, row.incident, row.public, row.channel, row.region, "")
        moved[region_cell] = moved.get(region_cell, 0) + row.journeys
        moved[(row.day, row.incident, row.public, row.channel, row.region, row.departement)] = -row.journeys
    _upsert(connection, DAILY, "journeys", moved)  # the emptied cells are deleted by the upsert
    return len(small)
