"""The Telegram channel, built on python-telegram-bot (PTB): `POST /webhooks/telegram/webhook`, or long polling.

- On only when `TELEGRAM_TOKEN` is set (bot.settings); otherwise it registers no route at all.
- Webhook mode (`TELEGRAM_WEBHOOK_URL` set): at server start-up the bot is initialised once (one getMe) and the
  webhook is registered with `setWebhook(url, secret_token=TELEGRAM_SECRET_TOKEN)`. Every request must carry that
  secret in `X-Telegram-Bot-Api-Secret-Token` (constant-time comparison), otherwise 403: the URL alone is public.
- Polling mode (no `TELEGRAM_WEBHOOK_URL`, for development without a public URL): PTB's `Updater` long-polls
  getUpdates in a background task of the Rasa server's event loop, and a second task feeds the updates to the bot
  one at a time. Run a single Sanic worker in this mode (Telegram allows one poller per bot).
- `TELEGRAM_API_BASE_URL` points the bot at a self-hosted Bot API server (or at the tests' stand-in).
- The conversation id is `telegram:<chat_id>`; buttons become inline keyboards whose presses (callback queries) are
  answered and fed to the bot as the victim's message; anything that is not text gets a polite French answer.
- `/effacer` asks for the erasure of the conversation (channels/self_erasure.py), as STOP does on SMS.
- Rasa's built-in Telegram connector is not used: it checks no secret and calls getMe for every message.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError
from telegram.ext import AIORateLimiter, Application

from bot import delivery, dossier_links, responses, settings, tokens, vocabulary
from bot.logs import log_id
from channels import dossier_page, self_erasure, store
from channels.config import telegram_problem
from channels.inbound import RATE_LIMIT_REPLY, Inbound, RateLimiter

logger = logging.getLogger(__name__)
# httpx logs every request URL at INFO level, and Bot API URLs contain the bot token.
logging.getLogger("httpx").setLevel(logging.WARNING)

CHANNEL = vocabulary.TELEGRAM.input_channel
DOSSIER_CAPTION = "Votre dossier pour porter plainte (PDF). Relisez-le et complétez-le avant de le remettre."
# The update types the assistant subscribes to; the others (polls, inline queries...) are never sent to it.
ALLOWED_UPDATES = ["message", "edited_message", "channel_post", "edited_channel_post", "callback_query"]
MAX_UPDATE_BYTES = 1_000_000  # a real update is a few kB; text messages are at most 4,096 characters
MAX_MESSAGE_CHARS = MessageLimit.MAX_TEXT_LENGTH  # Bot API limit for sendMessage
MAX_CALLBACK_DATA_BYTES = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
RETRIES_AFTER_429 = 3

NON_TEXT_REPLY = responses.text("utter_non_text")
ATTACHMENT_NOTE = responses.text("utter_attachment_note")
LOCATION_REPLY = responses.text("utter_location_shared")
EDITED_REPLY = responses.text("utter_message_edited")
PRIVATE_ONLY_REPLY = responses.text("utter_private_only")
EXPIRED_BUTTON_REPLY = responses.text("utter_expired_button")
START_TEXT = "bonjour"  # what "/start" (Telegram's first message to a bot) means for the NLU

# Button payloads longer than Telegram's 64-byte callback_data are kept here and sent as a short key.
WEBHOOK_SETUP_SECONDS = 300  # setWebhook once per start of the deployment, not once per worker
_long_payloads = store.space("telegram:payloads", max_items=10_000, ttl_seconds=7 * 24 * 3600)
_inbound = Inbound(CHANNEL, MAX_UPDATE_BYTES)


class _Runtime:
    """The bot of this server process; `ready` once getMe and setWebhook (or polling) succeeded."""

    def __init__(self) -> None:
        self.application: Optional[Application] = None
        self.ready = False
        self.failure: Optional[str] = None  # why start-up gave up (token or webhook refused)
        self.sanic_app: Any = None
        self.on_new_message: Optional[Callable[[UserMessage], Awaitable[Any]]] = None
        self.tasks: List[asyncio.Task] = []

    def bot(self) -> Any:
        if self.application is None or not self.ready:
            raise RuntimeError("The Telegram channel is not running in this process (TELEGRAM_TOKEN not set?).")
        return self.application.bot


_runtime = _Runtime()


def sender_id_for(chat_id: int) -> str:
    return f"{CHANNEL}:{chat_id}"


def chat_id_of(sender_id: str) -> int:
    prefix, _, chat = sender_id.partition(":")
    if prefix != CHANNEL or not re.fullmatch(r"-?\d+", chat):
        raise ValueError(f"not a Telegram conversation id: {sender_id!r}")
    return int(chat)


# --- output -------------------------------------------------------------------------------------------------------
def callback_data_for(payload: str) -> str:
    if len(payload.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
        return payload
    key = "#" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
    _long_payloads.put(key, payload)
    return key


def payload_from(data: Optional[str]) -> Optional[str]:
    if not data:
        return None
    if data.startswith("#"):
        return _long_payloads.get(data)
    return data


LINK_SCHEMES = ("http://", "https://", "tg://")  # what Telegram accepts in an inline button's url


def inline_keyboard(buttons: Optional[List[Dict[str, Any]]]) -> Optional[InlineKeyboardMarkup]:
    rows = []
    for button in buttons or []:
        url = button.get("url")
        url = url.strip() if isinstance(url, str) else ""
        title = str(button.get("title") or button.get("payload") or url).strip()
        if not title:
            continue
        # One button per row: the titles are short sentences that would be cut side by side on a phone.
        if url.lower().startswith(LINK_SCHEMES):
            # A link button opens the page in the victim's app (official reporting sites...); sent as a callback,
            # the press would only feed the link's title to the NLU.
            rows.append([InlineKeyboardButton(title[:200], url=url)])
        elif url:
            logger.warning("Link button with an unusable URL scheme dropped from a Telegram keyboard")
        else:
            payload = str(button.get("payload") or title)
            rows.append([InlineKeyboardButton(title[:200], callback_data=callback_data_for(payload))])
    return InlineKeyboardMarkup(rows) if rows else None


def split_long(text: str, limit: int = MAX_MESSAGE_CHARS) -> List[str]:
    """Cuts a text longer than Telegram's limit at line breaks or spaces."""
    parts = []
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return [part for part in parts if part]


