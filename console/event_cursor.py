"""How far a job that reads Rasa's `events` in id order may go (the review index, the observatory's refresh).

On PostgreSQL a transaction may commit a lower `events.id` after another one committed a higher id: a cursor that
jumped to the highest id would skip it for good. Events are therefore read only up to an id that was already the
highest one seen POSTGRES_SETTLE_SECONDS ago. SQLite has one writer at a time: ids commit in order.
"""

from __future__ import annotations

import time
from typing import Any

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
