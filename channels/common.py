"""What every channel does the same way: clean the victim's input and make sure the victim always gets a reply.

- `clean_input` turns whatever arrived (empty, huge, binary, control characters) into text the NLU can take,
  keeping the full original in the message metadata so that nothing the victim wrote is lost.
- `ensure_reply` adds the safety reply (emergency numbers, how to reach a person) when the bot produced nothing
  although it should have: action server down, database error, crash in the pipeline. It stays silent when a human
  operator owns the conversation (the tracker is paused), which is the only legitimate silence.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import time
import unicodedata
from collections import OrderedDict, deque
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot import settings
from bot.logs import log_id

logger = logging.getLogger(__name__)

# The NLU reads at most this many characters; longer messages are kept whole in the metadata.
MAX_NLU_CHARS = 4000
# Beyond this, even the stored copy is cut (a victim's story is never this long; a paste of binary junk can be).
MAX_STORED_CHARS = 100_000

EMERGENCY_LINE = "En cas de danger immédiat, appelez le 17 ou le 112 (SMS au 114)."
HUMAN_LINE = "Pour échanger 24h/24 avec un policier ou un gendarme : 17cyber.gouv.fr."
SAFETY_REPLY = (
    "Je rencontre un problème technique et ne peux pas analyser votre message pour le moment. "
    f"{EMERGENCY_LINE} {HUMAN_LINE} "
    "Info Escroqueries : 0 805 805 817 (gratuit, du lundi au vendredi de 9h à 18h30). "
    "Vous pouvez réessayer dans quelques minutes."
)
EMPTY_REPLY = (
    "Votre message est vide. Décrivez-moi en quelques mots ce qui vous arrive (message suspect, compte piraté, "
    f"chantage, arnaque…). {EMERGENCY_LINE}"
)
TRUNCATED_NOTE = (
    "Votre message était très long : je me suis appuyé sur son début. Si l'essentiel se trouve plus loin, "
    "résumez-le-moi en quelques phrases."
)


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
    text = "".join(c if _printable(c) else " " for c in stored).replace("\ufffd", " ")
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


async def is_paused(app: Any, sender_id: str) -> bool:
    """True when a human operator owns the conversation (Rasa's ConversationPaused)."""
    try:
        tracker = await app.ctx.agent.tracker_store.retrieve(sender_id)
    except Exception:  # the database is down: the safety reply is the right answer
        logger.exception("Could not read the tracker of %s", sender_id)
        return False
    return bool(tracker and tracker.is_paused())


def merge_metadata(*parts: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    merged: Dict[str, Any] = {}
    for part in parts:
        if isinstance(part, dict):
            merged.update(part)
    return merged


# --- Shared by the messaging channels (Telegram, SMS, web): one turn, rate limits, duplicates, forgetting ---------
# Rate limits keep their state in the memory of one server process: with several instances behind a load balancer,
# a sender's messages may reach different instances, each with its own count (move them to Redis, INCR + EXPIRE,
# to share it). Delivery ids are remembered in memory as a fast path and checked in the stored conversation too
# (`already_recorded`), which holds across processes and restarts.
RATE_LIMIT_REPLY = (
    "Vous m'avez envoyé beaucoup de messages en peu de temps : patientez une minute avant de m'écrire à nouveau. "
    "En cas de danger immédiat, appelez le 17 ou le 112."
)


# --- payloads: a client may send `/intent{...}` only where the bot offered it --------------------------------------
# Rasa reads a message that starts with "/" as an intent with entities, skipping the NLU: whoever can post text could
# otherwise set any fact, pick any intent, or restart a conversation. A payload is accepted only when a button of this
# conversation (its current session) offered it; control intents never are. Anything else is read as plain text.
CONTROL_INTENTS = frozenset({"restart", "back", "session_start"})
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
    if not text.strip().startswith("/"):
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


class ReplyCollector(CollectingOutputChannel):
    """Collects the bot's replies keeping each utterance whole (Rasa's collector cuts texts at blank lines)."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text.strip()))


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

    Replies are dicts as Rasa produces them (`text`, `buttons`, `image`, `custom`...), without `recipient_id`.
    An empty list means that a human operator owns the conversation and the bot must stay silent.
    """
    cleaned = clean_input(raw_text)
    text, refused = await gate_payload(app, sender_id, cleaned.text)
    if not text:
        return [{"text": EMPTY_REPLY}]
    if refused is not None:
        cleaned.metadata["refused_payload"] = refused[:MAX_NLU_CHARS]
    collector = ReplyCollector()
    try:
        await on_new_message(
            UserMessage(
                text,
                collector,
                sender_id,
                input_channel=input_channel,
                message_id=message_id,
                metadata=merge_metadata(metadata, cleaned.metadata) or None,
            )
        )
    except asyncio.CancelledError:
        logger.error("Timeout while handling a message of %s", sender_id)
    except Exception:
        logger.exception("Error while handling a message of %s", sender_id)
    paused = await is_paused(app, sender_id)
    replies = ensure_reply(collector.messages, paused, cleaned.truncated)
    return [{k: v for k, v in reply.items() if k != "recipient_id"} for reply in replies]


class TTLCache:
    """A bounded mapping whose entries expire: least recently set entries go first when full."""

    def __init__(self, max_items: int, ttl_seconds: float) -> None:
        self.max_items = max_items
        self.ttl = ttl_seconds
        self._items: "OrderedDict[str, tuple]" = OrderedDict()

    def get(self, key: str, default: Any = None) -> Any:
        item = self._items.get(key)
        if item is None:
            return default
        expires, value = item
        if expires < time.monotonic():
            del self._items[key]
            return default
        return value

    def set(self, key: str, value: Any) -> None:
        self._items.pop(key, None)
        self._items[key] = (time.monotonic() + self.ttl, value)
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)

    def pop(self, key: str, default: Any = None) -> Any:
        value = self.get(key, default)
        self._items.pop(key, None)
        return value

    def __contains__(self, key: str) -> bool:
        return self.get(key, _MISSING) is not _MISSING

    def __len__(self) -> int:
        return len(self._items)


_MISSING = object()


class SeenIds:
    """Delivery ids already handled (Telegram `update_id`, Twilio `MessageSid`): gateways retry, victims must not get
    two answers. Ids are remembered for a day, long after any gateway gives up retrying."""

    def __init__(self, max_items: int = 100_000, ttl_seconds: float = 24 * 3600) -> None:
        self._seen = TTLCache(max_items, ttl_seconds)

    def first_time(self, delivery_id: str) -> bool:
        if delivery_id in self._seen:
            return False
        self._seen.set(delivery_id, True)
        return True


async def already_recorded(app: Any, sender_id: str, message_id: str) -> bool:
    """True when the stored conversation already holds the victim message `message_id` (the gateway's delivery id,
    recorded on the UserUttered event by `converse`).

    This is the check that survives a restart and works across server processes, where `SeenIds` (one process's
    memory) cannot see an earlier delivery. The full tracker is read because a retry may come after a new session
    started. When the database cannot be read the message is handled: a duplicate answer is better than silence.
    Two deliveries racing on two processes can still both pass; gateways retry after seconds, not milliseconds.
    """
    from rasa.shared.core.events import UserUttered

    try:
        tracker = await app.ctx.agent.tracker_store.retrieve_full_tracker(sender_id)
    except Exception:
        logger.exception("Could not read the tracker of %s to look for a redelivery", sender_id)
        return False
    if tracker is None:
        return False
    return any(isinstance(e, UserUttered) and e.message_id == message_id for e in reversed(tracker.events))


class RateLimiter:
    """At most `limit` messages per sender in any `window` seconds.

    `check` returns OK (handle the message), WARN (refuse it and tell the sender once) or DROP (refuse it silently:
    answering every refused message would let anyone make us send, and pay for, unlimited SMS). Refused messages are
    not counted, so a sender who pauses is served again as soon as the window slides.
    """

    OK, WARN, DROP = "ok", "warn", "drop"

    def __init__(self, limit: int, window_seconds: float = 60.0, max_senders: int = 50_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_senders = max_senders
        self._senders: "OrderedDict[str, list]" = OrderedDict()  # sender -> [timestamps, warned]

    def check(self, sender: str) -> str:
        now = time.monotonic()
        entry = self._senders.pop(sender, None) or [deque(), False]
        self._senders[sender] = entry
        while len(self._senders) > self.max_senders:
            self._senders.popitem(last=False)
        hits = entry[0]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            entry[1] = False
            return self.OK
        if entry[1]:
            return self.DROP
        entry[1] = True
        return self.WARN

    def forget(self, sender: str) -> None:
        self._senders.pop(sender, None)


def client_address(request: Any) -> str:
    """The address the rate limit counts: see bot.settings.trusted_proxies. An IPv6 client gets a whole /64
    (one subscriber's usual allocation), otherwise it could take a new address for every message."""
    address = ""
    hops = settings.trusted_proxies()
    if hops:
        forwarded = [part.strip() for part in (request.headers.get("X-Forwarded-For") or "").split(",")]
        forwarded = [part for part in forwarded if part]
        if forwarded:
            address = forwarded[-hops] if len(forwarded) >= hops else forwarded[0]
    if not address:
        # remote_addr is set when Sanic's own proxy settings (SANIC_PROXIES_COUNT...) are used; ip is the socket's.
        address = getattr(request, "remote_addr", "") or getattr(request, "ip", "") or ""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:  # an IPv4 client on a dual-stack socket
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _innermost_tracker_store(store: Any) -> Any:
    # Rasa wraps the configured store (AwaitableTrackerStore, FailSafeTrackerStore) in `_tracker_store`.
    while hasattr(store, "_tracker_store"):
        store = store._tracker_store
    return store


async def delete_conversation(agent: Any, sender_id: str) -> None:
    """Erases every event of a conversation from the tracker store (the victim asked us to forget them).

    Rasa 3.6 stores have no delete method: the SQL store's `events` rows are deleted directly, under the
    conversation's lock so that no turn in progress writes them back.
    """
    from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
    from sqlalchemy import delete

    store = _innermost_tracker_store(agent.tracker_store)
    async with agent.lock_store.lock(sender_id):
        if isinstance(store, SQLTrackerStore):

            def _delete() -> None:
                with store.session_scope() as session:
                    session.execute(delete(store.SQLEvent).where(store.SQLEvent.sender_id == sender_id))
                    session.commit()

            await asyncio.to_thread(_delete)
        elif isinstance(store, InMemoryTrackerStore):
            store.store.pop(sender_id, None)
        else:
            raise NotImplementedError(f"Cannot delete conversations from {type(store).__name__}")
