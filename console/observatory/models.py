"""Tables of the observatory: the anonymous aggregates, the working rows that feed them, and the refresh's cursor.

`observatory_daily` and `observatory_facts` hold counts only (no text, no conversation id, no hour): they are what
is published and what may outlive the conversations' retention; `observatory_rollup` and `observatory_fact_rollup`
are the same counts rolled up for the statistics queries. `observatory_journeys` is the working row of a
journey (one conversation session in which an incident was diagnosed or predicted) with the cell and the facts it
contributes, so that a later event moves its contribution instead of counting it twice. It holds the conversation
id: retention and erasure delete it (console/observatory/journeys.py), its counts stay in the aggregates.
"""

from __future__ import annotations

import time
from typing import Sequence

from sqlalchemy import DDL, JSON, BigInteger, Column, Date, Float, Index, Integer, String, Table, delete, event, update
from sqlalchemy.engine import Connection

from bot import erasure
from bot.db import Base

ALL = "*"  # in a rollup: every incident, public, channel or région
MIN_CELL = 5  # no smaller cell is published; no smaller département cell outlives the conversations' retention
# Column sizes shared by the tables of cells.
INCIDENT, PUBLIC, CHANNEL, REGION, DEPARTEMENT, KIND, VALUE = 64, 20, 20, 64, 3, 20, 64


class ObservatoryJourney(Base):
    """One journey and what it contributes now: the cell of `observatory_daily` and the facts (kind, value)."""

    __tablename__ = "observatory_journeys"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False)
    session_event_id = Column(BigInteger, nullable=False)  # events.id of the session's `session_started` (0: none)
    started_at = Column(Float, nullable=False)  # epoch seconds of the session's start: its day is the journey's
    last_at = Column(Float, nullable=False)  # last event folded (retention deletes rows idle for longer)
    day = Column(Date, nullable=False)
    incident = Column(String(INCIDENT), nullable=False)
    public = Column(String(PUBLIC), nullable=False, default="")
    channel = Column(String(CHANNEL), nullable=False)
    region = Column(String(REGION), nullable=False, default="")
    departement = Column(String(DEPARTEMENT), nullable=False, default="")
    facts = Column(JSON, nullable=False, default=list)  # [[kind, value], ...] counted in observatory_facts

    __table_args__ = (
        Index("ix_observatory_journeys_session", "sender_id", "session_event_id", unique=True),
        Index("ix_observatory_journeys_last_at", "last_at"),
    )


class ObservatoryDaily(Base):
    """Journeys per Europe/Paris day of their start × incident × public × channel × région × département."""

    __tablename__ = "observatory_daily"
    day = Column(Date, primary_key=True)
    incident = Column(String(INCIDENT), primary_key=True)
    public = Column(String(PUBLIC), primary_key=True)  # particulier, entreprise, collectivite; "" unknown
    channel = Column(String(CHANNEL), primary_key=True)  # web, telegram, sms, rest
    region = Column(String(REGION), primary_key=True)  # the région's name; "" unknown
    departement = Column(String(DEPARTEMENT), primary_key=True)  # code; "" unknown
    journeys = Column(Integer, nullable=False)

    __table_args__ = ({"sqlite_with_rowid": False},)  # the primary key is the table: a range read is one b-tree


class ObservatoryFact(Base):
    """Counts of the facts of journeys, per cell without the département: platform, payment_means, money_paid,
    handed_over, wait, rating (console/observatory/journeys.py KINDS)."""

    __tablename__ = "observatory_facts"
    day = Column(Date, primary_key=True)
    incident = Column(String(INCIDENT), primary_key=True)
    public = Column(String(PUBLIC), primary_key=True)
    channel = Column(String(CHANNEL), primary_key=True)
    region = Column(String(REGION), primary_key=True)
    kind = Column(String(KIND), primary_key=True)
    value = Column(String(VALUE), primary_key=True)
    count = Column(Integer, nullable=False)

    __table_args__ = (Index("ix_observatory_facts_kind", "kind", "day"), {"sqlite_with_rowid": False})


class ObservatoryRollup(Base):
    """`observatory_daily` rolled up for the statistics queries: without the département, and with ALL ("*") in
    place of the incident, the public, the channel or the région for every combination of them (16 rows per
    journey), so that a page over a year reads a few thousand rows whatever its filters. Derived, anonymous, never
    exported. The primary key is what every query seeks: one value (or ALL) per dimension, then a range of days."""

    __tablename__ = "observatory_rollup"
    public = Column(String(PUBLIC), primary_key=True)
    channel = Column(String(CHANNEL), primary_key=True)
    region = Column(String(REGION), primary_key=True)
    incident = Column(String(INCIDENT), primary_key=True)
    day = Column(Date, primary_key=True)
    journeys = Column(Integer, nullable=False)

    __table_args__ = ({"sqlite_with_rowid": False},)


