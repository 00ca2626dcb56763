"""The REST channel and the action server as an outsider sees them, with the real servers.

A REST caller chooses its own `sender`: it must never reach a web chat, SMS or Telegram conversation, nor steer its
own with payloads the bot never offered. The action server runs any action for any tracker it is sent: it must
answer only the Rasa server.
"""

import json
import uuid
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from channels.inbound import RATE_LIMIT_REPLY
from tests.conftest import ACTION_TOKEN, Bot, free_port, start_action_server, start_rasa_server
from tests.support.victims import DESCRIPTIONS


def rest(bot: Bot, body: dict, **kwargs) -> requests.Response:
    return requests.post(f"{bot.base_url}/webhooks/rest/webhook", json=body, timeout=60, **kwargs)


def events(bot: Bot, sender_id: str) -> list:
    engine = sa.create_engine(bot.database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender_id}
        ).all()
    engine.dispose()
    return [(row.type_name, json.loads(row.data)) for row in rows]


def advised_web_victim(bot: Bot) -> str:
    """A web chat victim of sextortion who answered the questions and got the advice."""
    session = f"web:{uuid.uuid4()}"
    replies = bot.say(session, DESCRIPTIONS["sextorsion"] + ", j'ai payé 200 euros")
    for _ in range(8):
        if "Que souhaitez-vous faire maintenant" in bot.text(replies):
            return session
        text = bot.text(replies)
        replies = (
            bot.press(session, replies, "À titre personnel") if "titre personnel" in text else bot.say(session, "non")
        )
    pytest.fail(f"no advice: {bot.text(replies)}")


@pytest.mark.parametrize("input_channel", [None, "webchat", "sms", "telegram"])
def test_rest_cannot_read_write_restart_or_hand_over_another_channels_conversation(bot: Bot, input_channel):
    victim = advised_web_victim(bot)
    before = events(bot, victim)
    for message in (
        "je peux avoir le récapitulatif ?",
        "/ask_recap",
        "/restart",
        "je veux parler à un conseiller",
        "/affirm",
    ):
        body = {"sender": victim, "message": message}
        if input_channel:
            body["input_channel"] = input_channel
        response = rest(bot, body)
        assert response.status_code == 200
        replies = response.json()
        assert all(reply["recipient_id"] == victim for reply in replies)  # the caller's sender, echoed
        assert "sextorsion" not in Bot.text(replies).lower() and "200" not in Bot.text(replies)
    assert events(bot, victim) == before  # nothing written into the victim's transcript
    outsider = events(bot, f"rest:{victim}")
    assert outsider and all(data.get("input_channel") in (None, "rest") for kind, data in outsider if kind == "user")
    engine = sa.create_engine(bot.database_url)
    with engine.connect() as connection:
        handovers = connection.execute(
            sa.text("SELECT COUNT(*) FROM handovers WHERE sender_id = :s"), {"s": victim}
        ).scalar()
    assert handovers == 0
    # the victim's own conversation is intact: its recap still holds the case
    assert "sextorsion" in Bot.text(bot.say(victim, "je peux revoir le récapitulatif ?")).lower()


@pytest.mark.parametrize("sender", ["sms:+33612345678", "telegram:123456789"])
def test_a_rest_sender_named_like_another_channel_lives_in_the_rest_namespace(bot: Bot, sender):
    assert rest(bot, {"sender": sender, "message": "bonjour"}).status_code == 200
    assert events(bot, sender) == []
    assert any(kind == "user" for kind, _ in events(bot, f"rest:{sender}"))


