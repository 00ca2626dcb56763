"""The observatory's refresh: the tracker events added since the last run, folded into journeys and aggregates.

Same approach as the review index (console/index.py): a cursor over `events.id` in `observatory_state`, batches of
BATCH events each in one transaction that locks the cursor row (so that runs in several processes at once take
turns and never fold an event twice), and on PostgreSQL a settle delay before an id is read, because a transaction
may commit a lower `events.id` after another committed a higher one. The server runs it every
OBSERVATORY_REFRESH_SECONDS, once for the whole deployment (`refresh_forever`, channels/store.py `lease`).

The aggregates cannot be rebuilt from the events on purpose: retention deletes the conversations, the counts stay.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Optional

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot import db
from channels import store
from console import event_cursor
from console.observatory import journeys
from console.observatory.models import (
    ObservatoryDaily,
    ObservatoryFact,
    ObservatoryFactRollup,
    ObservatoryHourly,
    ObservatoryJourney,
    ObservatoryRollup,
    ObservatoryState,
)

logger = logging.getLogger(__name__)

STATE = ObservatoryState.__table__
TABLES = [
    t.__table__
    for t in (
        ObservatoryJourney,
        ObservatoryDaily,
        ObservatoryFact,
        ObservatoryRollup,
        ObservatoryFactRollup,
        ObservatoryHourly,
        ObservatoryState,
    )
]
CURSOR = "refresh"
BATCH = 5000  # events per transaction: a catch-up holds SQLite's write lock well under a second per batch
POSTGRES_SETTLE_SECONDS = event_cursor.POSTGRES_SETTLE_SECONDS  # why: console/event_cursor.py
BACKGROUND_BUDGET_SECONDS = 20.0  # a periodic run stops after this much work; the next one goes on from the cursor
LEASE = "observatory-refresh"

_schema_ready: set = set()


def ensure_schema(engine: Engine) -> None:
    """Creates the observatory's tables (when no migration did) and the cursor row."""
    key = str(engine.url)
    if key in _schema_ready:
        return
    with db.schema_lock(key):
        db.Base.metadata.create_all(engine, tables=TABLES)
    try:
        with engine.begin() as connection:
            if connection.execute(select(STATE.c.name).where(STATE.c.name == CURSOR)).first() is None:
                connection.execute(insert(STATE).values(name=CURSOR, last_event_id=0, safe_id=0))
    except IntegrityError:  # another process created it at the same time
        pass
    _schema_ready.add(key)


def refresh(
    engine: Optional[Engine] = None, budget_seconds: Optional[float] = None, settle_seconds: Optional[float] = None
) -> int:
    """Folds the events added since the last call; returns how many events were read.

    `budget_seconds` bounds the time spent (the next call goes on); `settle_seconds` defaults to
    POSTGRES_SETTLE_SECONDS on PostgreSQL, 0 on SQLite (one writer at a time: ids commit in order)."""
    engine = engine or db.engine()
    ensure_schema(engine)
    if not db.has_events(engine):
        return 0
    if settle_seconds is None:
        settle_seconds = event_cursor.settle_seconds_of(engine)
    deadline = time.monotonic() + budget_seconds if budget_seconds else None
    total = 0
    while True:
        with engine.begin() as connection:
            state = event_cursor.lock(connection, STATE, CURSOR)
            target = event_cursor.safe_target(connection, STATE, CURSOR, state, settle_seconds)
            rows = event_cursor.batch(connection, state.last_event_id, target, BATCH)
            values: dict = {}
            if rows:
                journeys.apply(connection, rows)
                values["last_event_id"] = rows[-1].id
            if len(rows) < BATCH:
                values["refreshed_at"] = time.time()
            connection.execute(update(STATE).where(STATE.c.name == CURSOR).values(**values))
        total += len(rows)
        if len(rows) < BATCH or (deadline and time.monotonic() > deadline):
            return total


def refresh_now(engine: Optional[Engine] = None) -> int:
    """Everything committed before the call, folded (by hand: the CLI). On PostgreSQL the settle delay is waited out
    once rather than skipped: an event of a transaction still open is never jumped over."""
    engine = engine or db.engine()
    total = refresh(engine)
    if engine.dialect.name == "postgresql":
        time.sleep(POSTGRES_SETTLE_SECONDS)
        total += refresh(engine)
    return total


def state(connection: Connection) -> Optional[Any]:
    """The cursor row (None before the first refresh)."""
    return connection.execute(select(STATE).where(STATE.c.name == CURSOR)).first()


async def refresh_forever(interval: float) -> None:
    """Keeps the aggregates up to date in the server, once per period for the whole deployment."""
    while True:
        await asyncio.sleep(interval)
        if not store.lease(LEASE, interval):
            continue  # another worker or instance refreshes this time
        try:
            await asyncio.to_thread(refresh, None, BACKGROUND_BUDGET_SECONDS)
        except Exception:
            logger.exception("observatory refresh")
