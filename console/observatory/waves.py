"""Waves: a series of journeys above its own baseline, found in the anonymous aggregates.

Series watched: every incident hour by hour (observatory_hourly, every channel), and day by day every incident per
public and per channel (observatory_rollup, France entière). Each series is compared with what its own history
expects:

- the expected count of an hour is the series' level × the shape of that hour, learnt from all journeys: a factor
  per day of the week (French public holidays count as Sundays) times the share of the day's journeys in each local
  hour (working days and rest days apart). Everything is in Europe/Paris local time, so the 23- and 25-hour days of
  the clock changes fall where victims' days fall;
- the level is the series' journeys over the 28 days before the last 24 hours, divided by the shape; while that
  history is shorter than 28 days it is shrunk towards the average level of the incidents (one week's worth of
  weight at the start, none at 28 days): a new series (cold start) starts near the average, not at a count of 2;
- the counts are over-dispersed (a busy day lifts every hour of it): a negative binomial, whose dispersion is
  estimated per series from the spread of its daily totals (method of moments, shrunk to the incidents' median)
  and applied to daily totals too (the hours of one day share its effect, they are not independent draws);
- each run tests windows of 1, 3 and 24 hours ending now, the share of the last 24 hours (the incident's journeys
  against all journeys, so that a busy day for everyone is no wave), and for the day series today so far. The
  p-values are compared with OBSERVATORY_ALERT_ALPHA divided by the number of tests (Bonferroni): that is the
  chance of a false alert per run, over everything watched. Below OBSERVATORY_ALERT_MIN_COUNT journeys in the
  window there is no alert, whatever the p-value;
- slow rises: a one-sided CUSUM of the incident's daily share (its journeys against all journeys of the day, which
  takes out the weekly pattern, the holidays and the seasons) over the last 28 complete days against the 8 weeks
  before; alarm at OBSERVATORY_CUSUM_THRESHOLD standard deviations.

A series in alarm opens one alert (key "wave/<series>/<start>"), extended (last_at, count) by the next runs while it
lasts; a series of one public or channel raises nothing while its incident as a whole is in a wave already.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

import holidays
import numpy as np
from scipy import stats as scipy_stats
from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection

from console.observatory.models import ALL, ObservatoryHourly, ObservatoryRollup

PARIS = ZoneInfo("Europe/Paris")
HOURLY = ObservatoryHourly.__table__
ROLLUP = ObservatoryRollup.__table__
BASELINE_DAYS = 28  # the level's history, before the last 24 hours
MIN_HISTORY_DAYS = 7  # no wave before a week of journeys: no shape to compare with
PRIOR_HOURS = 168.0  # weight of the incidents' average level in a new series' level (cold start), fading to 0
WINDOWS = (1, 3, 24)  # hours
SHARE_WINDOW = 24
CUSUM_DAYS, CUSUM_BASELINE_DAYS, CUSUM_SLACK = 28, 56, 0.5
MIN_ALPHA = 0.005
SUNDAY = 6


@dataclass
class Alarm:
    """A series over its baseline now: what an alert records."""

    series: str  # "incident/<incident>", "incident/<incident>/public/<public>", ".../channel/<channel>"
    incident: str
    public: str
    channel: str
    count: int  # journeys in the window
    baseline: float  # expected journeys in the window
    start: datetime  # UTC, naive: the window's (or the CUSUM run's) start
    p_value: float
    test: str


@lru_cache(maxsize=16)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("FR", years=year)


def day_type(day: date) -> int:
    """Monday 0 .. Sunday 6; a French public holiday is a Sunday."""
    return SUNDAY if day in _holidays(day.year) else day.weekday()


@lru_cache(maxsize=200_000)
def local(hour: int) -> Tuple[date, int]:
    """The Europe/Paris day and local hour of an hour since the epoch."""
    moment = datetime.fromtimestamp(hour * 3600, PARIS)
    return moment.date(), moment.hour


def utc(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * 3600, timezone.utc).replace(tzinfo=None)


# --- the shape of the hours ------------------------------------------------------------------------------------------
def hour_shape(hours: np.ndarray, total: np.ndarray) -> np.ndarray:
    """The expected share of each hour, from all journeys: day factor × share of the local hour (mean 1 per hour)."""
    days = [local(int(h)) for h in hours]
    per_day: Dict[date, float] = {}
    hours_of: Dict[date, int] = {}
    for (day, _hour), count in zip(days, total):
        per_day[day] = per_day.get(day, 0.0) + float(count)
        hours_of[day] = hours_of.get(day, 0) + 1
    complete = [d for d in per_day if hours_of[d] >= 23]
    mean_day = np.mean([per_day[d] for d in complete]) if complete else 0.0
    factors = np.ones(7)
    for kind in range(7):
        of_kind = [per_day[d] for d in complete if day_type(d) == kind]
        if of_kind and mean_day > 0:
            factors[kind] = (sum(of_kind) + mean_day) / (len(of_kind) + 1) / mean_day  # one average day of prior
    profiles = np.full((2, 24), 1.0)  # counts per local hour, working days [0] and rest days [1]
    for (day, hour), count in zip(days, total):
        if day in hours_of and hours_of[day] >= 23:
            profiles[int(day_type(day) >= 5), hour] += float(count)
    profiles = profiles / profiles.sum(axis=1, keepdims=True) * 24
    shape = np.array([factors[day_type(d)] * profiles[int(day_type(d) >= 5), h] for d, h in days])
    return np.maximum(shape, 1e-3)


# --- the tests -------------------------------------------------------------------------------------------------------
def upper_p(count: float, means: np.ndarray, alpha: float, days: Optional[np.ndarray] = None) -> float:
    """P(X >= count) for a sum of counts of these means, over-dispersed by day (alpha, var = mu + alpha mu² of each
    day's total, as `dispersion` estimates it); `days` gives the local day of each mean (hours of one day share
    their day's effect), None when each mean is a day of its own. A negative binomial of that mean and variance."""
    mean = float(means.sum())
    if count <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    per_day = means if days is None else np.bincount(np.unique(days, return_inverse=True)[1], weights=means)
    extra = alpha * float((per_day**2).sum())
    if extra <= 1e-9:
        return float(scipy_stats.poisson.sf(count - 1, mean))
    size = mean**2 / extra
    return float(scipy_stats.nbinom.sf(count - 1, size, size / (size + mean)))


def dispersion(observed: np.ndarray, expected: np.ndarray) -> float:
    """Method of moments: var = mu + alpha mu² over these (daily) totals."""
    if len(observed) < 3 or float((expected**2).sum()) <= 0:
        return 0.0
    return max(0.0, float(((observed - expected) ** 2 - observed).sum() / (expected**2).sum()))


def _daily_sums(hours: np.ndarray, *series: np.ndarray) -> List[np.ndarray]:
    keys = np.array([local(int(h))[0].toordinal() for h in hours])
    _unique, index = np.unique(keys, return_inverse=True)
    return [np.bincount(index, weights=s) for s in series]


@dataclass
class Settings:
    alpha: float
    min_count: int
    cusum_threshold: float


def find(connection: Connection, now: float, settings: Settings) -> List[Alarm]:
    """The series in alarm at `now` (epoch seconds)."""
    now_hour = int(now // 3600)
    first = now_hour - (BASELINE_DAYS + 1) * 24 + 1
    rows = connection.execute(
        select(HOURLY.c.incident, HOURLY.c.hour, HOURLY.c.journeys).where(
            HOURLY.c.channel == ALL, HOURLY.c.hour >= first, HOURLY.c.hour <= now_hour
        )
    ).all()
    oldest = connection.execute(select(HOURLY.c.hour).order_by(HOURLY.c.hour).limit(1)).scalar()
    if not rows or oldest is None or now_hour - oldest < MIN_HISTORY_DAYS * 24:
        return []
    start = max(first, oldest)
    hours = np.arange(start, now_hour + 1)
    series: Dict[str, np.ndarray] = {}
    for incident, hour, journeys in rows:
        if hour >= start:
            series.setdefault(incident, np.zeros(len(hours)))[hour - start] += journeys
    total = series.pop(ALL, np.zeros(len(hours)))
    base = hours < now_hour - 23  # the level's history: not the last 24 hours
    shape = hour_shape(hours[base], total[base])
    full_shape = np.concatenate([shape, hour_shape_tail(hours[~base], hours[base], shape)])
    elapsed = (now - now_hour * 3600) / 3600  # the current hour so far
    weights = np.ones(len(hours))
    weights[-1] = max(elapsed, 0.05)

    levels = {i: float(y[base].sum()) / float(shape.sum()) for i, y in series.items()}
    prior = float(np.mean(list(levels.values()))) if levels else 0.0
    base_shape = float(shape.sum())
    day_counts = {i: _daily_sums(hours[base], y[base]) for i, y in series.items()}
    shape_days = _daily_sums(hours[base], shape)[0]
    raw_alpha = {
        i: dispersion(day_counts[i][0], levels[i] * shape_days) for i in series
    }  # per series, from its complete-ish days
    pooled = float(np.median(list(raw_alpha.values()))) if raw_alpha else 0.0
    n_days = len(shape_days)
    history_days = (now_hour - oldest) / 24
    min_count = settings.min_count * (2 if history_days < BASELINE_DAYS else 1)
    # The cold start's pull towards the incidents' average fades as the series' own history grows: after the 28
    # days it would only bias the level (the largest incident 20 % low, the small ones as much high).
    prior_weight = PRIOR_HOURS * max(0.0, 1.0 - history_days / BASELINE_DAYS)

    tests = max(1, len(series) * (len(WINDOWS) + 1))
    daily = _daily_series(connection, now)
    tests += len(daily)
    threshold = settings.alpha / tests
    alarms: List[Alarm] = []
    share_base = float(total[base].sum())
    day_of = np.array([local(int(h))[0].toordinal() for h in hours])
    for incident, y in series.items():
        level = (float(y[base].sum()) + prior_weight * prior) / (base_shape + prior_weight)
        alpha = max(MIN_ALPHA, (n_days * raw_alpha[incident] + 14 * pooled) / (n_days + 14))
        expected = level * full_shape * weights
        best: Optional[Alarm] = None
        for window in WINDOWS:
            count = int(y[-window:].sum())
            p = upper_p(count, expected[-window:], alpha, day_of[-window:])
            if count >= min_count and p < threshold and (best is None or p < best.p_value):
                best = Alarm(
                    f"incident/{incident}", incident, "", "", count, float(expected[-window:].sum()),
                    utc(now_hour - window + 1), p, f"{window}h",
                )  # fmt: skip
        if share_base > 0:
            share = (float(y[base].sum()) + 1) / (share_base + 1)
            count = int(y[-SHARE_WINDOW:].sum())
            means = total[-SHARE_WINDOW:] * share
            p = upper_p(count, means, alpha, day_of[-SHARE_WINDOW:])
            if count >= min_count and p < threshold and (best is None or p < best.p_value):
                best = Alarm(
                    f"incident/{incident}", incident, "", "", count, float(means.sum()),
                    utc(now_hour - SHARE_WINDOW + 1), p, "share",
                )  # fmt: skip
        if best is None:
            best = _cusum(connection, incident, now, settings.cusum_threshold, min_count)
        if best is not None:
            alarms.append(best)
    in_wave = {a.incident for a in alarms}
    factors = day_factors(hours[base], shape)
    today_fraction = _fraction_of_today(now_hour, elapsed, hours[base], shape)
    today = local(now_hour)[0]
    for (incident, public, channel), (observed, history) in daily.items():
        if incident in in_wave:
            continue
        expected_days = np.array([factors[day_type(d)] for d, _ in history])
        counts = np.array([c for _, c in history], dtype=float)
        level = (counts.sum() + 1) / (expected_days.sum() + 7)  # a week of prior weight at zero: cold start
        alpha = max(MIN_ALPHA, dispersion(counts, level * expected_days), pooled)
        mean = np.array([level * factors[day_type(today)] * today_fraction])
        p = upper_p(observed, mean, alpha)
        if observed >= min_count and p < threshold:
            name = f"incident/{incident}/public/{public}" if public else f"incident/{incident}/channel/{channel}"
            day_start = datetime(today.year, today.month, today.day, tzinfo=PARIS).astimezone(timezone.utc)
            alarms.append(
                Alarm(name, incident, public, channel, int(observed), float(mean.sum()),
                      day_start.replace(tzinfo=None), p, "today")
            )  # fmt: skip
    return alarms


def hour_shape_tail(tail: np.ndarray, base_hours: np.ndarray, base_shape: np.ndarray) -> np.ndarray:
    """The shape of the last 24 hours, read from the baseline's (same day type and local hour)."""
    by_slot: Dict[Tuple[int, int], List[float]] = {}
    for h, s in zip(base_hours, base_shape):
        day, hour = local(int(h))
        by_slot.setdefault((day_type(day), hour), []).append(float(s))
    values = []
    for h in tail:
        day, hour = local(int(h))
        found = by_slot.get((day_type(day), hour))
        values.append(float(np.mean(found)) if found else 1.0)
    return np.array(values)


def day_factors(base_hours: np.ndarray, base_shape: np.ndarray) -> np.ndarray:
    """Expected journeys of a day of each type, in units of the hourly level (24 on an average day)."""
    sums, counts = np.zeros(7), np.zeros(7)
    for h, s in zip(base_hours, base_shape):
        kind = day_type(local(int(h))[0])
        sums[kind] += s
        counts[kind] += 1
    return np.where(counts > 0, 24 * sums / np.maximum(counts, 1), 24.0)


def _fraction_of_today(now_hour: int, elapsed: float, base_hours: np.ndarray, base_shape: np.ndarray) -> float:
    """How much of an ordinary day of today's type has gone by at this local hour."""
    today, hour = local(now_hour)
    kind = int(day_type(today) >= 5)
    profile = np.zeros(24)
    for h, s in zip(base_hours, base_shape):
        day, local_hour = local(int(h))
        if int(day_type(day) >= 5) == kind:
            profile[local_hour] += s
    if profile.sum() <= 0:
        return (hour + elapsed) / 24
    profile = profile / profile.sum()
    return float(profile[:hour].sum() + profile[hour] * elapsed)


def _daily_series(connection: Connection, now: float) -> Dict[Tuple[str, str, str], Tuple[int, List]]:
    """Per incident × public and incident × channel: today's count so far and the history of complete days."""
    today = datetime.fromtimestamp(now, PARIS).date()
    since = today - timedelta(days=BASELINE_DAYS + 1)
    rows = connection.execute(
        select(ROLLUP.c.public, ROLLUP.c.channel, ROLLUP.c.incident, ROLLUP.c.day, ROLLUP.c.journeys).where(
            ROLLUP.c.region == ALL,
            ROLLUP.c.incident != ALL,
            ROLLUP.c.day >= since,
            ROLLUP.c.day <= today,
            or_(
                and_(ROLLUP.c.public != ALL, ROLLUP.c.public != "", ROLLUP.c.channel == ALL),
                and_(ROLLUP.c.public == ALL, ROLLUP.c.channel != ALL),
            ),
        )
    ).all()
    found: Dict[Tuple[str, str, str], Dict[date, int]] = {}
    for public, channel, incident, day, journeys in rows:
        key = (incident, "" if public == ALL else public, "" if channel == ALL else channel)
        found.setdefault(key, {})[day] = journeys
    result = {}
    for key, days in found.items():
        history = [(since + timedelta(days=n), days.get(since + timedelta(days=n), 0)) for n in range(BASELINE_DAYS)]
        result[key] = (days.get(today, 0), history)
    return result


def _cusum(connection: Connection, incident: str, now: float, threshold: float, min_count: int) -> Optional[Alarm]:
    """The slow rise of an incident's daily share, one-sided CUSUM of standardised residuals."""
    today = datetime.fromtimestamp(now, PARIS).date()
    since = today - timedelta(days=CUSUM_DAYS + CUSUM_BASELINE_DAYS)
    rows = connection.execute(
        select(ROLLUP.c.incident, ROLLUP.c.day, ROLLUP.c.journeys).where(
            ROLLUP.c.public == ALL,
            ROLLUP.c.channel == ALL,
            ROLLUP.c.region == ALL,
            ROLLUP.c.incident.in_((incident, ALL)),
            ROLLUP.c.day >= since,
            ROLLUP.c.day < today,
        )
    ).all()
    days = [since + timedelta(days=n) for n in range(CUSUM_DAYS + CUSUM_BASELINE_DAYS)]
    index = {d: n for n, d in enumerate(days)}
    mine, everyone = np.zeros(len(days)), np.zeros(len(days))
    for name, day, journeys in rows:
        (everyone if name == ALL else mine)[index[day]] += journeys
    base = np.arange(len(days)) < CUSUM_BASELINE_DAYS
    base &= everyone > 0
    if base.sum() < 14 or everyone[base].sum() <= 0:
        return None
    share = mine[base].sum() / everyone[base].sum()
    expected = everyone * share
    alpha = max(MIN_ALPHA, dispersion(mine[base], expected[base]))
    total, run_start, run_count, run_expected = 0.0, None, 0.0, 0.0
    for n in range(CUSUM_BASELINE_DAYS, len(days)):
        mu = expected[n]
        if mu <= 0:
            continue
        z = (mine[n] - mu) / np.sqrt(mu + alpha * mu * mu)
        total = max(0.0, total + z - CUSUM_SLACK)
        if total == 0:
            run_start, run_count, run_expected = None, 0.0, 0.0
        else:
            run_start = run_start if run_start is not None else days[n]
            run_count += mine[n]
            run_expected += mu
    if total < threshold or run_start is None or run_count < min_count:
        return None
    start = datetime(run_start.year, run_start.month, run_start.day, tzinfo=PARIS).astimezone(timezone.utc)
    return Alarm(
        f"incident/{incident}", incident, "", "", int(run_count), float(run_expected), start.replace(tzinfo=None),
        0.0, "cusum",
    )  # fmt: skip


def series_names(alarms: Sequence[Alarm]) -> List[str]:
    return [a.series for a in alarms]
