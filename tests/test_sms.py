"""The SMS channel against the real Rasa server and action server, and a local stand-in for Twilio's REST API.

Webhook requests carry the form fields Twilio sends (https://www.twilio.com/docs/messaging/guides/webhook-request)
and an `X-Twilio-Signature` computed with twilio's RequestValidator; forged ones must get 403. The server runs in
REST mode (replies through the stand-in API), as production must for operators to reach SMS victims; inline TwiML
is what it falls back to when the API refuses a message.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import time
import uuid
from types import SimpleNamespace
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
import requests
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from channels import sms
from channels.common import SAFETY_REPLY
from channels.inbound import RATE_LIMIT_REPLY
from channels.sms_text import (
    SUITE_NOTE,
    chosen_payload,
    encoding,
    length_in_units,
    one_message,
    page_turn,
    segments,
    transliterate,
)
from tests.conftest import start_action_server, start_rasa_server
from tests.operator import HANDOVER_ENV, Operator, create_operator
from tests.support.victims import DESCRIPTIONS
from tests.twilio_standin import UNSUBSCRIBED_NUMBER, TwilioStandIn

AUTH_TOKEN = "9f2c0b4e6d8a1c3e5f7a9b1d3c5e7f90"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
SMS_FROM = "+33757000000"
RATE_LIMIT = 8

_numbers = itertools.count(612_000_001)


def new_number() -> str:
    return f"+33{next(_numbers)}"


def twilio_form(number: str, body: str, **extra: str) -> dict:
    """The fields of a real Twilio inbound SMS webhook."""
    sid = "SM" + uuid.uuid4().hex
    form = {
        "ToCountry": "FR",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "FR",
        "To": SMS_FROM,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": number,
        "ApiVersion": "2010-04-01",
    }
    form.update(extra)
    return form


def sign(url: str, form: dict, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)


# --- servers ------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def api():
    server = TwilioStandIn(ACCOUNT_SID, AUTH_TOKEN).start()
    yield server
    server.stop()


def server_settings(api) -> dict:
    return {
        "SMS_AUTH_TOKEN": AUTH_TOKEN,
        "SMS_API_BASE_URL": api.url,
        "SMS_ACCOUNT_SID": ACCOUNT_SID,
        "SMS_FROM": SMS_FROM,
        "CHANNEL_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
        **HANDOVER_ENV,
    }


@pytest.fixture(scope="module")
def servers(tmp_path_factory, api):
    tmp = tmp_path_factory.mktemp("sms")
    database_url = f"sqlite:///{tmp / 'test.db'}"
    create_operator(database_url)
    actions, action_url = start_action_server(tmp, database_url, HANDOVER_ENV)
    credentials = tmp / "credentials.yml"
    # The console sends operator messages through sms.send_to; Telegram is listed without settings: it stays off.
    credentials.write_text(
        "channels.rest.RestInput:\nchannels.sms.SmsInput:\nconsole.channel.ConsoleInput:\n"
        "channels.telegram.TelegramInput:\nchannels.dossier_page.DossierInput:\n"
    )
    try:
        rasa, base_url = start_rasa_server(
            tmp, database_url, action_url, extra_env=server_settings(api), credentials=credentials
        )
    except BaseException:
        actions.stop()
        raise
    yield SimpleNamespace(
        base_url=base_url,
        database_url=database_url,
        webhook=f"{base_url}/webhooks/sms/webhook",
        tmp=tmp,
        action_url=action_url,
        credentials=credentials,
    )
    rasa.stop()
    actions.stop()


@pytest.fixture(scope="module")
def other_server(servers, api):
    """A second Rasa server on the same database: another worker, or the first one after a restart (its memory
    of handled deliveries is empty)."""
    rasa, base_url = start_rasa_server(
        servers.tmp,
        servers.database_url,
        servers.action_url,
        extra_env=server_settings(api),
        credentials=servers.credentials,
    )
    yield SimpleNamespace(
        base_url=base_url, database_url=servers.database_url, webhook=f"{base_url}/webhooks/sms/webhook"
    )
    rasa.stop()


@pytest.fixture(scope="module")
def twiml_only(servers):
    """A Rasa server on the same database without the SMS REST API: its replies can only go back inline, in the
    answer to the victim's own message (TwiML), so no operator can write to its victims."""
    rasa, base_url = start_rasa_server(
        servers.tmp,
        servers.database_url,
        servers.action_url,
        extra_env={"SMS_AUTH_TOKEN": AUTH_TOKEN, **HANDOVER_ENV},
        credentials=servers.credentials,
    )
    yield SimpleNamespace(base_url=base_url, webhook=f"{base_url}/webhooks/sms/webhook")
    rasa.stop()


