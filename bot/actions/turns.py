"""Where the conversation stands: which action spoke just before the victim's latest message.

A question asked by one action ("Quel numéro vous a appelé ?", "Preuve 2/3 : … L'avez-vous déjà ?") is answered
by the very next message or not at all: a slot left set by it must not turn a later, unrelated "oui" into an answer.
"""

from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker

# Rasa's own bookkeeping between two turns, not an answer the victim read.
_BOOKKEEPING = {"action_listen", "action_extract_slots", "action_session_start"}


def previous_action(tracker: Tracker) -> Optional[str]:
    """The last action run before the victim's latest message (None at the start of a conversation)."""
    seen_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return None  # two messages without an action between them
            seen_user = True
        elif kind == "action" and seen_user and event.get("name") not in _BOOKKEEPING:
            return event.get("name")
    return None
