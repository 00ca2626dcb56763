"""The Telegram channel against the real Rasa server and action server, and a local stand-in for the Bot API.

The updates posted here have the shapes Telegram sends (https://core.telegram.org/bots/api#update); the stand-in
answers as the Bot API does and records what the connector called. One Rasa server runs in webhook mode for the
module; a second one checks long polling.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from playwright.sync_api import sync_playwright

from channels import telegram
from channels.inbound import RATE_LIMIT_REPLY
from tests.conftest import start_action_server, start_rasa_server
from tests.operator import EMAIL, HANDOVER_ENV, PASSWORD, Operator, create_operator
from tests.telegram_standin import BLOCKED_CHAT_ID, BotApiStandIn
from tests.test_webchat import CHROMIUM, CHROMIUM_ARGS

TOKEN = "7000000001:AAH_standin-token-for-tests_0123456789"
SECRET = "s3cret-Token_for-tests"
WEBHOOK_URL = "https://assistant.example.org/webhooks/telegram/webhook"
RATE_LIMIT = 8

_update_ids = itertools.count(400_000_001)
_message_ids = itertools.count(1)
_chat_ids = itertools.count(5_550_000_001)


def new_chat() -> int:
    return next(_chat_ids)


def person(chat_id: int) -> dict:
    return {"id": chat_id, "is_bot": False, "first_name": "Camille", "last_name": "Martin", "language_code": "fr"}


def message_update(chat_id: int, kind: str = "message", chat: dict | None = None, **content) -> dict:
    message = {
        "message_id": next(_message_ids),
        "from": person(chat_id),
        "chat": chat or {"id": chat_id, "first_name": "Camille", "last_name": "Martin", "type": "private"},
        "date": int(time.time()),
        **content,
    }
    if kind in ("channel_post", "edited_channel_post"):
        del message["from"]
        message["sender_chat"] = message["chat"]
    return {"update_id": next(_update_ids), kind: message}


def text_update(chat_id: int, text: str) -> dict:
    return message_update(chat_id, text=text)


def callback_update(chat_id: int, data: str, bot_message: dict) -> dict:
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"{chat_id}{next(_message_ids)}",
            "from": person(chat_id),
            "message": bot_message,
            "chat_instance": "-4305432918373458216",
            "data": data,
        },
    }


PHOTO = [
    {
        "file_id": "AgACAgQAAxkBAAIBVGc1",
        "file_unique_id": "AQADprkxG5Z8aVB9",
        "file_size": 1390,
        "width": 90,
        "height": 67,
    },
    {
        "file_id": "AgACAgQAAxkBAAIBVGc2",
        "file_unique_id": "AQADprkxG5Z8aVBy",
        "file_size": 61232,
        "width": 800,
        "height": 600,
    },
]
STICKER = {
    "width": 512,
    "height": 512,
    "emoji": "😢",
    "set_name": "SadCats",
    "is_animated": False,
    "is_video": False,
    "type": "regular",
    "file_id": "CAACAgIAAxkBAAIBWWc3",
    "file_unique_id": "AgADWQADr8ZRGg",
    "file_size": 25740,
    "thumbnail": {
        "file_id": "AAMCAgADGQEAAgFZZzc",
        "file_unique_id": "AQADWQADr8ZRGnI",
        "file_size": 5690,
        "width": 128,
        "height": 128,
    },
}
VOICE = {
    "duration": 4,
    "mime_type": "audio/ogg",
    "file_id": "AwACAgQAAxkBAAIBWmc4",
    "file_unique_id": "AgADkRIAAr",
    "file_size": 15087,
}
DOCUMENT = {
    "file_name": "capture-escroc.pdf",
    "mime_type": "application/pdf",
    "file_id": "BQACAgQAAxkBAAIBW2c5",
    "file_unique_id": "AgADlBIAAr",
    "file_size": 88313,
}


# --- servers --------------------------------------------------------------------------------------------------------
def write_credentials(tmp: Path) -> Path:
    credentials = tmp / "credentials.yml"
    # The console sends operator messages through telegram.send_to; the SMS channel is listed without its settings:
    # it must stay off.
    credentials.write_text(
        "channels.rest.RestInput:\nchannels.telegram.TelegramInput:\nchannels.sms.SmsInput:\n"
        "console.channel.ConsoleInput:\nchannels.dossier_page.DossierInput:\n"
    )
    return credentials


def wait_ready(base_url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if requests.get(f"{base_url}/webhooks/telegram/", timeout=5).status_code == 200:
            return
        time.sleep(0.3)
    pytest.fail("the Telegram channel did not become ready")


@pytest.fixture(scope="module")
def standin():
    server = BotApiStandIn(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def actions(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("telegram")
    database_url = f"sqlite:///{tmp / 'test.db'}"
    create_operator(database_url)
    server, action_url = start_action_server(tmp, database_url, HANDOVER_ENV)
    yield tmp, database_url, action_url
    server.stop()


@pytest.fixture(scope="module")
def rasa(actions, standin):
    tmp, database_url, action_url = actions
    env = {
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_SECRET_TOKEN": SECRET,
        "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
        "TELEGRAM_API_BASE_URL": standin.url,
        "CHANNEL_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
        **HANDOVER_ENV,
    }
    server, base_url = start_rasa_server(
        tmp, database_url, action_url, extra_env=env, credentials=write_credentials(tmp)
    )
    wait_ready(base_url)
    yield base_url
    server.stop()


def post(base_url: str, update, secret: str | None = SECRET, **kwargs) -> requests.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    if isinstance(update, (bytes, str)):
        kwargs["data"] = update
        headers["Content-Type"] = "application/json"
    else:
        kwargs["json"] = update
    return requests.post(f"{base_url}/webhooks/telegram/webhook", headers=headers, timeout=60, **kwargs)


def say(base_url: str, standin: BotApiStandIn, chat_id: int, update: dict) -> list:
    """Posts an update and returns the sendMessage calls it caused (the connector answers before returning)."""
    before = len(standin.calls_to("sendMessage", chat_id))
    response = post(base_url, update)
    assert response.status_code == 200, response.text
    return standin.calls_to("sendMessage", chat_id)[before:]


def texts(calls: list) -> str:
    return "\n".join(call["text"] for call in calls)


# --- webhook mode ---------------------------------------------------------------------------------------------------
def test_webhook_is_registered_at_start_up_with_the_secret(rasa, standin):
    registrations = standin.calls_to("setWebhook")
    assert len(registrations) == 1
    assert registrations[0]["url"] == WEBHOOK_URL
    assert registrations[0]["secret_token"] == SECRET
    assert set(registrations[0]["allowed_updates"]) >= {"message", "callback_query", "edited_message"}
    assert len(standin.calls_to("getMe")) == 1


@pytest.mark.parametrize(
    "secret",
    [None, "", "wrong", SECRET.upper(), SECRET + "x", "é" * 5],
    ids=["missing", "empty", "wrong", "case", "longer", "non-ascii"],
)
def test_requests_without_the_right_secret_get_403_and_are_not_handled(rasa, standin, secret):
    chat = new_chat()
    response = post(rasa, text_update(chat, "bonjour"), secret=secret)
    assert response.status_code == 403
    assert standin.calls_to("sendMessage", chat) == []


def test_a_text_message_gets_a_french_reply_in_the_same_chat(rasa, standin):
    chat = new_chat()
    replies = say(rasa, standin, chat, text_update(chat, "bonjour"))
    assert replies and "Bonjour" in texts(replies)
    assert all(call.get("parse_mode") is None for call in replies)  # plain text: nothing is read as markup


def test_a_reply_telegram_refuses_with_429_is_sent_again_after_the_delay(rasa, standin):
    """Telegram answers 429 (retry after N s) to a bot that sends too fast, as in a wave of victims: the reply is
    retried (python-telegram-bot's AIORateLimiter), not lost."""
    chat = new_chat()
    standin.throttle(chat, calls=1)
    replies = say(rasa, standin, chat, text_update(chat, "bonjour"))
    assert [params["chat_id"] for params in standin.refused if int(params["chat_id"]) == chat]
    assert replies and "Bonjour" in texts(replies)


def test_start_command_greets(rasa, standin):
    chat = new_chat()
    update = message_update(chat, text="/start", entities=[{"offset": 0, "length": 6, "type": "bot_command"}])
    assert "Bonjour" in texts(say(rasa, standin, chat, update))


def test_buttons_become_an_inline_keyboard_and_presses_are_answered(rasa, standin, actions):
    chat = new_chat()
    replies = say(rasa, standin, chat, text_update(chat, "on a piraté mon compte facebook"))
    assert "piratage de compte" in texts(replies)
    with_keyboard = [call for call in replies if call.get("reply_markup")]
    assert with_keyboard, texts(replies)
    keyboard = with_keyboard[-1]["reply_markup"]["inline_keyboard"]
    assert all(len(row) == 1 and row[0]["text"] and row[0]["callback_data"] for row in keyboard)
    button = keyboard[0][0]
    press = callback_update(chat, button["callback_data"], bot_message(chat, with_keyboard[-1]))
    after = say(rasa, standin, chat, press)
    assert [a["callback_query_id"] for a in standin.calls_to("answerCallbackQuery")].count(
        press["callback_query"]["id"]
    ) == 1
    assert after, "the press must move the conversation on"
    _, database_url, _ = actions
    user_texts = [json.loads(row.data)["text"] for row in events(database_url, chat, "user")]
    assert user_texts[-1] == button["callback_data"]


@pytest.mark.parametrize("forged", ['/inform{"money_paid":true}', "/restart", "/ask_human"])
def test_a_forged_button_press_or_typed_payload_is_read_as_text(rasa, standin, actions, forged):
    """callback_data comes from the client: a payload no button of this chat offered is not obeyed."""
    chat = new_chat()
    replies = say(rasa, standin, chat, text_update(chat, "on a piraté mon compte facebook"))
    with_keyboard = [call for call in replies if call.get("reply_markup")]
    assert say(rasa, standin, chat, callback_update(chat, forged, bot_message(chat, with_keyboard[-1])))
    assert say(rasa, standin, chat, text_update(chat, forged))
    _, database_url, _ = actions
    user_texts = [json.loads(row.data)["text"] for row in events(database_url, chat, "user")]
    assert user_texts[-2:] == [forged.lstrip("/")] * 2
    assert events(database_url, chat, "restart") == []


def events(database_url: str, chat: int, type_name: str) -> list:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = list(
            connection.execute(
                sa.text("SELECT type_name, data FROM events WHERE sender_id = :s AND type_name = :t ORDER BY id"),
                {"s": f"telegram:{chat}", "t": type_name},
            )
        )
    engine.dispose()
    return rows


def bot_message(chat: int, sent: dict) -> dict:
    """The Message object Telegram puts in a callback query: the bot's message that carried the keyboard."""
    return {
        "message_id": 9999,
        "from": {"id": 7000000001, "is_bot": True, "first_name": "Cyberaide", "username": "cyberaide_test_bot"},
        "chat": {"id": chat, "first_name": "Camille", "type": "private"},
        "date": int(time.time()),
        "text": sent["text"],
        "reply_markup": sent["reply_markup"],
    }


def ask_for_an_operator(rasa, standin, chat: int) -> None:
    say(rasa, standin, chat, text_update(chat, "on a piraté mon compte facebook"))
    consent = [
        c
        for c in say(rasa, standin, chat, text_update(chat, "je veux parler à un conseiller"))
        if c.get("reply_markup")
    ][-1]
    assert "Êtes-vous d'accord" in consent["text"]
    yes = next(row[0] for row in consent["reply_markup"]["inline_keyboard"] if row[0]["text"].startswith("Oui"))
    assert "conseiller" in texts(
        say(rasa, standin, chat, callback_update(chat, yes["callback_data"], bot_message(chat, consent)))
    )


def test_an_operator_talks_with_a_telegram_victim_through_the_console(rasa, standin):
    chat = new_chat()
    ask_for_an_operator(rasa, standin, chat)
    operator = Operator(rasa)
    waiting = operator.waiting("telegram")
    assert len(waiting) == 1
    before = len(standin.texts_to(chat))
    operator.take(waiting[0])
    assert "Alex" in "\n".join(standin.texts_to(chat)[before:]), "the victim is told who joined, on Telegram"
    assert say(rasa, standin, chat, text_update(chat, "merci, j'ai peur")) == []
    operator.send(waiting[0], "Bonjour, je suis Alex. Avez-vous pu changer votre mot de passe ?")
    assert standin.texts_to(chat)[-1] == "Bonjour, je suis Alex. Avez-vous pu changer votre mot de passe ?"


def test_an_operator_message_telegram_does_not_take_is_shown_as_not_delivered(rasa, standin):
    chat = new_chat()
    ask_for_an_operator(rasa, standin, chat)
    operator = Operator(rasa)
    (handover_id,) = operator.waiting("telegram")
    operator.take(handover_id)
    standin.go_down(chat)
    try:
        answer = operator.send(handover_id, "Avez-vous pu prévenir votre banque ?", status=502)
    finally:
        standin.go_down(chat, down=False)
    assert "non remis" in answer["error"].lower()
    operator.send(handover_id, "Je reste avec vous.")
    assert standin.texts_to(chat)[-1] == "Je reste avec vous."
    sent = {m["text"]: m for m in operator.messages(handover_id) if m["who"] == "operator"}
    assert sent["Avez-vous pu prévenir votre banque ?"]["delivered"] is False
    assert sent["Je reste avec vous."]["delivered"] is True
    # the page, reloaded, still says which message the victim never got
    page = operator.page(handover_id)
    flag = '<strong class="undelivered">Non remis</strong>'
    assert page.count(flag) == 1
    assert page.index(flag) < page.index("Avez-vous pu prévenir votre banque ?") < page.index("Je reste avec vous.")


def test_the_operators_page_shows_at_once_that_a_message_was_not_delivered(rasa, standin):
    """The console's page in a real browser: the operator sends while the Bot API is down."""
    chat = new_chat()
    ask_for_an_operator(rasa, standin, chat)
    operator = Operator(rasa)
    (handover_id,) = operator.waiting("telegram")
    operator.take(handover_id)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="fr-FR")
            page.set_default_timeout(20_000)
            page.goto(f"{rasa}/console/login")
            page.fill("#email", EMAIL)
            page.fill("#password", PASSWORD)
            page.press("#password", "Enter")
            page.wait_for_url(f"{rasa}/console/")
            page.goto(f"{rasa}/console/handovers/{handover_id}")
            standin.go_down(chat)
            try:
                page.fill("#text", "Avez-vous gardé les messages de l'escroc ?")
                page.click("#composer button.primary")
                page.wait_for_selector("#log strong.undelivered")
            finally:
                standin.go_down(chat, down=False)
            assert "non remis" in page.inner_text("#status").lower()
            flagged = page.locator("#log .msg.operator", has=page.locator("strong.undelivered"))
            assert "Avez-vous gardé les messages de l'escroc ?" in flagged.inner_text()
        finally:
            browser.close()