class ObservatoryFactRollup(Base):
    """`observatory_facts` rolled up the same way, keyed by kind first (every fact query names one kind)."""

    __tablename__ = "observatory_fact_rollup"
    kind = Column(String(KIND), primary_key=True)
    public = Column(String(PUBLIC), primary_key=True)
    channel = Column(String(CHANNEL), primary_key=True)
    region = Column(String(REGION), primary_key=True)
    incident = Column(String(INCIDENT), primary_key=True)
    day = Column(Date, primary_key=True)
    value = Column(String(VALUE), primary_key=True)
    count = Column(Integer, nullable=False)

    __table_args__ = ({"sqlite_with_rowid": False},)


def counted_in_primary_key(table: Table, count: str) -> str:
    """PostgreSQL's statement that rebuilds the table's primary key with its count carried in the index (INCLUDE).

    Every statistics query seeks the primary key and reads the count: with the count in the index, PostgreSQL
    answers from the index alone (an index-only scan) instead of fetching thousands of rows scattered over the
    table. The page's queries over a year went from 188 to 31 ms (p95, make bench-observatory-stats). SQLite needs
    nothing: a WITHOUT ROWID table is its primary key's b-tree. Migration 0009 runs the same statement."""
    keys = ", ".join(column.name for column in table.primary_key.columns)
    name = f"{table.name}_pkey"
    return (
        f"ALTER TABLE {table.name} DROP CONSTRAINT {name}, ADD CONSTRAINT {name} PRIMARY KEY ({keys}) INCLUDE ({count})"
    )


for _model, _count in ((ObservatoryRollup, "journeys"), (ObservatoryFactRollup, "count")):
    _table = _model.__table__
    event.listen(_table, "after_create", DDL(counted_in_primary_key(_table, _count)).execute_if(dialect="postgresql"))


class ObservatoryHourly(Base):
    """Journeys per UTC hour of their start × incident × channel, with ALL for every incident and every channel (4
    rows per journey): the waves' hourly series (console/observatory/waves.py). No public, no place: an hour of a
    small public would be too close to a person. Anonymous counts, kept OBSERVATORY_HOURLY_DAYS."""

    __tablename__ = "observatory_hourly"
    incident = Column(String(INCIDENT), primary_key=True)
    channel = Column(String(CHANNEL), primary_key=True)
    hour = Column(Integer, primary_key=True)  # hours since the epoch (UTC): local hours are the reader's concern
    journeys = Column(Integer, nullable=False)

    __table_args__ = (Index("ix_observatory_hourly_hour", "hour"), {"sqlite_with_rowid": False})


class ObservatoryState(Base):
    """The refresh's cursor over `events.id` (same fields as conversation_index_state, see console/index.py)."""

    __tablename__ = "observatory_state"
    name = Column(String(20), primary_key=True)
    last_event_id = Column(BigInteger, nullable=False, default=0)
    safe_id = Column(BigInteger, nullable=False, default=0)
    seen_max_id = Column(BigInteger, nullable=True)
    seen_at = Column(Float, nullable=True)
    locked_at = Column(Float, nullable=True)
    refreshed_at = Column(Float, nullable=True)  # end of the last refresh that reached the newest safe event


JOURNEYS = ObservatoryJourney.__table__
STATE = ObservatoryState.__table__


def _erase(connection: Connection, sender_ids: Sequence[str], _counts: erasure.Counts) -> None:
    """The working rows go with the conversation; the counts they added stay (they name nobody).

    The refresh's cursor row is locked first, as a refresh batch locks it: a batch that read these events before
    they were deleted commits its journey rows before this deletion runs (on PostgreSQL they would otherwise be
    written after it, with the conversation id of an erased victim)."""
    connection.execute(update(STATE).where(STATE.c.name == "refresh").values(locked_at=time.time()))
    for chunk in erasure.chunks(sender_ids):
        connection.execute(delete(JOURNEYS).where(JOURNEYS.c.sender_id.in_(chunk)))


erasure.register(JOURNEYS.name, _erase, table=JOURNEYS.name)
