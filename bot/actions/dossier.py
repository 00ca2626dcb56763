"""The victim's dossier on request ("je veux un dossier pour la plainte"): a personal link that expires
(bot/dossier_links.py) to the PDF built from the conversation (channels/dossier_page.py)."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import dossier_links, identifiers, settings, vocabulary
from bot.advice import case_from_slots

NO_CASE_YET = (
    "Je pourrai vous préparer un dossier pour porter plainte dès que vous m'aurez décrit ce qui vous arrive. "
    "Que s'est-il passé ?"
)
READY = (
    "Votre dossier pour porter plainte est prêt : {url}\n"
    "Il reprend les faits et leurs dates, l'argent en jeu, les identifiants de l'escroc, les preuves à garder et "
    "où porter plainte. Relisez-le et complétez-le avant de le remettre. Ce lien est personnel et fonctionne "
    "{hours} heures ; pour en avoir un nouveau, écrivez « mon dossier »."
)
# Where an offender's identifier usually exists, and the question that asks for it when none was told: never
# required, and the dossier is built when the victim opens it, so a later answer is in it (actions/follow_up.py).
ASK_IDENTIFIER = {
    "faux_conseiller_bancaire": "Quel numéro vous a appelé ?",
    "faux_support_technique": "Quel numéro ou quel site vous a-t-on demandé d'appeler ou d'ouvrir ?",
    "fraude_virement": "Quel IBAN vous a-t-on demandé d'utiliser ?",
    "hameconnage": "De quel numéro ou de quelle adresse venait le message, et vers quel site menait le lien ?",
    "arnaque_achat": "Quel site ou quel IBAN avait le vendeur ?",
    "escroquerie_placement": "Quelle était l'adresse du site de placement ?",
    "arnaque_sentimentale": "Quel numéro ou quelle adresse e-mail utilisait la personne ?",
    "sextorsion": "De quelle adresse e-mail venait le chantage ?",
}
ASK_SUFFIX = " Si vous le savez, écrivez-le-moi : je l'ajouterai à votre dossier (c'est facultatif)."
QUESTION_SLOT = "offender_question"  # set while that question waits for its answer
READY_SMS = "Votre dossier pour la plainte : {url} (lien personnel, valable {hours} h)"


class ActionSendDossier(Action):
    def name(self) -> Text:
        return "action_send_dossier"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if case_from_slots(tracker.current_slot_values()) is None:
            dispatcher.utter_message(text=NO_CASE_YET)
            return []
        token = dossier_links.create(tracker.sender_id)
        hours = settings.current().dossier_link_hours
        sms = vocabulary.is_channel(tracker.get_latest_input_channel(), vocabulary.SMS)
        template = READY_SMS if sms else READY
        dispatcher.utter_message(text=template.format(url=dossier_links.url(token), hours=hours))
        if vocabulary.is_channel(tracker.get_latest_input_channel(), vocabulary.TELEGRAM, vocabulary.WEB):
            # The PDF itself: a document in the Telegram chat, a download button in the web chat; the link above
            # as a spare.
            dispatcher.utter_message(json_message={dossier_links.PAYLOAD_KEY: token})
        incident = tracker.get_slot("incident")
        questions_pending = bool((tracker.active_loop or {}).get("name"))  # one question at a time
        if incident in ASK_IDENTIFIER and not questions_pending and not identifiers.offender_facts(tracker.events):
            dispatcher.utter_message(text=ASK_IDENTIFIER[incident] + ASK_SUFFIX)
            return [SlotSet(QUESTION_SLOT, incident)]
        return []
