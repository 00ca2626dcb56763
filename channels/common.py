"""What every channel does the same way: clean the victim's input and make sure the victim always gets a reply.

- `clean_input` turns whatever arrived (empty, huge, binary, control characters) into text the NLU can take,
  keeping the full original in the message metadata so that nothing the victim wrote is lost.
- `ensure_reply` adds the safety reply (emergency numbers, how to reach a person) when the bot produced nothing
  although it should have: action server down, database error, crash in the pipeline. It stays silent when a human
  operator owns the conversation (the tracker is paused), which is the only legitimate silence.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import unicodedata
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot import delivery, metrics, responses, trackers
from bot.logs import log_id
from bot.text import normalise
from channels import privacy_notice, self_erasure

logger = logging.getLogger(__name__)

# What the NLU answers when it did not understand (counted in bot.metrics).
FALLBACK_INTENTS = ("nlu_fallback", "out_of_scope")
# The NLU reads at most this many characters; longer messages are kept whole in the metadata.
MAX_NLU_CHARS = 4000
# Beyond this, even the stored copy is cut (a victim's story is never this long; a paste of binary junk can be).
MAX_STORED_CHARS = 100_000

SAFETY_REPLY = responses.text("utter_safety_reply")
EMPTY_REPLY = responses.text("utter_empty_message")
TRUNCATED_NOTE = responses.text("utter_truncated_note")


class CleanInput(NamedTuple):
    text: str  # what the NLU reads
    metadata: Dict[str, Any]  # to merge into the message metadata
    truncated: bool


def _printable(char: str) -> bool:
    if char in "\n\t":
        return True
    category = unicodedata.category(char)
    # Cc control, Cs surrogates (invalid UTF-8 decoded with surrogateescape), Co private use, Cn unassigned
    return category not in ("Cc", "Cs", "Co", "Cn")


def clean_input(raw: Any) -> CleanInput:
    """Normalise any incoming message body to NLU-safe text."""
    if raw is None:
        raw = ""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if not isinstance(raw, str):
        raw = str(raw)
    stored = raw[:MAX_STORED_CHARS]
    # Full-width digits, zero-width characters and Unicode spaces read as the plain ones (bot.text.normalise).
    text = "".join(c if _printable(c) else " " for c in normalise(stored)).replace("\ufffd", " ")
    text = " ".join(text.split())
    metadata: Dict[str, Any] = {}
    truncated = len(text) > MAX_NLU_CHARS
    if truncated or text != raw:
        metadata["original_text"] = stored
        metadata["original_length"] = len(raw)
    if truncated:
        text = text[:MAX_NLU_CHARS]
    return CleanInput(text, metadata, truncated)


def ensure_reply(messages: List[Dict[str, Any]], paused: bool, truncated: bool = False) -> List[Dict[str, Any]]:
    """The bot's replies, completed so that the victim is never left without an answer."""
    if paused:
        return messages
    if not messages:
        logger.warning("The bot produced no reply; sending the safety reply.")
        return [{"text": SAFETY_REPLY}]
    if truncated:
        return messages + [{"text": TRUNCATED_NOTE}]
    return messages


