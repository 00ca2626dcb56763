"""Diagnosis: from the classified description to "vous semblez être victime de …" and the first reflexes."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import knowledge
from bot.taxonomy import EMERGENCY_INTENT, INCIDENT_INTENTS, INCIDENTS

FORM = "qualification_form"
# Facts about the incident itself: forgotten when the victim moves on to another incident. The public and whether a
# minor is involved describe the person, so they carry over.
INCIDENT_FACTS = ("money_paid", "details_given", "remote_access", "ongoing", "third_party_data")

# Two incidents whose confidences are closer than this are both plausible: ask rather than guess.
AMBIGUITY_MARGIN = 0.2
# Below this, an incident ranked under an emergency is too unsure to be diagnosed without asking.
EMERGENCY_INCIDENT_MIN_CONFIDENCE = 0.5


def incident_ranking(latest_message: Dict[Text, Any]) -> List[Dict[Text, Any]]:
    """The incident intents of the NLU ranking, most likely first."""
    ranking = latest_message.get("intent_ranking") or []
    return [r for r in ranking if r.get("name") in INCIDENT_INTENTS]


def ambiguous_pair(latest_message: Dict[Text, Any]) -> Optional[List[Text]]:
    """The two most likely incidents when the model cannot tell them apart, else None."""
    ranking = incident_ranking(latest_message)
    if len(ranking) < 2:
        return None
    first, second = ranking[0], ranking[1]
    if first.get("confidence", 0) - second.get("confidence", 0) < AMBIGUITY_MARGIN:
        return [first["name"], second["name"]]
    return None


def choose_incident(latest_message: Dict[Text, Any]) -> Optional[Text]:
    """The incident to diagnose from the latest message, or None when there is none."""
    intent = (latest_message.get("intent") or {}).get("name")
    if intent in INCIDENT_INTENTS:
        return intent
    if intent == EMERGENCY_INTENT:
        ranking = incident_ranking(latest_message)
        if ranking and ranking[0].get("confidence", 0) >= EMERGENCY_INCIDENT_MIN_CONFIDENCE:
            return ranking[0]["name"]
    return None


def diagnosis_text(incident: Text) -> Text:
    return f"Au regard de vos éléments, vous semblez être victime {INCIDENTS[incident].victim_of}."


class ActionDiagnose(Action):
    """Names the incident, explains it in one sentence, then starts the questions that change the advice.

    When the two most likely incidents are too close, asks the victim to choose with buttons instead.
    """

    def name(self) -> Text:
        return "action_diagnose"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        latest = tracker.latest_message or {}
        incident = choose_incident(latest)
        if incident is None:
            if (latest.get("intent") or {}).get("name") == EMERGENCY_INTENT:
                dispatcher.utter_message(response="utter_after_emergency")
            return []

        pair = ambiguous_pair(latest) if latest.get("intent", {}).get("name") != EMERGENCY_INTENT else None
        if pair:
            dispatcher.utter_message(
                text="Pour bien vous conseiller, laquelle de ces situations correspond le mieux à la vôtre ?",
                buttons=[{"title": INCIDENTS[name].choice, "payload": f"/{name}"} for name in pair]
                + [{"title": "Aucune des deux", "payload": "/nlu_fallback"}],
            )
            return [SlotSet("incident_candidates", pair)]

        in_form = (tracker.active_loop or {}).get("name") == FORM
        if in_form and incident == tracker.get_slot("incident"):
            # More details about the same incident while a question is pending: go on with the questions.
            dispatcher.utter_message(response="utter_thanks_for_details")
            return [FollowupAction(FORM)]

        sheet = knowledge.load().sheets[incident]
        confidence = float((latest.get("intent") or {}).get("confidence") or 0.0)
        dispatcher.utter_message(text=diagnosis_text(incident))
        dispatcher.utter_message(text=sheet.summary)
        # One reflex right away (the first one that holds whatever the answers), before the questions.
        first = knowledge.select(sheet.urgent, {"public": tracker.get_slot("public")})
        unconditional = [advice for advice in first if not advice.when]
        if unconditional:
            dispatcher.utter_message(text=f"Premier réflexe : {unconditional[0].text}")
        events: List[EventType] = []
        if in_form:
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        if tracker.get_slot("incident") not in (None, incident):
            events += forget_previous_incident(latest)
        return events + [
            SlotSet("incident", incident),
            SlotSet("incident_confidence", confidence),
            SlotSet("incident_candidates", None),
            FollowupAction(FORM),
        ]


def forget_previous_incident(latest_message: Dict[Text, Any]) -> List[EventType]:
    """Resets the facts of the previous incident, keeping those stated in the new description."""
    stated = {e["entity"]: e["value"] for e in latest_message.get("entities") or [] if e.get("entity") in INCIDENT_FACTS}
    return [SlotSet(fact, stated.get(fact)) for fact in INCIDENT_FACTS]
