"""Prevention mode: the nine themes of the official awareness kit, and a short quiz in the chat."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import knowledge
from bot.text import fold

# Words that point to a theme in a free-text question ("comment faire une bonne sauvegarde ?").
THEME_KEYWORDS = {
    "mots_de_passe": r"mot(s)? de passe|mdp|gestionnaire|double authentification|2fa|authentification",
    "reseaux_sociaux": r"reseaux? sociaux|facebook|instagram|tiktok|snap|profil|confidentialite",
    "appareils_mobiles": r"telephone|smartphone|portable|mobile|tablette|applis?|application",
    "sauvegardes": r"sauvegard|backup|disque dur externe|copie de mes fichiers",
    "mises_a_jour": r"mises? a jour|update|version",
    "usages_pro_perso": r"\bpro\b|professionnel|perso.*(travail|boulot)|teletravail|cle usb|ordinateur du travail",
    "hameconnage": r"phishing|hameconnage|faux (mail|sms|message)|(mail|sms|message)s? (frauduleux|suspect)|arnaque",
    "rancongiciel": r"rancongiciel|ransomware|chiffr",
    "faux_support_technique": r"faux support|faux technicien|support technique|pop.?up|fenetre",
}
_THEME_RE = {theme: re.compile(pattern) for theme, pattern in THEME_KEYWORDS.items()}


def detect_theme(text: str) -> Optional[str]:
    folded = fold(text)
    for theme, rx in _THEME_RE.items():
        if rx.search(folded):
            return theme
    return None


def _entity(tracker: Tracker, name: str) -> Optional[Any]:
    return next(tracker.get_latest_entity_values(name), None)


class ActionPrevention(Action):
    def name(self) -> Text:
        return "action_prevention"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        themes = knowledge.load().prevention["themes"]
        theme = _entity(tracker, "prevention_theme") or detect_theme((tracker.latest_message or {}).get("text") or "")
        if theme in themes:
            entry = themes[theme]
            dispatcher.utter_message(
                text=f"{entry['title']} – nos conseils :\n" + "\n".join(f"• {tip}" for tip in entry["tips"]),
                buttons=[
                    {"title": "Un autre thème", "payload": "/ask_prevention"},
                    {"title": "Tester mes connaissances (quiz)", "payload": "/quiz"},
                ],
            )
            return []
        dispatcher.utter_message(
            text="Bonne idée de vous protéger avant qu'un problème n'arrive. Quel sujet vous intéresse ?",
            buttons=[
                {"title": entry["title"], "payload": f'/ask_prevention{{"prevention_theme":"{key}"}}'}
                for key, entry in themes.items()
            ]
            + [{"title": "Tester mes connaissances (quiz)", "payload": "/quiz"}],
        )
        return []


class ActionQuiz(Action):
    """One question at a time; `quiz_index` is the question being answered, `quiz_score` the good answers."""

    def name(self) -> Text:
        return "action_quiz"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        questions = knowledge.load().prevention["quiz"]
        index = tracker.get_slot("quiz_index")
        score = int(tracker.get_slot("quiz_score") or 0)
        choice = _entity(tracker, "quiz_choice")
        if index is None or choice is None:  # start (or restart) the quiz
            self._ask(dispatcher, questions, 0)
            return [SlotSet("quiz_index", 0), SlotSet("quiz_score", 0)]

        index = int(index)
        question = questions[index]
        if str(choice) == str(question["answer"]):
            score += 1
            dispatcher.utter_message(text=f"Bonne réponse ! {question['explanation']}")
        else:
            right = question["choices"][question["answer"]]
            dispatcher.utter_message(
                text=f"Pas tout à fait : la bonne réponse était « {right} ». {question['explanation']}"
            )
        if index + 1 < len(questions):
            self._ask(dispatcher, questions, index + 1)
            return [SlotSet("quiz_index", index + 1), SlotSet("quiz_score", score)]
        dispatcher.utter_message(
            text=f"Quiz terminé : {score} bonne(s) réponse(s) sur {len(questions)}. Merci d'avoir joué !",
            buttons=[{"title": "Conseils de prévention", "payload": "/ask_prevention"}],
        )
        return [SlotSet("quiz_index", None), SlotSet("quiz_score", None)]

    @staticmethod
    def _ask(dispatcher: CollectingDispatcher, questions: List[Dict[str, Any]], index: int) -> None:
        question = questions[index]
        dispatcher.utter_message(
            text=f"Question {index + 1}/{len(questions)} : {question['question']}",
            buttons=[
                {"title": choice, "payload": f'/quiz{{"quiz_choice":"{number}"}}'}
                for number, choice in enumerate(question["choices"])
            ],
        )
