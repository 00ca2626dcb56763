"""The qualification form: only the questions whose answer changes the advice for the diagnosed incident.

The questions of each incident are listed in its advice sheet (`questions`). A fact already stated in the
description ("j'ai payé 300 € par virement") fills its slot through the entity extractor, so it is never asked.
Answers come as buttons or free text: oui / non / je ne sais pas ("inconnu", which counts as a skipped question).
A bare acknowledgement ("ok", "d'accord") is not an answer to a yes/no question, although the NLU reads it as
`affirm` (it is one after advice): "Un mineur est-il concerné ?" "ok" would change the advice on a guess, so the
question comes again with the three answers spelt out.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot import knowledge
from bot.advice import UNKNOWN
from bot.taxonomy import INCIDENTS, PUBLICS
from bot.text import acknowledgement

NOT_AN_ANSWER = "Pour vous conseiller juste, j'ai besoin d'une réponse : oui, non, ou « je ne sais pas »."


def _yes_no(value: Any) -> Optional[Any]:
    """True, False or "inconnu"; anything else means the answer was not understood and the question comes again."""
    if value is True or value is False or value == UNKNOWN:
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


class ValidateQualificationForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_qualification_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        incident = tracker.get_slot("incident")
        if incident not in INCIDENTS:
            return []
        return list(knowledge.load().sheets[incident].questions)

    @staticmethod
    def _answer(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[Any]:
        if acknowledgement(tracker.latest_message.get("text")):
            dispatcher.utter_message(text=NOT_AN_ANSWER)
            return None
        return _yes_no(value)

    def validate_public(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value in PUBLICS or value == UNKNOWN:
            return {"public": value}
        return {"public": None}

    def validate_money_paid(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"money_paid": self._answer(value, dispatcher, tracker)}

    def validate_details_given(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"details_given": self._answer(value, dispatcher, tracker)}

    def validate_remote_access(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"remote_access": self._answer(value, dispatcher, tracker)}

    def validate_ongoing(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"ongoing": self._answer(value, dispatcher, tracker)}

    def validate_minor_involved(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"minor_involved": self._answer(value, dispatcher, tracker)}

    def validate_third_party_data(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"third_party_data": self._answer(value, dispatcher, tracker)}
