"""What the console does to a conversation's tracker, inside the Rasa server process.

Every change goes through Rasa's lock store and tracker store, so the transcript of record stays whole: operator
messages are bot utterances marked with the operator's name, pauses and resumptions are Rasa events.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from rasa.shared.core.events import BotUttered, ConversationPaused, ConversationResumed, SessionStarted, UserUttered

from bot import delivery, privacy, ratings, responses, trackers, vocabulary

logger = logging.getLogger(__name__)

TIMEOUT_MESSAGE = responses.text("utter_handover_timeout")
BACK_TO_BOT_MESSAGE = responses.text("utter_back_to_bot")
CLOSED_MESSAGE = responses.text("utter_operator_closed")


async def say(agent: Any, sender_id: str, text: str, operator: Optional[str] = None) -> bool:
    """A message to the victim, from an operator (marked with their name) or from the system; False when the
    channel could not push it (it stays in the transcript)."""
    metadata = {"operator": operator} if operator else {"system": "handover"}
    await trackers.append(agent, sender_id, BotUttered(text, metadata=metadata))
    return await delivery.push(sender_id, text)


async def pause(agent: Any, sender_id: str, operator: str) -> bool:
    """The operator takes over: the bot stops predicting, the victim is told who joined."""
    text = responses.text("utter_operator_joined", name=operator)
    await trackers.pause(agent, sender_id, BotUttered(text, metadata={"system": "handover"}))
    return await delivery.push(sender_id, text)


async def resume(agent: Any, sender_id: str, text: str) -> bool:
    """Gives the conversation back to the bot, with its slots and history intact."""
    await trackers.resume(agent, sender_id, BotUttered(text, metadata={"system": "handover"}))
    return await delivery.push(sender_id, text)


async def ask_rating(agent: Any, sender_id: str) -> None:
    """After an operator closes the conversation: the victim may rate the help, as at the end of a conversation
    with the bot (the buttons' /rate payloads go to action_store_rating, the bot having resumed)."""
    channel = vocabulary.channel_of(sender_id)
    text = ratings.ASK_SMS if channel == vocabulary.SMS.key else ratings.ASK
    buttons = ratings.rating_buttons(channel)
    await trackers.append(agent, sender_id, BotUttered(text, data={"buttons": buttons}, metadata={"system": "rating"}))
    await delivery.push(sender_id, text, buttons)


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
        elif isinstance(event, ConversationPaused):
            item = {"who": "system", "text": "— Conversation prise en charge par un conseiller (assistant en pause) —"}
        elif isinstance(event, ConversationResumed):
            item = {"who": "system", "text": "— Conversation rendue à l'assistant —"}
        if item:
            item.update(index=index, at=_when(event.timestamp))
            items.append(item)
    return items
