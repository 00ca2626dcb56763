"""The victim's own erasure: "effacer mes données" on any channel, the web chat's button, Telegram's /effacer.

The dialogue asks for confirmation (rules: request_erasure -> utter_ask_erasure -> confirm_erasure or affirm ->
utter_erasure_done); the channel erases once that turn is over, because inside the turn Rasa would write the tracker
back after us. Erasure is what STOP does on SMS and the console's "Supprimer": the tracker under its lock
(bot.trackers.delete), then every table the application keeps about the conversation (bot.erasure.forget, which
also rewrites the export files and tells the audit log). The victim's reply then comes from here, since the
transcript that held it is gone: `erased: True` on it tells the web chat to forget its session.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional

from rasa.shared.core.events import ActionExecuted, UserUttered

from bot import erasure, responses, trackers, vocabulary
from bot.logs import log_id

logger = logging.getLogger(__name__)

REQUEST_PAYLOAD = "/request_erasure"  # always accepted: it only asks the confirmation question
CONFIRMED = "utter_erasure_done"


def confirmed(tracker: Any) -> bool:
    """True when the turn that just ended confirmed the erasure (its reply was `utter_erasure_done`)."""
    for event in reversed(getattr(tracker, "events", None) or ()):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name == CONFIRMED:
            return True
    return False


async def erase(agent: Any, sender_id: str) -> bool:
    """Deletes the conversation and everything kept about it; False (logged) if any part failed."""
    try:
        await trackers.delete(agent, sender_id)
        await asyncio.to_thread(erasure.forget, [sender_id])
    except Exception:
        logger.exception("Could not erase the conversation %s at the victim's request", log_id(sender_id))
        return False
    logger.info("Conversation %s erased at the victim's request", log_id(sender_id))
    return True


async def after_turn(
    agent: Any, sender_id: str, tracker: Optional[Any], replies: List[Dict[str, Any]]
) -> List[Dict[str, Any]]:
    """The replies of a turn, once the erasure it confirmed is done (or the apology if it failed)."""
    if tracker is None or not confirmed(tracker):
        return replies
    channel = vocabulary.channel_of(sender_id)
    if await erase(agent, sender_id):
        return [{"text": responses.text(CONFIRMED, channel=channel), "erased": True}]
    return [{"text": responses.text("utter_erasure_failed", channel=channel)}]
