"""Waves (console/observatory/waves.py, detect.py): planted waves found once, quiet series with their weekly pattern,
holidays and clock changes left alone, cold start, slow rises, the minimum count; on SQLite and PostgreSQL."""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import select

from bot import db
from console.observatory import detect, journeys, refresh, waves
from console.observatory.alert_models import ALERTS
from tests.databases import temporary_database

PARIS = ZoneInfo("Europe/Paris")
RATES = {"hameconnage": 14.0, "piratage_compte": 7.0, "sextorsion": 2.0, "faux_conseiller_bancaire": 3.0, "spam": 0.1}
PROFILE = np.array([0, 0, 0, 0, 0, 0, 0.3, 0.8, 1.4, 1.8, 1.8, 1.6, 1.3, 1.5, 1.7, 1.7, 1.6, 1.5, 1.4, 1.2, 1.0,
                    0.8, 0.5, 0.2])  # fmt: skip
DAY = (1.25, 1.2, 1.15, 1.1, 1.0, 0.65, 0.55)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path, monkeypatch):
    with temporary_database(request.param, tmp_path) as database_url:
        monkeypatch.setenv("DATABASE_URL", database_url)
        refresh.ensure_schema(db.engine(database_url))
        yield database_url
        db.engine(database_url).dispose()


@pytest.fixture
def sqlite_url(tmp_path, monkeypatch):
    with temporary_database("sqlite", tmp_path) as database_url:
        monkeypatch.setenv("DATABASE_URL", database_url)
        refresh.ensure_schema(db.engine(database_url))
        yield database_url


def epoch(year, month, day, hour=0) -> float:
    return datetime(year, month, day, hour, tzinfo=PARIS).timestamp()


def expected(hour: int, incident: str) -> float:
    day, local_hour = waves.local(hour)
    return RATES[incident] * DAY[waves.day_type(day)] * PROFILE[local_hour]


