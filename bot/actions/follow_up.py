"""What the assistant answers outside the journey's fixed steps, above all after the advice.

`action_respond` is RulePolicy's core fallback (config.yml): it answers every message that no rule covers, the way
a kind operator would, from what the conversation knows:

- a place (commune, postal code, département) -> the provider search;
- a new or corrected fact once the advice was given -> only the advice that changes, then the updated recap;
- yes / no / ok / "je ne sais pas" -> a short acknowledgement and the next steps (or, before the advice, the
  questions again, or a request to describe what happened);
- a question about a word or service of the advice -> the glossary;
- anything else -> the "not understood" answers of bot/actions/fallback.py.

The other actions here answer the intents of the same name: the complaint and report steps of the victim's sheet, a
glossary entry, and starting over.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import geo, glossary, identifiers, vocabulary
from bot.actions import evidence
from bot.actions.advice import NEXT_STEPS, SMS_CHANNEL, WHAT_NEXT
from bot.actions.diagnosis import FORM, INCIDENT_FACTS
from bot.actions.dossier import QUESTION_SLOT, ActionSendDossier
from bot.actions.fallback import (
    MAX_MISUNDERSTOOD,
    NOT_UNDERSTOOD_INTENTS,
    ActionNotUnderstood,
    misunderstood_in_a_row,
)
from bot.actions.turns import previous_action
from bot.advice import DETAIL_SLOTS, REPORT_IS_NOT_COMPLAINT, REPORT_IS_NOT_COMPLAINT_SHORT, Case, case_from_slots
from bot.dossier import IDENTIFIER_LABELS
from bot.text import looks_foreign

LOCATION_ENTITIES = ("city", "postal_code", "departement")
ACKNOWLEDGEMENTS = {
    "affirm": "Très bien.",
    "deny": "D'accord.",
    "dont_know": "Ce n'est pas grave, vous n'avez pas besoin de tout savoir.",
    "greet": "Bonjour, je suis toujours là.",
    "thank": "Avec plaisir.",
}
DEFAULT_ACKNOWLEDGEMENT = "C'est noté."
PLACE_MAX_WORDS = 6
PLACE_INTENTS = ("inform", "nlu_fallback", "out_of_scope", "request_provider")
# After the advice, a reaction the model cannot place ("parfait", "c'est noté", "👍") is an acknowledgement.
SHORT_REACTION_WORDS = 4
UNCLEAR_AFTER_ADVICE = (
    "Je ne suis pas sûr de bien saisir votre message. Vous pouvez me poser une question sur les conseils, "
    "m'indiquer un nouvel élément, ou choisir ci-dessous. Si cela vous pèse, un conseiller peut prendre le relais."
)
COMPLAINT_BUTTON = {"title": "Porter plainte ou signaler", "payload": "/ask_complaint"}
FOLLOW_UP_STEPS = NEXT_STEPS + [COMPLAINT_BUTTON]
UPDATED = "C'est noté, j'en tiens compte. Voici ce qui change dans mes conseils :"
UNCHANGED = "C'est noté. Mes conseils restent les mêmes."
NO_GLOSSARY_ENTRY = (
    "Je n'ai pas d'explication toute prête pour ce mot. Un conseiller peut vous l'expliquer : demandez « parler à "
    "un conseiller ». Vous pouvez aussi poser la question sur 17cyber.gouv.fr, 24h/24."
)
COMPLAINT_WITHOUT_CASE = (
    "Vous pouvez porter plainte au commissariat de police ou à la brigade de gendarmerie de votre choix ; pour "
    "certaines escroqueries sur Internet, la plainte peut aussi se faire en ligne (THESEE, sur service-public.fr). "
    "Décrivez-moi ce qui s'est passé : je vous indiquerai la démarche adaptée et les preuves à garder."
)
COMPLAINT_ALWAYS_POSSIBLE = (
    "Porter plainte : c'est toujours possible, au commissariat de police ou à la brigade de gendarmerie de votre "
    "choix, ou par courrier au procureur de la République. Gardez le récépissé."
)
# What the victim brings when filing; the dossier (bot/dossier.py) gathers most of it.
COMPLAINT_BRING = (
    "À apporter : une pièce d'identité, vos preuves (messages, captures d'écran datées, relevés bancaires, "
    "numéros et adresses de l'escroc) et votre dossier, que je peux vous préparer."
)
COMPLAINT_BRING_SMS = "À apporter : pièce d'identité, preuves, relevés bancaires."
COMPLAINT_BY_LETTER = "Vous pouvez aussi écrire au procureur de la République du tribunal judiciaire de votre domicile."
COMPLAINT_FOR_ORGANISATIONS = (
    "Pour une entreprise, une association ou une collectivité, la plainte est déposée au nom de la structure par son "
    "représentant légal ou une personne qu'il mandate."
)
START_OVER = "D'accord, reprenons depuis le début. Décrivez-moi en quelques mots ce qui vous arrive."
# What start_over forgets; the public describes the person and is kept.
CASE_SLOTS = (
    "incident",
    "incident_confidence",
    "incident_candidates",
    "other_incident",
    "advice_given",
    "minor_involved",
    *INCIDENT_FACTS,
    *DETAIL_SLOTS,
)


def latest_intent(tracker: Tracker) -> Optional[Text]:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def latest_entities(tracker: Tracker) -> List[Text]:
    return [e.get("entity") for e in (tracker.latest_message or {}).get("entities") or []]


def next_steps(dispatcher: CollectingDispatcher, lead: Text = "") -> None:
    dispatcher.utter_message(text=f"{lead} {WHAT_NEXT}".strip(), buttons=FOLLOW_UP_STEPS)


def changed_advice(before: Dict[str, Any], case: Case) -> List[str]:
    """The advice lines of `case` that the victim was not given yet (the advice given is kept in `advice_given`)."""
    now = case.as_dict()
    lines = []
    for section in ("urgent", "evidence", "report", "complaint"):
        given = set(before.get(section) or [])
        lines += [line for line in now[section] if line not in given]
    return lines


def _known(values: Any) -> Dict[str, Any]:
    return {key: value for key, value in (values or {}).items() if value is not None}


def facts_changed(before: Dict[str, Any], case: Case) -> bool:
    """A fact or detail was stated or corrected since the advice (unknown ones compare as absent)."""
    return _known(before.get("facts")) != _known(case.facts) or _known(before.get("details")) != _known(case.details)


def answer_new_facts(
    dispatcher: CollectingDispatcher, tracker: Tracker, before: Dict[str, Any], case: Case
) -> List[EventType]:
    lines = changed_advice(before, case)
    if lines:
        dispatcher.utter_message(text=UPDATED + "\n" + "\n".join(f"• {line}" for line in lines))
        if case.serious and not before.get("serious"):
            dispatcher.utter_message(response="utter_serious_case")
    else:
        dispatcher.utter_message(text=UNCHANGED)
    if tracker.get_latest_input_channel() != SMS_CHANNEL:
        dispatcher.utter_message(text=case.recap_text())
    next_steps(dispatcher)
    return [SlotSet("advice_given", case.as_dict())]


def states_a_fact(tracker: Tracker) -> bool:
    """The latest message says one of the facts of the advice (paid, still going on, a minor…), changed or not. Who
    writes and the lure are not news ("merci, je vais en parler à mon fils")."""
    return any(e in vocabulary.FACT_KEYS and e not in ("writer", "lure") for e in latest_entities(tracker))


def still_going_on(tracker: Tracker) -> bool:
    """The latest message says that the incident goes on ("il a recommencé", "ça continue")."""
    entities = (tracker.latest_message or {}).get("entities") or []
    return any(e.get("entity") == "ongoing" and e.get("value") is True for e in entities)


def only_symbols(text: Text) -> bool:
    """An emoji or punctuation alone ("👍", "🙏", "..."): a reaction, not a message to understand."""
    return bool(text.strip()) and not any(char.isalnum() for char in text)


def names_a_place(text: Text, tracker: Tracker) -> bool:
    """After the advice, a short message that is only a place ("Lille", "75011", "aix en provence") asks for help
    there: the provider search. Before the advice a place alone says nothing about the incident."""
    if not tracker.get_slot("advice_given") or len(text.split()) > PLACE_MAX_WORDS or text.startswith("/"):
        return False
    if latest_intent(tracker) not in PLACE_INTENTS:  # "ça joue, merci" is a Swiss thank-you, not Joué-lès-Tours
        return False
    return geo.locate(text) is not None


TOLD = "Merci, je l'ajoute à votre dossier : {what}. Écrivez « mon dossier » pour le relire."


def told_identifiers(tracker: Tracker) -> List[Dict[str, str]]:
    """The identifiers of the latest message that are not the victim's own, as OFFENDER_SLOT keeps them."""
    text = (tracker.latest_message or {}).get("text") or ""
    return [{"kind": i.kind, "value": i.value} for i in identifiers.find(text) if i.owner != identifiers.VICTIM]