class TelegramOutput(OutputChannel):
    """Sends the bot's messages with the Bot API (plain text, no parse mode: nothing the bot says is markup)."""

    def __init__(self, bot: Any) -> None:
        self.bot = bot

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send(recipient_id, text, None)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self._send(recipient_id, text or "Choisissez une réponse :", inline_keyboard(buttons))

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._send(recipient_id, image, None)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        token = json_message.get(dossier_links.PAYLOAD_KEY) if isinstance(json_message, dict) else None
        if isinstance(token, str):
            await self._send_dossier(recipient_id, token)
            return
        logger.debug("Custom payloads are for the web chat; not sent to Telegram.")

    async def _send_dossier(self, recipient_id: Text, token: str) -> None:
        """The victim's dossier as a Telegram document (bot/actions/dossier.py sends the token of its link): built
        now from the conversation, for that conversation only."""
        if await asyncio.to_thread(dossier_links.resolve, token) != recipient_id or _runtime.sanic_app is None:
            return
        pdf = await dossier_page.pdf_of(_runtime.sanic_app.ctx.agent, recipient_id)
        if pdf is not None:
            document = InputFile(pdf, filename=dossier_page.FILENAME)
            await self.bot.send_document(chat_id_of(recipient_id), document, caption=DOSSIER_CAPTION)

    async def _send(self, recipient_id: Text, text: Text, markup: Optional[InlineKeyboardMarkup]) -> None:
        chat_id = chat_id_of(recipient_id)
        parts = split_long(str(text or "").strip()) or ["…"]
        for index, part in enumerate(parts):
            # The keyboard goes with the last part, right under the question it answers.
            await self.bot.send_message(chat_id, part, reply_markup=markup if index == len(parts) - 1 else None)