@pytest.fixture(autouse=True)
def scratch_database(tmp_path, monkeypatch):
    """send_to and STOP use the application database in this process too: never the developer's var/ database."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'in-process.db'}")


def post(
    servers, form: dict, signature: str | None = "auto", headers: dict | None = None, body: bytes | None = None
) -> requests.Response:
    headers = dict(headers or {})
    if signature == "auto":
        signature = sign(servers.webhook, form)
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return requests.post(
        servers.webhook, data=body if body is not None else urlencode(form), headers=headers, timeout=60
    )


def text(servers, api, number: str, body: str, **extra: str) -> list:
    """Sends a signed SMS and returns the messages sent back through the REST API."""
    before = len(api.bodies_to(number))
    response = post(servers, twilio_form(number, body, **extra))
    assert response.status_code == 200, response.text
    assert "<Response" in response.text and "<Message>" not in response.text  # REST mode: nothing inline
    return api.bodies_to(number)[before:]


def events(database_url: str, sender_id: str, type_name: str | None = None) -> list:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = list(
            connection.execute(
                sa.text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender_id}
            )
        )
    engine.dispose()
    return [json.loads(row.data) for row in rows if type_name is None or row.type_name == type_name]


# --- signatures -----------------------------------------------------------------------------------------------------
def test_a_signed_sms_gets_a_french_reply_through_the_api(servers, api):
    number = new_number()
    replies = text(servers, api, number, "bonjour")
    assert len(replies) == 2 and "Bonjour" in replies[0], "the reply, then the privacy notice of a first contact"
    sent = [m for m in api.messages if m["To"] == number][0]
    assert sent["From"] == SMS_FROM


def forgeries(servers, form):
    other = dict(form, Body="autre texte")
    return {
        "missing": None,
        "empty": "",
        "wrong-token": sign(servers.webhook, form, token="0" * 32),
        "other-url": sign(servers.webhook.replace("/sms/", "/rest/"), form),
        "tampered-body": sign(servers.webhook, other),
        "garbage": "not a signature \u00e9\u00f1",  # latin-1 bytes, not UTF-8
    }


@pytest.mark.parametrize("kind", ["missing", "empty", "wrong-token", "other-url", "tampered-body", "garbage"])
def test_forged_or_unsigned_requests_get_403_and_are_not_handled(servers, api, kind):
    number = new_number()
    form = twilio_form(number, "bonjour")
    response = post(servers, form, signature=forgeries(servers, form)[kind])
    assert response.status_code == 403
    assert api.bodies_to(number) == []
    assert events(servers.database_url, f"sms:{number}") == []


def test_behind_a_reverse_proxy_the_public_url_is_what_is_signed(servers, api):
    number = new_number()
    form = twilio_form(number, "bonjour")
    public = "https://assistant.example.org/webhooks/sms/webhook"
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "assistant.example.org"}
    assert post(servers, form, signature=sign(public, form), headers=proxy).status_code == 200
    assert api.bodies_to(number)
    # the same signature without the proxy's headers does not match the URL the server sees
    again = twilio_form(number, "merci")
    assert post(servers, again, signature=sign(public, again)).status_code == 403


def test_configured_webhook_url_takes_precedence_over_request_headers(monkeypatch):
    request = SimpleNamespace(
        headers={"X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example"},
        scheme="http",
        host="10.0.0.5:5005",
        path="/webhooks/sms/webhook",
        query_string="",
    )
    assert sms.public_url(request) == "http://evil.example/webhooks/sms/webhook"
    monkeypatch.setenv("SMS_WEBHOOK_URL", "https://assistant.example.org/webhooks/sms/webhook")
    assert sms.public_url(request) == "https://assistant.example.org/webhooks/sms/webhook"


def test_signature_check_accepts_the_default_port_variants(monkeypatch):
    monkeypatch.setenv("SMS_AUTH_TOKEN", AUTH_TOKEN)
    form = twilio_form("+33612345678", "bonjour")
    parsed = sms.parse_form(urlencode(form).encode())
    signature = sign("https://assistant.example.org:443/webhooks/sms/webhook", form)
    assert sms.signature_valid("https://assistant.example.org/webhooks/sms/webhook", parsed, signature)
    assert not sms.signature_valid("https://assistant.example.org/webhooks/sms/webhook", parsed, signature[:-2])


# --- the conversation ---------------------------------------------------------------------------------------------
def read_all(servers, api, number: str, first: list, limit: int = 10) -> list:
    """The first message of a turn and every following part, asked for with SUITE."""
    parts = list(first)
    while parts and "SUITE pour lire la suite" in parts[-1] and limit:
        parts += text(servers, api, number, "SUITE")
        limit -= 1
    return parts


def test_long_replies_are_split_and_buttons_become_numbered_choices(servers, api):
    number = new_number()
    *turn, notice = text(servers, api, number, "on a piraté mon compte facebook")
    assert "Bon à savoir" in notice, "the turn's messages, then the privacy notice"
    assert 1 <= len(turn) <= 2 and (len(turn) == 1 or turn[0].startswith("1/2 "))
    assert "1. " in turn[0] and "Répondez 1, 2" in turn[0], "the question and all its choices in the first SMS"
    parts = read_all(servers, api, number, turn)
    for part in parts:
        assert segments(part) <= 3, (part, encoding(part), length_in_units(part))
        assert len(part) <= 459
    whole = "\n".join(parts)
    assert "piratage de compte" in whole
    assert not any(char in whole for char in "’«»…"), "typographic punctuation is transliterated"
    # answering "1" chooses the first button: its payload is what the bot reads
    text(servers, api, number, "1")
    user_events = events(servers.database_url, f"sms:{number}", "user")
    assert user_events[-1]["text"].startswith("/")
    assert user_events[-1]["metadata"]["sms_choice"] == "1"
    assert user_events[0]["metadata"]["channel"] == "sms" and user_events[0]["input_channel"] == "sms"


def test_a_digit_answers_the_choices_shown_even_while_details_wait_for_suite(servers, api):
    number = new_number()
    first = text(servers, api, number, "j'ai payé une console sur leboncoin et le vendeur ne répond plus")
    assert "1. " in first[0]
    text(servers, api, number, "2")
    last = events(servers.database_url, f"sms:{number}", "user")[-1]
    assert last["text"].startswith("/") and last["metadata"]["sms_choice"] == "2"


def test_recap_sends_the_recap_of_the_advice(servers, api):
    number = new_number()
    assert "Je n'ai pas encore de récapitulatif" in "\n".join(text(servers, api, number, "RECAP"))


def test_while_an_operator_owns_the_conversation_the_bot_stays_silent(servers, api):
    number = new_number()
    assert text(servers, api, number, "bonjour")
    now = time.time()
    engine = sa.create_engine(servers.database_url)
    with engine.begin() as connection:  # what the console does when an operator takes the conversation
        connection.execute(
            sa.text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, 'pause', :t, :d)"),
            {"s": f"sms:{number}", "t": now, "d": json.dumps({"event": "pause", "timestamp": now})},
        )
    engine.dispose()
    assert text(servers, api, number, "vous êtes là ?") == []
    assert events(servers.database_url, f"sms:{number}", "user")[-1]["text"] == "vous êtes là ?"


def test_a_channel_without_its_settings_registers_no_route(servers):
    assert requests.post(f"{servers.base_url}/webhooks/telegram/webhook", json={}, timeout=10).status_code == 404


def test_an_operator_talks_with_an_sms_victim_through_the_console(servers, api):
    """The whole handover over SMS: consent by numbered choice, then the console's messages reach the phone."""
    number = new_number()
    read_all(servers, api, number, text(servers, api, number, "on a piraté mon compte facebook"))
    consent = read_all(servers, api, number, text(servers, api, number, "je veux parler à un conseiller"))
    assert "D'accord ?" in "\n".join(consent)
    yes = re.search(r"^(\d)\. Oui", "\n".join(consent), flags=re.MULTILINE).group(1)
    queued = "\n".join(read_all(servers, api, number, text(servers, api, number, yes)))
    assert "conseiller" in queued

    operator = Operator(servers.base_url)
    waiting = operator.waiting("sms")
    assert len(waiting) == 1
    before = len(api.bodies_to(number))
    operator.take(waiting[0])
    assert "Alex" in "\n".join(api.bodies_to(number)[before:]), "the victim is told who joined, by SMS"
    assert text(servers, api, number, "merci, j'ai peur") == [], "the bot is silent while the operator talks"
    operator.send(waiting[0], "Bonjour, je suis Alex. Avez-vous pu changer votre mot de passe ?")
    assert api.bodies_to(number)[-1] == "Bonjour, je suis Alex. Avez-vous pu changer votre mot de passe ?"


