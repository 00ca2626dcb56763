"""The application database (handover sessions, staff accounts, providers, annotations...) on DATABASE_URL.

The same database holds Rasa's tracker store (`events` table, created by Rasa itself). SQLAlchemy 1.4 with the
2.0-style API. Tables are created with `create_all()`, which works on SQLite and PostgreSQL alike. `reclaim()` is
what each store needs after a deletion so that the deleted rows are not left in its files.
"""

from __future__ import annotations

import fcntl
import logging
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, Optional

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, declarative_base, sessionmaker

from bot import settings

logger = logging.getLogger(__name__)

Base = declarative_base()

# Rasa's SQLTrackerStore table, as the code that reads it in bulk (review index, retention, erasure) sees it: id,
# sender_id, type_name, timestamp, intent_name, action_name (the slot name for `slot` events), data (the event's
# JSON). Rasa creates and owns it: its own MetaData, so that `create_all()` never creates or alters it.
EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def has_events(db: Engine) -> bool:
    """Rasa creates `events` on its first conversation: before that there is nothing to read or delete."""
    return inspect(db).has_table("events")


def engine(url: Optional[str] = None) -> Engine:
    """The engine of `url`, by default DATABASE_URL (one engine per URL for the whole process)."""
    return _engine(url or settings.current().database_url)


def make_sqlite_dir(url: str) -> None:
    """SQLite creates the file, not its directory (var/ on a fresh clone)."""
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=None)
def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        make_sqlite_dir(url)
        db = create_engine(url, future=True, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(db, "connect")
        def _sqlite_pragmas(connection, _record):
            # WAL lets the Rasa server and the action server read while the other writes.
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # Deleted rows are overwritten with zeros instead of staying readable in free pages (erasure).
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return db
    return create_engine(url, future=True, pool_pre_ping=True)


def reclaim(db: Engine, tables: Iterable[str]) -> None:
    """After rows of `tables` were deleted (or rewritten): what each store needs so that the old rows are not left in
    its files (README, "What an erasure erases").

    SQLite: secure_delete already zeroed them in the pages; the write-ahead log, which still holds earlier copies of
    those pages, is checkpointed into the database and emptied. PostgreSQL: VACUUM removes the dead rows from the
    tables, their TOAST tables and indexes (their bytes may stay in free space until reused); it cannot run inside
    a transaction, hence AUTOCOMMIT. The deletion is committed before: a failure here is logged and loses nothing."""
    started = time.perf_counter()
    try:
        if db.dialect.name == "sqlite":
            with db.connect() as connection:
                busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()
            if busy:  # a reader held old pages: the next checkpoint copies them
                logger.warning("SQLite checkpoint after a deletion was incomplete (readers busy)")
        elif db.dialect.name == "postgresql":
            existing = set(inspect(db).get_table_names())
            names = [name for name in dict.fromkeys(tables) if name in existing]
            if names:
                quoted = ", ".join(db.dialect.identifier_preparer.quote(name) for name in names)
                with db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.exec_driver_sql(f"VACUUM {quoted}")
    except Exception:
        logger.exception("Could not reclaim the space of deleted rows (the deletion itself is done)")
        return
    logger.info("Deleted rows reclaimed in %.2f s", time.perf_counter() - started)


# Any number: the key of the PostgreSQL advisory lock that schema creation takes.
_SCHEMA_LOCK = 7_317_2024


@contextmanager
def schema_lock(url: Optional[str] = None) -> Iterator[None]:
    """Serialises the creation of tables between processes: several Sanic workers (and instances) start at once, and
    two CREATE TABLE of one table on a new PostgreSQL database fail the second ("duplicate key ... pg_type"), which
    killed a worker. A PostgreSQL advisory lock, a lock file next to a SQLite database."""
    url = url or settings.current().database_url
    if url.startswith("postgresql"):
        with engine(url).connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({_SCHEMA_LOCK})")
            try:
                yield
            finally:
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({_SCHEMA_LOCK})")
        return
    database = make_url(url).database if url.startswith("sqlite") else None
    if not database or database == ":memory:":
        yield
        return
    make_sqlite_dir(url)
    with open(f"{database}.schema-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def create_all(url: Optional[str] = None) -> Engine:
    """Creates every application table that does not exist yet (import the model modules first)."""
    db = engine(url)
    with schema_lock(url):
        Base.metadata.create_all(db)
    return db


@contextmanager
def session(url: Optional[str] = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    factory = sessionmaker(bind=engine(url), future=True, expire_on_commit=False)
    with factory() as db_session:
        try:
            yield db_session
            db_session.commit()
        except BaseException:
            db_session.rollback()
            raise
