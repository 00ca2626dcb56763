"""Dates the victim mentions ("hier", "lundi dernier", "il y a 3 jours", "le 12 novembre"), resolved against the
time of their message in Europe/Paris: the dossier (bot/dossier.py) puts the facts in order with real dates.

Only what a complaint needs: a day, never an hour. Expressions that name no day ("récemment", "un jour") are left
out rather than guessed.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import List, NamedTuple, Optional
from zoneinfo import ZoneInfo

from bot.text import fold

PARIS = ZoneInfo("Europe/Paris")

WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MONTHS = [  # as written to the victim; matched without accents
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
_FOLDED_MONTHS = [fold(month) for month in MONTHS]
_NUMBERS = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "dix": 10}
_UNITS = {"jour": 1, "jours": 1, "semaine": 7, "semaines": 7}


class MentionedDate(NamedTuple):
    expression: str  # as the victim wrote it
    day: date


def local_day(timestamp: float) -> date:
    """The Europe/Paris calendar day of a Unix timestamp (a message sent at 00:30 in Paris is that day, not UTC's)."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).astimezone(PARIS).date()


def _weekday_before(today: date, weekday: int, strictly: bool) -> date:
    back = (today.weekday() - weekday) % 7
    if back == 0 and strictly:
        back = 7
    return today - timedelta(days=back)


def _explicit(today: date, day: int, month: int, year: Optional[int]) -> Optional[date]:
    """A day and month without a year is the latest such day not after today (victims tell the past)."""
    if year is not None and year < 100:
        year += 2000
    try:
        found = date(year or today.year, month, day)
    except ValueError:
        return None
    if year is None and found > today:
        try:
            found = date(today.year - 1, month, day)
        except ValueError:
            return None
    return found


_PATTERNS = [  # explicit days first: "lundi 12 novembre" is the 12th
    (
        "day_month",
        r"\b(?:le )?(1er|\d{1,2}) (" + "|".join(_FOLDED_MONTHS) + r")(?: (\d{4}))?\b",
    ),
    ("numeric", r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b"),
    ("before_yesterday", r"\bavant[ -]?hier\b"),
    ("yesterday", r"\bhier\b"),
    ("today", r"\b(?:aujourd ?hui|ce matin|cet apres[ -]midi|ce midi|ce soir|tout a l heure|cette nuit)\b"),
    ("ago", r"\bil y a (\d{1,2}|" + "|".join(_NUMBERS) + r") (jours?|semaines?)\b"),
    ("weekday", r"\b(" + "|".join(WEEKDAYS) + r")(?: (dernier|passe))?\b(?! (?:\d|1er))"),
]
_COMPILED = [(kind, re.compile(pattern)) for kind, pattern in _PATTERNS]


def find_dates(text: str, sent_at: float) -> List[MentionedDate]:
    """The days the message names, in the order written, resolved against `sent_at` (Unix seconds)."""
    today = local_day(sent_at)
    folded = " ".join(fold(text).replace("'", " ").split())
    found: List[tuple] = []
    taken: List[range] = []
    for kind, pattern in _COMPILED:
        for match in pattern.finditer(folded):
            if any(match.start() in span or match.end() - 1 in span for span in taken):
                continue  # "avant-hier" is not also "hier"
            day = _resolve(kind, match, today)
            if day is None or day > today:
                continue
            taken.append(range(match.start(), match.end()))
            found.append((match.start(), MentionedDate(match.group(0), day)))
    return [mention for _, mention in sorted(found, key=lambda item: item[0])]


def _resolve(kind: str, match: "re.Match[str]", today: date) -> Optional[date]:
    if kind == "before_yesterday":
        return today - timedelta(days=2)
    if kind == "yesterday":
        return today - timedelta(days=1)
    if kind == "today":
        return today
    if kind == "ago":
        count = match.group(1)
        number = int(count) if count.isdigit() else _NUMBERS[count]
        return today - timedelta(days=number * _UNITS[match.group(2)])
    if kind == "weekday":
        # "lundi" in a story of the past is the last Monday; "lundi dernier" said on a Monday is a week ago.
        return _weekday_before(today, WEEKDAYS.index(match.group(1)), strictly=bool(match.group(2)))
    if kind == "day_month":
        day = 1 if match.group(1) == "1er" else int(match.group(1))
        year = int(match.group(3)) if match.group(3) else None
        return _explicit(today, day, _FOLDED_MONTHS.index(match.group(2)) + 1, year)
    if kind == "numeric":
        year = int(match.group(3)) if match.group(3) else None
        return _explicit(today, int(match.group(1)), int(match.group(2)), year)
    return None


def french(day: date) -> str:
    """ "mardi 1er décembre 2026"."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{WEEKDAYS[day.weekday()]} {number} {MONTHS[day.month - 1]} {day.year}"
