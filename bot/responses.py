"""The fixed texts the channels and the console send outside the dialogue (the safety reply, SMS keywords, notices
of a handover...), read from domain.yml's responses like every other text a victim reads: one file to proofread,
with `channel:` variations where a channel needs its own wording (an MMS is not a Telegram photo).

    text("utter_safety_reply")                  # the response's text without a channel
    text("utter_attachment_note", channel="sms")  # the `channel: sms` variation, or the default one
    text("utter_operator_joined", name="Camille")  # {name} filled in, as Rasa fills slots
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Optional

import yaml

from bot.settings import PROJECT_ROOT

DOMAIN = PROJECT_ROOT / "domain.yml"


@lru_cache(maxsize=1)
def _responses() -> Dict[str, List[Dict[str, Any]]]:
    return yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))["responses"]


def text(response: str, channel: Optional[str] = None, **values: Any) -> str:
    """The text of `response` for `channel`; KeyError names a response missing from domain.yml."""
    variations = _responses()[response]
    chosen = next((v for v in variations if channel and v.get("channel") == channel), None)
    chosen = chosen or next(v for v in variations if not v.get("channel"))
    return str(chosen["text"]).format(**values) if values else str(chosen["text"])