def test_conversation_id_and_metadata_record_the_channel(rasa, standin, actions):
    chat = new_chat()
    say(rasa, standin, chat, text_update(chat, "j'ai reçu un sms chronopost avec un lien pour payer"))
    _, database_url, _ = actions
    user_events = [json.loads(row.data) for row in events(database_url, chat, "user")]
    assert user_events, "the conversation must be stored as telegram:<chat_id>"
    assert user_events[0]["input_channel"] == "telegram"
    assert user_events[0]["metadata"]["channel"] == "telegram"
    assert events(database_url, chat, "bot")


NON_TEXT = {
    "photo": ({"photo": PHOTO}, "photos"),
    "sticker": ({"sticker": STICKER}, "autocollants"),
    "voice": ({"voice": VOICE}, "messages vocaux"),
    "document": ({"document": DOCUMENT}, "fichiers"),
    "location": ({"location": {"latitude": 48.8566, "longitude": 2.3522}}, "code postal"),
}


@pytest.mark.parametrize("kind", list(NON_TEXT))
def test_non_text_messages_get_a_polite_french_answer(rasa, standin, kind):
    chat = new_chat()
    content, expected = NON_TEXT[kind]
    replies = say(rasa, standin, chat, message_update(chat, **content))
    assert len(replies) == 1 and expected in replies[0]["text"]


