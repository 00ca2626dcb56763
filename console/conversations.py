"""What the console does to a conversation's tracker, inside the Rasa server process.

Every change goes through Rasa's lock store and tracker store, so the transcript of record stays whole: operator
messages are bot utterances marked with the operator's name, pauses and resumptions are Rasa events.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, ConversationResumed, UserUttered

from bot import privacy, ratings
from bot.handover import channel_of

logger = logging.getLogger(__name__)

TIMEOUT_MESSAGE = (
    "Aucun conseiller n'a encore pu vous répondre, pardonnez-nous. Votre demande reste enregistrée et un conseiller "
    "vous répondra ici dès que possible. Sans attendre, vous pouvez échanger avec un policier ou un gendarme, 24h/24, "
    "sur 17cyber.gouv.fr, ou appeler Info Escroqueries au 0 805 805 817 (gratuit, en semaine de 9h à 18h30). "
    "En cas de danger immédiat : 17 ou 112. Vous pouvez aussi continuer à m'écrire."
)
TAKEN_MESSAGE = "{name}, conseiller, a rejoint la conversation. Il a lu le récapitulatif de votre situation."
BACK_TO_BOT_MESSAGE = (
    "Le conseiller vous a redirigé vers l'assistant automatique. Je reprends là où nous en étions : "
    "vous pouvez me poser vos questions ou demander le récapitulatif."
)
CLOSED_MESSAGE = (
    "Le conseiller a clôturé l'échange. Merci de votre confiance. Vous pouvez revenir ici à tout moment ; "
    "en cas de danger immédiat, appelez le 17 ou le 112."
)


async def _append(agent: Any, sender_id: str, *events: Any) -> None:
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.tracker_store.get_or_create_tracker(sender_id)
        for event in events:
            tracker.update(event)
        await agent.tracker_store.save(tracker)


async def deliver(sender_id: str, text: str, buttons: Optional[List[Dict[str, str]]] = None) -> None:
    """Pushes a message that is already in the tracker to the victim's channel (no push on the plain REST API)."""
    channel = channel_of(sender_id)
    try:
        if channel == "web":
            from channels import webchat

            await webchat.notify(sender_id)
        elif channel == "telegram":
            from channels import telegram

            await telegram.send_to(sender_id, text, buttons)
        elif channel == "sms":
            from channels import sms

            await sms.send_to(sender_id, text, buttons)
    except Exception:  # the message stays in the transcript; the operator sees the error in the logs
        logger.exception("Could not deliver a message to %s", sender_id)


async def say(agent: Any, sender_id: str, text: str, operator: Optional[str] = None) -> None:
    """A message to the victim, from an operator (marked with their name) or from the system."""
    metadata = {"operator": operator} if operator else {"system": "handover"}
    await _append(agent, sender_id, BotUttered(text, metadata=metadata))
    await deliver(sender_id, text)


async def pause(agent: Any, sender_id: str, operator: str) -> None:
    """The operator takes over: the bot stops predicting, the victim is told who joined."""
    text = TAKEN_MESSAGE.format(name=operator)
    await _append(agent, sender_id, ConversationPaused(), BotUttered(text, metadata={"system": "handover"}))
    await deliver(sender_id, text)


async def resume(agent: Any, sender_id: str, text: str) -> None:
    """Gives the conversation back to the bot, with its slots and history intact."""
    await _append(
        agent,
        sender_id,
        ConversationResumed(),
        ActionExecuted("action_listen"),
        BotUttered(text, metadata={"system": "handover"}),
    )
    await deliver(sender_id, text)


async def ask_rating(agent: Any, sender_id: str) -> None:
    """After an operator closes the conversation: the victim may rate the help, as at the end of a conversation
    with the bot (the buttons' /rate payloads go to action_store_rating, the bot having resumed)."""
    channel = channel_of(sender_id)
    text = ratings.ASK_SMS if channel == "sms" else ratings.ASK
    buttons = ratings.rating_buttons(channel)
    await _append(agent, sender_id, BotUttered(text, data={"buttons": buttons}, metadata={"system": "rating"}))
    await deliver(sender_id, text, buttons)


def _when(timestamp: Optional[float]) -> str:
    if not timestamp:
        return ""
    return datetime.fromtimestamp(timestamp, timezone.utc).astimezone().strftime("%d/%m %H:%M:%S")


async def transcript(agent: Any, sender_id: str, after: int = -1) -> List[Dict[str, Any]]:
    """The conversation as the console shows it: index, who (victim/bot/operator/system), text, intent, time."""
    tracker = await agent.tracker_store.retrieve_full_tracker(sender_id)
    if tracker is None:
        return []
    items = []
    for index, event in enumerate(tracker.events):
        if index <= after:
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
