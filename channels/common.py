"""What every channel does the same way: clean the victim's input and make sure the victim always gets a reply.

- `clean_input` turns whatever arrived (empty, huge, binary, control characters) into text the NLU can take,
  keeping the full original in the message metadata so that nothing the victim wrote is lost.
- `ensure_reply` adds the safety reply (emergency numbers, how to reach a person) when the bot produced nothing
  although it should have: action server down, database error, crash in the pipeline. It stays silent when a human
  operator owns the conversation (the tracker is paused), which is the only legitimate silence.
"""
from __future__ import annotations

import logging
import unicodedata
from typing import Any, Dict, List, NamedTuple, Optional

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