def inline(server, number: str, body: str) -> str:
    """Sends a signed SMS to a TwiML-only server and returns its inline replies."""
    response = post(server, twilio_form(number, body))
    assert response.status_code == 200, response.text
    return "\n".join(m.text or "" for m in ElementTree.fromstring(response.text).iter("Message"))


def test_without_the_rest_api_a_victim_who_asks_for_a_person_gets_the_alternatives(servers, twiml_only):
    number = new_number()
    inline(twiml_only, number, "on a piraté mon compte facebook")
    consent = inline(twiml_only, number, "je veux parler à un conseiller")
    yes = re.search(r"^(\d)\. Oui", consent, flags=re.MULTILINE).group(1)
    told = inline(twiml_only, number, yes)
    assert "nos conseillers ne peuvent pas vous écrire" in told and "17cyber.gouv.fr" in told and "17 ou 112" in told
    engine = sa.create_engine(servers.database_url)
    with engine.connect() as connection:
        queued = connection.execute(
            sa.text("SELECT COUNT(*) FROM handovers WHERE sender_id = :s"), {"s": f"sms:{number}"}
        ).scalar()
    engine.dispose()
    assert queued == 0, "no request that no operator could answer"


def test_suite_without_anything_pending_says_so(servers, api):
    number = new_number()
    reply = text(servers, api, number, "suite")
    assert reply == [sms.NO_MORE_REPLY]


