"""The application database (handover sessions, staff accounts, providers, annotations...) on DATABASE_URL.

The same database holds Rasa's tracker store (`events` table, created by Rasa itself). SQLAlchemy 1.4 with the
2.0-style API. Tables are created with `create_all()`, which works on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, declarative_base, sessionmaker

from bot import settings

Base = declarative_base()


def engine(url: Optional[str] = None) -> Engine:
    """The engine of `url`, by default DATABASE_URL (one engine per URL for the whole process)."""
    return _engine(url or settings.database_url())


@lru_cache(maxsize=None)
def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        db = create_engine(url, future=True, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(db, "connect")
        def _sqlite_pragmas(connection, _record):  # pragma: no cover - trivial
            # WAL lets the Rasa server and the action server read while the other writes.
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return db
    return create_engine(url, future=True, pool_pre_ping=True)


def create_all(url: Optional[str] = None) -> Engine:
    """Creates every application table that does not exist yet (import the model modules first)."""
    db = engine(url)
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
