"""Handover state and staff accounts on SQLite and PostgreSQL (bot/handover.py, console/auth.py)."""

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from bot import db, handover
from console import auth, two_factor
from console.models import StaffSession, StaffUser
from tests.databases import temporary_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, monkeypatch):
    with temporary_database(request.param, tmp_path) as url:
        monkeypatch.setenv("DATABASE_URL", url)
        db.create_all()
        yield url


def test_queue_is_ordered_by_urgency_then_waiting_time(database):
    asked = handover.request("web:a", "web", "asked", None)
    emergency = handover.request("web:b", "web", "emergency", None)
    serious = handover.request("web:c", "web", "serious", {"title": "Rançongiciel"})
    assert [h.id for h in handover.queue()] == [emergency.id, serious.id, asked.id]
    assert handover.request("web:a", "web", "asked", None).id == asked.id  # no duplicate request


def test_only_one_operator_can_take_a_conversation(database):
    item = handover.request("sms:+33600000000", "sms", "asked", None)
    wins = []
    threads = [threading.Thread(target=lambda n=n: wins.append(handover.take(item.id, n, f"op{n}"))) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wins.count(True) == 1
    assert handover.queue() == []


def test_only_the_holder_or_a_supervisor_can_finish(database):
    item = handover.request("telegram:42", "telegram", "asked", None)
    assert handover.take(item.id, 1, "Alice")
    assert not handover.finish(item.id, 2, handover.CLOSED, "other")  # another operator
    assert handover.finish(item.id, None, handover.BACK_TO_BOT)  # a supervisor
    assert handover.active_for("telegram:42") is None


def test_overdue_requests_are_reported_once(database, monkeypatch):
    monkeypatch.setenv("HANDOVER_WAIT_SECONDS", "60")
    item = handover.request("web:late", "web", "asked", None)
    assert handover.overdue() == []
    with db.session() as s:
        s.execute(
            update(handover.Handover)
            .where(handover.Handover.id == item.id)
            .values(requested_at=handover.utcnow() - timedelta(minutes=5))
        )
    assert [h.id for h in handover.overdue()] == [item.id]
    assert handover.mark_notified(item.id) is True
    assert handover.mark_notified(item.id) is False  # a second server process does not tell the victim again
    assert handover.overdue() == []


@pytest.mark.parametrize(
    "spec, text",
    [
        ("lun-ven 09:00-18:00", "du lundi au vendredi, de 9h à 18h, sauf les jours fériés"),
        ("lun-sam 08:30-19:45", "du lundi au samedi, de 8h30 à 19h45, sauf les jours fériés"),
        ("sam-sam 10:00-12:00", "le samedi, de 10h à 12h, sauf les jours fériés"),
        ("24/7", "24h/24, 7j/7"),
    ],
)
def test_opening_hours_are_told_in_french(spec, text):
    assert handover.opening_hours_text(spec) == text


def test_wrong_opening_hours_fail_loudly():
    with pytest.raises(ValueError):
        handover.is_open(spec="lundi-vendredi 9h-18h")


@pytest.mark.parametrize(
    "when, spec, expected",
    [
        (datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc), "lun-ven 09:00-18:00", True),  # Monday 10:30 Paris
        (datetime(2026, 11, 23, 17, 30, tzinfo=timezone.utc), "lun-ven 09:00-18:00", False),  # Monday 18:30 Paris
        (datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc), "lun-ven 09:00-18:00", False),  # Sunday
        (datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc), "24/7", True),
        # French public holidays on a weekday, in opening hours: nobody answers (Paris time)
        (datetime(2026, 5, 1, 10, 0, tzinfo=timezone.utc), "lun-ven 09:00-18:00", False),  # Friday 1 May
        (datetime(2026, 7, 14, 10, 0, tzinfo=timezone.utc), "lun-ven 09:00-18:00", False),  # Tuesday 14 July
        (datetime(2026, 12, 25, 10, 0, tzinfo=timezone.utc), "lun-ven 09:00-18:00", False),  # Friday 25 December
        (datetime(2026, 12, 24, 10, 0, tzinfo=timezone.utc), "lun-ven 09:00-18:00", True),  # the day before
        (datetime(2026, 12, 25, 10, 0, tzinfo=timezone.utc), "24/7", True),
        # 24 December 23:30 UTC is already Christmas Day in Paris
        (datetime(2026, 12, 24, 23, 30, tzinfo=timezone.utc), "lun-ven 00:00-23:59", False),
    ],
)
def test_opening_hours(when, spec, expected):
    assert handover.is_open(when, spec) is expected


def test_passwords_are_hashed_with_argon2_and_checked(database):
    user = auth.create_user("Alice@Example.org", "Alice", "correct horse battery", "operator")
    assert user.password_hash.startswith("$argon2id$")
    assert auth.authenticate("alice@example.org", "correct horse battery").id == user.id
    assert auth.authenticate("alice@example.org", "wrong password!!") is None
    assert auth.authenticate("nobody@example.org", "correct horse battery") is None
    with pytest.raises(auth.AuthError):
        auth.create_user("bob@example.org", "Bob", "short", "operator")
    with pytest.raises(auth.AuthError):
        auth.create_user("alice@example.org", "Alice 2", "another long password", "operator")


def test_sessions_expire_and_can_be_closed(database):
    user = auth.create_user("carol@example.org", "Carol", "a long enough password", "supervisor")
    token, csrf = auth.open_session(user)
    assert auth.session_user(token) is None  # a supervisor signs in with a second factor (console/two_factor.py)
    with db.session() as s:
        s.get(StaffUser, user.id).totp_secret = two_factor.new_secret()
    signed_in, session_csrf = auth.session_user(token)
    assert signed_in.id == user.id and session_csrf == csrf and signed_in.can("operator")
    assert not signed_in.can("admin")
    with db.session() as s:
        s.execute(update(StaffSession).values(expires_at=handover.utcnow() - timedelta(seconds=1)))
    assert auth.session_user(token) is None
    token, _ = auth.open_session(user)
    auth.close_session(token)
    assert auth.session_user(token) is None
    assert auth.session_user("forged-token") is None