def test_a_photo_with_a_caption_is_read_and_the_attachment_acknowledged(rasa, standin):
    chat = new_chat()
    replies = say(rasa, standin, chat, message_update(chat, photo=PHOTO, caption="on a piraté mon compte instagram"))
    assert "piratage de compte" in texts(replies)
    assert "pièce jointe" in replies[-1]["text"]


def test_an_edited_message_gets_a_polite_answer(rasa, standin):
    chat = new_chat()
    update = message_update(chat, kind="edited_message", text="bonjour", edit_date=int(time.time()))
    replies = say(rasa, standin, chat, update)
    assert len(replies) == 1 and "modifié un message" in replies[0]["text"]


@pytest.mark.parametrize(
    "kind, chat_type", [("channel_post", "channel"), ("message", "group"), ("message", "supergroup")]
)
def test_channels_and_groups_are_told_to_write_privately(rasa, standin, kind, chat_type):
    chat = -1_000_000_000_000 - new_chat()
    chat_object = {"id": chat, "title": "Entraide voisins", "type": chat_type}
    replies = say(rasa, standin, chat, message_update(chat, kind=kind, chat=chat_object, text="bonjour"))
    assert len(replies) == 1
    assert "conversation privée" in replies[0]["text"] and "https://t.me/cyberaide_test_bot" in replies[0]["text"]