async def _deliver(bot: Any, chat_id: int, replies: List[Dict[str, Any]]) -> None:
    """Sends replies in order; a blocked bot or a Bot API error is logged, never raised into the request."""
    output = TelegramOutput(bot)
    recipient = sender_id_for(chat_id)
    for reply in replies:
        try:
            await output.send_response(recipient, dict(reply))
        except Forbidden:
            logger.info("%s blocked the bot or left the chat; replies dropped.", log_id(recipient))
            return
        except TelegramError:
            logger.exception("Could not send a Telegram message to %s", log_id(recipient))


async def send_to(sender_id: str, text: str, buttons: Optional[list] = None) -> None:
    """Sends a message to a Telegram conversation outside any request (operator messages, handover notices)."""
    output = TelegramOutput(_runtime.bot())
    if buttons:
        await output.send_text_with_buttons(sender_id, text, buttons)
    else:
        await output.send_text_message(sender_id, text)


# --- input --------------------------------------------------------------------------------------------------------
def _attachment_kind(message: Message) -> Optional[str]:
    for kind in (
        "photo",
        "video",
        "video_note",
        "animation",
        "voice",
        "audio",
        "document",
        "sticker",
        "contact",
        "poll",
        "dice",
        "story",
        "game",
        "paid_media",
    ):
        if getattr(message, kind, None):
            return kind
    return None


async def _reply(chat_id: int, *texts: str) -> None:
    await _deliver(_runtime.bot(), chat_id, [{"text": text} for text in texts])


async def _allowed(chat_id: int) -> bool:
    """Applies the per-sender rate limit; tells the sender once when they go over it."""
    verdict = _inbound.admit(sender_id_for(chat_id))
    if verdict == RateLimiter.WARN:
        logger.warning("%s is over the rate limit", log_id(sender_id_for(chat_id)))
        await _reply(chat_id, RATE_LIMIT_REPLY)
    return verdict == RateLimiter.OK


async def _run_bot(chat_id: int, text: str, update: Update, extra: Optional[Dict[str, Any]] = None) -> list:
    metadata = {"channel": CHANNEL, "telegram_update_id": update.update_id, **(extra or {})}
    return await _inbound.turn(
        _runtime.sanic_app,
        _runtime.on_new_message,
        text,
        sender_id_for(chat_id),
        metadata=metadata,
        message_id=f"{CHANNEL}:{update.update_id}",
    )


async def _on_callback_query(update: Update) -> None:
    query = update.callback_query
    try:
        await query.answer()  # stops the spinner on the victim's button
    except TelegramError:
        logger.warning("answerCallbackQuery failed for update %s", update.update_id, exc_info=True)
    if query.message is not None:
        chat_id = query.message.chat.id
    else:  # a button under an inline-mode message: answer privately
        chat_id = query.from_user.id
    if not await _allowed(chat_id):
        return
    payload = payload_from(query.data)
    if payload is None:
        await _reply(chat_id, EXPIRED_BUTTON_REPLY)
        return
    replies = await _run_bot(chat_id, payload, update, {"telegram_button": True})
    await _deliver(_runtime.bot(), chat_id, replies)


