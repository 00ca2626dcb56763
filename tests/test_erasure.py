"""Erasure: every table that holds victim data has an eraser, and `forget` empties them all (SQLite, PostgreSQL)."""

import asyncio
import importlib
import pkgutil
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

import bot
import channels
import console
from bot import db, erasure
from console.models import AuditLog, HandoverNote
from tests import review_data
from tests.test_retention import database_files, everything, with_everything

NOW = 1_790_000_000.0


def _import_everything() -> None:
    for package in (bot, channels, console):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)


def test_every_table_with_victim_data_has_an_eraser():
    _import_everything()
    covered = erasure.covered_tables()
    tables = db.Base.metadata.tables.values()
    holding = {t.name for t in tables if "sender_id" in t.columns}
    # Rows that hang off a victim's rows (notes of a handover) are victim data too.
    holding |= {t.name for t in tables for fk in t.foreign_keys if fk.column.table.name in holding}
    assert holding - covered == set()
    assert {"handovers", "handover_notes", "ratings", "conversation_index"} <= covered


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, monkeypatch):
    with review_data.review_database(request.param, tmp_path, monkeypatch) as url:
        yield url


def test_forget_empties_every_table_of_that_victim_only_and_records_it(database):
    with_everything(database, "sms:+33600000001", NOW)
    with_everything(database, "web:11111111-1111-4111-8111-111111111111", NOW)

    counts = erasure.forget(["sms:+33600000001"])

    assert set(everything("sms:+33600000001").values()) == {0}
    assert set(everything("web:11111111-1111-4111-8111-111111111111").values()) != {0}
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(HandoverNote)) == 1  # the other victim's note
        audit = s.scalars(select(AuditLog.target).where(AuditLog.action == "forget")).all()
    assert counts["conversations"] == 1 and counts["handovers"] == 1 and counts["notes"] == 1
    assert audit and all("+33600000001" not in target for target in audit)
    assert "1 demande(s) de conseiller" in audit[-1]


def test_forget_before_any_conversation_deletes_nothing_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    counts = erasure.forget(["telegram:42"])
    assert erasure.describe(counts) == "rien"


# --- complete erasure: what each store needs so that the deleted rows are not left in its files --------------------
SECRET = "ma voisine Zorglubette a vidé mon compte, rappelez la au 0611223344"


@pytest.fixture
def secure_delete_off_by_default(monkeypatch):
    """SQLite as most builds ship it: secure_delete off unless asked (Debian's build turns it on by default)."""
    import sqlite3

    connect = sqlite3.dbapi2.connect

    def off_by_default(*args, **kwargs):
        connection = connect(*args, **kwargs)
        connection.execute("PRAGMA secure_delete=OFF")
        return connection

    monkeypatch.setattr(sqlite3.dbapi2, "connect", off_by_default)


def test_every_sqlite_connection_of_the_engine_overwrites_deleted_rows(tmp_path, secure_delete_off_by_default):
    engine = db.engine(f"sqlite:///{tmp_path / 'pragma.db'}")
    for _ in range(2):
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1


def test_a_forgotten_message_is_no_longer_in_the_sqlite_files(tmp_path, monkeypatch, secure_delete_off_by_default):
    """The server's path (STOP, "Supprimer"): the tracker store deletes the events, then `forget` the rest."""
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.stores import DatabaseTrackerStore
    from bot.trackers import delete
    from console import index

    with review_data.review_database("sqlite", tmp_path, monkeypatch) as url:
        store = DatabaseTrackerStore(Domain.empty(), host=url)
        agent = SimpleNamespace(tracker_store=store, lock_store=InMemoryLockStore())
        for sender, words in (("sms:+33600000001", SECRET), ("web:other", "un autre message qui reste là")):
            asyncio.run(store.save(DialogueStateTracker.from_events(sender, [UserUttered(words)])))
        index.refresh(settle_seconds=0)
        with db.engine().connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        assert b"Zorglubette" in database_files(url) and b"qui reste" in database_files(url)

        asyncio.run(delete(agent, "sms:+33600000001"))
        erasure.forget(["sms:+33600000001"])
        store.engine.dispose()

        stored = database_files(url)
        assert b"qui reste" in stored
        assert b"Zorglubette" not in stored and b"vid\\u00e9 mon compte" not in stored and b"0611223344" not in stored
        assert b"zorglubette" not in stored  # nor the words of the full-text index


def vacuum_counts(url: str) -> dict:
    with sa.create_engine(url, future=True).connect() as connection:
        rows = connection.execute(sa.text("SELECT relname, vacuum_count FROM pg_stat_user_tables")).all()
    return dict(rows)


def test_postgresql_tables_are_vacuumed_after_forget_and_after_the_purge(tmp_path, monkeypatch):
    from console import retention

    with review_data.review_database("postgresql", tmp_path, monkeypatch) as url:
        with_everything(url, "sms:+33600000001", NOW)
        before = vacuum_counts(url)
        erasure.forget(["sms:+33600000001"])
        after_forget = vacuum_counts(url)
        retention.purge(days=30)
        after_purge = vacuum_counts(url)
    for table in (
        "events",
        "handovers",
        "handover_notes",
        "ratings",
        "review_message_annotations",
        "conversation_index",
    ):
        assert before[table] < after_forget[table] < after_purge[table], table


def test_a_failed_vacuum_is_logged_and_the_deletion_stays(tmp_path, monkeypatch, caplog):
    with review_data.review_database("postgresql", tmp_path, monkeypatch) as url:
        with_everything(url, "sms:+33600000001", NOW)

        def full_disk(_connection, _cursor, statement, *_):
            if statement.startswith("VACUUM"):
                raise RuntimeError("could not extend file: No space left on device")

        sa.event.listen(db.engine(), "before_cursor_execute", full_disk)
        erasure.forget(["sms:+33600000001"])
        assert set(everything("sms:+33600000001").values()) == {0}
    assert "Could not reclaim" in caplog.text