def test_a_redelivered_update_is_answered_once(rasa, standin):
    chat = new_chat()
    update = text_update(chat, "bonjour")
    first = say(rasa, standin, chat, update)
    again = say(rasa, standin, chat, update)
    assert first and again == []


def test_rate_limit_answers_once_in_french_then_stays_silent(rasa, standin):
    chat = new_chat()
    for _ in range(RATE_LIMIT):
        assert say(rasa, standin, chat, text_update(chat, "merci"))
    warned = say(rasa, standin, chat, text_update(chat, "merci"))
    assert [call["text"] for call in warned] == [RATE_LIMIT_REPLY]
    assert say(rasa, standin, chat, text_update(chat, "merci")) == []
    # other victims are not affected
    other = new_chat()
    assert say(rasa, standin, other, text_update(other, "bonjour"))


@pytest.mark.parametrize(
    "body, status",
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b'{"update_id": "x"}', 400),
        (b"\xff\xfe\x00", 400),
        (b'{"update_id": 1, "message": 3}', 200),
        (b"{" + b" " * 1_100_000 + b"}", 413),
    ],
    ids=["broken", "list", "bad-id", "binary", "bad-message", "huge"],
)
def test_bad_bodies_with_the_secret_are_refused_cleanly(rasa, standin, body, status):
    assert post(rasa, body).status_code == status
    chat = new_chat()
    assert say(rasa, standin, chat, text_update(chat, "bonjour")), "the server must keep serving"