class ActionRespond(Action):
    """RulePolicy's core fallback: an answer to every message no rule covers (see the module docstring)."""

    def name(self) -> Text:
        return "action_respond"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if tracker.get_slot(QUESTION_SLOT):  # the answer to "Quel numéro vous a appelé ?", or something else
            # Only the message right after the question answers it: a slot left set by a turn another action
            # answered (a recap, a definition) is cleared without reading the message as an identifier.
            told = told_identifiers(tracker) if previous_action(tracker) == ActionSendDossier().name() else []
            if told:
                what = ", ".join(f"{IDENTIFIER_LABELS.get(t['kind'], t['kind'])} {t['value']}" for t in told)
                dispatcher.utter_message(text=TOLD.format(what=what))
                known = list(tracker.get_slot(identifiers.OFFENDER_SLOT) or [])
                return [SlotSet(QUESTION_SLOT, None), SlotSet(identifiers.OFFENDER_SLOT, known + told)]
            return [SlotSet(QUESTION_SLOT, None)] + await self._respond(dispatcher, tracker, domain)
        return await self._respond(dispatcher, tracker, domain)

    async def _respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        intent = latest_intent(tracker)
        text = (tracker.latest_message or {}).get("text") or ""
        if any(entity in LOCATION_ENTITIES for entity in latest_entities(tracker)) or names_a_place(text, tracker):
            return [FollowupAction("action_find_providers")]
        entry = glossary.asked_about(text)
        if entry is not None:
            return [FollowupAction("action_define")]
        case = case_from_slots(tracker.current_slot_values())
        before = tracker.get_slot("advice_given")
        if case is not None and isinstance(before, dict) and (facts_changed(before, case) or states_a_fact(tracker)):
            # A fact said again ("il a recommencé cette nuit" when it was already going on) is heard, not "unclear".
            return answer_new_facts(dispatcher, tracker, before, case)
        if intent in NOT_UNDERSTOOD_INTENTS:
            if not before or looks_foreign(text) or misunderstood_in_a_row(tracker) > MAX_MISUNDERSTOOD:
                return ActionNotUnderstood().run(dispatcher, tracker, domain)
            if not only_symbols(text) and len(text.split()) > SHORT_REACTION_WORDS:
                # After the advice, asking to describe the incident again would be beside the point.
                dispatcher.utter_message(text=UNCLEAR_AFTER_ADVICE, buttons=FOLLOW_UP_STEPS)
                return []
        acknowledgement = ACKNOWLEDGEMENTS.get(intent or "", DEFAULT_ACKNOWLEDGEMENT)
        if case is None:
            dispatcher.utter_message(
                text=f"{acknowledgement} Décrivez-moi en quelques mots ce qui vous arrive "
                "(message suspect, compte piraté, chantage, arnaque…) et je vous dirai "
                "quoi faire. En cas de danger immédiat : 17 ou 112."
            )
            return []
        if not before:  # the questions were interrupted: take them up again
            return [FollowupAction(FORM)]
        next_steps(dispatcher, acknowledgement)
        return []


