"""The personalised advice ("fiche réflexe") at the end of the qualification, and the recap on request."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import vocabulary
from bot.actions.diagnosis import REFLEX_PREFIX
from bot.advice import case_from_slots

SMS_CHANNEL = vocabulary.SMS.input_channel  # channels/sms.py: short advice, the full recap on request
# The chat bubble and Telegram: the full advice, and the recap on request only (button below), instead of
# repeating the urgent actions and the evidence right after the sheet. The REST API keeps both in one turn.
RECAP_ON_REQUEST_CHANNELS = {vocabulary.WEB.input_channel, vocabulary.TELEGRAM.input_channel}
RECAP_ON_REQUEST = (
    "Ces conseils, avec les liens utiles, sont réunis dans un récapitulatif que vous pouvez afficher à tout moment."
)
WHAT_NEXT = "Que souhaitez-vous faire maintenant ?"
NEXT_STEPS = [
    {"title": "Revoir le récapitulatif", "payload": "/ask_recap"},
    {"title": "Trouver un professionnel près de chez moi", "payload": "/request_provider"},
    {"title": "Parler à une personne", "payload": "/ask_human"},
]
# On SMS the same menu in fewer characters; channels/sms_text.py numbers it (and offers a person once).
SMS_WHAT_NEXT = "Et maintenant ?"
SMS_NEXT_STEPS = [
    {"title": "Revoir le récapitulatif", "payload": "/ask_recap"},
    {"title": "Un professionnel près de chez moi", "payload": "/request_provider"},
    {"title": "Parler à une personne", "payload": "/ask_human"},
]


OTHER_INCIDENT_STEP = "Les conseils pour l'autre situation"


def next_steps(tracker: Tracker, steps: List[Dict[Text, Text]]) -> List[Dict[Text, Text]]:
    """The menu after the advice, with the other incident the description told first (actions/diagnosis.py)."""
    other = tracker.get_slot("other_incident")
    if other and other != tracker.get_slot("incident"):
        return [{"title": OTHER_INCIDENT_STEP, "payload": f"/{other}"}, *steps]
    return steps


def reflex_said_this_turn(tracker: Tracker) -> Optional[str]:
    """The first reflex sent with the diagnosis since the victim's last message (facts already stated: the advice
    follows in the same turn), so that the SMS advice does not repeat it a few lines below."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return None
        text = event.get("text") or ""
        if event.get("event") == "bot" and text.startswith(REFLEX_PREFIX):
            return text.removeprefix(REFLEX_PREFIX)
    return None


class ActionGiveAdvice(Action):
    def name(self) -> Text:
        return "action_give_advice"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        case = case_from_slots(tracker.current_slot_values())
        if case is None:
            dispatcher.utter_message(response="utter_not_understood")
            return []
        channel = tracker.get_latest_input_channel()
        what_next = WHAT_NEXT
        if channel == SMS_CHANNEL:
            # The essentials first (the first urgent action in the first SMS), one menu, the rest for SUITE.
            said = reflex_said_this_turn(tracker)
            for message in case.sms_messages(said):
                dispatcher.utter_message(text=message)
            if case.serious:
                dispatcher.utter_message(response="utter_serious_case")
            dispatcher.utter_message(text=SMS_WHAT_NEXT, buttons=next_steps(tracker, SMS_NEXT_STEPS), sms="menu")
            for message in case.sms_details(said):
                dispatcher.utter_message(text=message, sms="detail")
            return [SlotSet("advice_given", case.as_dict())]
        dispatcher.utter_message(text="Merci. Voici ce que je vous conseille, dans l'ordre :")
        for message in case.advice_messages():
            dispatcher.utter_message(text=message)
        if channel in RECAP_ON_REQUEST_CHANNELS:
            what_next = f"{RECAP_ON_REQUEST}\n\n{WHAT_NEXT}"  # the first button shows it
        else:
            dispatcher.utter_message(text=case.recap_text())
        if case.serious:
            dispatcher.utter_message(response="utter_serious_case")
        dispatcher.utter_message(text=what_next, buttons=next_steps(tracker, NEXT_STEPS))
        return [SlotSet("advice_given", case.as_dict())]


class ActionRecap(Action):
    def name(self) -> Text:
        return "action_recap"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        case = case_from_slots(tracker.current_slot_values())
        if case is None:
            dispatcher.utter_message(response="utter_no_recap_yet")
            return []
        dispatcher.utter_message(text=case.recap_text())
        return []