def test_aide_gives_help_with_the_emergency_numbers(servers, api):
    number = new_number()
    reply = text(servers, api, number, "Aide")
    assert reply == [sms.HELP_REPLY]
    assert all(n in reply[0] for n in ("17", "112", "114", "STOP", "SUITE"))
    assert segments(reply[0]) <= 2


def application_data(sender_id: str) -> dict:
    """What the application keeps about a conversation besides Rasa's events (in DATABASE_URL)."""
    from bot import handover, ratings
    from console.models import HandoverNote
    from console.review_models import ConversationIndex, MessageAnnotation

    counts = {}
    with db_engine().connect() as connection:
        for name, table in (
            ("handovers", handover.Handover),
            ("ratings", ratings.Rating),
            ("index", ConversationIndex),
            ("annotations", MessageAnnotation),
        ):
            counts[name] = connection.execute(
                sa.select(sa.func.count()).select_from(table.__table__).where(table.__table__.c.sender_id == sender_id)
            ).scalar()
        notes = HandoverNote.__table__
        handovers = handover.Handover.__table__
        counts["notes"] = connection.execute(
            sa.select(sa.func.count())
            .select_from(notes.join(handovers, notes.c.handover_id == handovers.c.id))
            .where(handovers.c.sender_id == sender_id)
        ).scalar()
    return counts


def db_engine():
    from bot import db

    return db.engine()


def opt_out_rows() -> list:
    with db_engine().connect() as connection:
        return [row.number_hash for row in connection.execute(sa.text("SELECT number_hash FROM sms_opt_outs"))]


def test_stop_forgets_the_conversation_and_the_application_data(servers, api, monkeypatch):
    """STOP deletes the events and everything the console and the actions keep about the conversation."""
    from bot import db, handover, ratings
    from console import annotations, index
    from console.models import HandoverNote, StaffUser

    monkeypatch.setenv("DATABASE_URL", servers.database_url)
    number = new_number()
    sender_id = f"sms:{number}"
    text(servers, api, number, "j'ai reçu un sms chronopost avec un lien pour payer des frais")
    with db_engine().connect() as connection:
        event_id = connection.execute(
            sa.text("SELECT id FROM events WHERE sender_id = :s AND type_name = 'user'"), {"s": sender_id}
        ).scalar()
    with db.session() as session:
        operator = session.scalar(sa.select(StaffUser))
    # What staff and actions would have stored meanwhile: a rating, a handover with a note, the review index, an
    # annotation.
    ratings.store(sender_id, "4")
    item = handover.request(sender_id, "sms", "asked", {"title": "Hameçonnage", "details": {}})
    with db.session() as session:
        session.add(HandoverNote(handover_id=item.id, text="rappeler en fin de journée"))
    index.refresh(settle_seconds=0)
    annotations.annotate(operator, sender_id, event_id, "j'ai reçu un sms", "hameconnage", 0.9, "hameconnage", [])
    before = application_data(sender_id)
    assert all(before.values()), before

    reply = text(servers, api, number, "STOP")
    assert reply == [sms.STOP_REPLY]
    assert events(servers.database_url, sender_id) == [], "every event of the conversation is deleted"
    assert application_data(sender_id) == {name: 0 for name in before}, "and everything kept about it"
    # writing again starts afresh
    assert "Bonjour" in text(servers, api, number, "bonjour")[0]


