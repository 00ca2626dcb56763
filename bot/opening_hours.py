"""When operators answer: HANDOVER_OPENING_HOURS ("24/7" or "lun-ven 09:00-18:00", Europe/Paris time), closed on
French public holidays (1 May, 14 July, 25 December... from the `holidays` package) unless it is 24/7.

Pure functions of the specification and the time: bot.settings validates the setting with `parse`, bot.handover
asks `is_open` and tells the victim `describe`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timezone
from functools import lru_cache
from typing import NamedTuple, Optional
from zoneinfo import ZoneInfo

import holidays

PARIS = "Europe/Paris"
_DAYS = ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"]
_DAY_NAMES = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
_SPEC = re.compile(r"(\w{3})-(\w{3}) (\d\d):(\d\d)-(\d\d):(\d\d)")
ALWAYS = ("24/7", "24h/24", "always")


class Hours(NamedTuple):
    first_day: int  # Monday = 0
    last_day: int
    start: time
    end: time


def parse(spec: str) -> Optional[Hours]:
    """None for "always open", else the days and hours; ValueError (in French) for anything else."""
    spec = spec.strip().lower()
    if spec in ALWAYS:
        return None
    match = _SPEC.fullmatch(spec)
    if not match or match.group(1) not in _DAYS or match.group(2) not in _DAYS:
        raise ValueError(f"{spec!r} n'est pas compris : écrivez 24/7 ou par exemple lun-ven 09:00-18:00")
    try:
        start, end = time(int(match.group(3)), int(match.group(4))), time(int(match.group(5)), int(match.group(6)))
    except ValueError:
        raise ValueError(f"{spec!r} contient une heure qui n'existe pas") from None
    return Hours(_DAYS.index(match.group(1)), _DAYS.index(match.group(2)), start, end)


@lru_cache(maxsize=8)
def _french_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("FR", years=year)


def is_holiday(day: date) -> bool:
    return day in _french_holidays(day.year)


def is_open(spec: str, now: Optional[datetime] = None) -> bool:
    hours = parse(spec)
    if hours is None:
        return True
    local = (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(PARIS))
    if is_holiday(local.date()):
        return False
    return hours.first_day <= local.weekday() <= hours.last_day and hours.start <= local.time() < hours.end


def _hour(value: time) -> str:
    return f"{value.hour}h{value.minute:02d}" if value.minute else f"{value.hour}h"


def describe(spec: str) -> str:
    """As the victim reads it: "du lundi au vendredi, de 9h à 18h, sauf les jours fériés"."""
    hours = parse(spec)
    if hours is None:
        return "24h/24, 7j/7"
    first, last = hours.first_day, hours.last_day
    days = f"le {_DAY_NAMES[first]}" if first == last else f"du {_DAY_NAMES[first]} au {_DAY_NAMES[last]}"
    return f"{days}, de {_hour(hours.start)} à {_hour(hours.end)}, sauf les jours fériés"
