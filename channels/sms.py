"""The SMS channel: a Twilio-compatible gateway posts each SMS to `POST /webhooks/sms/webhook`.

- On only when `SMS_AUTH_TOKEN` is set (bot.settings); otherwise it registers no route at all.
- Every request must carry a valid `X-Twilio-Signature` (HMAC-SHA1 of the public URL and the form fields with
  `SMS_AUTH_TOKEN`, checked with twilio's RequestValidator and a constant-time comparison), otherwise 403. The URL
  is the one the gateway was configured with: `SMS_WEBHOOK_URL` when set (recommended in production), otherwise
  rebuilt from X-Forwarded-Proto / X-Forwarded-Host (behind a reverse proxy) or the request itself.
- Replies go inline as TwiML, or through the REST API (`{SMS_API_BASE_URL}/2010-04-01/Accounts/{SMS_ACCOUNT_SID}/
  Messages.json`, from `SMS_FROM`) when those three settings are set; the REST API is also what `send_to` uses
  for messages that come later (operators). Without it, operators cannot write to SMS victims.
- SMS-aware output (channels/sms_text.py): a turn goes out as up to SMS_MESSAGES_PER_TURN messages of at most 3
  segments, the question and all its choices in the first one; details wait for SUITE; the privacy notice of a
  conversation's first turn is a message of its own, after them (channels/privacy_notice.py). Buttons become
  numbered choices and "1", "2"... select them. Keywords: STOP (forget the conversation and the number), AIDE
  (help), SUITE (next part), RECAP (the recap of the advice).
- STOP deletes the conversation's events and everything the application keeps about it (handovers and their notes,
  ratings, review index and annotations: every eraser registered in bot.erasure), and records the opt-out in the
  `sms_opt_outs` table as a keyed hash of the number (HMAC-SHA256 with SMS_AUTH_TOKEN), so that no process, even
  after a restart, sends anything more to the number. Writing again is consent to talk again: it clears the opt-out.
  Rotating SMS_AUTH_TOKEN makes the stored hashes unmatchable (the opt-outs are then forgotten).
- Gateway retries (same MessageSid) are answered once: this process's memory first, then the stored conversation
  (the MessageSid is the message_id of the victim's UserUttered event), which also catches a retry that reaches
  another server process or comes after a restart.
- The conversation id is `sms:<E.164 number>`: a hash would not let operators answer later. Staff views must
  redact the number.
- Rasa's built-in Twilio connector is not used: it checks no signature and blocks the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import unicodedata
from datetime import datetime
from functools import lru_cache
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Text, Tuple
from urllib.parse import parse_qs, urlparse

import httpx
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import Column, DateTime, String, delete, select
from twilio.request_validator import RequestValidator, add_port, remove_port
from twilio.twiml.messaging_response import MessagingResponse

from bot import db, delivery, erasure, responses, settings, trackers, vocabulary
from channels import store
from channels.common import SAFETY_REPLY
from channels.inbound import RATE_LIMIT_REPLY, Inbound, RateLimiter
from channels.sms_text import chosen_payload, has_choices, one_message, page_turn

logger = logging.getLogger(__name__)

CHANNEL = vocabulary.SMS.input_channel
MAX_FORM_BYTES = 64_000  # a real webhook is about 1 kB; an SMS body is at most 1,600 characters
API_TIMEOUT = httpx.Timeout(10.0)

HELP_REPLY = responses.text("utter_sms_help")
STOP_REPLY = responses.text("utter_sms_stop")
NO_MORE_REPLY = responses.text("utter_sms_no_more")
MEDIA_REPLY = responses.text("utter_non_text", channel=CHANNEL)
MEDIA_NOTE = responses.text("utter_attachment_note", channel=CHANNEL)

# Per-process memory (see channels.common about Redis with several instances).
_inbound = Inbound(CHANNEL, MAX_FORM_BYTES)
_pending = store.space("sms:pages", max_items=50_000, ttl_seconds=24 * 3600)  # sender -> parts waiting for SUITE
_choices = store.space("sms:choices", max_items=50_000, ttl_seconds=24 * 3600)  # sender -> the choices' payloads
_client: Optional[httpx.AsyncClient] = None  # the server's HTTP client for the REST API, open while it runs


class SmsApiError(RuntimeError):
    """The REST API refused or failed to send a message."""


class SmsOptOut(db.Base):
    """A number that sent STOP: nothing may be sent to it until it writes again.

    Only a keyed hash is stored (HMAC-SHA256 with SMS_AUTH_TOKEN): enough to recognise the number when an operator
    or a late reply is about to text it, useless to anyone reading the table without the token.
    """

    __tablename__ = "sms_opt_outs"

    number_hash = Column(String(64), primary_key=True)
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)


def sender_id_for(number: str) -> str:
    return f"{CHANNEL}:{number}"


def number_of(sender_id: str) -> str:
    prefix, _, number = sender_id.partition(":")
    if prefix != CHANNEL or not number:
        raise ValueError(f"not an SMS conversation id: {sender_id!r}")
    return number


def _number_key(number: str) -> str:
    key = (settings.current().sms_auth_token or "").encode("utf-8")
    return hmac.new(key, number.encode("utf-8"), hashlib.sha256).hexdigest()


# --- opt-outs and forgetting (synchronous SQLAlchemy: call them through asyncio.to_thread) -------------------------
@lru_cache(maxsize=None)
def _tables_ready(url: str) -> bool:
    """Creates, once per database, the opt-out table (the server may get an SMS before anything created it)."""
    SmsOptOut.__table__.create(db.engine(url), checkfirst=True)
    return True


def _ensure_tables() -> None:
    _tables_ready(settings.current().database_url)


def is_opted_out(number: str) -> bool:
    _ensure_tables()
    with db.session() as session:
        return session.get(SmsOptOut, _number_key(number)) is not None


def _record_opt_out(number: str) -> None:
    _ensure_tables()
    with db.session() as session:
        if session.get(SmsOptOut, _number_key(number)) is None:
            session.add(SmsOptOut(number_hash=_number_key(number)))


def _clear_opt_out(number: str) -> None:
    _ensure_tables()
    key = _number_key(number)
    with db.session() as session:
        # Read before deleting: nearly every message comes from a number that never sent STOP, and a read does not
        # take SQLite's write lock.
        if session.execute(select(SmsOptOut.number_hash).where(SmsOptOut.number_hash == key)).first():
            session.execute(delete(SmsOptOut).where(SmsOptOut.number_hash == key))


KEYWORDS = ("STOP", "AIDE", "SUITE", "RECAP")
RECAP_TEXT = "récapitulatif"  # what RECAP means for the NLU: the recap of the advice (ask_recap)


def keyword(body: str) -> Optional[str]:
    """STOP, AIDE, SUITE or RECAP when that is the whole message (any case, accents or punctuation)."""
    letters = unicodedata.normalize("NFKD", body or "").encode("ascii", "ignore").decode().upper()
    word = re.sub(r"[^A-Z]", "", letters)
    return word if word in KEYWORDS else None


# --- signature ----------------------------------------------------------------------------------------------------
class _Form(dict):
    """Form fields with all their values, as RequestValidator expects (it calls `getall`)."""

    def getall(self, name: str) -> List[str]:
        return self[name]


def parse_form(body: bytes) -> _Form:
    return _Form(parse_qs(body.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace"))


def _first(header: Optional[str]) -> Optional[str]:
    # Proxies chain values ("https, http"): the first one is what the client (the gateway) used.
    return header.split(",")[0].strip() if header else None


def public_url(request: Request) -> str:
    """The URL the gateway called, as it signed it."""
    configured = settings.current().sms_webhook_url
    if configured:
        return configured
    scheme = _first(request.headers.get("X-Forwarded-Proto")) or request.scheme
    host = _first(request.headers.get("X-Forwarded-Host")) or request.headers.get("Host") or request.host
    query = f"?{request.query_string}" if request.query_string else ""
    return f"{scheme}://{host}{request.path}{query}"


def signature_valid(url: str, form: _Form, signature: Optional[str]) -> bool:
    token = settings.current().sms_auth_token
    if not token or not signature:
        return False
    validator = RequestValidator(token)
    valid = False
    try:
        parsed = urlparse(url)
        received = signature.encode("utf-8", "surrogateescape")  # Sanic decodes headers with surrogateescape
        # Gateways sign the URL with or without the default port: accept both, as RequestValidator.validate does,
        # but compare with hmac.compare_digest (the SDK's `compare` returns early on a length mismatch).
        for candidate in (remove_port(parsed), add_port(parsed)):
            expected = validator.compute_signature(candidate, form).encode("utf-8")
            valid |= hmac.compare_digest(expected, received)
    except (UnicodeError, ValueError):  # undecodable header bytes, a Host with a non-numeric port...
        return False
    return valid


# --- output -------------------------------------------------------------------------------------------------------
def twiml(text: Optional[str] = None, later: Sequence[str] = ()) -> HTTPResponse:
    """Inline replies: `text`, then each of `later` as a message of its own."""
    reply = MessagingResponse()
    for message in (text, *later) if text else ():
        reply.message(message)
    return response.text(str(reply), content_type="application/xml; charset=utf-8")


async def _post_message(to: str, body: str) -> None:
    sid, token = settings.current().sms_account_sid, settings.current().sms_auth_token
    url = f"{settings.current().sms_api_base_url}/2010-04-01/Accounts/{sid}/Messages.json"
    data = {"To": to, "From": settings.current().sms_from, "Body": body}
    if _client is not None:
        result = await _client.post(url, data=data, auth=(sid, token))
    else:  # called outside the server (scripts, tests): a short-lived client
        async with httpx.AsyncClient(timeout=API_TIMEOUT) as client:
            result = await client.post(url, data=data, auth=(sid, token))
    if result.status_code >= 400:
        try:
            detail = result.json()
        except ValueError:
            detail = result.text[:200]
        raise SmsApiError(f"SMS API answered {result.status_code}: {detail}")


def _prepare(sender_id: str, replies: List[Dict[str, Any]]) -> List[str]:
    """The messages to send now for a turn (channels/sms_text.py lays them out); the rest waits for SUITE and the
    choices, all in the messages sent now, are remembered."""
    pages = page_turn(replies, settings.current().sms_messages_per_turn)
    if pages.payloads:
        _choices.put(sender_id, {"payloads": pages.payloads, "shown": pages.choices_sent, "block": pages.choices})
    else:
        _choices.take(sender_id)
    if pages.later:
        _pending.put(sender_id, pages.later)
    else:
        _pending.take(sender_id)
    return pages.now


def _next_part(sender_id: str) -> str:
    parts = _pending.take(sender_id) or []
    if not parts:
        return one_message(NO_MORE_REPLY)
    if len(parts) > 1:
        _pending.put(sender_id, parts[1:])
    choices = _choices.get(sender_id)
    if choices and not choices["shown"] and has_choices(parts[0]):
        _choices.put(sender_id, {**choices, "shown": True})
    return parts[0]


def _choice_answered(sender_id: str, body: str) -> Tuple[Optional[str], Optional[str]]:
    """(payload, None) for a number that answers the choices the victim has read; (None, the choices) for a number
    answered before the choices were read (they are shown, no guess is made); (None, None) otherwise."""
    choices = _choices.get(sender_id)
    payload = chosen_payload(body, choices["payloads"] if choices else None)
    if payload is None or choices is None:
        return None, None
    if choices["shown"]:
        return payload, None
    _choices.put(sender_id, {**choices, "shown": True})
    return None, choices["block"]


async def _answer(number: str, text: Optional[str], later: Sequence[str] = ()) -> HTTPResponse:
    """Replies through the REST API when configured, inline TwiML otherwise or when the API fails; `later` are
    messages of their own after `text` (the rest of the turn, then the privacy notice)."""
    if not text:
        return twiml()
    if settings.current().sms_mode == "rest":
        try:
            await _post_message(number, text)
        except (SmsApiError, httpx.HTTPError) as error:
            logger.warning("SMS API failed (%s); replying inline with TwiML instead", error)
            return twiml(text, later)
        try:
            for message in later:
                await _post_message(number, message)
        except (SmsApiError, httpx.HTTPError) as error:
            logger.warning("SMS API failed on a later message (%s)", error)
        return twiml()
    return twiml(text, later)


async def send_to(sender_id: str, text: str, buttons: Optional[list] = None) -> None:
    """Sends a message to an SMS conversation outside any request (operators), through the REST API."""
    number = number_of(sender_id)
    _choices.take(sender_id)  # the victim's "1" now answers the operator, not an older question
    if settings.current().sms_mode != "rest":
        raise RuntimeError(
            "SMS messages outside a reply need the REST API: set SMS_API_BASE_URL, SMS_ACCOUNT_SID and SMS_FROM."
        )
    # Fails closed: if the database cannot tell whether the number sent STOP, nothing is sent.
    if await asyncio.to_thread(is_opted_out, number):
        raise RuntimeError("This SMS conversation sent STOP: nothing more may be sent to the number.")
    for message in _prepare(sender_id, [{"text": text, "buttons": buttons or [], "sms": "menu"}]):
        await _post_message(number, message)


# --- input --------------------------------------------------------------------------------------------------------
async def _forget(app: Any, sender_id: str, number: str) -> None:
    """STOP: the opt-out is recorded first (so that nothing is sent while the rest is deleted), then the
    conversation's events and everything the application keeps about the conversation are deleted."""
    _pending.take(sender_id)
    _choices.take(sender_id)
    _inbound.forget(sender_id)
    try:
        await asyncio.to_thread(_record_opt_out, number)
    except Exception:
        logger.exception("Could not record an SMS opt-out")
    try:
        await trackers.delete(app.ctx.agent, sender_id)
    except Exception:
        logger.exception("Could not delete an SMS conversation after STOP")
    try:
        await asyncio.to_thread(erasure.forget, [sender_id])
    except Exception:
        logger.exception("Could not delete the application data of an SMS conversation after STOP")


