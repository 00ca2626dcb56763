"""End to end over HTTP: the real Rasa server and action server, the REST channel, a real SQLite tracker store."""

import uuid

import pytest
import requests
import sqlalchemy as sa

from channels.common import SAFETY_REPLY
from tests.conftest import METRICS_TOKEN, Bot, free_port, start_rasa_server


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def test_greeting_then_incident_gets_a_french_diagnosis(bot: Bot):
    sender = new_sender()
    assert "Bonjour" in bot.text(bot.say(sender, "bonjour"))
    reply = bot.text(bot.say(sender, "on a piraté mon compte facebook"))
    assert "vous semblez être victime d'un piratage de compte" in reply
    assert "Premier réflexe :" in reply


def test_emergency_numbers_come_first_whatever_the_incident(bot: Bot):
    replies = bot.say(new_sender(), "il a mes photos intimes et menace de les publier, je vais me tuer")
    assert "17" in replies[0]["text"] and "112" in replies[0]["text"] and "3114" in replies[0]["text"]


def test_conversation_is_stored_in_the_sql_tracker_store(bot: Bot):
    sender = new_sender()
    bot.say(sender, "j'ai reçu un sms chronopost avec un lien pour payer des frais")
    engine = sa.create_engine(bot.database_url)
    with engine.connect() as connection:
        types = [
            row.type_name
            for row in connection.execute(
                sa.text("SELECT type_name FROM events WHERE sender_id = :s ORDER BY id"),
                {"s": Bot.conversation_id(sender)},
            )
        ]
    assert "user" in types and "bot" in types


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "🙏😭😭😭",
        "\x00\x01\x02\x03\xff\xfe binary \udcff junk \x7f",
        "Hello, my Instagram account was hacked yesterday, can you help me please?",
        "mon compte a été piraté. " * 800,  # 20 kB
        None,
        12345,
    ],
    ids=["empty", "blank", "emoji", "binary", "english", "20kB", "null", "number"],
)
def test_bad_input_gets_a_french_answer_and_the_server_keeps_serving(bot: Bot, message):
    sender = new_sender()
    replies = bot.say(sender, message)
    assert replies, "the victim must always get a reply"
    text = bot.text(replies)
    assert "Traceback" not in text and "Error" not in text
    assert any(word in text for word in ("vous", "Vous", "votre", "Votre"))
    assert bot.say(sender, "bonjour"), "the server must still answer afterwards"


def test_malformed_requests_get_a_clear_400(bot: Bot):
    url = f"{bot.base_url}/webhooks/rest/webhook"
    for body in (b"not json", b"\xff\xfe\x00", b"[1, 2]"):
        response = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=10)
        assert response.status_code == 400
        assert "Requête invalide" in response.json()["error"]


def test_demo_page_is_served_at_the_root(bot: Bot):
    response = requests.get(bot.base_url + "/", timeout=10)
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text


@pytest.fixture(scope="module")
def bot_without_actions(tmp_path_factory):
    """A Rasa server whose action server is down (nothing listens on its port)."""
    tmp = tmp_path_factory.mktemp("no_actions")
    database_url = f"sqlite:///{tmp / 'test.db'}"
    server, base_url = start_rasa_server(tmp, database_url, f"http://127.0.0.1:{free_port()}/webhook")
    yield Bot(base_url, database_url)
    server.stop()


def test_action_server_down_still_gets_a_useful_french_reply(bot_without_actions: Bot):
    sender = new_sender()
    replies = bot_without_actions.say(sender, "on a piraté mon compte instagram et il demande de l'argent à mes amis")
    assert bot_without_actions.text(replies) == SAFETY_REPLY
    # Responses that need no custom action still work, and the emergency numbers never depend on the actions.
    emergency = bot_without_actions.say(sender, "je vais me tuer")
    assert "3114" in emergency[0]["text"]


# --- health and metrics (channels/health.py) ---------------------------------------------------------------------
def test_ready_when_every_part_answers(bot: Bot):
    answer = requests.get(f"{bot.base_url}/health/ready", timeout=30)
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "checks": {"model": "ok", "database": "ok", "redis": "absent", "action_server": "ok"},
    }
    assert requests.get(f"{bot.base_url}/health/live", timeout=30).json() == {"status": "ok"}


def test_not_ready_when_the_action_server_is_down(bot_without_actions: Bot):
    answer = requests.get(f"{bot_without_actions.base_url}/health/ready", timeout=30)
    assert answer.status_code == 503
    assert answer.json()["checks"]["action_server"] == "en panne"


def test_metrics_count_messages_per_channel_behind_the_token(bot: Bot):
    url = f"{bot.base_url}/metrics"
    assert requests.get(url, timeout=30).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer wrong"}, timeout=30).status_code == 401
    bot.say(new_sender(), "zxqv wpt blorf")  # not understood
    answer = requests.get(url, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30)
    assert answer.status_code == 200
    figures = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in answer.text.splitlines()
        if line and not line.startswith("#")
    }
    assert figures['cyberaide_messages_total{channel="rest"}'] >= 1
    assert figures['cyberaide_fallbacks_total{channel="rest"}'] >= 1
    assert figures['cyberaide_reply_seconds_count{channel="rest"}'] >= 1
    assert figures["cyberaide_handovers_waiting"] >= 0
