"""Diagnosis: from the classified description to "vous semblez être victime de …" and the first reflexes."""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import glossary, knowledge, notices, vocabulary
from bot.advice import Case, facts_from_slots, seems_victim, speaks_to_parent, summary
from bot.taxonomy import EMERGENCY_INTENT, INCIDENT_INTENTS, INCIDENTS, victim_of

logger = logging.getLogger(__name__)

FORM = "qualification_form"
# Facts about the incident itself: forgotten when the victim moves on to another incident. The public and whether a
# minor is involved describe the person, so they carry over.
INCIDENT_FACTS = ("money_paid", "details_given", "remote_access", "ongoing", "third_party_data", "lure")

# Two incidents whose confidences are closer than this are both plausible: ask rather than guess.
AMBIGUITY_MARGIN = 0.2
# Below this, an incident ranked under an emergency is too unsure to be diagnosed without asking.
EMERGENCY_INCIDENT_MIN_CONFIDENCE = 0.5
# A story that tells two incidents ("on m'a piraté Instagram, maintenant il veut 500 € pour ne pas publier mes
# photos"): the model ranks the one that drives the advice first and the other well above the rest. Mentioned when
# it keeps this much confidence in a message long enough to tell a story; short messages rarely tell two.
ALSO_MIN_CONFIDENCE = 0.15
ALSO_MIN_WORDS = 15
REFLEX_PREFIX = "Premier réflexe : "  # the SMS advice of the same turn does not repeat the reflex (actions/advice.py)


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


def other_incident(latest_message: Dict[Text, Any], incident: Text) -> Optional[Text]:
    """The second incident a story tells besides the one diagnosed, else None: a clause about another incident (the
    NLU's `other_incident` entity), or a second incident the whole message leaves plausible."""
    if len((latest_message.get("text") or "").split()) < ALSO_MIN_WORDS:
        return None
    for entity in latest_message.get("entities") or []:
        if (
            entity.get("entity") == "other_incident"
            and entity.get("value") in INCIDENTS
            and entity["value"] != incident
        ):
            return entity["value"]
    others = [r for r in incident_ranking(latest_message) if r["name"] != incident]
    if others and others[0].get("confidence", 0) >= ALSO_MIN_CONFIDENCE:
        return others[0]["name"]
    return None


def also_text(other: Text) -> Text:
    return (
        f"Vous parlez aussi {victim_of(other, {})} : je commence par le plus urgent, "
        "et je vous proposerai ensuite les conseils pour cela."
    )


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


def on_sms(tracker: Tracker) -> bool:
    return vocabulary.is_channel(tracker.get_latest_input_channel(), vocabulary.SMS)


def diagnosis_text(incident: Text, facts: Optional[Dict[Text, Any]] = None) -> Text:
    return f"Au regard de vos éléments, {seems_victim(incident, facts or {})}."


