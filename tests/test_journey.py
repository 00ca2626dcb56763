"""The whole journey over the REST channel with the real servers: diagnosis -> questions -> advice -> recap.

Every incident of the taxonomy is run for every public it concerns. Clients may send `/intent` payloads only where
the bot offered them (buttons), so each incident is reached as a victim reaches it: by describing it
(tests/support/victims.py); the public is answered with its button, the other questions in free text.
"""

import re
import uuid

import pytest

from bot import knowledge
from bot.actions.qualification import NOT_AN_ANSWER
from bot.advice import REPORT_IS_NOT_COMPLAINT
from bot.taxonomy import INCIDENT_INTENTS, INCIDENTS
from bot.text import fold
from tests.conftest import Bot
from tests.support.victims import DESCRIPTIONS

QUESTION_RESPONSES = {
    "public": "Pour adapter mes conseils : vous écrivez à titre personnel",
    "money_paid": "Avez-vous payé",
    "details_given": "Avez-vous communiqué des coordonnées bancaires",
    "remote_access": "Avez-vous installé un logiciel",
    "ongoing": "Est-ce toujours en cours",
    "minor_involved": "Un mineur (moins de 18 ans) est-il concerné",
    "third_party_data": "Des données personnelles d'autres personnes",
}


def pending_question(replies):
    replies = [r for r in replies if not r.get("notice")]  # the privacy notice follows a first contact's replies
    last = replies[-1].get("text") or "" if replies else ""
    return next((slot for slot, start in QUESTION_RESPONSES.items() if last.startswith(start)), None)


def answer_until_advice(bot: Bot, sender: str, replies, public: str, answer: str = "oui", limit: int = 8):
    """Answers every question (public by button, the others in free text) and returns the questions asked."""
    asked = []
    for _ in range(limit):
        question = pending_question(replies)
        if question is None:
            return asked, replies
        asked.append(question)
        if question == "public":
            replies = bot.say(sender, f'/inform{{"public":"{public}"}}')  # the button offered with the question
        else:
            replies = bot.say(sender, answer)
    pytest.fail(f"the questions never end: {asked}")


def sender() -> str:
    return f"journey-{uuid.uuid4().hex[:8]}"


CASES = [(incident, public) for incident in INCIDENT_INTENTS for public in knowledge.load().sheets[incident].publics]


@pytest.mark.parametrize("incident, public", CASES, ids=[f"{i}-{p}" for i, p in CASES])
def test_every_incident_and_public_reaches_advice_and_recap(bot: Bot, incident, public):
    sheet = knowledge.load().sheets[incident]
    conversation = sender()
    replies = bot.say(conversation, DESCRIPTIONS[incident])
    text = bot.text(replies)
    assert f"vous semblez être victime {INCIDENTS[incident].victim_of}" in text
    asked, replies = answer_until_advice(bot, conversation, replies, public)
    # only the questions of this incident's sheet, each at most once
    assert set(asked) <= set(sheet.questions) and len(asked) == len(set(asked))
    text = bot.text(replies)
    assert "À faire tout de suite" in text
    assert f"Récapitulatif – {sheet.title}" in text
    assert "Source : https://" in text
    if "Signaler :" in text and "Porter plainte :" in text:
        assert REPORT_IS_NOT_COMPLAINT in text
    assert not re.search(r"\b(tu|toi|ton|ta|tes)\b", fold(text))
    recap = bot.text(bot.press(conversation, replies, "Revoir le récapitulatif"))
    assert recap.startswith(f"Récapitulatif – {sheet.title}")


def test_facts_in_the_description_are_not_asked_again(bot: Bot):
    conversation = sender()
    replies = bot.say(
        conversation,
        "j'ai reçu un sms chronopost, j'ai cliqué et j'ai payé 2 euros avec ma carte, j'ai donné mon numéro de carte",
    )
    assert "hameçonnage" in bot.text(replies)
    asked, replies = answer_until_advice(bot, conversation, replies, "particulier")
    assert "money_paid" not in asked and "details_given" not in asked
    assert re.search(r"opposition|banque", fold(bot.text(replies)))


def test_skipping_with_je_ne_sais_pas_keeps_the_precautions(bot: Bot):
    skipped, said_no = sender(), sender()
    for conversation, answer in ((skipped, "je sais pas"), (said_no, "non")):
        replies = bot.say(conversation, DESCRIPTIONS["hameconnage"])
        answer_until_advice(bot, conversation, replies, "particulier", answer=answer)
    skipped_text = fold(bot.text(bot.say(skipped, "je peux revoir le récapitulatif ?")))
    said_no_text = fold(bot.text(bot.say(said_no, "je peux revoir le récapitulatif ?")))
    assert "opposition" in skipped_text and "opposition" not in said_no_text


