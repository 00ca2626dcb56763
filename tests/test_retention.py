"""Retention (purge or anonymisation), deletion on request, and redaction of stored texts, on SQLite and PostgreSQL."""

import asyncio
import json
import os
import time

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import func, select, text, update

from bot import db, handover, ratings
from bot.db import EVENTS
from bot.privacy import CARD, PHONE
from console import annotations, index, retention
from console.models import AuditLog, HandoverNote
from console.review_models import ConversationIndex, ConversationReview, ConversationTag, MessageAnnotation
from tests import review_data
from tests.review_data import Conversation, staff

NOW = time.time()
DAY = 86400
CARD_TEXT = "ma carte 4970 1012 3456 7893, rappelez-moi au 06 12 34 56 78"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, monkeypatch):
    with review_data.review_database(request.param, tmp_path, monkeypatch) as url:
        yield url


def with_everything(url: str, sender_id: str, start: float) -> None:
    """A conversation with every kind of data the application keeps about it."""
    review_data.store(
        url,
        [
            Conversation(sender_id, start)
            .victim(CARD_TEXT, "fraude_carte_bancaire", 0.7)
            .action("action_request_handover")
            .bot("noté")
            .listen()
        ],
    )
    index.refresh(settle_seconds=0)
    with db.engine().connect() as connection:
        event_id = connection.execute(
            select(EVENTS.c.id).where(EVENTS.c.sender_id == sender_id, EVENTS.c.type_name == "user")
        ).scalar()
    annotations.annotate(
        staff(), sender_id, event_id, "ma carte", "fraude_carte_bancaire", 0.7, "fraude_carte_bancaire", []
    )
    annotations.set_reviewed(staff(), sender_id, True)
    annotations.add_tag(staff(), sender_id, "formation")
    ratings.store(sender_id, "4")
    ratings.add_comment(sender_id, "merci, joignable au 06 12 34 56 78")
    item = handover.request(sender_id, "sms", "asked", {"title": "Fraude", "details": {"note": "tel 0612345678"}})
    with db.session() as s:
        s.add(HandoverNote(handover_id=item.id, text="rappeler au 06 12 34 56 78"))


def count(table, sender_id=None) -> int:
    query = select(func.count()).select_from(table)
    if sender_id is not None:
        query = query.where(table.c.sender_id == sender_id)
    with db.engine().connect() as connection:
        return connection.execute(query).scalar()


def everything(sender_id: str) -> dict:
    return {
        name: count(table.__table__ if hasattr(table, "__table__") else table, sender_id)
        for name, table in (
            ("events", EVENTS),
            ("index", ConversationIndex),
            ("annotations", MessageAnnotation),
            ("reviews", ConversationReview),
            ("tags", ConversationTag),
            ("ratings", ratings.Rating),
            ("handovers", handover.Handover),
        )
    }


def database_files(url: str) -> bytes:
    """The bytes of a SQLite database: its file and its write-ahead log."""
    path = url.removeprefix("sqlite:///")
    return b"".join(open(p, "rb").read() for p in (path, f"{path}-wal") if os.path.exists(p))


def audit(action: str) -> list:
    with db.session() as s:
        return [a.target for a in s.scalars(select(AuditLog).where(AuditLog.action == action))]


def test_purge_deletes_old_conversations_and_all_their_data(database):
    with_everything(database, "sms:+33600000001", NOW - 400 * DAY)
    with_everything(database, "sms:+33600000002", NOW - 2 * DAY)
    assert retention.purge(days=365, dry_run=True)["conversations"] == 1
    assert everything("sms:+33600000001")["events"] > 0  # a dry run changes nothing

    counts = retention.purge(days=365)
    assert (
        counts["conversations"] == 1
        and counts["events"] == 7
        and counts["handovers"] == 1
        and counts["notes"] == 1
        and counts["ratings"] == 1
    )
    assert set(everything("sms:+33600000001").values()) == {0}
    assert 0 not in everything("sms:+33600000002").values()
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(HandoverNote)) == 1
    targets = audit("retention_purge")
    assert len(targets) == 1 and "plus de 365 jours" in targets[0] and "1 conversation" in targets[0]
    if database.startswith("sqlite"):  # the full-text entry is gone with its index row
        with db.engine().connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM conversation_search")).scalar() == 1
    with pytest.raises(ValueError):
        retention.purge(days=0)