def test_a_chat_that_blocked_the_bot_does_not_break_anything(rasa, standin):
    response = post(rasa, text_update(BLOCKED_CHAT_ID, "bonjour"))
    assert response.status_code == 200
    chat = new_chat()
    assert say(rasa, standin, chat, text_update(chat, "bonjour"))


def test_no_get_me_per_message(rasa, standin):
    chat = new_chat()
    for text in ("bonjour", "merci"):
        say(rasa, standin, chat, text_update(chat, text))
    assert len(standin.calls_to("getMe")) == 1


def test_while_an_operator_owns_the_conversation_the_bot_stays_silent(rasa, standin, actions):
    chat = new_chat()
    assert say(rasa, standin, chat, text_update(chat, "bonjour"))
    _, database_url, _ = actions
    pause(database_url, f"telegram:{chat}")
    assert say(rasa, standin, chat, text_update(chat, "vous êtes là ?")) == []
    assert json.loads(events(database_url, chat, "user")[-1].data)["text"] == "vous êtes là ?"


def pause(database_url: str, sender_id: str) -> None:
    """What the console does when an operator takes the conversation (Rasa's ConversationPaused event)."""
    now = time.time()
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, 'pause', :t, :d)"),
            {"s": sender_id, "t": now, "d": json.dumps({"event": "pause", "timestamp": now})},
        )
    engine.dispose()


