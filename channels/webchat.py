"""The web chat: an embeddable widget, its HTTP API with server push (server-sent events), and the demo page at `/`.

One tag adds the chat bubble to any site:

    <script src="https://ASSISTANT/webhooks/webchat/static/widget.js" defer></script>

Routes, under `/webhooks/webchat/` (every answer carries `Access-Control-Allow-Origin: *`, since the widget runs on
other sites' pages; there are no cookies, so no credentials are involved):

- `GET  /static/widget.js`, `/static/widget.css`: the widget (plain JS and CSS, no build step).
- `GET  /notice`: the privacy notice, as this deployment's settings word it (channels/privacy_notice.py).
- `POST /webhook` `{"session": "web:<uuid>", "message": "...", "client_id": "..."}`: a victim message. It goes
  through the bot like any channel's (`channels.common.converse`: input cleaning, the always-answer safety net).
  The answer holds the turn as the stream shows it (`messages`) and the replies that are not in the transcript
  (`notices`: safety reply, long-message note, rate limit...). `client_id` is the widget's id for the message: a
  retried POST (network drop after the server got it) is recognised and not answered twice.
- `POST /dossier` `{"session": "web:<uuid>"}`: the conversation's dossier as a PDF file (bot/dossier.py), for the
  download button the widget shows under "mon dossier", while a dossier link given in the conversation is valid.
- `GET  /stream?session=web:<uuid>[&after=N]`: server-sent events, one per message of the conversation (victim, bot,
  operator), read from the tracker store, the transcript of record. Each event's `id` is the event's index in the full
  tracker: a client that reconnects with `Last-Event-ID` (EventSource does it by itself) or `?after=N` gets exactly
  what it missed. The stream wakes up when `notify(sender_id)` is called (after each turn here, and by the console
  when an operator writes; with REDIS_URL, in every server process through Redis pub/sub, which carries a keyed hash
  of the session id, never the id), and re-reads the tracker every `RECHECK_SECONDS` anyway.

Messages are limited per session and per client address (IP_LIMIT_FACTOR times the per-session limit), since a
script can make up a new session id for every message; see TRUSTED_PROXIES in bot.settings.

Cross-origin requests are all "simple" (the widget posts JSON as `text/plain`, EventSource sends no custom header
on its first request), so no CORS preflight is needed: Rasa's CORS extension answers every OPTIONS request itself,
without our headers, before any route or middleware of ours could.

The session id is made by the widget (122 random bits) and is the only key to the conversation: whoever holds it
can read it. Only `web:<uuid>` conversations are served here, never Telegram or SMS ones.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.constants import EXTERNAL_MESSAGE_PREFIX
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import delivery, dossier_links, settings, vocabulary
from bot.logs import log_id
from channels import dossier_page, privacy_notice, self_erasure
from channels.inbound import RATE_LIMIT_REPLY, Inbound, RateLimiter, client_address

logger = logging.getLogger(__name__)

CHANNEL = vocabulary.WEB.input_channel
STATIC_DIR = Path(__file__).resolve().parent / "static"
# The widget's files, with explicit charsets: a script is otherwise decoded in the charset of the page that
# embeds it, and the widget's French text would be garbled on a Latin-1 site.
WIDGET_FILES = {
    "widget.js": "text/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
}

SESSION_FORMAT = re.compile(r"web:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
CLIENT_ID_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,64}")
# A victim's message is read up to 4,000 characters and kept up to 100,000 (channels.common); this leaves room for
# JSON escapes and multi-byte characters, and refuses anything bigger before parsing it.
MAX_BODY_BYTES = 512_000
RECHECK_SECONDS = 15.0  # safety net: the stream re-reads the tracker and sends a keep-alive comment this often
RETRY_MILLISECONDS = 3000  # EventSource's reconnection delay after a network drop
MAX_STREAMS_PER_SESSION = 8  # several tabs of the same site share a session; more is abuse

# The header's "Effacer mes données" button sends this payload without any message offering it.
ALWAYS_OFFERED = {self_erasure.REQUEST_PAYLOAD: "Effacer mes données"}

CORS_HEADERS = {"Access-Control-Allow-Origin": "*"}
# On every response here: the widget's files are run as what they say they are, and the pages' links (official
# reporting services) do not tell other sites that a victim came from here. Nothing that would stop a third-party
# site embedding the widget (no frame or resource policy).
PLAIN_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
# Tells Rasa's CORS extension (sanic_cors) that this response's CORS headers are set: with `rasa run --cors "*"` it
# would add a second Access-Control-Allow-Origin, which browsers reject.
_SANIC_CORS_EVALUATED = "_sanic_cors_e"

BAD_REQUEST = 'Requête invalide : envoyez un objet JSON {"session": "web:<identifiant>", "message": "votre message"}.'
BAD_SESSION = "Identifiant de conversation invalide : rechargez la page pour en obtenir un nouveau."
TOO_BIG = (
    "Votre message est beaucoup trop long pour être envoyé. Résumez l'essentiel en quelques phrases, s'il vous plaît."
)
DOSSIER_BUTTON = "Télécharger mon dossier (PDF)"
DOSSIER_GONE = (
    "Ce dossier n'est plus disponible : le lien a expiré ou la conversation a été effacée. Écrivez « mon dossier » "
    "pour en recevoir un nouveau."
)
DOSSIER_SLOW_DOWN = "Trop de demandes de dossier en peu de temps. Patientez une minute, puis réessayez."
TOO_MANY_STREAMS = "Trop de fenêtres ouvertes sur cette conversation : fermez-en quelques-unes."

# Session ids are made by the client, so a script can take a new one for every message: the client's address is
# limited too. Several victims may share an address (a family, an office, a mobile carrier's NAT), hence a multiple.
IP_LIMIT_FACTOR = 5


# --- waking the streams -------------------------------------------------------------------------------------------
# Open streams of this process, per conversation. With several Sanic workers or server instances, a message written
# by another process (an operator's, from a console request served elsewhere; a victim's, posted through another
# instance) must wake the streams held here: with REDIS_URL set, `notify` also publishes the conversation's key on a
# Redis channel that every server process subscribes to at start-up (`_Bus`). Without it, only this process's streams
# wake up, and the others see the message at their next periodic re-check.
#
# Streams are filed under `stream_key(session)`, a keyed hash, never the session id itself: the id is the only key to
# the conversation, and whoever reads Redis (its MONITOR command, a shared server, a backup) must not learn it.
_streams: Dict[str, Set[asyncio.Event]] = {}
_closing = False


def stream_key(sender_id: str) -> str:
    """HMAC-SHA256 of the conversation id under ACTION_SERVER_TOKEN: a secret that every server process of the
    deployment already shares (the README's Production section sets it on every machine), so that they all compute
    the same key, and that Redis never holds."""
    secret = (settings.current().action_server_token or "").encode("utf-8")
    return hmac.new(secret, f"webchat-stream:{sender_id}".encode("utf-8"), hashlib.sha256).hexdigest()


def _wake(key: str) -> None:
    for wake in list(_streams.get(key, ())):
        wake.set()


async def notify(sender_id: str) -> None:
    """Wakes the open streams of a conversation, in every server process: new events are in its tracker (bot turn,
    operator message)."""
    key = stream_key(sender_id)
    _wake(key)
    await _bus.publish(key)


def _wake_all() -> None:
    for wakes in list(_streams.values()):
        for wake in list(wakes):
            wake.set()


def redis_channel() -> str:
    """The pub/sub channel of stream wake-ups: REDIS_KEY_PREFIX (default "cyberaide") separates the deployments, or
    test runs, that share a Redis server."""
    return f"{settings.current().redis_key_prefix}:webchat:notify"


class _Bus:
    """Stream wake-ups between server processes over Redis pub/sub; inert while REDIS_URL is unset."""

    def __init__(self) -> None:
        self.publisher: Any = None  # redis.asyncio.Redis while the server runs with REDIS_URL
        self.listener: Optional[asyncio.Task] = None
        self.channel = ""
        # Each process ignores its own publications: its streams were woken directly.
        self.origin = uuid.uuid4().hex

    async def start(self) -> None:
        url = settings.current().redis_url
        if not url or self.listener is not None:
            return
        import redis.asyncio as aioredis

        self.channel = redis_channel()
        self.publisher = aioredis.from_url(url)
        subscribed = asyncio.Event()
        self.listener = asyncio.create_task(self._listen(url, subscribed))
        try:  # serve only once subscribed, so that no wake-up published meanwhile is lost; never block start-up
            await asyncio.wait_for(subscribed.wait(), 5.0)
        except asyncio.TimeoutError:
            logger.warning("Redis not reachable yet: web chat streams rely on their periodic re-check meanwhile.")

    async def publish(self, key: str) -> None:
        if self.publisher is None:
            return
        try:
            await self.publisher.publish(self.channel, f"{self.origin} {key}")
        except Exception as error:  # the streams of other processes will see it at their next re-check
            logger.warning("Could not publish a web chat wake-up on Redis: %s", error)

    async def _listen(self, url: str, subscribed: asyncio.Event) -> None:
        import redis.asyncio as aioredis

        delay = 1.0
        while True:
            client = aioredis.from_url(url)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                if subscribed.is_set():
                    # Reconnected: wake-ups published while we were away are lost, so every stream re-reads now.
                    _wake_all()
                subscribed.set()
                delay = 1.0
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=30.0)
                    if not message or message.get("type") != "message":
                        continue
                    data = message["data"]
                    origin, _, key = (
                        data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
                    ).partition(" ")
                    if origin != self.origin and key:
                        _wake(key)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning("Redis subscription for web chat wake-ups lost (%s); retrying in %.0f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
            finally:
                await _close_quietly(pubsub, client)

    async def stop(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.cancel()
            try:
                await listener
            except (asyncio.CancelledError, Exception):
                pass
        publisher, self.publisher = self.publisher, None
        if publisher is not None:
            await _close_quietly(publisher)


async def _close_quietly(*resources: Any) -> None:
    for resource in resources:
        try:
            await resource.close()
        except Exception:
            pass


_bus = _Bus()


# --- what the widget shows ----------------------------------------------------------------------------------------
def _buttons(data: Dict[str, Any]) -> List[Dict[str, str]]:
    """Quick replies (`payload`) and link buttons (`url`), as plain strings; the widget only opens http(s) URLs."""
    buttons = []
    for button in data.get("buttons") or data.get("quick_replies") or []:
        if not isinstance(button, dict):
            continue
        title = str(button.get("title") or "").strip()
        url = button.get("url")
        if isinstance(url, str) and url:
            buttons.append({"title": title or url, "url": url})
        elif title or button.get("payload"):
            payload = str(button.get("payload") or title)
            buttons.append({"title": title or payload, "payload": payload})
    return buttons


def widget_messages(events: List[Any]) -> List[Dict[str, Any]]:
    """The conversation as the widget shows it: victim, bot and operator messages, each with its tracker index."""
    messages: List[Dict[str, Any]] = []
    offered: Dict[str, str] = {}  # payload -> title of the buttons offered since the victim's last message
    for index, event in enumerate(events):
        if isinstance(event, UserUttered):
            text = event.text or ""
            if text.startswith(EXTERNAL_MESSAGE_PREFIX):  # an intent triggered by the system, not the victim's words
                continue
            # A pressed button is recorded as its payload ("/affirm"); the victim saw and chose its title ("Oui").
            shown = offered.get(text.strip()) or ALWAYS_OFFERED.get(text.strip(), text)
            message = {"id": index, "who": "victim", "text": shown}
            if event.message_id:
                message["client_id"] = event.message_id
            offered = {}
        elif isinstance(event, BotUttered):
            metadata = event.metadata or {}
            data = event.data or {}
            operator = metadata.get("operator")
            who = "operator" if operator else "system" if metadata.get("system") else "bot"
            message = {"id": index, "who": who, "text": event.text or ""}
            buttons = _buttons(data)
            if isinstance(data.get("custom"), dict) and data["custom"].get(dossier_links.PAYLOAD_KEY):
                # The dossier as a file: the widget's button downloads it for this session (POST /dossier); the
                # token stays out of the page.
                message["file"] = {"kind": "dossier", "label": DOSSIER_BUTTON, "name": dossier_page.FILENAME}
            elif not message["text"].strip() and not buttons:
                continue  # nothing the widget can show (an image or custom payload without text)
            if buttons:
                message["buttons"] = buttons
                offered.update({b["payload"]: b["title"] for b in buttons if "payload" in b})
            if operator and isinstance(operator, str):
                message["operator"] = operator
        else:
            continue
        if event.timestamp:
            message["at"] = event.timestamp
        messages.append(message)
    return messages


async def _events(app: Any, sender_id: str) -> Optional[List[Any]]:
    """All events of the conversation, across sessions; [] when it does not exist (yet, or any more)."""
    tracker = await app.ctx.agent.tracker_store.retrieve_full_tracker(sender_id)
    return list(tracker.events) if tracker is not None else []


def _turn(messages: List[Dict[str, Any]], client_id: str) -> Optional[List[Dict[str, Any]]]:
    """The victim message `client_id` and what followed it up to the victim's next message; None if not recorded."""
    for position, message in enumerate(messages):
        if message["who"] == "victim" and message.get("client_id") == client_id:
            turn = [message]
            for following in messages[position + 1 :]:
                if following["who"] == "victim":
                    break
                turn.append(following)
            return turn
    return None


def _notices(replies: List[Dict[str, Any]], turn: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The replies the transcript does not hold (safety reply, notes, or everything when it could not be saved)."""
    recorded = [m["text"].strip() for m in turn if m["who"] != "victim"]
    notices = []
    for reply in replies:
        text = (reply.get("text") or "").strip()
        if text in recorded:
            recorded.remove(text)
            continue
        notice: Dict[str, Any] = {"who": "bot", "text": text}
        buttons = _buttons(reply)
        if buttons:
            notice["buttons"] = buttons
        notices.append(notice)
    return notices


# --- HTTP ---------------------------------------------------------------------------------------------------------
def _cors(request: Request) -> Dict[str, str]:
    setattr(request.ctx, _SANIC_CORS_EVALUATED, "1")
    return {**CORS_HEADERS, "Cache-Control": "no-store"}


def _json(body: Any, status: int = 200, request: Optional[Request] = None) -> HTTPResponse:
    if request is not None:
        setattr(request.ctx, _SANIC_CORS_EVALUATED, "1")
    return response.json(body, status=status, headers={**CORS_HEADERS, **PLAIN_HEADERS, "Cache-Control": "no-store"})


def _last_event_id(request: Request) -> int:
    """Where the client stopped: `Last-Event-ID` (EventSource's own reconnection) wins over `?after=`."""
    for value in (request.headers.get("Last-Event-ID"), request.args.get("after")):
        if value is not None and re.fullmatch(r"-?\d{1,9}", value.strip()):
            return max(-1, int(value))
    return -1


def _sse(message: Dict[str, Any]) -> str:
    # json.dumps never emits a raw line break, so one `data:` line holds the whole message.
    return f"id: {message['id']}\ndata: {json.dumps(message, ensure_ascii=False)}\n\n"


async def _handle_message(
    inbound: Inbound, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
) -> HTTPResponse:
    if inbound.too_big(request):
        return _json({"error": TOO_BIG}, 413, request)
    body = inbound.json_object(request)
    if body is None or not isinstance(body.get("message"), str):
        return _json({"error": BAD_REQUEST}, 400, request)
    session = body.get("session")
    if not isinstance(session, str) or not SESSION_FORMAT.fullmatch(session):
        return _json({"error": BAD_SESSION}, 400, request)
    client_id = body.get("client_id")
    if not isinstance(client_id, str) or not CLIENT_ID_FORMAT.fullmatch(client_id):
        client_id = uuid.uuid4().hex

    delivery = f"{session} {client_id}"
    if inbound.seen(delivery):  # a retry while (or after) this process handled the message
        return await _already_handled(request, session, client_id)
    if inbound.admit(session, request) != RateLimiter.OK:  # not claimed: the victim's retry later is served
        return _json({"error": RATE_LIMIT_REPLY}, 429, request)
    if not inbound.claim(delivery):  # the same retry raced this one
        return await _already_handled(request, session, client_id)
    try:
        # Handled by another process, or by this one before a restart: the transcript knows.
        if _turn(widget_messages(await _events(request.app, session)), client_id) is not None:
            return await _already_handled(request, session, client_id)
    except Exception:
        logger.exception("Could not read the tracker of %s before a turn", log_id(session))

    replies = await inbound.turn(request.app, on_new_message, body["message"], session, message_id=client_id)
    await notify(session)
    turn: List[Dict[str, Any]] = []
    try:
        turn = _turn(widget_messages(await _events(request.app, session)), client_id) or []
    except Exception:  # the database is down: the replies are all notices, the victim still reads them
        logger.exception("Could not read the tracker of %s after a turn", log_id(session))
    body = {"messages": turn, "notices": _notices(replies, turn)}
    if any(reply.get("erased") for reply in replies):
        body["erased"] = True  # the widget forgets its session: nothing on the server matches it any more
    return _json(body, request=request)


async def _dossier(inbound: Inbound, request: Request) -> HTTPResponse:
    """The conversation's dossier as a PDF, for the widget's download button: the session id is the key to the
    conversation (as for /stream), and the dossier is served while a link given in it is valid (DOSSIER_LINK_HOURS),
    never after erasure. Limited like the dossier page, per client address."""
    if inbound.too_big(request):
        return _json({"error": TOO_BIG}, 413, request)
    body = inbound.json_object(request)
    session = body.get("session") if body else None
    if not isinstance(session, str) or not SESSION_FORMAT.fullmatch(session):
        return _json({"error": BAD_SESSION}, 400, request)
    if dossier_page.limiter.check(client_address(request)) != RateLimiter.OK:
        return _json({"error": DOSSIER_SLOW_DOWN}, 429, request)
    pdf = None
    if await asyncio.to_thread(dossier_links.active_for, session):
        pdf = await dossier_page.pdf_of(request.app.ctx.agent, session)
    if pdf is None:
        return _json({"error": DOSSIER_GONE}, 404, request)
    setattr(request.ctx, _SANIC_CORS_EVALUATED, "1")
    reply = dossier_page.pdf_response(pdf)
    reply.headers.update(CORS_HEADERS)
    return reply


async def _already_handled(request: Request, session: str, client_id: str) -> HTTPResponse:
    turn: Optional[List[Dict[str, Any]]] = None
    try:
        turn = _turn(widget_messages(await _events(request.app, session)), client_id)
    except Exception:
        logger.exception("Could not read the tracker of %s", log_id(session))
    return _json({"duplicate": True, "messages": turn or [], "notices": []}, request=request)


async def _stream(request: Request) -> Optional[HTTPResponse]:
    session = request.args.get("session") or ""
    if not SESSION_FORMAT.fullmatch(session):
        return _json({"error": BAD_SESSION}, 400, request)
    key = stream_key(session)
    wakes = _streams.setdefault(key, set())
    if len(wakes) >= MAX_STREAMS_PER_SESSION:
        return _json({"error": TOO_MANY_STREAMS}, 429, request)
    after = _last_event_id(request)
    wake = asyncio.Event()
    wakes.add(wake)
    try:
        setattr(request.ctx, _SANIC_CORS_EVALUATED, "1")
        stream = await request.respond(
            content_type="text/event-stream; charset=utf-8",
            headers={**CORS_HEADERS, **PLAIN_HEADERS, "Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
        await stream.send(f"retry: {RETRY_MILLISECONDS}\n\n")
        failing = synced = False
        while not _closing:
            wake.clear()  # before reading: a notify() during the read triggers another read
            try:
                events = await _events(request.app, session)
                failing = False
            except Exception:
                if not failing:
                    logger.exception("Could not read the tracker of %s for its stream", log_id(session))
                failing = True
                events = None
            if events is not None:
                if after >= len(events):
                    # The client saw more than the transcript holds: it was erased (retention, victim's request).
                    await stream.send("id: -1\nevent: reset\ndata: {}\n\n")
                    after = -1
                chunk = "".join(_sse(m) for m in widget_messages(events) if m["id"] > after)
                after = max(after, len(events) - 1)
                if not synced:  # the widget announces messages to screen readers from here on, not the replay
                    chunk += "event: synced\ndata: {}\n\n"
                    synced = True
                if chunk:
                    await stream.send(chunk)
            try:
                await asyncio.wait_for(wake.wait(), RECHECK_SECONDS)
            except asyncio.TimeoutError:
                await stream.send(": keep-alive\n\n")  # also shows proxies and the browser the line is alive
        await stream.eof()
    finally:  # the client left (Sanic cancels this task), or the server stops
        wakes.discard(wake)
        if not wakes and _streams.get(key) is wakes:
            del _streams[key]
    return None


async def _push(sender_id: str, _text: str, _buttons: Any) -> None:
    await notify(sender_id)  # the message is in the tracker already: the victim's streams read it from there


async def _open(_app: Any) -> None:
    global _closing
    _closing = False
    await _bus.start()  # with REDIS_URL: wake-ups from the other server processes


async def _close(_app: Any) -> None:
    # Open streams would otherwise hold the shutdown until Sanic's graceful timeout.
    global _closing
    _closing = True
    _wake_all()
    await _bus.stop()


class _RootPageBlueprint(Blueprint):
    """A blueprint that also serves the demo page at `/` and the privacy page at `/confidentialite`.

    Rasa already registers `GET /` ("Hello from Rasa"), and Sanic refuses a second route on the same path, so the
    page is served by an app-level request middleware registered together with the blueprint.
    """

    def register(self, app: Any, options: Any) -> None:
        app.register_middleware(self._serve_demo_page, "request")
        super().register(app, options)

    @staticmethod
    async def _serve_demo_page(request: Request) -> Any:
        if request.method not in ("GET", "HEAD"):
            return None
        if request.path == "/":
            return await response.file(
                STATIC_DIR / "index.html", mime_type="text/html; charset=utf-8", headers=PLAIN_HEADERS
            )
        if request.path.rstrip("/") == privacy_notice.PATH:
            return response.html(privacy_notice.page(), headers={**PLAIN_HEADERS, "Cache-Control": "no-cache"})
        return None


class WebChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = _RootPageBlueprint("cyberaide_webchat", __name__)
        inbound = Inbound(CHANNEL, MAX_BODY_BYTES, address_factor=IP_LIMIT_FACTOR)
        inbound.on_start(blueprint, _open, _close)
        inbound.serve_health(blueprint, headers=_cors)
        delivery.register(vocabulary.WEB.key, _push)

        @blueprint.route("/static/<name>", methods=["GET", "HEAD"])
        async def static(request: Request, name: str) -> HTTPResponse:
            if name not in WIDGET_FILES:
                return _json({"error": "Fichier introuvable."}, 404, request)
            setattr(request.ctx, _SANIC_CORS_EVALUATED, "1")
            return await response.file(
                STATIC_DIR / name,
                mime_type=WIDGET_FILES[name],
                headers={**CORS_HEADERS, **PLAIN_HEADERS, "Cache-Control": "public, max-age=600"},
            )

        @blueprint.route("/notice", methods=["GET"])
        async def notice(request: Request) -> HTTPResponse:
            # The privacy notice the widget shows before the victim writes (channels/privacy_notice.py).
            # Without PUBLIC_URL, the page is on the server the widget came from.
            url = settings.current().public_url or f"{request.scheme}://{request.host}"
            page = url + privacy_notice.PATH
            return _json({"text": privacy_notice.text(vocabulary.WEB.key, page), "url": page}, request=request)

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await _handle_message(inbound, request, on_new_message)

        @blueprint.route("/dossier", methods=["POST"])
        async def download_dossier(request: Request) -> HTTPResponse:
            return await _dossier(inbound, request)

        @blueprint.route("/stream", methods=["GET"])
        async def stream(request: Request) -> Optional[HTTPResponse]:
            return await _stream(request)

        return blueprint