def test_purge_keeps_the_current_session_of_a_conversation_still_in_use(database):
    sender = "telegram:777"
    old = Conversation(sender, NOW - 400 * DAY).victim("vieille histoire", "spam").action("utter_x").listen()
    current = Conversation(sender, NOW - 60).victim("nouvelle histoire", "hameconnage").listen()
    review_data.store(database, [old, current])
    index.refresh(settle_seconds=0)
    counts = retention.purge(days=365)
    assert counts["events"] == len(old.events) and counts.get("conversations", 0) == 0
    store = SQLTrackerStore(host=database)
    tracker = asyncio.run(store.retrieve_full_tracker(sender))
    store.engine.dispose()
    texts = [e.text for e in tracker.events if e.type_name == "user"]
    assert texts == ["nouvelle histoire"]
    assert tracker.events[0].type_name == "action" and tracker.events[0].action_name == "action_session_start"
    with db.session() as s:
        row = s.scalar(select(ConversationIndex).where(ConversationIndex.sender_id == sender))
        assert row.first_message == "nouvelle histoire" and "vieille" not in row.search_text
    if database.startswith("sqlite"):  # nor in the file: rows overwritten, log emptied, search index merged
        assert b"vieille" not in database_files(database) and b"nouvelle" in database_files(database)


def backdate(handover_ids=(), rating_ids=(), days: int = 400) -> None:
    when = retention._as_datetime(NOW - days * DAY)
    handovers, rated = handover.Handover.__table__, ratings.Rating.__table__
    with db.engine().begin() as connection:
        connection.execute(update(handovers).where(handovers.c.id.in_(handover_ids)).values(requested_at=when))
        connection.execute(update(rated).where(rated.c.id.in_(rating_ids)).values(created_at=when))


def test_purge_removes_old_handovers_notes_and_ratings_of_a_conversation_still_in_use_never_an_open_request(
    database,
):
    # The old session was purged by an earlier run: only recent events are left, but old requests and ratings stay.
    sender = "telegram:888"
    review_data.store(database, [Conversation(sender, NOW - 60).victim("nouvelle histoire", "hameconnage").listen()])
    index.refresh(settle_seconds=0)
    closed = handover.request(sender, "telegram", "asked", {"title": "Fraude", "details": {"note": "0612345678"}})
    assert handover.finish(closed.id, None, handover.CLOSED, "advice_given")
    with db.session() as s:
        s.add(HandoverNote(handover_id=closed.id, text="rappeler au 06 12 34 56 78"))
    waiting = handover.request(sender, "telegram", "asked", None)  # still open: an operator may take it any minute
    old_rating, new_rating = ratings.store(sender, "2"), ratings.store(sender, "5")
    backdate([closed.id, waiting.id], [old_rating.id])

    counts = retention.purge(days=365)

    assert {k: v for k, v in counts.items() if v} == {"handovers": 1, "notes": 1, "ratings": 1}
    with db.session() as s:
        assert [h.id for h in s.scalars(select(handover.Handover))] == [waiting.id]
        assert [r.id for r in s.scalars(select(ratings.Rating))] == [new_rating.id]
        assert s.scalar(select(func.count()).select_from(HandoverNote)) == 0
    assert count(EVENTS, sender) == len(Conversation(sender, NOW).victim("x", "spam").listen().events)
    (target,) = audit("retention_purge")
    assert "1 avis, 1 demande(s) de conseiller, 1 note(s) interne(s)" in target