def test_a_channel_without_its_settings_registers_no_route(rasa):
    assert requests.post(f"{rasa}/webhooks/sms/webhook", data={"Body": "x"}, timeout=10).status_code == 404
    assert requests.get(f"{rasa}/webhooks/sms/", timeout=10).status_code == 404


def test_webhook_mode_without_a_valid_secret_is_refused(monkeypatch):
    from channels.config import telegram_problem

    monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", WEBHOOK_URL)
    monkeypatch.delenv("TELEGRAM_SECRET_TOKEN", raising=False)
    assert "TELEGRAM_SECRET_TOKEN" in telegram_problem()
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", "espaces interdits")
    assert "A-Z" in telegram_problem()
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", SECRET)
    assert telegram_problem() is None


def test_rest_channel_still_answers_next_to_telegram(rasa):
    replies = requests.post(
        f"{rasa}/webhooks/rest/webhook", json={"sender": "rest-x", "message": "bonjour"}, timeout=60
    ).json()
    assert replies and "Bonjour" in replies[0]["text"]


# --- send_to, in this process, against the stand-in ------------------------------------------------------------------
async def started_bot() -> None:
    """Starts this process's Telegram application (as the server does at start-up) and waits until it is ready."""
    await telegram.start_bot(None, None)
    for _ in range(100):
        if telegram.is_ready():
            return
        await asyncio.sleep(0.05)


def webhook_settings(monkeypatch, standin) -> None:
    """This process runs the Telegram channel in webhook mode against the stand-in Bot API."""
    monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", SECRET)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", WEBHOOK_URL)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", standin.url)


def test_send_to_pushes_a_message_with_buttons_outside_any_request(standin, monkeypatch):
    webhook_settings(monkeypatch, standin)
    chat = new_chat()

    async def scenario():
        with pytest.raises(RuntimeError):
            await telegram.send_to(f"telegram:{chat}", "trop tôt")
        await started_bot()
        try:
            await telegram.send_to(
                f"telegram:{chat}",
                "Bonjour, je suis Alex, conseiller.",
                [{"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"}],
            )
            with pytest.raises(ValueError):
                await telegram.send_to("sms:+33600000000", "pas le bon canal")
        finally:
            await telegram.stop_bot()

    asyncio.run(scenario())
    sent = standin.calls_to("sendMessage", chat)
    assert [call["text"] for call in sent] == ["Bonjour, je suis Alex, conseiller."]
    assert sent[0]["reply_markup"]["inline_keyboard"] == [
        [{"text": "Oui", "callback_data": "/affirm"}],
        [{"text": "Non", "callback_data": "/deny"}],
    ]