class ActionDiagnose(Action):
    """Names the incident, explains it in one sentence, then starts the questions that change the advice.

    When the two most likely incidents are too close, asks the victim to choose with buttons instead.
    """

    def name(self) -> Text:
        return "action_diagnose"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        latest = tracker.latest_message or {}
        if glossary.asked_about(latest.get("text") or ""):  # "le 33700 ?" is a question, not a spam report
            return [FollowupAction("action_define")]
        incident = choose_incident(latest)
        in_form = (tracker.active_loop or {}).get("name") == FORM
        if (
            incident is not None
            and tracker.get_slot("advice_given")
            and not in_form
            and (incident == tracker.get_slot("incident") or only_adds_facts(latest))
        ):
            # More about the incident already advised ("j'ai aussi perdu 500 €", "c'est pour ma fille de 15 ans"):
            # update the advice, do not start another diagnosis.
            return [FollowupAction("action_respond")]
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
                sms="question",
            )
            return [SlotSet("incident_candidates", pair)]

        if in_form and incident == tracker.get_slot("incident"):
            # More details about the same incident while a question is pending: go on with the questions.
            dispatcher.utter_message(response="utter_thanks_for_details")
            return [FollowupAction(FORM)]

        sheet = knowledge.load().sheets[incident]
        confidence = float((latest.get("intent") or {}).get("confidence") or 0.0)
        # One reflex right away, for what the description already says ("j'ai payé par carte": the bank first).
        slots = dict(tracker.current_slot_values())
        if tracker.get_slot("incident") not in (None, incident):
            slots.update(stated_facts(latest))
        facts = facts_from_slots(slots)
        means = slots.get("payment_means")
        reflex = Case(incident, facts, details={"payment_means": means} if means else {}).first_reflex(
            sms=on_sms(tracker)
        )
        other = other_incident(latest, incident)
        wave = wave_notice(tracker, incident)
        if on_sms(tracker):
            # The first SMS: the diagnosis in a line, the reflex, then the question (channels/sms_text.py); the
            # explanation waits for SUITE. "Il semble que vous soyez" rather than "vous semblez être": no "ê", so
            # the message stays GSM-7 (459 characters in 3 segments rather than 201).
            # "(phishing)": a segment saved, except in the GSM-7 words written for SMS (bot/taxonomy.py).
            plain = INCIDENTS[incident].sms or re.sub(r" \([^)]*\)", "", victim_of(incident, facts))
            whom = "votre enfant soit" if speaks_to_parent(incident, facts) else "vous soyez"
            dispatcher.utter_message(text=f"Il semble que {whom} victime {plain}.")
            if reflex:
                dispatcher.utter_message(text=REFLEX_PREFIX + reflex)
            if wave:  # the first detail: the message right after the question's
                dispatcher.utter_message(text=notices.lines(wave), sms="detail", **{notices.METADATA_KEY: wave.id})
            dispatcher.utter_message(text=summary(sheet, facts), sms="detail")
            if other:  # not in the first SMS (the question is), with the details
                dispatcher.utter_message(text=also_text(other), sms="detail")
        else:
            dispatcher.utter_message(text=diagnosis_text(incident, facts))
            if other:
                dispatcher.utter_message(text=also_text(other))
            dispatcher.utter_message(text=summary(sheet, facts))
            if reflex:
                dispatcher.utter_message(text=REFLEX_PREFIX + reflex)
            if wave:
                dispatcher.utter_message(text=notices.lines(wave), **{notices.METADATA_KEY: wave.id})
        events: List[EventType] = []
        if in_form:
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        if tracker.get_slot("incident") not in (None, incident):
            events += forget_previous_incident(latest)
        return events + [
            SlotSet("incident", incident),
            SlotSet("incident_confidence", confidence),
            SlotSet("incident_candidates", None),
            SlotSet("other_incident", other),
            FollowupAction(FORM),
        ]


def description(tracker: Tracker) -> Text:
    """The victim's latest words: a button pressed to choose the incident ("/piratage_compte") is not a description,
    the message before it is."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and not str(event.get("text") or "").startswith("/"):
            return str(event.get("text") or "")
    text = (tracker.latest_message or {}).get("text") or ""
    return "" if text.startswith("/") else text


def wave_notice(tracker: Tracker, incident: Text) -> Optional[notices.Notice]:
    """The "vague en cours" notice this victim should read now (bot/notices.py), unless this conversation was told.
    Reading it never stops the diagnosis: without the table or the database, no notice."""
    try:
        found = notices.matching(incident, description(tracker))
    except Exception as error:
        logger.warning("Could not read the wave notices: %s", error)
        return None
    if found is None or found.id in notices.shown_in(tracker.events):
        return None
    return found


# A short message that states facts, read as another incident without much confidence, completes the case instead.
FACT_ONLY_MAX_WORDS = 12
FACT_ONLY_MAX_CONFIDENCE = 0.6
FACT_ENTITIES = ("public", "amount", "payment_means", "minor_involved", "writer", *INCIDENT_FACTS)


def only_adds_facts(latest_message: Dict[Text, Any]) -> bool:
    confidence = float((latest_message.get("intent") or {}).get("confidence") or 0.0)
    words = len((latest_message.get("text") or "").split())
    stated = [e for e in latest_message.get("entities") or [] if e.get("entity") in FACT_ENTITIES]
    return bool(stated) and words <= FACT_ONLY_MAX_WORDS and confidence < FACT_ONLY_MAX_CONFIDENCE


def stated_facts(latest_message: Dict[Text, Any]) -> Dict[Text, Any]:
    """The incident facts of the new description, the others unknown."""
    stated = {
        e["entity"]: e["value"] for e in latest_message.get("entities") or [] if e.get("entity") in INCIDENT_FACTS
    }
    return {fact: stated.get(fact) for fact in INCIDENT_FACTS}


def forget_previous_incident(latest_message: Dict[Text, Any]) -> List[EventType]:
    """Resets the facts of the previous incident, keeping those stated in the new description."""
    return [SlotSet(fact, value) for fact, value in stated_facts(latest_message).items()]
