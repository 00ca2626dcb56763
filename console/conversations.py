"""What the console does to a conversation's tracker, inside the Rasa server process.

Every change goes through Rasa's lock store and tracker store, so the transcript of record stays whole: operator
messages are bot utterances marked with the operator's name, pauses and resumptions are Rasa events.

Each message to the victim carries a random key in its metadata; when the channel does not deliver it (Telegram or
the SMS API failed, a channel that cannot push), the key is kept in `_undelivered` and the console shows the message
as not delivered ("Non remis"). Only the key is kept there, never who or what: erasing the conversation erases the
message, and the key then names nothing.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from rasa.shared.core.events import BotUttered, ConversationPaused, ConversationResumed, SessionStarted, UserUttered

from bot import delivery, privacy, ratings, responses, trackers, vocabulary
from channels import store

logger = logging.getLogger(__name__)

TIMEOUT_MESSAGE = responses.text("utter_handover_timeout")
BACK_TO_BOT_MESSAGE = responses.text("utter_back_to_bot")
CLOSED_MESSAGE = responses.text("utter_operator_closed")

KEY = "delivery"  # the metadata field of a message's key
# Kept as long as anyone may read the handover's transcript in the console (on Redis with REDIS_URL: every worker
# and instance sees it, restarts included; in the one process's memory otherwise).
_undelivered = store.space("console:undelivered", max_items=100_000, ttl_seconds=90 * 24 * 3600)


def _message(text: str, metadata: Dict[str, Any], buttons: Optional[list] = None) -> BotUttered:
    data = {"buttons": buttons} if buttons else {}
    return BotUttered(text, data=data, metadata={**metadata, KEY: uuid.uuid4().hex})


async def _push(sender_id: str, message: BotUttered) -> bool:
    """Hands a recorded message to the conversation's channel; when it does not take it, the message is marked
    not delivered."""
    if await delivery.push(sender_id, message.text or "", message.data.get("buttons")):
        return True
    await asyncio.to_thread(_undelivered.put, message.metadata[KEY], True)
    return False


async def say(agent: Any, sender_id: str, text: str, operator: Optional[str] = None) -> bool:
    """A message to the victim, from an operator (marked with their name) or from the system; False when the
    channel did not deliver it (it stays in the transcript, marked not delivered)."""
    message = _message(text, {"operator": operator} if operator else {"system": "handover"})
    await trackers.append(agent, sender_id, message)
    return await _push(sender_id, message)


async def pause(agent: Any, sender_id: str, operator: str) -> bool:
    """The operator takes over: the bot stops predicting, the victim is told who joined."""
    message = _message(responses.text("utter_operator_joined", name=operator), {"system": "handover"})
    await trackers.pause(agent, sender_id, message)
    return await _push(sender_id, message)


async def resume(agent: Any, sender_id: str) -> bool:
    """Gives the conversation back to the bot, with its slots and history intact (nothing said: the caller tells
    the victim once the handover's new state is stored). False when it was not paused; raises when the tracker
    store did not take the change, so that the handover is not closed over a bot that stays silent."""
    return await trackers.resume(agent, sender_id)


async def ask_rating(agent: Any, sender_id: str) -> None:
    """After an operator closes the conversation: the victim may rate the help, as at the end of a conversation
    with the bot (the buttons' /rate payloads go to action_store_rating, the bot having resumed)."""
    channel = vocabulary.channel_of(sender_id)
    text = ratings.ASK_SMS if channel == vocabulary.SMS.key else ratings.ASK
    message = _message(text, {"system": "rating"}, ratings.rating_buttons(channel))
    await trackers.append(agent, sender_id, message)
    await _push(sender_id, message)


def _when(timestamp: Optional[float]) -> str:
    if not timestamp:
        return ""
    return datetime.fromtimestamp(timestamp, timezone.utc).astimezone().strftime("%d/%m %H:%M:%S")


@dataclass(frozen=True)
class Window:
    """A part of a victim's history, by the Unix times of its events (console/routes/handover.py says whose)."""

    requested: float  # a handover request: the part starts with the Rasa session that was going on then
    not_before: Optional[float] = None  # and after this (the close of the victim's previous handover); up to now

    def first(self, events: List[Any]) -> int:
        """The index of the first event in the window."""
        start = 0
        for index, event in enumerate(events):
            if (event.timestamp or 0.0) > self.requested:
                break
            if isinstance(event, SessionStarted):
                start = index
        return start

    def holds(self, timestamp: Optional[float]) -> bool:
        # Rasa dates every event; one without a date is not shown
        return self.not_before is None or (timestamp or 0.0) > self.not_before


async def transcript(
    agent: Any, sender_id: str, after: int = -1, window: Optional[Window] = None
) -> List[Dict[str, Any]]:
    """The conversation as the console shows it: index, who (victim/bot/operator/system), text, intent, time; only
    the events inside `window` when one is given (indexes stay those of the full tracker).

    The redaction (patterns and spaCy's named-entity recogniser) runs in a worker thread: the event loop serves
    the victims."""
    tracker = await agent.tracker_store.retrieve_full_tracker(sender_id)
    if tracker is None:
        return []
    return await asyncio.to_thread(_items, list(tracker.events), after, window)


def _items(events: List[Any], after: int, window: Optional[Window] = None) -> List[Dict[str, Any]]:
    items = []
    first = window.first(events) if window else 0
    for index, event in enumerate(events):
        if index <= after or index < first or (window and not window.holds(event.timestamp)):
            continue
        item: Optional[Dict[str, Any]] = None
        # Staff never see card numbers, passwords, IBANs... (bot/privacy.py), not even the operator holding the
        # conversation: helping a victim never requires them. The assistant's own messages keep official numbers.
        if isinstance(event, UserUttered):
            intent = event.intent or {}
            item = {
                "who": "victim",
                "text": privacy.redact(event.text or ""),
                "intent": intent.get("name"),
                "confidence": intent.get("confidence"),
            }
        elif isinstance(event, BotUttered):
            metadata = event.metadata or {}
            who = "operator" if metadata.get("operator") else "system" if metadata.get("system") else "bot"
            item = {
                "who": who,
                "text": privacy.redact(event.text or "", phones=who == "operator"),
                "operator": metadata.get("operator"),
            }
            if metadata.get(KEY):  # a message outside the victim's turn: did the channel take it?
                item["delivered"] = _undelivered.get(metadata[KEY]) is None
        elif isinstance(event, ConversationPaused):
            item = {"who": "system", "text": "— Conversation prise en charge par un conseiller (assistant en pause) —"}
        elif isinstance(event, ConversationResumed):
            item = {"who": "system", "text": "— Conversation rendue à l'assistant —"}
        if item:
            item.update(index=index, at=_when(event.timestamp))
            items.append(item)
    return items