def test_after_stop_and_a_restart_no_one_can_text_the_number_until_it_writes_again(servers, api, monkeypatch):
    """The opt-out is in the database: this test process, which never saw the STOP, stands for a restarted server
    (or another one) sending an operator's message."""
    for name, value in server_settings(api).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", servers.database_url)
    number = new_number()
    text(servers, api, number, "bonjour")
    assert text(servers, api, number, "stop") == [sms.STOP_REPLY]
    stored = opt_out_rows()
    assert hmac.new(AUTH_TOKEN.encode(), number.encode(), hashlib.sha256).hexdigest() in stored
    assert not any(number in row or number[1:] in row for row in stored), "only a keyed hash of the number"
    with pytest.raises(RuntimeError, match="STOP"):
        asyncio.run(sms.send_to(f"sms:{number}", "Bonjour, je suis Alex, conseiller."))
    assert api.bodies_to(number)[-1] == sms.STOP_REPLY, "nothing was sent"

    assert "Bonjour" in text(servers, api, number, "bonjour, c'est encore moi")[0], "writing again is consent"
    asyncio.run(sms.send_to(f"sms:{number}", "Bonjour, je suis Alex, conseiller."))
    assert api.bodies_to(number)[-1] == "Bonjour, je suis Alex, conseiller."


def test_a_redelivered_message_is_answered_once(servers, api):
    number = new_number()
    form = twilio_form(number, "bonjour")
    assert post(servers, form).status_code == 200
    assert post(servers, form).status_code == 200
    assert len(api.bodies_to(number)) == 2  # the reply and the privacy notice, once
    assert len(events(servers.database_url, f"sms:{number}", "user")) == 1


def test_a_redelivery_to_another_server_or_after_a_restart_is_answered_once(servers, other_server, api):
    number = new_number()
    form = twilio_form(number, "bonjour")
    assert post(servers, form).status_code == 200
    assert len(api.bodies_to(number)) == 2  # the reply and the privacy notice
    # The gateway retries; the retry reaches a server that never saw the first delivery.
    response = post(other_server, form)
    assert response.status_code == 200 and "<Message>" not in response.text
    assert len(api.bodies_to(number)) == 2, "answered once"
    assert len(events(servers.database_url, f"sms:{number}", "user")) == 1
    # A new message from the same number is of course answered by that server.
    assert text(other_server, api, number, "merci")


def test_rate_limit_answers_once_in_french_then_stays_silent(servers, api):
    number = new_number()
    for _ in range(RATE_LIMIT):
        assert text(servers, api, number, "merci")
    assert text(servers, api, number, "merci") == [transliterate(RATE_LIMIT_REPLY)]
    assert text(servers, api, number, "merci") == []
    assert text(servers, api, number, "STOP") == [sms.STOP_REPLY], "STOP works even over the limit"


def test_mms_without_text_gets_a_french_answer(servers, api):
    number = new_number()
    reply = text(
        servers,
        api,
        number,
        "",
        NumMedia="1",
        MediaContentType0="image/jpeg",
        MediaUrl0=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media/ME1",
    )
    assert reply == [sms.MEDIA_REPLY]


@pytest.mark.parametrize(
    "body", ["", "   ", "\x00\x01\x7f", "é" * 1600, "🙏😭"], ids=["empty", "blank", "control", "long", "emoji"]
)
def test_bad_messages_get_a_french_answer(servers, api, body):
    number = new_number()
    replies = text(servers, api, number, body)
    assert replies and "ous" in replies[0]  # vous / Vous / votre
    assert all(segments(reply) <= 3 for reply in replies)


def test_oversized_or_undecodable_requests_are_refused(servers, api):
    number = new_number()
    huge = twilio_form(number, "x" * 70_000)
    assert post(servers, huge).status_code == 413
    assert post(servers, {}, body=b"\xff\xfe%%%\x00", signature="abc").status_code == 403
    assert text(servers, api, number, "bonjour"), "the server keeps serving"


