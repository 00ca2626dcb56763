"""How a turn is laid out in SMS (channels/sms_text.py `page_turn`): the question with all its choices in the first
message, the essentials before a menu, details for SUITE, nothing cut, every message within its budget."""

import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.advice import ActionGiveAdvice
from bot.actions.diagnosis import ActionDiagnose
from bot.taxonomy import INCIDENT_INTENTS
from channels.sms_text import MAX_SEGMENTS, SUITE_NOTE, page_turn, segments
from tests.conftest import ROOT
from tests.test_advice import all_cases

YES_NO = [
    {"title": "Oui", "payload": "/affirm"},
    {"title": "Non", "payload": "/deny"},
    {"title": "Je ne sais pas", "payload": "/dont_know"},
]
QUESTION = {
    "text": "Avez-vous payé, ou de l'argent a-t-il été débité ?",
    "buttons": YES_NO,
    "utter_action": "utter_ask_money_paid",
}
DIAGNOSIS = "Vous semblez être victime d'une arnaque à l'achat ou à la vente en ligne."
REFLEX = "Premier réflexe : Faites opposition auprès de votre banque tout de suite."
SUMMARY = (
    "Un faux vendeur, une fausse boutique ou un faux acheteur vous fait payer sans rien livrer. Ces escroqueries "
    "sont fréquentes et très bien imitées : vous n'avez pas à vous le reprocher."
)


def choices_of(message: str) -> list:
    return re.findall(r"^(?:\d/\d )?(\d+)\. ", message, flags=re.MULTILINE)


def test_the_question_and_all_its_choices_are_in_the_first_message():
    pages = page_turn([{"text": DIAGNOSIS}, {"text": REFLEX}, {"text": SUMMARY, "sms": "detail"}, QUESTION])
    first = pages.now[0]
    assert "Avez-vous payé" in first and choices_of(first) == ["1", "2", "3"] and "Répondez 1, 2 ou 3." in first
    assert first.startswith("1/") and DIAGNOSIS in first, "the diagnosis comes first when it fits"
    assert pages.payloads == ["/affirm", "/deny", "/dont_know"]
    everything = "\n".join(pages.now + pages.later)
    assert REFLEX in everything and SUMMARY in everything, "nothing is lost: what does not fit comes after"


def test_every_message_keeps_to_its_budget_and_only_the_last_sent_says_suite():
    long_info = [{"text": f"{SUMMARY} ({n})"} for n in range(8)]
    pages = page_turn(long_info + [QUESTION], messages_now=2)
    for message in pages.now + pages.later:
        assert segments(message) <= MAX_SEGMENTS, message
    assert len(pages.now) == 2 and pages.later
    assert SUITE_NOTE in pages.now[-1] and SUITE_NOTE not in pages.now[0]
    assert all(SUITE_NOTE in page for page in pages.later[:-1]) and SUITE_NOTE not in pages.later[-1]
    assert [m[:4] for m in pages.now] == ["1/2 ", "2/2 "], "numbered: handsets may reorder them"


def test_a_menu_comes_after_the_essentials_in_the_messages_sent_now():
    menu = {"text": "Et maintenant ?", "sms": "menu", "buttons": YES_NO}
    essentials = [{"text": "À faire tout de suite :\n- Faites opposition.\n- Changez le mot de passe."}]
    details = [{"text": SUMMARY, "sms": "detail"}]
    pages = page_turn(essentials + [menu] + details, messages_now=2)
    sent = "\n".join(pages.now)
    assert sent.index("Faites opposition") < sent.index("Et maintenant ?")
    assert choices_of(sent) == ["1", "2", "3"], "the choices are always in the messages sent now"


def test_the_same_choice_is_offered_once():
    serious = {
        "text": "Votre situation est sérieuse.",
        "buttons": [{"title": "Parler à un conseiller", "payload": "/ask_human"}],
    }
    menu = {
        "text": "Et maintenant ?",
        "sms": "menu",
        "buttons": [
            {"title": "Revoir le récapitulatif", "payload": "/ask_recap"},
            {"title": "Parler à une personne", "payload": "/ask_human"},
        ],
    }
    pages = page_turn([serious, menu])
    sent = "\n".join(pages.now)
    assert pages.payloads == ["/ask_human", "/ask_recap"] and sent.count("/ask_human") == 0
    assert len(choices_of(sent)) == 2


def test_a_header_never_ends_a_message():
    text = "\n".join(f"Titre {n} :\n- {SUMMARY[:120]}" for n in range(6))
    pages = page_turn([{"text": text}], messages_now=1)
    for message in pages.now + pages.later:
        body = message.replace(SUITE_NOTE, "")
        assert not body.rstrip().endswith(":"), message