def test_link_buttons_open_their_page(standin, monkeypatch):
    """A button with a URL (an official reporting site) becomes a URL button, not a callback that would feed its
    title to the NLU."""
    webhook_settings(monkeypatch, standin)
    chat = new_chat()

    async def scenario():
        await started_bot()
        try:
            await telegram.send_to(
                f"telegram:{chat}",
                "Signalez ce message :",
                [
                    {"title": "Signaler sur PHAROS", "url": "https://www.internet-signalement.gouv.fr"},
                    {"title": "C'est fait", "payload": "/affirm"},
                    {"title": "Lien piégé", "url": "javascript:alert(1)"},
                ],
            )
        finally:
            await telegram.stop_bot()

    asyncio.run(scenario())
    sent = standin.calls_to("sendMessage", chat)
    assert sent[0]["reply_markup"]["inline_keyboard"] == [
        [{"text": "Signaler sur PHAROS", "url": "https://www.internet-signalement.gouv.fr"}],
        [{"text": "C'est fait", "callback_data": "/affirm"}],
    ]


def test_long_payloads_fit_telegram_callback_data():
    payload = '/ask_prevention{"prevention_theme":"' + "x" * 80 + '"}'
    data = telegram.callback_data_for(payload)
    assert len(data.encode()) <= 64 and telegram.payload_from(data) == payload
    assert telegram.payload_from("#unknown") is None


# --- long polling ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def polling(actions):
    """A second Rasa server, without TELEGRAM_WEBHOOK_URL: development mode."""
    tmp, database_url, action_url = actions
    api = BotApiStandIn(TOKEN).start()
    env = {"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": api.url}
    server, base_url = start_rasa_server(
        tmp, database_url, action_url, extra_env=env, credentials=write_credentials(tmp)
    )
    wait_ready(base_url)
    yield base_url, api
    server.stop()
    api.stop()


def test_long_polling_receives_and_answers_without_blocking_the_server(polling):
    base_url, api = polling
    assert api.calls_to("deleteWebhook"), "polling starts by removing any webhook"
    assert not api.calls_to("setWebhook")
    chat = new_chat()
    update = text_update(chat, "bonjour")
    api.queue_update(update)
    api.queue_update(update)  # Telegram redelivers when an offset was not confirmed
    replies = api.wait_for(lambda: api.calls_to("sendMessage", chat))
    assert "Bonjour" in replies[0]["text"]
    # the long poll runs in the background: the server answers other requests meanwhile
    started = time.time()
    assert (
        requests.post(
            f"{base_url}/webhooks/rest/webhook", json={"sender": "p", "message": "bonjour"}, timeout=60
        ).status_code
        == 200
    )
    assert time.time() - started < 5
    time.sleep(1)
    assert len(api.calls_to("sendMessage", chat)) == len(replies), "a redelivered update is answered once"
    offsets = [int(call.get("offset") or 0) for call in api.calls_to("getUpdates")]
    assert max(offsets) > update["update_id"], "handled updates are confirmed to Telegram"


def test_a_redelivery_to_another_server_or_after_a_restart_is_answered_once(rasa, standin, polling):
    """The webhook server answers an update; the same update then reaches the polling server, which shares the
    database but never saw it (another worker, or the first server after a restart)."""
    base_url, api = polling
    chat = new_chat()
    update = text_update(chat, "bonjour")
    assert say(rasa, standin, chat, update)
    api.queue_update(update)
    marker_chat = new_chat()
    api.queue_update(text_update(marker_chat, "bonjour"))  # handled after the redelivery: when it is answered,
    api.wait_for(lambda: api.calls_to("sendMessage", marker_chat))  # the redelivery was dealt with
    assert api.calls_to("sendMessage", chat) == [], "the redelivered update is not answered again"
    assert len(standin.calls_to("sendMessage", chat)) >= 1