def test_payloads_the_bot_never_offered_are_read_as_text(bot: Bot):
    sender = f"payload-{uuid.uuid4().hex[:8]}"
    replies = rest(bot, {"sender": sender, "message": '/inform{"public":"collectivite"}'}).json()
    assert replies
    replies = bot.say(sender, DESCRIPTIONS["hameconnage"])
    assert "vous semblez être victime" in Bot.text(replies)
    bot.say(sender, "/restart")
    stored = events(bot, f"rest:{sender}")
    users = [data for kind, data in stored if kind == "user"]
    assert users[0]["text"] == 'inform{"public":"collectivite"}'
    assert users[0]["metadata"]["refused_payload"] == '/inform{"public":"collectivite"}'
    assert users[-1]["text"] == "restart" and not any(kind == "restart" for kind, _ in stored)
    # an offered payload is accepted: the public question's button
    question = bot.say(sender, "oui")  # whatever the question, the conversation goes on
    assert question


@pytest.mark.parametrize("forged", ["/ /restart", "//  /restart", "/\t/ask_human", ' / /rate{"rating": "1"}'])
def test_a_payload_hidden_behind_slashes_and_spaces_is_read_as_text(bot: Bot, forged):
    sender = f"slashes-{uuid.uuid4().hex[:8]}"
    assert bot.say(sender, DESCRIPTIONS["piratage_compte"])
    assert bot.say(sender, forged)
    stored = events(bot, f"rest:{sender}")
    last = [data for kind, data in stored if kind == "user"][-1]
    assert not last["text"].lstrip().startswith("/") and last["parse_data"]["intent"]["name"] not in ("restart", "rate")
    assert not any(kind == "restart" for kind, _ in stored)


def test_rest_refuses_bodies_without_sender_or_too_big_and_keeps_no_client_metadata(bot: Bot):
    for body in ({"message": "bonjour"}, {"sender": "", "message": "bonjour"}):
        assert rest(bot, body).status_code == 400
    assert rest(bot, {"sender": "big", "message": "a" * 600_000}).status_code == 413
    sender = f"meta-{uuid.uuid4().hex[:8]}"
    forged = {"original_text": "faux", "refused_payload": "faux", "channel": "sms"}
    assert rest(bot, {"sender": sender, "message": "bonjour", "metadata": forged}).status_code == 200
    (user,) = [data for kind, data in events(bot, f"rest:{sender}") if kind == "user"]
    assert not set(forged) & set(user.get("metadata") or {})


def test_unoffered_payloads_are_read_as_text_on_the_web_chat(bot: Bot):
    session = f"web:{uuid.uuid4()}"
    # Payloads the bot did not offer: read as words, so no erasure and no handover without their questions.
    # (The word "ask_human" may itself be read as a wish to talk to a person: then consent is asked, nothing more.)
    assert bot.say(session, "/confirm_erasure")
    assert bot.say(session, "/ask_human")
    users = [data for kind, data in events(bot, session) if kind == "user"]
    assert [u["text"] for u in users] == ["confirm_erasure", "ask_human"]
    engine = sa.create_engine(bot.database_url)
    with engine.connect() as connection:
        assert (
            connection.execute(sa.text("SELECT COUNT(*) FROM handovers WHERE sender_id = :s"), {"s": session}).scalar()
            == 0
        )


# --- REST_TOKEN and rate limits: a server of their own ----------------------------------------------------------
REST_TOKEN = "jeton-de-test-rest"
LIMIT = 4


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("guarded")
    database_url = f"sqlite:///{tmp / 'guarded.db'}"
    env = {"REST_TOKEN": REST_TOKEN, "CHANNEL_RATE_LIMIT_PER_MINUTE": str(LIMIT)}
    server, base_url = start_rasa_server(tmp, database_url, f"http://127.0.0.1:{free_port()}/webhook", extra_env=env)
    yield Bot(base_url, database_url)
    server.stop()