def test_an_earlier_answer_can_be_corrected(bot: Bot):
    conversation = sender()
    replies = bot.say(conversation, DESCRIPTIONS["faux_support_technique"])
    assert pending_question(replies) == "remote_access"
    replies = bot.say(conversation, "non")
    assert pending_question(replies) == "money_paid"
    replies = bot.say(conversation, "en fait il a pris la main sur mon ordi avec anydesk")  # corrects remote_access
    _, replies = answer_until_advice(bot, conversation, replies, "particulier", answer="non")
    recap = bot.text(bot.press(conversation, replies, "Revoir le récapitulatif"))
    assert "Prise de contrôle à distance accordée : oui" in recap
    assert re.search(r"desinstall|antivirus", fold(recap))


def test_the_victim_can_describe_another_incident_during_the_questions(bot: Bot):
    conversation = sender()
    replies = bot.say(conversation, DESCRIPTIONS["sextorsion"])
    assert pending_question(replies) is not None
    replies = bot.say(conversation, DESCRIPTIONS["rancongiciel"])
    text = bot.text(replies)
    assert "vous semblez être victime d'un rançongiciel" in text
    asked, replies = answer_until_advice(bot, conversation, replies, "entreprise")
    assert "Récapitulatif – Rançongiciel" in bot.text(replies)


@pytest.mark.parametrize("acknowledgement", ["ok", "D'accord !", "okay"])
def test_a_bare_acknowledgement_is_not_taken_for_yes(bot: Bot, acknowledgement):
    conversation = sender()
    replies = bot.say(conversation, DESCRIPTIONS["sextorsion"])
    if pending_question(replies) == "public":
        replies = bot.say(conversation, '/inform{"public":"particulier"}')
    question = pending_question(replies)
    assert question not in (None, "public")
    replies = bot.say(conversation, acknowledgement)
    assert NOT_AN_ANSWER in bot.text(replies)
    assert pending_question(replies) == question  # asked again, with its buttons
    assert [b["title"] for b in replies[-1].get("buttons", [])] == ["Oui", "Non", "Je ne sais pas"]
    replies = bot.say(conversation, "non")
    assert pending_question(replies) != question


def test_asking_what_a_word_of_the_question_means_answers_it_and_states_no_fact(bot: Bot):
    conversation = sender()
    replies = bot.say(conversation, DESCRIPTIONS["sextorsion"])
    if pending_question(replies) == "public":
        replies = bot.say(conversation, '/inform{"public":"particulier"}')
    assert pending_question(replies) == "minor_involved"
    replies = bot.say(conversation, "ca veut dire quoi mineur ?")
    assert "moins de 18 ans" in bot.text(replies)
    assert pending_question(replies) == "minor_involved"  # not answered "oui" by the word itself
    replies = bot.say(conversation, "non il n'y a pas de mineur")
    _, replies = answer_until_advice(bot, conversation, replies, "particulier", answer="non")
    recap = bot.text(bot.press(conversation, replies, "Revoir le récapitulatif"))
    assert "Mineur concerné : non" in recap and "3018" not in recap


def test_emergency_during_the_questions_gets_the_numbers_then_the_question_again(bot: Bot):
    conversation = sender()
    replies = bot.say(conversation, DESCRIPTIONS["sextorsion"])
    question = pending_question(replies)
    replies = bot.say(conversation, "oui et j'ai payé, je vais me tuer")
    assert "3114" in replies[0]["text"]
    assert pending_question(replies) == question


def test_prevention_themes_and_quiz(bot: Bot):
    conversation = sender()
    replies = bot.say(conversation, "comment bien faire mes sauvegardes ?")
    assert "Sauvegardes – nos conseils" in bot.text(replies)
    replies = bot.press(conversation, replies, "Tester mes connaissances")
    assert bot.text(replies).startswith("Question 1/")
    quiz = knowledge.load().prevention["quiz"]
    for question in quiz:
        replies = bot.say(conversation, f'/quiz{{"quiz_choice":"{question["answer"]}"}}')
        assert "Bonne réponse" in bot.text(replies)
    assert f"{len(quiz)} bonne(s) réponse(s) sur {len(quiz)}" in bot.text(replies)
    replies = bot.say(conversation, "comment me protéger sur internet ?")
    assert len(replies[-1]["buttons"]) == 10  # the nine themes and the quiz


def test_the_victim_can_ask_for_a_professional_or_prevention_during_the_questions(bot: Bot):
    conversation = sender()
    replies = bot.say(conversation, DESCRIPTIONS["rancongiciel"])
    assert pending_question(replies) is not None
    # a professional is asked for: the questions stop and the provider search starts (it asks where)
    replies = bot.say(conversation, "je cherche un professionnel pour m'aider")
    assert "proches de chez vous" in bot.text(replies) and pending_question(replies) is None
    # prevention during the questions of another conversation
    other = sender()
    assert pending_question(bot.say(other, DESCRIPTIONS["hameconnage"])) is not None
    replies = bot.say(other, "comment me protéger à l'avenir ?")
    assert pending_question(replies) is None and "Je n'ai pas compris votre réponse" not in bot.text(replies)