class ActionComplaintHelp(Action):
    """Where to report and how to file a complaint for the victim's incident: the steps already in the advice."""

    def name(self) -> Text:
        return "action_complaint_help"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        case = case_from_slots(tracker.current_slot_values())
        if case is None:
            dispatcher.utter_message(text=COMPLAINT_WITHOUT_CASE)
            return []
        sms = tracker.get_latest_input_channel() == SMS_CHANNEL
        parts = []
        complaint, report = case.section("complaint"), case.section("report")
        if complaint:
            lines = list(complaint)
            if not sms and not any("procureur" in line for line in lines):
                lines.append(COMPLAINT_BY_LETTER)  # the route that needs neither an office nor an online account
            parts.append("Porter plainte :\n" + "\n".join(f"• {line}" for line in lines))
        else:  # the sheet advises no complaint for these facts, but the victim may always file one
            parts.append(COMPLAINT_ALWAYS_POSSIBLE)
        if not sms and case.facts.get("public") in vocabulary.ORGANISATIONS:
            parts.append(COMPLAINT_FOR_ORGANISATIONS)
        parts.append(COMPLAINT_BRING_SMS if sms else COMPLAINT_BRING)
        if report:
            parts.append("Signaler :\n" + "\n".join(f"• {line}" for line in report))
        if report:  # both are named: say they are not the same thing
            parts.append(REPORT_IS_NOT_COMPLAINT_SHORT if sms else REPORT_IS_NOT_COMPLAINT)
        evidence = case.section("evidence")
        if evidence and not sms:
            parts.append("Pour la plainte, gardez vos preuves :\n" + "\n".join(f"• {line}" for line in evidence))
        dispatcher.utter_message(text="\n\n".join(parts))
        dispatcher.utter_message(response="utter_complaint_help_human")
        return []


