"""Satisfaction: the victim rates the help (1 to 5, or thumbs up/down on SMS) and may say why, in one message.

    action_ask_rating            the question with its buttons (payload /rate{"rating": "4"}), once per session and
                                 only after the assistant helped (rules: after "merci" and "au revoir")
    action_store_rating          stores the rating, then offers to say why (facultative)
    action_store_rating_comment  stores the next message as the "why" (rule: right after action_store_rating)

Ratings go to the `ratings` table (bot/ratings.py) and are shown in the staff review console.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot import ratings, vocabulary

RATE_INTENT = "rate"
RATING_ENTITY = "rating"
SMS_CHANNEL = vocabulary.SMS.input_channel

ASK_WHY = (
    "Merci pour votre avis ! Si vous le souhaitez, dites-nous en un message ce qui vous a aidé "
    "ou ce qui vous a manqué. Évitez d'y mettre vos coordonnées."
)
NO_THANKS = [{"title": "Non merci", "payload": "/deny"}]
NOT_A_RATING = "Je n'ai pas compris cette note. Vous pouvez choisir ci-dessous, ou simplement continuer."
THANKS_COMMENT = (
    "Merci, votre message a bien été transmis à l'équipe. Prenez soin de vous ; vous pouvez revenir "
    "ici à tout moment. En cas de danger immédiat : 17 ou 112."
)
THANKS_NO_COMMENT = "Entendu, merci encore. Prenez soin de vous ; vous pouvez revenir ici à tout moment."


# What counts as help worth rating: a diagnosis with its first reflex, advice, a recap, prevention, providers, a
# request for a person. "Bonjour" then "merci" is not a conversation to rate.
HELPING_ACTIONS = frozenset(
    {
        "action_diagnose",
        "action_give_advice",
        "action_recap",
        "action_prevention",
        "action_quiz",
        "action_find_providers",
        "action_request_handover",
    }
)


def _helped(tracker: Tracker) -> bool:
    return any(event.get("event") == "action" and event.get("name") in HELPING_ACTIONS for event in tracker.events)


def _asked_or_rated(tracker: Tracker) -> bool:
    """The question was already shown, or a rating given, in this session (the tracker holds the current one).
    The question is recognised by its buttons: the action also runs, silently, when there was nothing to rate."""
    for event in tracker.events:
        if event.get("event") == "bot":
            buttons = (event.get("data") or {}).get("buttons") or []
            if any(str(b.get("payload", "")).startswith(f"/{RATE_INTENT}") for b in buttons if isinstance(b, dict)):
                return True
        if (
            event.get("event") == "user"
            and ((event.get("parse_data") or {}).get("intent") or {}).get("name") == RATE_INTENT
        ):
            return True
    return False


class ActionAskRating(Action):
    def name(self) -> Text:
        return "action_ask_rating"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if _asked_or_rated(tracker) or not _helped(tracker):
            return []
        channel = tracker.get_latest_input_channel()
        dispatcher.utter_message(
            text=ratings.ASK_SMS if channel == SMS_CHANNEL else ratings.ASK, buttons=ratings.rating_buttons(channel)
        )
        return []


def rating_from(latest_message: Dict[Text, Any]) -> Optional[str]:
    """The rating in the button payload's entity, or typed ("4", "4/5", "👍")."""
    for entity in latest_message.get("entities") or []:
        if entity.get("entity") == RATING_ENTITY:
            return ratings.normalise(entity.get("value"))
    text = (latest_message.get("text") or "").strip()
    if text.endswith("/5"):
        text = text[:-2]
    return ratings.normalise(text) if len(text) <= 4 else None


class ActionStoreRating(Action):
    def name(self) -> Text:
        return "action_store_rating"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        value = rating_from(tracker.latest_message or {})
        if value is None:
            dispatcher.utter_message(
                text=NOT_A_RATING, buttons=ratings.rating_buttons(tracker.get_latest_input_channel()) + NO_THANKS
            )
            return []
        ratings.store(tracker.sender_id, value)
        dispatcher.utter_message(text=ASK_WHY, buttons=NO_THANKS)
        return []


class ActionStoreRatingComment(Action):
    def name(self) -> Text:
        return "action_store_rating_comment"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        latest = tracker.latest_message or {}
        text = (latest.get("text") or "").strip()
        if text.startswith("/") or not text:  # "Non merci", or any other button
            dispatcher.utter_message(text=THANKS_NO_COMMENT)
            return []
        ratings.add_comment(tracker.sender_id, text)
        dispatcher.utter_message(text=THANKS_COMMENT)
        return []