def test_anonymising_a_conversation_still_in_use_moves_its_old_requests_with_its_old_sessions(database):
    sender = "sms:+33600000004"
    old = Conversation(sender, NOW - 400 * DAY).victim(CARD_TEXT, "fraude_carte_bancaire").listen()
    current = Conversation(sender, NOW - 60).victim("nouvelle histoire", "hameconnage").listen()
    review_data.store(database, [old, current])
    index.refresh(settle_seconds=0)
    closed = handover.request(sender, "sms", "asked", {"details": {"note": "tel 0612345678"}})
    handover.finish(closed.id, None, handover.BACK_TO_BOT)
    rating = ratings.store(sender, "1")
    ratings.add_comment(sender, "joignable au 06 12 34 56 78")
    backdate([closed.id], [rating.id])

    counts = retention.purge(days=365, anonymise=True)

    assert counts["anonymised"] == 1 and counts["handovers"] == 1 and counts["ratings"] == 1
    with db.session() as s:
        (moved,) = s.scalars(select(handover.Handover))
        (rated,) = s.scalars(select(ratings.Rating))
    assert moved.sender_id == rated.sender_id and moved.sender_id.startswith("sms:anonyme-")
    assert count(EVENTS, moved.sender_id) == len(old.events)  # the old session went to the same anonymous id
    assert "0612345678" not in json.dumps(moved.summary) and "06 12" not in rated.comment


def test_anonymisation_keeps_statistics_without_identity_or_personal_data(database):
    with_everything(database, "sms:+33600000003", NOW - 400 * DAY)
    counts = retention.purge(days=365, anonymise=True)
    assert counts["anonymised"] == 1
    assert set(everything("sms:+33600000003").values()) == {0}
    with db.engine().connect() as connection:
        senders = {r.sender_id for r in connection.execute(select(EVENTS.c.sender_id).distinct())}
        (anonymous,) = senders
        assert anonymous.startswith("sms:anonyme-")
        rows = [json.loads(r.data) for r in connection.execute(select(EVENTS.c.data))]
    dumped = json.dumps(rows, ensure_ascii=False)
    assert "4970" not in dumped and "06 12 34 56 78" not in dumped and CARD in dumped and PHONE in dumped
    assert {k: v for k, v in everything(anonymous).items()} == {
        "events": 7,
        "index": 1,
        "annotations": 1,
        "reviews": 1,
        "tags": 1,
        "ratings": 1,
        "handovers": 1,
    }
    with db.session() as s:
        assert "06 12" not in s.scalar(select(ratings.Rating.comment))
        assert "0612345678" not in json.dumps(s.scalar(select(handover.Handover.summary)))
        assert "06 12" not in s.scalar(select(HandoverNote.text))
        assert s.scalar(select(ConversationIndex.channel)) == "sms"
    assert len(audit("retention_anonymise")) == 1


def test_forgetting_a_victim_by_phone_number_telegram_id_or_conversation_id(database):
    for sender in ("sms:+33612345678", "telegram:123456789", "web:abc", "web:other"):
        with_everything(database, sender, NOW - 3600)
    assert retention.resolve_identity("06 12 34 56 78") == "sms:+33612345678"
    assert retention.resolve_identity("0033612345678") == "sms:+33612345678"
    assert retention.resolve_identity("+33 (0)6 12 34 56 78") == "sms:+33612345678"
    assert retention.resolve_identity("123456789") == "telegram:123456789"
    assert retention.resolve_identity("33612345678", phone=True) == "sms:+33612345678"
    assert retention.resolve_identity("web:abc") == "web:abc"

    assert retention.main(["forget", "06 12 34 56 78"]) == 0
    assert retention.main(["forget", "123456789"]) == 0
    assert retention.main(["forget", "web:abc"]) == 0
    for sender in ("sms:+33612345678", "telegram:123456789", "web:abc"):
        assert set(everything(sender).values()) == {0}, sender
    assert 0 not in everything("web:other").values()
    targets = audit("forget")
    assert len(targets) == 3 and targets[0].startswith("sms:…78 :") and "33612345678" not in " ".join(targets)
    assert retention.main(["forget", "web:inconnu"]) == 1  # nothing found: said, and the exit code tells