class ActionDefine(Action):
    """One or two sentences from the glossary about the word or service the victim asks about."""

    def name(self) -> Text:
        return "action_define"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        entry = glossary.find((tracker.latest_message or {}).get("text") or "")
        if entry is None:
            dispatcher.utter_message(text=NO_GLOSSARY_ENTRY)
        else:
            dispatcher.utter_message(text=f"{entry.term} : {entry.text}\nEn savoir plus : {entry.source_url}")
        return []


class ActionStartOver(Action):
    """Forgets the current case (not the conversation: the transcript and a handover stay) and asks again."""

    def name(self) -> Text:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if tracker.get_slot("incident") and still_going_on(tracker):
            # "Il a recommencé cette nuit" is the harassment starting again, not "recommencer" the conversation:
            # the case stays, the questions go on (the fact is in its slot already) or the advice is updated.
            if (tracker.active_loop or {}).get("name") == FORM or not tracker.get_slot("advice_given"):
                return [FollowupAction(FORM)]
            return await ActionRespond().run(dispatcher, tracker, domain)
        dispatcher.utter_message(text=START_OVER)
        events: List[EventType] = [SlotSet(slot, None) for slot in CASE_SLOTS]
        if (tracker.active_loop or {}).get("name") == FORM:
            events = [ActiveLoop(None), SlotSet("requested_slot", None)] + events
        return events


class ActionRespondInForm(Action):
    """A question, a worry or a complaint request while a question of the form is pending: answered briefly, then
    the rules ask the pending question again."""

    RESPONSES = {
        "express_worry": "utter_reassure",
        "bot_challenge": "utter_bot_challenge",
        "thank": "utter_you_are_welcome",
    }
    ACTIONS = {"ask_definition": ActionDefine, "ask_complaint": ActionComplaintHelp, "ask_dossier": ActionSendDossier}

    def name(self) -> Text:
        return "action_respond_in_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        intent = latest_intent(tracker) or ""
        if intent in self.RESPONSES:
            dispatcher.utter_message(response=self.RESPONSES[intent])
        elif intent in self.ACTIONS:
            await self.ACTIONS[intent]().run(dispatcher, tracker, domain)
        elif intent == "ask_evidence":  # the list now; one by one would mix with the pending question
            dispatcher.utter_message(text=evidence.list_text(case_from_slots(tracker.current_slot_values())))
        return []
