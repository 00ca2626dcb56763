"""The benchmarks' simulated victims keep their local hours on the days the clocks change.

The observatory's wave benchmark watches a simulated year; a simulation that shifted a day by an hour would show
the detector a wave that no victim made (it did, on 25 October 2026)."""

from datetime import date, datetime

from benchmarks.bench_observatory_stats import PARIS, local_moment


def _wall(moment: float) -> str:
    return datetime.fromtimestamp(moment, PARIS).strftime("%Y-%m-%d %H:%M")


def test_seven_hours_after_midnight_is_seven_o_clock_on_the_25_and_23_hour_days():
    assert _wall(local_moment(date(2026, 10, 25), 7 * 3600)) == "2026-10-25 07:00"  # clocks back at 03:00
    assert _wall(local_moment(date(2026, 3, 29), 7 * 3600)) == "2026-03-29 07:00"  # clocks forward at 02:00
    assert _wall(local_moment(date(2026, 10, 25), 23 * 3600 - 60)) == "2026-10-25 22:59"


def test_the_25_hour_day_lasts_25_hours_of_epoch_time():
    day = date(2026, 10, 25)
    assert local_moment(day, 23 * 3600) - local_moment(day, 0) == 24 * 3600  # 00:00 to 23:00 local