async def handle_update(update: Update) -> None:
    """What the assistant does with one Telegram update, whichever way it arrived (webhook or polling)."""
    if update.callback_query is not None:
        await _on_callback_query(update)
        return
    message = update.effective_message
    if message is None:
        return  # an update type we do not subscribe to
    chat_id = message.chat.id
    if not await _allowed(chat_id):
        return
    if update.edited_message is not None or update.edited_channel_post is not None:
        await _reply(chat_id, EDITED_REPLY)
        return
    if message.chat.type != "private":
        username = _runtime.bot().username
        await _reply(chat_id, PRIVATE_ONLY_REPLY.format(link=f" sur https://t.me/{username}" if username else ""))
        return
    if message.location is not None or message.venue is not None:
        await _reply(chat_id, LOCATION_REPLY)
        return
    text = message.text if message.text is not None else message.caption
    attachment = _attachment_kind(message)
    if text is None:
        await _reply(chat_id, NON_TEXT_REPLY)
        return
    if re.fullmatch(r"/start(@\w+)?(\s.*)?", text.strip(), flags=re.DOTALL):
        text = START_TEXT
    elif re.fullmatch(r"/effacer(@\w+)?", text.strip()):
        text = self_erasure.REQUEST_PAYLOAD  # the dialogue asks for confirmation, then the erasure is done
    extra = {"telegram_message_id": message.message_id}
    if attachment:
        extra["attachment"] = attachment
    replies = await _run_bot(chat_id, text, update, extra)
    if attachment and replies:  # no replies: an operator owns the conversation and reads the caption
        replies.append({"text": ATTACHMENT_NOTE})
    await _deliver(_runtime.bot(), chat_id, replies)


def _chat_of(update: Update) -> Optional[int]:
    """The chat a reply to this update goes to (as handle_update chooses it), or None."""
    query = update.callback_query
    if query is not None:
        return query.message.chat.id if query.message is not None else query.from_user.id
    message = update.effective_message
    return message.chat.id if message is not None else None


async def process(update: Update) -> None:
    """Handles an update once, whatever happens: duplicates are skipped, errors are logged."""
    try:
        # The stored conversation has the update id on the victim's message (see _run_bot): it also catches a
        # redelivery after a restart or to another worker.
        chat_id = _chat_of(update)
        if await _inbound.redelivered(
            _runtime.sanic_app.ctx.agent,
            str(update.update_id),
            sender_id_for(chat_id) if chat_id is not None else None,
            message_id=f"{CHANNEL}:{update.update_id}",
        ):
            logger.info("Telegram update %s already handled (redelivery): skipped", update.update_id)
            return
        await handle_update(update)
    except Exception:
        logger.exception("Could not handle Telegram update %s", update.update_id)


# --- lifecycle ----------------------------------------------------------------------------------------------------
def _build_application(polling: bool) -> Application:
    base = settings.current().telegram_api_base_url
    builder = (
        Application.builder()
        .token(settings.current().telegram_token)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .job_queue(None)  # no scheduled jobs; avoids needing APScheduler's exact version
        # Telegram answers 429 "retry after N s" to a bot that sends too fast (a wave of victims): wait and retry
        # instead of losing the reply; it also keeps under the Bot API's global and per-chat limits.
        .rate_limiter(AIORateLimiter(max_retries=RETRIES_AFTER_429))
    )
    if not polling:
        builder = builder.updater(None)  # the Rasa server receives the updates
    return builder.build()


async def _consume(application: Application) -> None:
    """Polling mode: feeds the updates fetched by PTB's Updater to the bot, one at a time, in order."""
    while True:
        update = await application.update_queue.get()
        try:
            if isinstance(update, Update):
                await process(update)
        finally:
            application.update_queue.task_done()


async def _start(application: Application) -> None:
    """Initialises the bot once (getMe), then registers the webhook or starts polling; retries while the Bot API
    is unreachable, so that the rest of the assistant starts regardless."""
    polling = settings.current().telegram_mode == "polling"
    delay = 1.0
    while True:
        try:
            await application.initialize()
            if polling:
                await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
                _runtime.tasks.append(asyncio.create_task(_consume(application)))
            elif store.lease("telegram-set-webhook", WEBHOOK_SETUP_SECONDS):  # one worker registers it
                await application.bot.set_webhook(
                    settings.current().telegram_webhook_url,
                    secret_token=settings.current().telegram_secret_token,
                    allowed_updates=ALLOWED_UPDATES,
                )
            _runtime.ready = True
            logger.info(
                "Telegram channel on (%s) as @%s", "long polling" if polling else "webhook", application.bot.username
            )
            return
        except InvalidToken:
            logger.error("Telegram rejected TELEGRAM_TOKEN: the Telegram channel stays off.")
            _runtime.failure = "TELEGRAM_TOKEN refused"
            return
        except BadRequest as error:  # e.g. a webhook URL Telegram refuses (not HTTPS, bad port): retrying won't help
            logger.error("Telegram refused the set-up (%s): the Telegram channel stays off.", error)
            _runtime.failure = str(error)
            return
        except TelegramError as error:
            store.release_lease("telegram-set-webhook", WEBHOOK_SETUP_SECONDS)
            logger.warning("Telegram start-up failed (%s); retrying in %.0f s", error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)


