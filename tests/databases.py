"""Throw-away application databases for tests: a SQLite file, and a fresh PostgreSQL database on 127.0.0.1:5432."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def temporary_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """Yields a SQLAlchemy URL of an empty database of `kind` ("sqlite" or "postgresql"), dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}"
        return
    name = f"cyberaide_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        from bot import db

        db._engine.cache_clear()  # close pooled connections before dropping
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