def plant(url: str, start: float, end: float, extra=None, seed: int = 1, rates=None) -> None:
    """Journeys hour by hour (over-dispersed: each day has its own gamma factor), written as the refresh does."""
    rng = np.random.default_rng(seed)
    deltas = journeys.Deltas()
    day_effect: dict = {}
    for hour in range(int(start // 3600), int(end // 3600)):
        day = waves.local(hour)[0]
        effect = day_effect.setdefault(day, rng.gamma(20, 1 / 20))
        for incident in rates or RATES:
            mean = expected(hour, incident) * effect + (extra(hour, incident) if extra else 0)
            for _ in range(rng.poisson(mean)):
                cell = (day, incident, "particulier", "web", "", "")
                deltas.add(journeys.Contribution(cell, (), hour), +1)
    with db.engine(url).begin() as connection:
        journeys.write(connection, deltas)


def alerts(url: str) -> list:
    with db.engine(url).connect() as connection:
        return connection.execute(select(ALERTS).order_by(ALERTS.c.id)).all()


def run_hourly(url: str, start: float, hours: int, extra=None, rates=None) -> None:
    """Journeys of each hour from `start` on, then a detection at its end: no count from the future."""
    for n in range(hours):
        plant(url, start + n * 3600, start + (n + 1) * 3600, extra, seed=100 + n, rates=rates)
        detect.detect(start + (n + 1) * 3600 - 1, url)


def test_a_quiet_series_with_its_weekly_pattern_and_holidays_raises_nothing(url):
    # Ascension (14 May 2026) and 1 and 8 May are holidays: as quiet as Sundays.
    plant(url, epoch(2026, 4, 1), epoch(2026, 5, 13))
    assert waves.day_type(date(2026, 5, 14)) == waves.SUNDAY
    run_hourly(url, epoch(2026, 5, 13), 48)
    assert alerts(url) == []


def test_a_planted_wave_is_one_alert_extended_while_it_lasts(url):
    wave_start = int(epoch(2026, 5, 20, 9) // 3600)

    def extra(hour, incident):
        return 12.0 if incident == "sextorsion" and wave_start <= hour < wave_start + 8 else 0.0

    plant(url, epoch(2026, 4, 10), wave_start * 3600)
    run_hourly(url, wave_start * 3600, 8, extra)
    found = alerts(url)
    assert [(a.kind, a.incident) for a in found] == [("wave", "sextorsion")]
    alert = found[0]
    assert alert.key.startswith("wave/incident/sextorsion/")
    assert alert.last_at > alert.first_at and alert.count >= 36 and alert.baseline < alert.count / 2
    assert alert.state == "new"


def test_clock_changes_are_local_days_of_23_and_25_hours_and_raise_nothing(sqlite_url):
    spring = [waves.local(h) for h in range(int(epoch(2026, 3, 29) // 3600), int(epoch(2026, 3, 30) // 3600))]
    autumn = [waves.local(h) for h in range(int(epoch(2026, 10, 25) // 3600), int(epoch(2026, 10, 26) // 3600))]
    assert len(spring) == 23 and (date(2026, 3, 29), 2) not in spring
    assert len(autumn) == 25 and autumn.count((date(2026, 10, 25), 2)) == 2
    plant(sqlite_url, epoch(2026, 9, 20), epoch(2026, 10, 24, 12), seed=3)
    run_hourly(sqlite_url, epoch(2026, 10, 24, 12), 48)
    assert alerts(sqlite_url) == []
    with db.engine(sqlite_url).begin() as connection:
        connection.execute(journeys.HOURLY.delete())
        connection.execute(journeys.ROLLUP.delete())
    plant(sqlite_url, epoch(2026, 2, 20), epoch(2026, 3, 28, 12), seed=4)
    run_hourly(sqlite_url, epoch(2026, 3, 28, 12), 48)
    assert alerts(sqlite_url) == []


def test_cold_start_nothing_before_a_week_then_a_new_series_is_shrunk_to_the_average(sqlite_url):
    def extra(hour, incident):
        return 3.0 if incident == "spam" and hour >= int(epoch(2026, 6, 4, 10) // 3600) else 0.0

    plant(sqlite_url, epoch(2026, 6, 1), epoch(2026, 6, 4, 10))
    run_hourly(sqlite_url, epoch(2026, 6, 4, 10), 4, extra)
    assert alerts(sqlite_url) == []  # three days of history: no shape to compare with yet
    plant(sqlite_url, epoch(2026, 6, 4, 14), epoch(2026, 6, 12, 9), seed=5)
    run_hourly(sqlite_url, epoch(2026, 6, 12, 9), 5)
    assert alerts(sqlite_url) == []


def test_below_the_minimum_count_there_is_no_alert(sqlite_url):
    spike = int(epoch(2026, 5, 20, 10) // 3600)

    def extra(hour, incident):
        return 6.0 if incident == "spam" and hour == spike else 0.0  # 6 when 1 a day is usual

    plant(sqlite_url, epoch(2026, 4, 10), spike * 3600 + 3600, extra, rates={"spam": 0.02, "hameconnage": 14})
    detect.detect(spike * 3600 + 3500, sqlite_url)
    assert alerts(sqlite_url) == []


def test_a_slow_rise_is_caught_by_the_cusum_not_by_the_windows(sqlite_url):
    rise_start = int(epoch(2026, 5, 1) // 3600)

    def extra(hour, incident):  # fake bank advisers: +0 to +100 % over a month, no hour of it remarkable
        if incident != "faux_conseiller_bancaire" or hour < rise_start:
            return 0.0
        return expected(hour, incident) * min((hour - rise_start) / (30 * 24), 1.0)

    settings = waves.Settings(0.0005, 10, 8)
    plant(sqlite_url, epoch(2026, 2, 15), epoch(2026, 5, 3, 12), extra, seed=7)
    with db.engine(sqlite_url).connect() as connection:
        early = waves.find(connection, epoch(2026, 5, 3, 12), settings)
    plant(sqlite_url, epoch(2026, 5, 3, 12), epoch(2026, 5, 30, 12), extra, seed=8)
    with db.engine(sqlite_url).connect() as connection:
        late = waves.find(connection, epoch(2026, 5, 30, 12), settings)
    assert early == []
    assert [(a.incident, a.test) for a in late] == [("faux_conseiller_bancaire", "cusum")]


def test_a_busy_day_for_everyone_within_the_days_own_spread_raises_nothing(sqlite_url):
    # plant's days vary by about 22 % (a gamma effect per day): a day 30 % busier for every incident is under one and a half
    # of their standard deviations, no wave. The hours of that day share its effect: tested as independent draws,
    # its 24-hour window would look several standard deviations high.
    busy = epoch(2026, 5, 20)

    def extra(hour, incident):
        return 0.3 * expected(hour, incident) if hour >= busy // 3600 else 0.0

    plant(sqlite_url, epoch(2026, 4, 10), busy)
    run_hourly(sqlite_url, busy, 24, extra)
    assert alerts(sqlite_url) == []


@pytest.mark.parametrize("incident, more", [("sextorsion", 15.0), ("hameconnage", 60.0)])
def test_past_the_cold_start_a_series_is_measured_against_its_own_level(sqlite_url, incident, more):
    """With its 28 days of history a series' baseline is its own: a small incident is not pulled up towards the
    average of the incidents (which would hide its waves), nor the largest one pulled down (false alarms)."""
    end = epoch(2026, 6, 10, 14)
    now = end - 1  # the end of the last planted hour (13:00-14:00)

    def extra(hour, name):
        return more if name == incident and hour >= now // 3600 - 2 else 0.0  # a wave of 3 hours

    plant(sqlite_url, epoch(2026, 5, 1), end, extra, seed=3)
    with db.engine(sqlite_url).connect() as connection:
        found = [a for a in waves.find(connection, now, waves.Settings(0.0005, 10, 8)) if a.incident == incident]
    assert len(found) == 1, found
    alarm = found[0]
    first = int(alarm.start.replace(tzinfo=timezone.utc).timestamp() // 3600)
    truth = sum(expected(hour, incident) for hour in range(first, int(now // 3600) + 1))
    assert abs(alarm.baseline - truth) / truth < 0.12, (alarm.test, alarm.baseline, truth)


def test_a_share_that_jumps_is_a_wave_although_the_count_stays_at_its_level(sqlite_url):
    """A day when every other incident is quiet (a strike of another service, a holiday elsewhere) while phishing
    keeps its usual count: phishing's share of journeys jumps, which the share test catches (the count windows
    cannot: the count is at its own level)."""
    end = epoch(2026, 6, 10, 20)
    plant(sqlite_url, epoch(2026, 5, 1), end - 24 * 3600, seed=4)
    plant(sqlite_url, end - 24 * 3600, end, seed=5, rates={"hameconnage": RATES["hameconnage"]})
    with db.engine(sqlite_url).connect() as connection:
        found = waves.find(connection, end - 1, waves.Settings(0.0005, 10, 8))
    assert [(a.incident, a.test) for a in found] == [("hameconnage", "share")]