async def start_bot(sanic_app: Any, on_new_message: Optional[Callable[[UserMessage], Awaitable[Any]]]) -> None:
    """Builds the bot and starts it in the background: getMe, then setWebhook or long polling."""
    _runtime.application = _build_application(polling=settings.current().telegram_mode == "polling")
    _runtime.sanic_app, _runtime.on_new_message, _runtime.failure = sanic_app, on_new_message, None
    _runtime.tasks.append(asyncio.create_task(_start(_runtime.application)))


def is_ready() -> bool:
    return _runtime.ready


async def stop_bot() -> None:
    """Stops polling and closes the bot's HTTP clients (the webhook stays registered for the next start)."""
    for task in _runtime.tasks:
        task.cancel()
    _runtime.tasks = []
    application, _runtime.application, _runtime.ready = _runtime.application, None, False
    if application is None:
        return
    try:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        await application.shutdown()
        await application.bot.shutdown()  # closes the HTTP clients even when getMe never succeeded
    except Exception:
        logger.exception("Telegram shutdown")


def _authentic(request: Request) -> bool:
    return tokens.matches(
        request.headers.get("X-Telegram-Bot-Api-Secret-Token"), settings.current().telegram_secret_token
    )


class TelegramInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    def get_output_channel(self) -> Optional[OutputChannel]:
        return TelegramOutput(_runtime.application.bot) if _runtime.ready else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("cyberaide_telegram", __name__)
        mode = settings.current().telegram_mode
        if mode is None:
            logger.info("Telegram channel off (TELEGRAM_TOKEN not set).")
            return blueprint
        problem = telegram_problem()
        if problem:
            logger.error("Telegram channel off: %s.", problem)
            return blueprint

        async def start(app: Any) -> None:
            await start_bot(app, on_new_message)

        async def stop(_app: Any) -> None:
            await stop_bot()

        def status() -> Tuple[Dict[str, Any], int]:
            if _runtime.ready:
                return {"status": "ok", "mode": mode}, 200
            if _runtime.failure:
                return {"status": "off", "mode": mode, "error": _runtime.failure}, 503
            return {"status": "starting", "mode": mode}, 503

        _inbound.on_start(blueprint, start, stop)
        _inbound.serve_health(blueprint, status)
        delivery.register(vocabulary.TELEGRAM.key, send_to)

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            # Polling mode keeps this route for a local Bot API server, but it still demands the secret.
            if not _authentic(request):
                return response.text("Accès refusé.", status=403)
            if not _runtime.ready:
                return response.text("Le service démarre, réessayez.", status=503)  # Telegram retries
            if _inbound.too_big(request):
                return response.text("Requête trop volumineuse.", status=413)
            data = _inbound.json_object(request)
            if data is None:
                return response.text("JSON invalide.", status=400)
            if not isinstance(data.get("update_id"), int):
                return response.text("Mise à jour Telegram invalide.", status=400)
            try:
                update = Update.de_json(data, _runtime.bot())
            except Exception:
                logger.exception("Unreadable Telegram update %s", data.get("update_id"))
                return response.text("ok")  # a retry would not make it readable
            await process(update)
            return response.text("ok")

        return blueprint