@settings(max_examples=60, deadline=None)
@given(
    infos=st.lists(st.text(alphabet="abcdéèêçà ,.'", min_size=1, max_size=300), max_size=6),
    titles=st.lists(st.text(alphabet="abcdeéçê ", min_size=1, max_size=40), min_size=1, max_size=6, unique=True),
    messages_now=st.integers(1, 3),
)
def test_no_choice_list_is_ever_cut_and_no_message_is_over_budget(infos, titles, messages_now):
    buttons = [{"title": t.strip() or "x", "payload": f"/p{n}"} for n, t in enumerate(titles)]
    replies = [{"text": text} for text in infos] + [{"text": "Votre choix ?", "buttons": buttons, "sms": "question"}]
    pages = page_turn(replies, messages_now=messages_now)
    for message in pages.now + pages.later:
        assert segments(message) <= MAX_SEGMENTS
    numbered = [m for m in pages.now + pages.later if choices_of(m)]
    assert len(numbered) == 1 and numbered[0] in pages.now, "all the choices in one message, sent now"
    assert len(choices_of(numbered[0])) == len(pages.payloads)


def test_the_text_of_an_earlier_reply_with_buttons_is_kept():
    after_emergency = {
        "text": "Je reste avec vous.",
        "buttons": [{"title": "Parler à un conseiller", "payload": "/ask_human"}],
    }
    pages = page_turn([{"text": "Appelez le 17 ou le 112."}, after_emergency, QUESTION])
    sent = "\n".join(pages.now + pages.later)
    assert "Je reste avec vous." in sent and "Appelez le 17" in sent
    assert pages.payloads == ["/ask_human", "/affirm", "/deny", "/dont_know"]


# --- the essentials of every advice, as the actions write them ------------------------------------------------------
SMS_EVENT = {"event": "user", "text": "...", "input_channel": "sms", "parse_data": {}}


def _sms_variation(name: str) -> dict:
    variations = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"][name]
    return next((v for v in variations if v.get("channel") == "sms"), variations[0])


def _run(action, slots: dict, events: list, latest: dict) -> list:
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, Tracker("test", slots, latest, events, False, None, {}, "action_listen"), {})
    return [_sms_variation(m["response"]) if m.get("response") else m for m in dispatcher.messages]


def advice_turns(incident: str):
    """For every combination of answers: the SMS advice turn alone, and the turn where the diagnosis and the advice
    come together (every fact stated in the description), as the real actions write them."""
    for case in all_cases([incident]):
        slots = {"incident": incident, **case.facts}
        yield case, _run(ActionGiveAdvice(), slots, [SMS_EVENT], {})
        latest = {"text": "...", "intent": {"name": incident, "confidence": 0.9}, "entities": []}
        diagnosis = _run(ActionDiagnose(), dict(case.facts), [SMS_EVENT], latest)
        said = [{"event": "bot", "text": m.get("text")} for m in diagnosis]
        yield case, diagnosis + _run(ActionGiveAdvice(), slots, [SMS_EVENT, *said], {})


@pytest.mark.parametrize("incident", INCIDENT_INTENTS)
def test_the_essentials_of_every_advice_are_in_the_two_messages_of_its_turn(incident):
    """Issue 16's target for every public and every combination of answers: from the first urgent action to the
    link to the full sheet, in the messages sent at once (SMS_MESSAGES_PER_TURN, 2), each within 3 segments; the
    first reflex said with the diagnosis is not repeated below it."""
    for case, replies in advice_turns(incident):
        pages = page_turn(replies)
        sent = "\n".join(pages.now)
        assert len(pages.now) <= 2 and all(segments(page) <= MAX_SEGMENTS for page in pages.now)
        assert "à faire tout de suite :\n- " in sent or "Voici mes conseils :" in sent, (case.facts, pages.now)
        assert "Fiche complète : " in sent, f"{incident} {case.facts}: essentials past the turn's SMS: {pages.now}"
        if case.reports_and_complaints:
            assert "un signalement n'est pas une plainte" in sent
        reflex = next((line for line in sent.split("\n") if "Premier réflexe : " in line), None)
        if reflex:
            assert sent.count(reflex.split("Premier réflexe : ")[1]) == 1, pages.now


def test_every_question_worded_for_a_parent_is_worded_for_a_parent_on_sms_too():
    # Rasa prefers a variant of the channel to a conditional one without channel: an SMS parent would get the
    # victim's wording unless the SMS variant has the condition too.
    responses = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]
    for name, variations in responses.items():
        if not any(v.get("condition") for v in variations):
            continue
        if any(v.get("channel") == "sms" and not v.get("condition") for v in variations):
            assert any(v.get("channel") == "sms" and v.get("condition") for v in variations), name
