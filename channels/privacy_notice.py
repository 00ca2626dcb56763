"""What every victim is told about their data: a short notice on first contact, and the page `/confidentialite`.

- The notice (domain.yml `utter_privacy_notice`, one wording per channel) follows the replies of the victim's first
  turn on Telegram, SMS and REST; on SMS it is a message of its own, after the reply (channels/sms.py). It waits
  for the next turn when the first one was an emergency. It is recorded in the transcript (a system message) with
  the slot `privacy_notice_given`, which new sessions carry over, so it is said once per conversation; an erased
  conversation starts again with it. The web chat shows it in the widget before the victim writes (widget.js).
- The page is `static/privacy.html`, filled with the settings that make it true: retention, redaction delay, and
  the data controller's name and contact (CONTROLLER_NAME, CONTROLLER_CONTACT), which are never made up: the page
  says when the operator of the service has not given them.
"""

from __future__ import annotations

import html
import logging
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any, Dict, List, Optional

from rasa.shared.core.events import BotUttered, SlotSet

from bot import responses, settings, trackers, vocabulary
from bot.logs import log_id

logger = logging.getLogger(__name__)

SLOT = "privacy_notice_given"
PATH = "/confidentialite"  # served by the web chat's blueprint (channels/webchat.py), on every deployment
PAGE = Path(__file__).resolve().parent / "static" / "privacy.html"
# The web chat shows the notice itself; the others get it from the server.
SERVED = frozenset({vocabulary.TELEGRAM.key, vocabulary.SMS.key, vocabulary.REST.key})
NOT_NOW = frozenset({"emergency_danger"})  # a victim in danger reads the emergency numbers, nothing else
MISSING = "non renseigné par l'organisme qui exploite ce service"


def text(channel: Optional[str]) -> str:
    current = settings.current()
    return responses.text(
        "utter_privacy_notice", channel=channel, days=current.retention_days, url=current.privacy_page_url
    )


def due(tracker: Optional[Any], channel: str) -> bool:
    if channel not in SERVED or tracker is None or tracker.is_paused():
        return False
    if tracker.get_slot(SLOT):
        return False
    return (tracker.latest_message.intent or {}).get("name") not in NOT_NOW


async def after_turn(
    agent: Any, sender_id: str, tracker: Optional[Any], replies: List[Dict[str, Any]]
) -> List[Dict[str, Any]]:
    """The replies of a turn, followed by the notice when the conversation has not had it yet."""
    channel = vocabulary.channel_of(sender_id)
    if not replies or replies[-1].get("erased") or not due(tracker, channel):
        return replies
    notice = text(channel)
    try:
        await trackers.append(agent, sender_id, SlotSet(SLOT, True), BotUttered(notice, metadata={"system": True}))
    except Exception:  # said anyway; it will be said again next turn
        logger.exception("Could not record the privacy notice of %s", log_id(sender_id))
    return replies + [{"text": notice, "notice": "privacy"}]


@lru_cache(maxsize=1)
def _template() -> Template:
    return Template(PAGE.read_text(encoding="utf-8"))


def page() -> str:
    """The privacy page, in French, with every value from the settings escaped."""
    current = settings.current()
    values = {
        "controller": current.controller_name or MISSING,
        "contact": current.controller_contact or MISSING,
        "days": str(current.retention_days),
    }
    return _template().substitute(
        {key: html.escape(value, quote=False) for key, value in values.items()}, stored=_stored(current)
    )


def _stored(current: settings.Settings) -> str:
    """What happens to the stored words: the page must not promise a redaction this configuration does not do."""
    if current.keep_original_text:
        return (
            "Les messages sont conservés tels que vous les avez écrits ; les pages de notre équipe et les "
            "exports masquent les numéros de carte, IBAN, mots de passe, codes, numéros de téléphone et noms."
        )
    return (
        "Notre équipe lit les messages avec les numéros de carte, IBAN, mots de passe, codes, numéros de "
        f"téléphone, adresses et noms masqués ; au bout de {current.redact_stored_after_minutes} minutes, ils sont "
        "aussi masqués dans les messages conservés."
    )
