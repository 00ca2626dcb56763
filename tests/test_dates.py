"""Dates the victim mentions, resolved against the message time in Europe/Paris (bot/dates.py)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.dates import find_dates, french, local_day

# Thursday 3 December 2026, 10:00 in Paris.
SENT = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Paris")).timestamp()


@pytest.mark.parametrize(
    "text, days",
    [
        ("hier soir un faux conseiller m'a appelé", [date(2026, 12, 2)]),
        ("avant-hier j'ai cliqué sur le lien", [date(2026, 12, 1)]),
        ("ce matin 3 paiements", [date(2026, 12, 3)]),
        ("il y a 3 jours j'ai reçu un SMS", [date(2026, 11, 30)]),
        ("il y a deux semaines", [date(2026, 11, 19)]),
        ("lundi j'ai payé, et mardi dernier il a rappelé", [date(2026, 11, 30), date(2026, 12, 1)]),
        ("jeudi dernier", [date(2026, 11, 26)]),  # said on a Thursday: a week ago
        ("le 12 novembre, puis le 1er décembre", [date(2026, 11, 12), date(2026, 12, 1)]),
        ("le lundi 12 novembre", [date(2026, 11, 12)]),
        ("le 20 décembre", [date(2025, 12, 20)]),  # a story of the past: last year's
        ("virement du 28/11 et du 02/12/2026", [date(2026, 11, 28), date(2026, 12, 2)]),
        ("AUJOURDHUI j'ai tout perdu", [date(2026, 12, 3)]),
        ("récemment, un jour, bientôt", []),
        ("le 31/02 ou le 45 mars", []),
    ],
)
def test_mentioned_days_are_resolved_against_the_message_time(text, days):
    assert [m.day for m in find_dates(text, SENT)] == days


def test_the_day_is_the_paris_day_not_utc_and_changes_with_daylight_saving():
    just_after_midnight = datetime(2026, 7, 1, 0, 30, tzinfo=ZoneInfo("Europe/Paris")).timestamp()  # 22:30 UTC
    assert local_day(just_after_midnight) == date(2026, 7, 1)
    assert [m.day for m in find_dates("hier", just_after_midnight)] == [date(2026, 6, 30)]
    winter = datetime(2026, 1, 15, 0, 30, tzinfo=ZoneInfo("Europe/Paris")).timestamp()  # 23:30 UTC
    assert local_day(winter) == date(2026, 1, 15)


def test_days_are_written_in_french():
    assert french(date(2026, 12, 1)) == "mardi 1er décembre 2026"
    assert french(date(2026, 8, 15)) == "samedi 15 août 2026"
