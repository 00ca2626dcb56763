"""Settings: one typed object from the environment, bad values named in French, and the README's table in step."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot import settings

ROOT = Path(__file__).resolve().parent.parent


def readme_variables() -> set:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def test_the_readme_lists_exactly_the_settings():
    assert readme_variables() == {variable.name for variable in settings.VARIABLES}


def test_defaults_need_no_configuration():
    loaded = settings.load({})
    assert loaded.database_url == f"sqlite:///{settings.PROJECT_ROOT / 'var' / 'cyberaide.db'}"
    assert loaded.redis_url is None and loaded.telegram_mode is None and loaded.sms_mode is None
    assert loaded.channel_rate_limit == 20 and loaded.staff_session_seconds == 8 * 3600
    assert loaded.providers_demo_seed is True and loaded.keep_original_text is False
    assert loaded.review_story_export_dir == settings.PROJECT_ROOT / "var" / "exports" / "stories"
    assert loaded.scrub_interval_seconds == 300 and loaded.review_refresh_seconds == 30


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("HANDOVER_WAIT_SECONDS", "5m", "HANDOVER_WAIT_SECONDS='5m' n'est pas un nombre entier de secondes"),
        ("RETENTION_DAYS", "0", "RETENTION_DAYS='0' doit valoir au moins 1"),
        ("SCRUB_INTERVAL_SECONDS", "5m", "SCRUB_INTERVAL_SECONDS='5m' n'est pas un nombre entier de secondes"),
        ("REVIEW_LOW_CONFIDENCE", "50%", "REVIEW_LOW_CONFIDENCE='50%' n'est pas un nombre entre 0 et 1"),
        ("KEEP_ORIGINAL_TEXT", "peut-être", "KEEP_ORIGINAL_TEXT='peut-être' doit valoir 1 (oui) ou 0 (non)"),
        ("SMS_API_BASE_URL", "api.twilio.com", "SMS_API_BASE_URL='api.twilio.com' n'est pas une adresse web"),
        ("REDIS_URL", "127.0.0.1:6379", "REDIS_URL='127.0.0.1:6379' n'est pas une URL Redis"),
        ("DATABASE_URL", "pas une url", "DATABASE_URL='pas une url' n'est pas une URL de base de données"),
        ("TRUSTED_PROXIES", "-1", "TRUSTED_PROXIES='-1' doit valoir au moins 0"),
        ("REDIS_KEY_PREFIX", "cyberaide-prod", "REDIS_KEY_PREFIX='cyberaide-prod' : des lettres et des chiffres"),
        ("SANIC_WORKERS", "2", "SANIC_WORKERS=2 demande REDIS_URL"),
        (
            "HANDOVER_OPENING_HOURS",
            "lundi-vendredi 9h-18h",
            "HANDOVER_OPENING_HOURS : 'lundi-vendredi 9h-18h' n'est pas compris",
        ),
        (
            "HANDOVER_OPENING_HOURS",
            "lun-ven 09:00-25:00",
            "HANDOVER_OPENING_HOURS : 'lun-ven 09:00-25:00' contient une heure",
        ),
    ],
)
def test_a_bad_value_is_refused_with_its_name(name, value, expected):
    with pytest.raises(settings.SettingsError, match=re.escape(expected)):
        settings.load({name: value})


REDIS = {"REDIS_URL": "redis://127.0.0.1:6379/0"}


def test_several_workers_only_where_they_share_their_state(monkeypatch):
    monkeypatch.setattr(settings.os, "cpu_count", lambda: 4)
    assert settings.load({}).workers == 1, "no Redis: one process"
    assert settings.load(REDIS).workers == 4, "one per core with Redis"
    assert settings.load({**REDIS, "SANIC_WORKERS": "3"}).workers == 3
    polling = {**REDIS, "TELEGRAM_TOKEN": "123:abc"}
    assert settings.load(polling).workers == 1, "Telegram long polling: one process polls"
    with pytest.raises(settings.SettingsError, match="SANIC_WORKERS=2 demande TELEGRAM_WEBHOOK_URL"):
        settings.load({**polling, "SANIC_WORKERS": "2"})
    with pytest.raises(settings.SettingsError, match="PROMETHEUS_MULTIPROC_DIR"):
        settings.load({**REDIS, "SANIC_WORKERS": "2", "METRICS_TOKEN": "t"})


def test_every_bad_value_is_listed_at_once():
    with pytest.raises(settings.SettingsError) as error:
        settings.load({"PORT": "http", "STAFF_SESSION_HOURS": "huit"})
    assert "PORT=" in str(error.value) and "STAFF_SESSION_HOURS=" in str(error.value)


def test_values_are_read_as_people_write_them():
    loaded = settings.load(
        {
            "KEEP_ORIGINAL_TEXT": "Oui",
            "PROVIDERS_DEMO_SEED": "non",
            "REVIEW_LOW_CONFIDENCE": "0,7",
            "TELEGRAM_TOKEN": " 123:abc ",
            "SMS_API_BASE_URL": "https://api.example.org/",
            "SMS_AUTH_TOKEN": "t",
        }
    )
    assert loaded.keep_original_text and not loaded.providers_demo_seed
    assert loaded.review_low_confidence == 0.7 and loaded.telegram_token == "123:abc"
    assert loaded.telegram_mode == "polling" and loaded.sms_mode == "twiml"
    assert loaded.sms_api_base_url == "https://api.example.org"


def test_current_follows_the_environment(monkeypatch):
    monkeypatch.setenv("CHANNEL_RATE_LIMIT_PER_MINUTE", "7")
    assert settings.current().channel_rate_limit == 7
    monkeypatch.setenv("CHANNEL_RATE_LIMIT_PER_MINUTE", "8")
    assert settings.current().channel_rate_limit == 8


def test_the_check_command_stops_on_a_bad_value_and_hides_secrets():
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    bad = subprocess.run(
        [sys.executable, "-m", "bot.settings"], env={**env, "HANDOVER_WAIT_SECONDS": "5m"}, capture_output=True
    )
    assert bad.returncode == 2 and "HANDOVER_WAIT_SECONDS='5m'" in bad.stderr.decode()
    good = subprocess.run(
        [sys.executable, "-m", "bot.settings", "--show"], env={**env, "REST_TOKEN": "s3cr3t"}, capture_output=True
    )
    assert good.returncode == 0 and "s3cr3t" not in good.stdout.decode() and "REST_TOKEN" in good.stdout.decode()