async def _still_consenting(number: str) -> bool:
    """False when the number sent STOP while its message was being handled: the reply is then dropped. A database
    error does not drop it: the person wrote to us moments ago."""
    try:
        return not await asyncio.to_thread(is_opted_out, number)
    except Exception:
        logger.exception("Could not read the SMS opt-outs")
        return True


async def handle_sms(
    request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]], form: _Form
) -> HTTPResponse:
    def field(name: str) -> str:
        return (form.get(name) or [""])[0]

    number = field("From").strip()
    if not number:
        logger.warning("Signed SMS webhook without a From field: ignored")
        return twiml()
    sender_id = sender_id_for(number)
    body = field("Body")
    word = keyword(body)
    if word == "STOP":  # honoured before anything else, even over the rate limit
        await _forget(request.app, sender_id, number)
        return await _answer(number, one_message(STOP_REPLY))
    try:
        await asyncio.to_thread(_clear_opt_out, number)  # writing again undoes STOP
    except Exception:
        logger.exception("Could not clear an SMS opt-out")

    verdict = _inbound.admit(sender_id)
    if verdict == RateLimiter.DROP:
        return twiml()
    if verdict == RateLimiter.WARN:
        logger.warning("An SMS sender is over the rate limit")
        return await _answer(number, one_message(RATE_LIMIT_REPLY))
    if word == "AIDE":
        return await _answer(number, one_message(HELP_REPLY))
    if word == "SUITE":
        return await _answer(number, _next_part(sender_id))

    has_media = field("NumMedia").strip() not in ("", "0")
    if has_media and not body.strip():
        return await _answer(number, one_message(MEDIA_REPLY))
    metadata: Dict[str, Any] = {"channel": CHANNEL, "sms_message_sid": field("MessageSid") or field("SmsSid")}
    # Digits select one of the choices in front of the victim, even while details wait for SUITE; a number answered
    # to choices not read yet (a menu after long advice) shows them instead (channels/sms_text.py).
    payload, unread = _choice_answered(sender_id, body)
    if unread:
        return await _answer(number, one_message(unread))
    if payload is not None:
        metadata["sms_choice"] = body.strip()
    if has_media:
        metadata["attachment"] = "mms"
    replies = await _inbound.turn(
        request.app,
        on_new_message,
        payload or (RECAP_TEXT if word == "RECAP" else body),
        sender_id,
        metadata=metadata,
        message_id=metadata["sms_message_sid"] or None,
    )
    if not replies:  # an operator owns the conversation: the bot stays silent
        _choices.take(sender_id)
        return twiml()
    if has_media:
        replies.append({"text": MEDIA_NOTE})
    notices = [one_message(r["text"]) for r in replies if r.get("notice")]
    replies = [r for r in replies if not r.get("notice")]
    if not await _still_consenting(number):
        return twiml()
    now = _prepare(sender_id, replies)
    return await _answer(number, now[0] if now else None, now[1:] + notices)


