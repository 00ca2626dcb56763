"""The statistics page's filters: what a supervisor's query string may ask for, and what it gets instead."""

from __future__ import annotations

from datetime import date

from console.observatory import page
from console.observatory.stats import UNKNOWN
from tests.support.cli import observatory

TODAY = date(2026, 12, 3)


def test_no_filter_gives_the_last_ninety_days():
    filters, message = page.read_filters({}, TODAY)
    assert (filters.since, filters.until, message) == (date(2026, 9, 5), TODAY, None)
    assert (filters.public, filters.channel, filters.region) == ("", "", "")


def test_bad_dates_fall_back_to_the_defaults_with_a_french_message():
    for args in ({"du": "<script>"}, {"au": "2026-13-40"}, {"du": "2026-12-01", "au": "2026-11-01"}):
        filters, message = page.read_filters(args, TODAY)
        assert filters.until == TODAY and (TODAY - filters.since).days == page.DEFAULT_DAYS - 1
        assert message and ("Date invalide" in message or "après la date de fin" in message)
        assert "<script>" not in message


def test_the_future_is_cut_to_today_and_a_long_period_to_the_limit():
    filters, _ = page.read_filters({"du": "2026-11-01", "au": "2030-01-01"}, TODAY)
    assert filters.until == TODAY
    filters, message = page.read_filters({"du": "2000-01-01"}, TODAY)
    assert (filters.until - filters.since).days + 1 == page.MAX_DAYS and "limitée" in message


def test_only_known_publics_channels_and_regions_filter():
    filters, message = page.read_filters({"public": "admin' OR 1=1", "canal": "fax", "region": "Atlantide"}, TODAY)
    assert (filters.public, filters.channel, filters.region) == ("", "", "") and "Région inconnue" in message
    filters, message = page.read_filters({"public": "collectivite", "canal": "sms", "region": "Bretagne"}, TODAY)
    assert (filters.public, filters.channel, filters.region, message) == ("collectivite", "sms", "Bretagne", None)
    assert page.read_filters({"public": UNKNOWN, "region": UNKNOWN}, TODAY)[0].region == UNKNOWN


def test_a_long_period_is_drawn_per_week_and_a_short_one_per_day():
    short, _ = page.read_filters({"du": "2026-11-01"}, TODAY)
    assert len(page._periods(short)) == 33
    long, _ = page.read_filters({"du": "2026-01-01"}, TODAY)
    weeks = page._periods(long)
    assert all(day.weekday() == 0 for day in weeks) and 48 <= len(weeks) <= 50


def test_the_observatory_command_line_passes_provider_feedback_on(tmp_path):
    bad = tmp_path / "retours.csv"
    bad.write_text("prestataire,mois,incident,public,departement,resultat,nombre\n999999,2026-11,rien,,,,1\n")
    done = observatory(f"sqlite:///{tmp_path / 'db.sqlite'}", "feedback", "import", str(bad))
    assert done.returncode == 2 and "rien n'a été enregistré" in done.stdout and "ligne 2" in done.stdout