def test_polling_mode_webhook_route_still_demands_a_secret(polling):
    base_url, _ = polling
    assert post(base_url, text_update(new_chat(), "bonjour")).status_code == 403
    assert post(base_url, text_update(new_chat(), "bonjour"), secret=None).status_code == 403


def test_texts_longer_than_telegram_allows_are_cut_between_words():
    text = ("Conservez les preuves : captures d'écran, adresses, dates. " * 120).strip()
    parts = telegram.split_long(text)
    assert len(parts) == 2 and all(len(part) <= telegram.MAX_MESSAGE_CHARS for part in parts)
    assert " ".join(parts) == text


# --- privacy: the notice on first contact, and /effacer --------------------------------------------------------------
def test_the_first_reply_is_followed_by_the_privacy_notice_once(rasa, standin):
    chat = new_chat()
    first = texts(say(rasa, standin, chat, text_update(chat, "on a piraté mon compte instagram")))
    assert "Bon à savoir" in first and "/confidentialite" in first and "/effacer" in first
    assert "Bon à savoir" not in texts(say(rasa, standin, chat, text_update(chat, "je ne sais pas")))


def test_effacer_asks_first_then_erases_the_conversation(rasa, standin, actions):
    _, database_url, _ = actions
    chat = new_chat()
    say(rasa, standin, chat, text_update(chat, "mon compte snapchat est pirate, mon mdp c'est Lapin2024"))
    asked = say(
        rasa,
        standin,
        chat,
        message_update(chat, text="/effacer", entities=[{"offset": 0, "length": 8, "type": "bot_command"}]),
    )
    question = next(call for call in asked if call.get("reply_markup"))
    assert "efface" in question["text"] and events(database_url, chat, "user"), "nothing is erased before the yes"
    yes = next(row[0] for row in question["reply_markup"]["inline_keyboard"] if row[0]["text"].startswith("Oui"))
    done = say(rasa, standin, chat, callback_update(chat, yes["callback_data"], bot_message(chat, question)))
    assert "effacés" in texts(done) and "supprimer la discussion" in texts(done)
    assert events(database_url, chat, "user") == [] and events(database_url, chat, "bot") == []
    # Writing again starts a new conversation, which is told about privacy again.
    assert "Bon à savoir" in texts(say(rasa, standin, chat, text_update(chat, "bonjour")))


def test_effacer_then_no_keeps_everything(rasa, standin, actions):
    _, database_url, _ = actions
    chat = new_chat()
    say(rasa, standin, chat, text_update(chat, "j'ai recu un mail bizarre de la caf"))
    say(rasa, standin, chat, text_update(chat, "/effacer"))
    kept = say(rasa, standin, chat, text_update(chat, "non"))
    assert "n'efface rien" in texts(kept)
    assert len(events(database_url, chat, "user")) == 3


def test_the_dossier_comes_as_a_pdf_document_in_the_chat(rasa, standin, tmp_path):
    chat = new_chat()
    card = "4970 1012 3456 7893"
    story = (
        "Hier un faux conseiller de la banque m'a appelé du 07 98 76 54 32 et m'a fait valider un virement de 3 100 €, "
        f"je lui ai aussi lu ma carte {card}"
    )
    say(rasa, standin, chat, text_update(chat, story))
    replies = say(rasa, standin, chat, text_update(chat, "je veux le dossier pour la plainte"))
    assert "/dossier/" in texts(replies)  # the link, as a spare
    [sent] = standin.calls_to("sendDocument", chat)
    upload = sent["_files"]["document"]
    assert upload["filename"].endswith(".pdf") and upload["content"].startswith(b"%PDF")
    assert "plainte" in sent["caption"]
    (tmp_path / "dossier.pdf").write_bytes(upload["content"])
    read = subprocess.run(["pdftotext", str(tmp_path / "dossier.pdf"), "-"], capture_output=True, text=True, check=True)
    text = " ".join(read.stdout.split())
    assert "3 100 €" in text and "+33798765432" in text and "virement" in text
    assert "4970" not in text
