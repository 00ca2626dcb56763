"""New observatory alerts delivered (console/observatory/alert_delivery.py) to a Mattermost/Slack-compatible webhook
and by e-mail, and published notices posted to the service's Telegram channel (console/observatory/alert_telegram.py),
each against a local stand-in: what arrives, that only the redacted sample leaves, and that a dead, slow or refusing
destination is logged and never raised."""

from __future__ import annotations

import email
import time
from datetime import datetime
from email.policy import default

import pytest

from bot import db, notices
from console.observatory import alert_delivery, alert_telegram
from console.observatory.alert_models import CAMPAIGN, NEW, WAVE, ObservatoryAlert
from tests.support.mail_standins import SmtpStandIn, WebhookStandIn, closed_port
from tests.telegram_standin import BotApiStandIn

SAMPLE = "Bonjour «nom masqué», je suis un hacker. Envoyez 750 euros en Bitcoin à «adresse crypto masquée»."


def campaign(**more) -> ObservatoryAlert:
    values = dict(
        id=41,
        kind=CAMPAIGN,
        key="campaign:sextorsion:2026-12-03T08",
        incident="sextorsion",
        public="",
        channel="",
        count=36,
        baseline=0.0,
        first_at=datetime(2026, 12, 3, 8, 0),
        last_at=datetime(2026, 12, 3, 10, 0),
        sample=SAMPLE,
        sample_sender_id="web:secret-session-id",
        indicators={"wallet": 30, "domain": 12},
        state=NEW,
    )
    values.update(more)
    return ObservatoryAlert(**values)


@pytest.fixture
def webhook(monkeypatch):
    server = WebhookStandIn()
    monkeypatch.setenv("ALERT_WEBHOOK_URL", server.url)
    yield server
    server.stop()


@pytest.fixture
def smtp(monkeypatch):
    server = SmtpStandIn()
    for name, value in {
        "ALERT_SMTP_HOST": "127.0.0.1",
        "ALERT_SMTP_PORT": str(server.port),
        "ALERT_SMTP_STARTTLS": "0",
        "ALERT_SMTP_FROM": "observatoire@cyberaide.example",
        "ALERT_SMTP_TO": "astreinte@cyberaide.example, chef@cyberaide.example",
    }.items():
        monkeypatch.setenv(name, value)
    yield server
    server.stop()


def test_a_new_campaign_reaches_the_webhook_as_french_text_with_the_redacted_sample_only(webhook, monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "https://cyberaide.example")
    assert alert_delivery.deliver(campaign()) == {"webhook": True, "email": None}
    (call,) = webhook.received
    assert call["path"] == "/hooks/abc123" and call["type"] == "application/json"
    assert set(call["body"]) == {"text"}
    text = call["body"]["text"]
    assert text.startswith("Cyberaide – nouvelle alerte de l'observatoire : Campagne « ")
    assert "36 parcours du 03/12/2026 08:00 UTC au 03/12/2026 10:00 UTC." in text
    assert "«adresse crypto masquée»" in text and "portefeuille crypto (30)" in text
    assert "https://cyberaide.example/console/alertes" in text
    assert "secret-session-id" not in text, "never the conversation the sample comes from"


def test_a_wave_says_its_baseline_and_a_long_sample_is_cut(webhook):
    alert_delivery.deliver(campaign(kind=WAVE, baseline=4.25, sample="", indicators={}))
    alert_delivery.deliver(campaign(sample="mot " * 400))
    wave, long = (call["body"]["text"] for call in webhook.received)
    assert "(attendu : 4.2)." in wave or "(attendu : 4.3)." in wave
    assert "Exemple" not in wave
    sample_line = [line for line in long.splitlines() if line.startswith("Exemple")][0]
    assert len(sample_line) < alert_delivery.SAMPLE_CHARS + 40 and sample_line.endswith("…")


def test_a_dead_refusing_or_slow_webhook_is_logged_not_raised(monkeypatch, caplog):
    monkeypatch.setenv("ALERT_WEBHOOK_URL", f"http://127.0.0.1:{closed_port()}/hooks/x")
    assert alert_delivery.deliver(campaign())["webhook"] is False
    refusing = WebhookStandIn(status=500)
    slow = WebhookStandIn(delay=alert_delivery.TIMEOUT_SECONDS + 2)
    try:
        monkeypatch.setenv("ALERT_WEBHOOK_URL", refusing.url)
        assert alert_delivery.deliver(campaign())["webhook"] is False and len(refusing.received) == 1
        monkeypatch.setenv("ALERT_WEBHOOK_URL", slow.url)
        started = time.monotonic()
        assert alert_delivery.deliver(campaign())["webhook"] is False
        assert time.monotonic() - started < alert_delivery.TIMEOUT_SECONDS + 1.5
    finally:
        refusing.stop()
        slow.stop()
    assert "the webhook failed" in caplog.text and "hooks" not in caplog.text, "the URL (a secret) is not logged"


