"""Evidence, step by step, on request ("je veux garder des preuves"): the evidence of the victim's sheet one item at
a time, the victim saying whether they have it; the dossier (bot/dossier.py) then shows what is kept and what is
still missing. Answers come as buttons (payload /evidence{"evidence_answer": "<index>:<answer>"}), numbers on SMS, or
typed ("oui", "pas encore", "je ne peux plus, il a tout effacé") right after the question (bot/data/rules.yml)."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.turns import previous_action
from bot.advice import Case, case_from_slots
from bot.text import acknowledgement, fold

SLOT = "evidence_kept"  # {"0": "oui", "1": "non", ...}: the index of the sheet's evidence item, the answer
ANSWERS = {"oui": "Oui, je l'ai", "non": "Pas encore", "impossible": "Je ne peux pas"}
NO_CASE_YET = "Décrivez-moi d'abord ce qui vous arrive : je vous dirai quelles preuves garder, une par une."
START = "Gardons vos preuves une par une : elles permettront à la police ou à la gendarmerie d'agir."
NOT_YET = "Pensez-y dès que possible, avant que les messages ou les traces ne disparaissent."
CANNOT = "Ce n'est pas grave : dites-le lors de la plainte, les enquêteurs peuvent parfois obtenir ces traces."
DONE = "C'est noté : vous avez {kept} preuve(s) sur {total}. Votre dossier pour la plainte les reprend."
NOTHING_LISTED = "Gardez les messages reçus, des captures d'écran datées et, s'il y en a, les preuves de paiement."
DOSSIER_BUTTON = {"title": "Recevoir mon dossier de plainte", "payload": "/ask_dossier"}
ASK_AGAIN = "Je n'ai pas bien compris : l'avez-vous gardée ?"
# A typed answer to the question in front of the victim. "ok" is not one: it may mean "I see" as well as "yes".
TYPED = {"affirm": "oui", "deny": "non", "dont_know": "non"}
CANNOT_WORDS = re.compile(
    r"\b(?:peux pas|peut pas|plus possible|impossible|supprim|effac|perdu|plus acces|(?:ne l'|n')ai plus)"
)
_BUTTON_INDEX = re.compile(r'"evidence_answer"\s*:\s*"(\d+):')


def list_text(case: Optional[Case]) -> str:
    """The evidence to keep, as one message (while the qualification questions are pending)."""
    items = case.section("evidence") if case else []
    if not items:
        return NOTHING_LISTED if case else NO_CASE_YET
    lines = "\n".join(f"• {item}" for item in items)
    return (
        f"Les preuves à garder :\n{lines}\nAprès vos réponses, écrivez « preuves » : nous les reprendrons une par une."
    )


def parse_answer(value: Any, count: int) -> Optional[Tuple[int, str]]:
    """(index, answer) of a button's payload, or None when it is not one the bot offers."""
    index, _, answer = str(value or "").partition(":")
    if not index.isdigit() or int(index) >= count or answer not in ANSWERS:
        return None
    return int(index), answer


def pending_step(tracker: Tracker) -> Optional[int]:
    """The evidence item the victim was just asked about (the buttons of the bot's last message), or None."""
    if previous_action(tracker) != "action_evidence":
        return None
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            for button in (event.get("data") or {}).get("buttons") or []:
                found = _BUTTON_INDEX.search(str(button.get("payload") or ""))
                if found:
                    return int(found.group(1))
        elif event.get("event") == "action" and event.get("name") == "action_evidence":
            return None  # the bot messages of that action are all behind: it asked nothing
    return None


def typed_answer(intent: Optional[str], text: str) -> Optional[str]:
    """ "oui", "non", "impossible" for a typed answer, None when it does not say (a bare "ok")."""
    folded = fold(text).strip(" .!?")
    if CANNOT_WORDS.search(folded):
        return "impossible"
    if acknowledgement(folded):
        return None
    return TYPED.get(intent or "")


def answer_buttons(index: int) -> List[Dict[str, str]]:
    return [
        {"title": title, "payload": f'/evidence{{"evidence_answer":"{index}:{answer}"}}'}
        for answer, title in ANSWERS.items()
    ]


class ActionEvidence(Action):
    def name(self) -> Text:
        return "action_evidence"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        case = case_from_slots(tracker.current_slot_values())
        if case is None:
            dispatcher.utter_message(text=NO_CASE_YET)
            return []
        items = case.section("evidence")
        if not items:
            dispatcher.utter_message(text=NOTHING_LISTED)
            return []
        kept: Dict[str, str] = dict(tracker.get_slot(SLOT) or {})
        value = next(tracker.get_latest_entity_values("evidence_answer"), None)
        answer = parse_answer(value, len(items)) if value is not None else None
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if answer is None and intent in TYPED:
            step = pending_step(tracker)
            if step is None or step >= len(items):  # "oui" after the last item: an ordinary follow-up
                return [FollowupAction("action_respond")]
            said = typed_answer(intent, tracker.latest_message.get("text") or "")
            if said is None:
                dispatcher.utter_message(text=ASK_AGAIN)
                self._ask(dispatcher, items, step)
                return []
            answer = (step, said)
        if answer is None:  # asked for, or a stale button: start again from the first item
            dispatcher.utter_message(text=START)
            self._ask(dispatcher, items, 0)
            return []
        index, said = answer
        kept[str(index)] = said
        if said == "non":
            dispatcher.utter_message(text=NOT_YET)
        elif said == "impossible":
            dispatcher.utter_message(text=CANNOT)
        if index + 1 < len(items):
            self._ask(dispatcher, items, index + 1)
        else:
            count = sum(1 for v in kept.values() if v == "oui")
            dispatcher.utter_message(text=DONE.format(kept=count, total=len(items)), buttons=[DOSSIER_BUTTON])
        return [SlotSet(SLOT, kept)]

    @staticmethod
    def _ask(dispatcher: CollectingDispatcher, items: List[str], index: int) -> None:
        dispatcher.utter_message(
            text=f"Preuve {index + 1}/{len(items)} : {items[index]}\nL'avez-vous déjà ?",
            buttons=answer_buttons(index),
            sms="question",
        )