async def _start(_app: Any) -> None:
    global _client
    try:
        await asyncio.to_thread(_ensure_tables)
    except Exception:  # retried at the first STOP or operator message
        logger.exception("Could not create the SMS opt-out table")
    if settings.current().sms_mode == "rest":
        _client = httpx.AsyncClient(timeout=API_TIMEOUT)


async def _stop(_app: Any) -> None:
    global _client
    client, _client = _client, None
    if client is not None:
        await client.aclose()


class SmsInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("cyberaide_sms", __name__)
        mode = settings.current().sms_mode
        if mode is None:
            logger.info("SMS channel off (SMS_AUTH_TOKEN not set).")
            return blueprint
        if mode == "twiml" and (
            settings.current().sms_api_base_url or settings.current().sms_account_sid or settings.current().sms_from
        ):
            logger.warning("SMS REST API needs SMS_API_BASE_URL, SMS_ACCOUNT_SID and SMS_FROM: replying with TwiML.")
        logger.info("SMS channel on (%s replies)", "REST API" if mode == "rest" else "TwiML")

        _inbound.on_start(blueprint, _start, _stop)
        _inbound.serve_health(blueprint, lambda: ({"status": "ok", "replies": mode}, 200))
        if mode == "rest":  # operators' messages and notices; TwiML can only answer the victim's own message
            delivery.register(vocabulary.SMS.key, send_to)

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if _inbound.too_big(request):
                return response.text("Requête trop volumineuse.", status=413)
            form = parse_form(request.body or b"")
            if not signature_valid(public_url(request), form, request.headers.get("X-Twilio-Signature")):
                return response.text("Signature invalide.", status=403)
            sid = (form.get("MessageSid") or form.get("SmsSid") or [""])[0]
            number = (form.get("From") or [""])[0].strip()
            conversation = sender_id_for(number) if number else None
            if sid and await _inbound.redelivered(request.app.ctx.agent, sid, conversation):
                logger.info("SMS %s already handled (redelivery): skipped", sid)
                return twiml()
            try:
                return await handle_sms(request, on_new_message, form)
            except Exception:
                logger.exception("Could not handle an SMS")
                return twiml(one_message(SAFETY_REPLY))

        return blueprint