def test_the_alert_is_mailed_to_every_recipient_signed_in_when_a_user_is_set(smtp, monkeypatch):
    monkeypatch.setenv("ALERT_SMTP_USER", "cyberaide")
    monkeypatch.setenv("ALERT_SMTP_PASSWORD", "mot de passe smtp")
    assert alert_delivery.deliver(campaign()) == {"webhook": None, "email": True}
    (sent,) = smtp.messages
    assert sent["from"] == "observatoire@cyberaide.example"
    assert sent["to"] == ["astreinte@cyberaide.example", "chef@cyberaide.example"]
    assert smtp.logins == ["cyberaide"]
    message = email.message_from_bytes(sent["data"], policy=default)
    assert message["Subject"].startswith("[Cyberaide] Alerte : campagne")
    body = message.get_content()
    assert "«adresse crypto masquée»" in body and "secret-session-id" not in body


def test_starttls_required_by_default_so_a_server_without_it_gets_nothing(smtp, monkeypatch, caplog):
    monkeypatch.delenv("ALERT_SMTP_STARTTLS")
    assert alert_delivery.deliver(campaign())["email"] is False
    assert smtp.messages == [] and "the e-mail failed" in caplog.text


def test_mail_is_off_without_recipients_and_a_dead_server_is_logged(monkeypatch):
    monkeypatch.setenv("ALERT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ALERT_SMTP_FROM", "observatoire@cyberaide.example")
    assert alert_delivery.deliver(campaign())["email"] is None
    monkeypatch.setenv("ALERT_SMTP_TO", "astreinte@cyberaide.example")
    monkeypatch.setenv("ALERT_SMTP_PORT", str(closed_port()))
    assert alert_delivery.deliver(campaign())["email"] is False


# --- the service's Telegram channel -------------------------------------------------------------------------------
NOTICE = notices.Notice(
    7,
    "sextorsion",
    "Faux piratage <b>webcam</b>",
    "Un e-mail prétend que vous avez été filmé.",
    "Ne payez pas.",
    datetime(2026, 12, 3, 11, 0),
    datetime(2026, 12, 10, 11, 0),
)
CHAT = -1001234567890


@pytest.fixture
def telegram(monkeypatch):
    api = BotApiStandIn("123456:ALERTS").start()
    monkeypatch.setenv("TELEGRAM_TOKEN", "123456:ALERTS")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.url)
    yield api
    api.stop()


def test_a_published_notice_is_posted_to_the_channel_as_plain_text(telegram, monkeypatch):
    assert alert_telegram.post(NOTICE) is False, "off without TELEGRAM_ALERTS_CHAT_ID"
    assert telegram.calls_to("sendMessage") == []
    monkeypatch.setenv("TELEGRAM_ALERTS_CHAT_ID", str(CHAT))
    monkeypatch.setenv("PUBLIC_URL", "https://cyberaide.example")
    assert alert_telegram.post(NOTICE) is True
    (params,) = telegram.calls_to("sendMessage")
    assert int(params["chat_id"]) == CHAT and "parse_mode" not in params, "a supervisor's <b> stays text"
    assert params["text"].startswith("Vague en cours (") and "Faux piratage <b>webcam</b>" in params["text"]
    assert params["text"].endswith("https://cyberaide.example/alertes")


def test_a_refused_or_unreachable_post_is_logged_and_the_notice_stands(telegram, monkeypatch):
    monkeypatch.setenv("TELEGRAM_ALERTS_CHAT_ID", str(CHAT))
    telegram.go_down(CHAT)
    assert alert_telegram.post(NOTICE) is False
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    assert alert_telegram.post(NOTICE) is False


# --- registered on the detection job ------------------------------------------------------------------------------
def test_detection_delivers_each_wave_once_and_a_dead_webhook_does_not_stop_it(tmp_path, monkeypatch, caplog):
    from console.observatory import detect, refresh
    from tests.databases import temporary_database
    from tests.test_observatory_waves import alerts, epoch, plant, run_hourly

    received = WebhookStandIn()
    monkeypatch.setattr(detect, "on_new_alert", [])
    alert_delivery.register()
    alert_delivery.register()  # once only, however often the server starts its jobs
    assert detect.on_new_alert == [alert_delivery.on_new_alert]
    wave_start = int(epoch(2026, 5, 20, 9) // 3600)

    def extra(hour, incident):
        return 12.0 if incident == "sextorsion" and wave_start <= hour < wave_start + 8 else 0.0

    try:
        with temporary_database("sqlite", tmp_path) as url:
            monkeypatch.setenv("DATABASE_URL", url)
            refresh.ensure_schema(db.engine(url))
            plant(url, epoch(2026, 4, 10), wave_start * 3600)
            monkeypatch.setenv("ALERT_WEBHOOK_URL", f"http://127.0.0.1:{closed_port()}/hooks/x")
            run_hourly(url, wave_start * 3600, 3, extra)  # the wave starts: its alert, to a dead webhook
            assert [a.incident for a in alerts(url)] == ["sextorsion"], "detection went on and saved it"
            assert caplog.text.count("the webhook failed") == 1, "the new alert was delivered (and failed) once"
            monkeypatch.setenv("ALERT_WEBHOOK_URL", received.url)
            run_hourly(url, wave_start * 3600 + 3 * 3600, 5, extra)  # the same wave goes on: no new delivery
            assert received.received == []
            assert len(alerts(url)) == 1 and alerts(url)[0].count >= 36
    finally:
        received.stop()