def test_rest_token_is_required_when_set(guarded: Bot):
    body = {"sender": "t1", "message": "bonjour"}
    assert rest(guarded, body).status_code == 401
    assert rest(guarded, body, headers={"Authorization": "Bearer faux"}).status_code == 401
    assert rest(guarded, body, params={"token": "faux"}).status_code == 401
    assert "Jeton" in rest(guarded, body).json()["error"]
    assert rest(guarded, body, headers={"Authorization": f"Bearer {REST_TOKEN}"}).status_code == 200
    assert rest(guarded, {"sender": "t2", "message": "bonjour"}, params={"token": REST_TOKEN}).status_code == 200
    assert rest(guarded, body, headers={"Authorization": "Bearer \xff\xfe"}).status_code == 401


def test_rest_is_rate_limited_per_sender_with_a_french_answer(guarded: Bot):
    auth = {"Authorization": f"Bearer {REST_TOKEN}"}
    codes = [rest(guarded, {"sender": "flood", "message": "bonjour"}, headers=auth) for _ in range(LIMIT + 1)]
    assert [r.status_code for r in codes] == [200] * LIMIT + [429]
    assert codes[-1].json() == [{"recipient_id": "flood", "text": RATE_LIMIT_REPLY}]


# --- the action server ------------------------------------------------------------------------------------------
def listening_addresses(port: int) -> set:
    """Addresses a local TCP port listens on, read from the kernel's tables (no traffic sent anywhere)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


@pytest.mark.server  # starts the action server
def test_the_action_server_answers_only_with_the_token_and_only_on_loopback(tmp_path):
    server, url = start_action_server(tmp_path, f"sqlite:///{tmp_path / 'a.db'}")
    try:
        port = int(url.split(":")[-1].split("/")[0])
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only
        call = {
            "next_action": "action_request_handover",
            "sender_id": "sms:+33612345678",
            "version": "3.6.21",
            "domain": {},
            "tracker": {
                "sender_id": "sms:+33612345678",
                "slots": {},
                "events": [],
                "latest_message": {},
                "paused": False,
                "followup_action": None,
                "active_loop": {},
                "latest_action_name": "action_listen",
            },
        }
        assert requests.post(url, json=call, timeout=20).status_code == 403
        assert requests.post(url, params={"token": "faux"}, json=call, timeout=20).status_code == 403
        assert requests.get(url.replace("/webhook", "/actions"), timeout=20).status_code == 403
        listed = requests.get(url.replace("/webhook", "/actions"), params={"token": ACTION_TOKEN}, timeout=20)
        assert listed.status_code == 200 and {"name": "action_respond"} in listed.json()
        assert requests.get(url.replace("/webhook", "/health"), timeout=20).status_code == 200
    finally:
        server.stop()
    assert ACTION_TOKEN not in server.log.read_text()


@pytest.mark.server  # starts the action server
def test_the_action_server_refuses_to_start_without_its_token(tmp_path):
    import subprocess

    from tests.conftest import PYTHON, ROOT, server_env

    env = server_env(f"sqlite:///{tmp_path / 'a.db'}")
    env.pop("ACTION_SERVER_TOKEN")
    done = subprocess.run(
        [PYTHON, "-m", "bot.action_server", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "ACTION_SERVER_TOKEN" in done.stderr


def test_the_rasa_server_sends_the_token_and_never_logs_it(bot: Bot, tmp_path_factory):
    # the shared `bot` servers talk with the token: an advised conversation proves the actions ran
    assert advised_web_victim(bot)
    logs = list(Path(bot.database_url.replace("sqlite:///", "")).parent.glob("*.log"))
    assert logs and not any(ACTION_TOKEN in log.read_text() for log in logs)


def test_endpoints_yml_sends_the_token_of_the_environment(monkeypatch):
    """What `make run` and production use: Rasa expands ${ACTION_SERVER_TOKEN} (unquoted, or YAML keeps it as is)."""
    from rasa.core.utils import read_endpoints_from_path

    from tests.conftest import ROOT

    monkeypatch.setenv("ACTION_SERVER_TOKEN", "un-jeton_de-test")
    assert read_endpoints_from_path(ROOT / "endpoints.yml").action.token == "un-jeton_de-test"
