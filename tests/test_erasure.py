"""Erasure: every table that holds victim data has an eraser, and `forget` empties them all (SQLite, PostgreSQL)."""

import importlib
import pkgutil

import pytest
from sqlalchemy import func, select

import bot
import channels
import console
from bot import db, erasure
from console.models import AuditLog, HandoverNote
from tests import review_data
from tests.test_retention import everything, with_everything

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