def merge_metadata(*parts: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    merged: Dict[str, Any] = {}
    for part in parts:
        if isinstance(part, dict):
            merged.update(part)
    return merged


# --- payloads: a client may send `/intent{...}` only where the bot offered it --------------------------------------
# Rasa reads a message that starts with "/" as an intent with entities, skipping the NLU: whoever can post text could
# otherwise set any fact, pick any intent, or restart a conversation. A payload is accepted only when a button of this
# conversation (its current session) offered it; control intents never are. Anything else is read as plain text.
CONTROL_INTENTS = frozenset({"restart", "back", "session_start"})
# Offered everywhere (the web chat's header button, Telegram's /effacer): it only asks the confirmation question.
ALWAYS_OFFERED = frozenset({self_erasure.REQUEST_PAYLOAD})
# Rasa strips a message, then reads `/name{entities}` or `/name@confidence` as an intent (YAMLStoryReader).
_PAYLOAD_INTENT = re.compile(r"/\s*([^{@]+)")
# What a refused payload loses: every leading slash and space, so that what is left cannot be read as one ("/ /x").
_PAYLOAD_LEAD = re.compile(r"^[\s/]+")


def _normal(text: str) -> str:
    return " ".join(text.split())


def offered_payloads(events: Any) -> set:
    """Every button payload the bot offered in these tracker events."""
    offered = set()
    for event in events or ():
        if getattr(event, "type_name", None) != "bot":
            continue
        data = getattr(event, "data", None) or {}
        for button in (data.get("buttons") or []) + (data.get("quick_replies") or []):
            if isinstance(button, dict) and isinstance(button.get("payload"), str):
                offered.add(_normal(button["payload"]))
    return offered


async def gate_payload(app: Any, sender_id: str, text: str) -> Tuple[str, Optional[str]]:
    """The text to give Rasa, and the refused payload if `text` was one the bot did not offer.

    A refused payload is read as plain text without its leading slashes ("/restart" becomes "restart"), so the victim
    who typed it still gets an answer, and the NLU decides what it means like for any other words."""
    if not text.strip().startswith("/") or _normal(text) in ALWAYS_OFFERED:
        return text, None
    match = _PAYLOAD_INTENT.match(text.strip())
    if match and match.group(1).strip() not in CONTROL_INTENTS:
        try:
            tracker = await app.ctx.agent.tracker_store.retrieve(sender_id)
        except Exception:  # the database is down: the turn fails anyway, read the text as text
            logger.exception("Could not read the tracker of %s to check a payload", log_id(sender_id))
            tracker = None
        if tracker is not None and _normal(text) in offered_payloads(tracker.events):
            return text, None
    logger.info("Payload not offered to %s: read as text", log_id(sender_id))
    return _PAYLOAD_LEAD.sub("", text), text


# What a reply keeps of its metadata for the channel's renderer: the response it came from (a form's `utter_ask_*` is
# a question) and how an action wants it laid out on SMS ("question", "menu", "detail": channels/sms_text.py).
KEPT_METADATA = ("utter_action", "sms")


class ReplyCollector(CollectingOutputChannel):
    """Collects the bot's replies keeping each utterance whole (Rasa's collector cuts texts at blank lines).

    It is named after the input channel, so that Rasa picks the `channel:` variation of a response (`channel: sms`
    for shorter questions) as it does with its own connectors."""

    def __init__(self, channel: str = "collector") -> None:
        super().__init__()
        self.channel = channel

    def name(self) -> str:  # type: ignore[override]  # an instance's name, where Rasa's is per class
        return self.channel

    @staticmethod
    def _kept(kwargs: Dict[str, Any]) -> Dict[str, Any]:
        return {key: kwargs[key] for key in KEPT_METADATA if kwargs.get(key)}

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._persist_message({**self._message(recipient_id, text=text.strip()), **self._kept(kwargs)})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        message = self._message(recipient_id, text=text, buttons=buttons)
        await self._persist_message({**message, **self._kept(kwargs)})


async def converse(
    app: Any,
    on_new_message: Any,
    raw_text: Any,
    sender_id: str,
    input_channel: str,
    metadata: Optional[Dict[str, Any]] = None,
    message_id: Optional[str] = None,
) -> List[Dict[str, Any]]:
    """Runs one victim message through the bot and returns its replies, completed by `ensure_reply`.

    Replies are dicts as Rasa produces them (`text`, `buttons`, `image`, `custom`...), without `recipient_id`; it
    adds `erased: True` when the victim's erasure was done (channels/self_erasure.py) and `notice:
    "privacy"` on the privacy notice (channels/privacy_notice.py).
    An empty list means that a human operator owns the conversation and the bot must stay silent.
    """
    cleaned = clean_input(raw_text)
    text, refused = await gate_payload(app, sender_id, cleaned.text)
    if not text:
        return [{"text": EMPTY_REPLY}]
    if refused is not None:
        cleaned.metadata["refused_payload"] = refused[:MAX_NLU_CHARS]
    collector = ReplyCollector(input_channel)
    # Tells the action server that no operator could write to this victim (bot.delivery), should they ask for one.
    reach = None if delivery.can_push(sender_id) else {delivery.NO_PUSH: True}
    started = time.monotonic()
    trackers.before_turn()
    try:
        await on_new_message(
            UserMessage(
                text,
                collector,
                sender_id,
                input_channel=input_channel,
                message_id=message_id,
                metadata=merge_metadata(metadata, cleaned.metadata, reach) or None,
            )
        )
    except asyncio.CancelledError:
        logger.error("Timeout while handling a message of %s", log_id(sender_id))
    except Exception:
        logger.exception("Error while handling a message of %s", log_id(sender_id))
    tracker = await trackers.after_turn(app.ctx.agent, sender_id)
    paused = bool(tracker and tracker.is_paused())
    replies = ensure_reply(collector.messages, paused, cleaned.truncated)
    understood = tracker is None or (tracker.latest_message.intent or {}).get("name") not in FALLBACK_INTENTS
    safety_reply = bool(replies) and replies[0].get("text") == SAFETY_REPLY
    metrics.record_turn(input_channel, time.monotonic() - started, fallback=not understood, safety_reply=safety_reply)
    replies = await self_erasure.after_turn(app.ctx.agent, sender_id, tracker, replies)
    if not safety_reply:  # a failed turn says the emergency numbers and nothing else; the notice waits
        replies = await privacy_notice.after_turn(app.ctx.agent, sender_id, tracker, replies)
    return [{k: v for k, v in reply.items() if k != "recipient_id"} for reply in replies]