def test_stored_texts_are_redacted_after_the_grace_period_unless_configured(database, monkeypatch):
    review_data.store(
        database,
        [
            Conversation("web:old", NOW - 3 * 3600)
            .victim(CARD_TEXT, "fraude_carte_bancaire")
            .bot("AMF : 01 53 45 62 00")
            .bot("je vous rappelle au 06 12 34 56 78", operator="Camille"),
            Conversation("web:live", NOW - 60).victim(CARD_TEXT, "fraude_carte_bancaire"),
        ],
    )
    monkeypatch.setenv("KEEP_ORIGINAL_TEXT", "1")
    assert retention.scrub_originals() == 0
    monkeypatch.setenv("KEEP_ORIGINAL_TEXT", "0")
    assert retention.scrub_originals() == 2  # the victim's message and the operator's, not the recent conversation
    with db.engine().connect() as connection:
        data = {
            (r.sender_id, r.type_name, i): json.loads(r.data)
            for i, r in enumerate(
                connection.execute(select(EVENTS).where(EVENTS.c.type_name.in_(("user", "bot"))).order_by(EVENTS.c.id))
            )
        }
    texts = [(k[0], d["text"]) for k, d in data.items()]
    assert texts == [
        ("web:old", f"ma carte {CARD}, rappelez-moi au {PHONE}"),
        ("web:old", "AMF : 01 53 45 62 00"),
        ("web:old", f"je vous rappelle au {PHONE}"),
        ("web:live", CARD_TEXT),
    ]
    assert retention.scrub_originals() == 0  # each event is read once
    assert retention.scrub_originals(grace_minutes=0) == 1


class Stop(BaseException):
    """Ends a background loop in a test (the loops survive every Exception)."""


def run_loop_twice(monkeypatch, loop_coroutine, *patched):
    """Runs a background loop for two rounds; returns the delays it slept and the calls to the patched functions."""
    from types import SimpleNamespace

    from channels import store

    slept, calls = [], []

    async def sleep(seconds):
        slept.append(seconds)
        if len(slept) > 2:
            raise Stop

    # The sleep is faked, so the clock of the loop's lease (channels/store.py) moves with it: each round finds the
    # previous round's turn expired, as it does when the period really passes.
    def clock(source):
        return lambda: source() + sum(slept)

    monkeypatch.setattr(store, "_spaces", {})  # no turn left by an earlier test in this process
    monkeypatch.setattr(store, "time", SimpleNamespace(monotonic=clock(time.monotonic), time=clock(time.time)))
    monkeypatch.setattr(asyncio, "sleep", sleep)
    for module, name in patched:
        monkeypatch.setattr(module, name, lambda *args, _name=name: calls.append((_name, args)))
    with pytest.raises(Stop):
        asyncio.run(loop_coroutine())
    return slept, calls


def test_the_stored_texts_are_redacted_on_their_own_schedule_with_a_time_budget_per_run(monkeypatch):
    slept, calls = run_loop_twice(
        monkeypatch, lambda: retention.scrub_forever(300), (retention, "scrub_originals"), (index, "refresh")
    )
    assert slept == [300, 300, 300]
    assert calls == [("scrub_originals", (None, retention.BACKGROUND_SCRUB_BUDGET_SECONDS))] * 2


def test_the_index_refresh_no_longer_redacts_stored_texts(monkeypatch):
    from console import review

    _, calls = run_loop_twice(
        monkeypatch, lambda: review.refresh_forever(30), (retention, "scrub_originals"), (index, "refresh")
    )
    assert [name for name, _ in calls] == ["refresh", "refresh"]


def test_the_console_starts_the_redaction_beside_the_index_refresh_and_the_timeout_watcher(monkeypatch):
    from types import SimpleNamespace

    from console import channel

    monkeypatch.setenv("SCRUB_INTERVAL_SECONDS", "120")

    async def start():
        jobs = channel.start_jobs(SimpleNamespace(), asyncio.get_running_loop())
        names = sorted(job.get_coro().__qualname__ for job in jobs)
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
        return names

    # The review index's refresh and the observatory's (console/observatory/refresh.py), and its detection of waves.
    assert asyncio.run(start()) == [
        "detect_forever",
        "refresh_forever",
        "refresh_forever",
        "scrub_forever",
        "watch_paused",
        "watch_timeouts",
    ]
