"""What the assistant says when it does not understand, or when the message is not about a digital incident."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.taxonomy import INCIDENT_INTENTS, INCIDENTS
from bot.text import looks_foreign

NOT_UNDERSTOOD_INTENTS = ("nlu_fallback", "out_of_scope")
# After this many misunderstood messages in a row, offer a human instead of asking again.
MAX_MISUNDERSTOOD = 2
# An incident this likely is worth proposing when the model is not sure enough to diagnose it.
SUGGESTION_MIN_CONFIDENCE = 0.15


def misunderstood_in_a_row(tracker: Tracker) -> int:
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent not in NOT_UNDERSTOOD_INTENTS:
            break
        count += 1
    return count


class ActionNotUnderstood(Action):
    """Answers nlu_fallback and out_of_scope messages, and unexpected turns of the dialogue."""

    def name(self) -> Text:
        return "action_not_understood"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if looks_foreign(text):
            dispatcher.utter_message(response="utter_foreign_language")
        elif misunderstood_in_a_row(tracker) > MAX_MISUNDERSTOOD:
            dispatcher.utter_message(response="utter_offer_human")
        elif intent == "out_of_scope":
            dispatcher.utter_message(response="utter_out_of_scope")
        elif suggestions(tracker.latest_message or {}):
            dispatcher.utter_message(
                text="Je ne suis pas sûr d'avoir bien compris. Votre situation ressemble-t-elle à l'une de celles-ci ?",
                buttons=[
                    {"title": INCIDENTS[name].choice, "payload": f"/{name}"}
                    for name in suggestions(tracker.latest_message or {})
                ]
                + [{"title": "Non, aucune", "payload": "/out_of_scope"}],
            )
        else:
            dispatcher.utter_message(response="utter_not_understood")
        return []


def suggestions(latest_message: Dict[Text, Any]) -> List[Text]:
    """Up to two incidents the model found plausible although not sure enough (two-stage fallback)."""
    ranking = latest_message.get("intent_ranking") or []
    return [
        r["name"]
        for r in ranking
        if r.get("name") in INCIDENT_INTENTS and r.get("confidence", 0) >= SUGGESTION_MIN_CONFIDENCE
    ][:2]
