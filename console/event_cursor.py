"""Jobs that read Rasa's `events` in id order from a cursor row (the review index, the observatory's refresh): the
row's lock, how far they may go, and the next batch.

On PostgreSQL a transaction may commit a lower `events.id` after another one committed a higher id: a cursor that
jumped to the highest id would skip it for good. Events are therefore read only up to an id that was already the
highest one seen POSTGRES_SETTLE_SECONDS ago. SQLite has one writer at a time: ids commit in order.
"""

from __future__ import annotations

import time
from typing import Any, List

from sqlalchemy import Table, func, select, update
from sqlalchemy.engine import Connection, Engine

from bot.db import EVENTS

POSTGRES_SETTLE_SECONDS = 5.0


def settle_seconds_of(engine: Engine) -> float:
    return POSTGRES_SETTLE_SECONDS if engine.dialect.name == "postgresql" else 0.0


def safe_target(connection: Connection, table: Table, name: str, state: Any, settle_seconds: float) -> int:
    """The highest events.id the cursor `name` (a row of `table`, read as `state`) can reach without skipping a
    transaction that has not committed yet; records what it saw for the next call."""
    current = connection.execute(select(func.max(EVENTS.c.id))).scalar() or 0
    if settle_seconds <= 0:
        return current
    now = time.time()
    safe = state.safe_id or 0
    if state.seen_at is None or now - state.seen_at >= settle_seconds:
        if state.seen_at is not None:
            safe = max(safe, state.seen_max_id or 0)
        connection.execute(
            update(table).where(table.c.name == name).values(safe_id=safe, seen_max_id=current, seen_at=now)
        )
    return safe


def lock(connection: Connection, table: Table, name: str) -> Any:
    """Locks the cursor row `name` until the end of the transaction (a row lock on PostgreSQL, the write lock on
    SQLite), so that two processes never fold the same batch; returns the row."""
    connection.execute(update(table).where(table.c.name == name).values(locked_at=time.time()))
    return connection.execute(select(table).where(table.c.name == name)).one()


def batch(connection: Connection, after: int, upto: int, size: int) -> List[Any]:
    """The events after id `after` up to id `upto`, at most `size`, in id order."""
    if upto <= after:
        return []
    query = select(EVENTS).where(EVENTS.c.id > after, EVENTS.c.id <= upto).order_by(EVENTS.c.id).limit(size)
    return list(connection.execute(query))