def test_when_the_api_refuses_the_reply_goes_inline_as_twiml(servers, api):
    response = post(servers, twilio_form(UNSUBSCRIBED_NUMBER, "bonjour"))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    assert "<Message>" in response.text and "Bonjour" in response.text
    assert any(m["To"] == UNSUBSCRIBED_NUMBER for m in api.rejected)


# --- send_to, in this process, against the stand-in API --------------------------------------------------------------
def test_send_to_uses_the_rest_api_with_numbered_choices(api, monkeypatch):
    monkeypatch.setenv("SMS_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("SMS_API_BASE_URL", api.url)
    monkeypatch.setenv("SMS_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("SMS_FROM", SMS_FROM)
    number = new_number()
    asyncio.run(
        sms.send_to(
            f"sms:{number}",
            "Bonjour, je suis Alex, conseiller. Voulez-vous être rappelé ?",
            [{"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"}],
        )
    )
    assert api.bodies_to(number) == [
        "Bonjour, je suis Alex, conseiller. Voulez-vous être rappelé ?\n1. Oui\n2. Non\nRépondez 1 ou 2."
    ]
    assert sms._choices.get(f"sms:{number}")["payloads"] == ["/affirm", "/deny"]
    monkeypatch.setenv("SMS_AUTH_TOKEN", "wrong-token")
    with pytest.raises(sms.SmsApiError):
        asyncio.run(sms.send_to(f"sms:{number}", "texte"))


def test_send_to_needs_the_rest_api(monkeypatch):
    monkeypatch.setenv("SMS_AUTH_TOKEN", AUTH_TOKEN)
    for name in ("SMS_API_BASE_URL", "SMS_ACCOUNT_SID", "SMS_FROM"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError):
        asyncio.run(sms.send_to("sms:+33612345678", "texte"))
    with pytest.raises(ValueError):
        asyncio.run(sms.send_to("telegram:42", "texte"))


# --- units: segments, splitting, choices, keywords, limits --------------------------------------------------------
@pytest.mark.parametrize(
    "message, expected_encoding, units, expected_segments",
    [
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("é" * 306, "GSM-7", 306, 2),  # é è à ù are GSM-7
        ("é" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters take two septets
        ("ê" + "a" * 69, "UCS-2", 70, 1),  # one ê switches the whole message to UCS-2
        ("ê" + "a" * 70, "UCS-2", 71, 2),
        ("ç" * 134, "UCS-2", 134, 2),
        ("ç" * 135, "UCS-2", 135, 3),
        ("😭" * 35, "UCS-2", 70, 1),  # an emoji takes two UTF-16 units
    ],
)
def test_segment_counts(message, expected_encoding, units, expected_segments):
    assert encoding(message) == expected_encoding
    assert length_in_units(message) == units
    assert segments(message) == expected_segments


def test_typographic_punctuation_is_transliterated_to_gsm7():
    assert transliterate("L’escroc a dit « payez »… – vite") == 'L\'escroc a dit "payez"... - vite'
    assert encoding(transliterate("Vous l’avez reçu ? « Non »\u202f!")) == "UCS-2"  # ç stays: it is French
    assert encoding(transliterate("Vous l’avez vu ? « Non »\u00a0!")) == "GSM-7"


SHEET = (
    "Au regard de vos éléments, vous semblez être victime d’un piratage de compte. Changez tout de suite le mot de "
    "passe du compte concerné, et celui de tous les comptes qui utilisaient le même. Activez la double "
    "authentification. Prévenez vos contacts : ils ne doivent pas répondre aux messages envoyés en votre nom. "
    "Conservez les preuves (captures d’écran, adresses, dates). Signalez le compte à la plateforme.\n"
    "Vous pouvez porter plainte au commissariat ou à la gendarmerie, ou en ligne."
)


def test_a_long_reply_keeps_every_word_in_order_and_each_message_within_three_segments():
    pages = page_turn([{"text": SHEET}], messages_now=1)
    sent = pages.now + pages.later
    assert len(sent) > 1 and all(segments(page) <= 3 for page in sent)
    assert all(page.endswith(SUITE_NOTE) for page in sent[:-1]) and not sent[-1].endswith(SUITE_NOTE)
    rebuilt = " ".join(" ".join(page.removesuffix(SUITE_NOTE).split()) for page in sent)
    assert rebuilt == " ".join(transliterate(SHEET).split()), "nothing is lost or reordered"


def test_a_short_gsm7_reply_is_a_single_message_without_suite():
    pages = page_turn([{"text": "Bonjour, décrivez-moi ce qui vous arrive."}])
    assert pages == (["Bonjour, décrivez-moi ce qui vous arrive."], [], [], None)


def test_a_giant_word_is_cut_rather_than_lost():
    url = "https://example.org/" + "a" * 1000
    pages = page_turn([{"text": url}], messages_now=1)
    sent = pages.now + pages.later
    assert all(segments(page) <= 3 for page in sent)
    assert "".join(page.removesuffix(SUITE_NOTE) for page in sent) == url


@pytest.mark.parametrize(
    "reply", [sms.STOP_REPLY, sms.HELP_REPLY, sms.NO_MORE_REPLY, sms.MEDIA_REPLY, RATE_LIMIT_REPLY, SAFETY_REPLY]
)
def test_every_fixed_reply_fits_one_message(reply):
    assert segments(one_message(reply)) <= 3, one_message(reply)


def test_numbered_choices_across_a_turn():
    replies = [
        {
            "text": "Avez-vous payé ?",
            "buttons": [{"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"}],
            "utter_action": "utter_ask_paid",
        },
        {"text": "Ou bien :", "buttons": [{"title": "Je ne sais pas", "payload": "/dont_know"}]},
    ]
    pages = page_turn(replies)
    assert pages.now == ["Avez-vous payé ?\nOu bien :\n1. Oui\n2. Non\n3. Je ne sais pas\nRépondez 1, 2 ou 3."]
    payloads = pages.payloads
    assert payloads == ["/affirm", "/deny", "/dont_know"]
    assert chosen_payload("2", payloads) == "/deny"
    assert chosen_payload(" 3. ", payloads) == "/dont_know"
    assert chosen_payload("4", payloads) is None  # not a choice: read as text (an amount, say)
    assert chosen_payload("300", payloads) is None
    assert chosen_payload("1", None) is None


@pytest.mark.parametrize(
    "body, expected",
    [
        ("STOP", "STOP"),
        (" stop. ", "STOP"),
        ("Stop !", "STOP"),
        ("aide", "AIDE"),
        ("AIDE ?", "AIDE"),
        ("Suite", "SUITE"),
        ("stop le robot je veux un humain", None),
        ("aidez-moi", None),
        ("", None),
    ],
)
def test_keywords(body, expected):
    assert sms.keyword(body) == expected


@pytest.mark.parametrize(
    "host", ["assistant.example.org:abc", "h\udcc3\udca9te.example.org"], ids=["bad-port", "undecodable"]
)
def test_signature_check_survives_odd_hosts(monkeypatch, host):
    monkeypatch.setenv("SMS_AUTH_TOKEN", AUTH_TOKEN)
    form = sms.parse_form(urlencode(twilio_form("+33612345678", "bonjour")).encode())
    assert not sms.signature_valid(f"https://{host}/webhooks/sms/webhook", form, "abc")


def test_after_stop_nothing_more_is_sent_to_the_number(api, monkeypatch):
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain

    for name, value in (
        ("SMS_AUTH_TOKEN", AUTH_TOKEN),
        ("SMS_API_BASE_URL", api.url),
        ("SMS_ACCOUNT_SID", ACCOUNT_SID),
        ("SMS_FROM", SMS_FROM),
    ):
        monkeypatch.setenv(name, value)
    number = new_number()
    agent = SimpleNamespace(tracker_store=InMemoryTrackerStore(Domain.empty()), lock_store=InMemoryLockStore())
    asyncio.run(sms._forget(SimpleNamespace(ctx=SimpleNamespace(agent=agent)), f"sms:{number}", number))
    with pytest.raises(RuntimeError, match="STOP"):
        asyncio.run(sms.send_to(f"sms:{number}", "Un conseiller vous répond."))
    assert api.bodies_to(number) == []


# --- privacy: the notice in a message of its own, and "effacer mes données" ------------------------------------------
def test_the_privacy_notice_comes_once_in_its_own_message_after_the_first_reply(servers, api):
    number = new_number()
    first = text(servers, api, number, "bonjour")
    assert len(first) == 2 and "Bonjour" in first[0], "the answer first: the notice never takes its place"
    assert "Bon a savoir" in first[1] or "Bon à savoir" in first[1]
    assert "STOP" in first[1] and "/confidentialite" in first[1] and segments(first[1]) <= 3
    assert not any("Bon à savoir" in m for m in text(servers, api, number, "on m'a pirate mon compte facebook"))


def test_twiml_puts_later_messages_in_messages_of_their_own():
    body = sms.twiml("La réponse", ["La notice"]).body.decode()
    assert body.count("<Message>") == 2 and body.index("La réponse") < body.index("La notice")
    assert "<Message>" not in sms.twiml().body.decode()


def test_effacer_mes_donnees_then_1_erases_everything(servers, api, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", servers.database_url)
    number = new_number()
    sender_id = f"sms:{number}"
    text(servers, api, number, "j'ai recu un sms chronopost et j'ai payé 1,99 euros avec ma carte")
    asked = "\n".join(read_all(servers, api, number, text(servers, api, number, "effacer mes données")))
    assert "1. Oui, tout effacer" in asked, asked
    assert events(servers.database_url, sender_id, "user"), "nothing is erased before the confirmation"
    done = text(servers, api, number, "1")
    assert len(done) == 1 and "effac" in done[0]
    assert events(servers.database_url, sender_id) == []
    assert not any(application_data(sender_id).values())
    assert "Bon" in text(servers, api, number, "bonjour")[-1], "a new conversation: the notice again"


# --- issue 16's targets, for every incident ------------------------------------------------------------------------
def numbered(message: str) -> list:
    return re.findall(r"^(?:\d/\d )?(\d+)\. ", message, flags=re.MULTILINE)


@pytest.mark.parametrize("incident", sorted(DESCRIPTIONS))
def test_every_incident_asks_in_the_first_sms_and_advises_in_two(servers, api, incident):
    """The question and all its choices in the first SMS of the first reply; the first urgent action in the first
    SMS of the advice; the essentials of the advice, to the link to the full sheet, in the messages of that turn (at
    most 2); no choice list cut. (tests/test_sms_pages.py checks the essentials for every combination of answers.)"""
    number = new_number()
    turn = [m for m in text(servers, api, number, DESCRIPTIONS[incident]) if "Bon à savoir" not in m]
    advised = any("à faire tout de suite" in m for m in turn)  # facts already stated: no question to ask
    assert advised or (numbered(turn[0]) and "Répondez" in turn[0]), turn
    for _ in range(8):
        assert len(turn) <= settings_messages_per_turn()
        assert all(segments(m) <= 3 for m in turn), turn
        lists = [m for m in turn if numbered(m)]
        assert len(lists) <= 1, f"a choice list cut across messages: {turn}"
        if any("à faire tout de suite" in m for m in turn):
            break
        yes = next((n for n, line in choices(lists[0]) if line.startswith("Oui")), "1") if lists else "1"
        turn = text(servers, api, number, yes)
    else:
        pytest.fail(f"no advice after 8 answers: {turn}")
    start = next(i for i, m in enumerate(turn) if "à faire tout de suite" in m)
    assert "à faire tout de suite :\n- " in turn[start], "the first urgent action is in the first SMS of the advice"
    sent = "\n".join(turn[start:])
    assert "Preuves : " in sent and "Fiche complète : www." in sent, f"the essentials in the turn's SMS: {turn}"


def choices(message: str) -> list:
    return re.findall(r"^(?:\d/\d )?(\d+)\. (.*)$", message, flags=re.MULTILINE)


def settings_messages_per_turn() -> int:
    return 2  # SMS_MESSAGES_PER_TURN's default, which the servers of this module run with


def test_the_dossier_link_works_by_sms_until_it_expires_or_the_victim_sends_stop(servers, api):
    number = new_number()
    text(servers, api, number, "un faux conseiller de la banque m'a fait valider un virement de 1 500 euros hier")
    sent = "\n".join(text(servers, api, number, "mon dossier"))
    found = re.search(r"https?://\S+(/dossier/[A-Za-z0-9_\-]+)", sent)
    assert found, sent
    url = servers.base_url + found.group(1)
    page = requests.get(url, timeout=30)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    pdf = requests.post(url, timeout=60)
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    engine = sa.create_engine(servers.database_url)
    with engine.begin() as connection:  # the delay passes
        connection.execute(
            sa.text("UPDATE dossier_links SET expires_at = '2000-01-01 00:00:00' WHERE sender_id = :s"),
            {"s": f"sms:{number}"},
        )
    assert requests.get(url, timeout=30).status_code == 404
    fresh = re.search(r"/dossier/[A-Za-z0-9_\-]+", "\n".join(text(servers, api, number, "mon dossier"))).group(0)
    assert requests.get(servers.base_url + fresh, timeout=30).status_code == 200
    text(servers, api, number, "STOP")
    assert requests.get(servers.base_url + fresh, timeout=30).status_code == 404
    engine.dispose()
