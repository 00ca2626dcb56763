"""What the assistant answers after the advice (bot/actions/follow_up.py), with rasa_sdk's real Tracker."""

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.follow_up import (
    ActionComplaintHelp,
    ActionDefine,
    ActionRespond,
    ActionRespondInForm,
    ActionStartOver,
)
from bot.advice import case_from_slots

NOT_UNDERSTOOD = "Je n'ai pas bien compris"


def advised_slots(incident="hameconnage", **facts):
    slots = {"incident": incident, "public": "particulier", "money_paid": False, "details_given": False, **facts}
    slots["advice_given"] = case_from_slots({**slots, "money_paid": False, "details_given": False}).as_dict()
    return slots


def tracker(text, intent, slots=None, entities=(), channel="rest", active_loop=None):
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": list(entities)}
    events = [{"event": "user", "text": text, "parse_data": latest, "input_channel": channel}]
    return Tracker("test", slots or {}, latest, events, False, None, active_loop or {}, "action_listen")


def run(action, tracked):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracked, {}))
    return dispatcher.messages, events


def texts(messages):
    return "\n".join(m.get("text") or "" for m in messages)


@pytest.mark.parametrize(
    "text, intent",
    [
        ("oui", "affirm"),
        ("non", "deny"),
        ("ok", "affirm"),
        ("jsp", "dont_know"),
        ("👍", "nlu_fallback"),
        ("parfait", "nlu_fallback"),
        ("c'est noté", "out_of_scope"),
    ],
)
def test_after_the_advice_a_short_answer_gets_an_acknowledgement_and_the_next_steps(text, intent):
    messages, events = run(ActionRespond(), tracker(text, intent, advised_slots()))
    assert NOT_UNDERSTOOD not in texts(messages) and "Que souhaitez-vous faire maintenant" in texts(messages)
    payloads = [b["payload"] for m in messages for b in m.get("buttons") or []]
    assert "/ask_recap" in payloads and "/ask_complaint" in payloads and events == []


def test_a_new_fact_after_the_advice_gives_only_what_changes_and_the_updated_recap():
    slots = advised_slots(money_paid=True, amount=500.0)
    messages, events = run(ActionRespond(), tracker("j'ai aussi perdu 500 euros", "inform", slots))
    shown = texts(messages)
    assert "Voici ce qui change" in shown and "opposition" in shown
    assert "Ne répondez pas au message" not in shown.split("Récapitulatif")[0]  # already given: not repeated
    assert "Montant évoqué : 500 €" in shown
    (advice_given,) = [e for e in events if e["event"] == "slot" and e["name"] == "advice_given"]
    assert advice_given["value"]["facts"]["money_paid"] is True


def test_a_place_after_the_advice_runs_the_provider_search():
    entities = [{"entity": "city", "value": "Lyon"}]
    _, events = run(ActionRespond(), tracker("je suis à Lyon", "inform", advised_slots(), entities))
    assert events == [FollowupAction("action_find_providers")]


def test_a_short_question_about_a_word_gets_the_glossary():
    _, events = run(ActionRespond(), tracker("le 33700 ?", "spam", advised_slots()))
    assert events == [FollowupAction("action_define")]
    messages, _ = run(ActionDefine(), tracker("c koi pharos", "ask_definition"))
    assert texts(messages).startswith("PHAROS : ") and "https://" in texts(messages)
    messages, _ = run(ActionDefine(), tracker("c'est quoi un zorglub ?", "ask_definition"))
    assert "conseiller" in texts(messages)


def test_before_any_incident_a_yes_asks_what_happened():
    messages, _ = run(ActionRespond(), tracker("oui", "affirm"))
    assert "Décrivez-moi" in texts(messages) and NOT_UNDERSTOOD not in texts(messages)


def test_an_interrupted_qualification_is_taken_up_again():
    slots = {"incident": "hameconnage", "public": "particulier"}
    _, events = run(ActionRespond(), tracker("ok", "affirm", slots))
    assert events == [FollowupAction("qualification_form")]


def test_complaint_help_gives_the_steps_of_the_victims_sheet():
    messages, _ = run(ActionComplaintHelp(), tracker("je veux porter plainte", "ask_complaint", advised_slots()))
    shown = texts(messages)
    assert "Porter plainte" in shown and "Signaler" in shown and "un signalement n'est pas une plainte" in shown
    messages, _ = run(ActionComplaintHelp(), tracker("je veux porter plainte", "ask_complaint"))
    assert "commissariat" in texts(messages)


@pytest.mark.parametrize(
    "incident, facts, online, letter",
    [
        ("arnaque_achat", {"money_paid": True, "public": "particulier"}, "THESEE", True),
        ("rancongiciel", {"public": "particulier"}, "THESEE", True),
        ("faux_conseiller_bancaire", {"money_paid": True, "public": "particulier"}, None, True),
        ("rancongiciel", {"public": "collectivite"}, None, True),
    ],
)
def test_complaint_help_names_the_online_route_where_the_offence_allows_it_and_what_to_bring(
    incident, facts, online, letter
):
    slots = advised_slots(incident, **facts)
    shown = texts(run(ActionComplaintHelp(), tracker("comment porter plainte", "ask_complaint", slots))[0])
    assert ("THESEE" in shown) == (online == "THESEE"), shown
    assert ("procureur" in shown) == letter
    assert "À apporter : une pièce d'identité" in shown
    organisation = facts.get("public") == "collectivite"
    assert ("au nom de la structure par son représentant légal" in shown) == organisation
    sms = texts(run(ActionComplaintHelp(), tracker("plainte", "ask_complaint", slots, channel="sms"))[0])
    assert "À apporter : pièce d'identité" in sms and "représentant légal" not in sms


def test_starting_over_forgets_the_case_but_not_the_public():
    messages, events = run(ActionStartOver(), tracker("recommencer", "start_over", advised_slots()))
    reset = {e["name"] for e in events if e["event"] == "slot" and e["value"] is None}
    assert {"incident", "advice_given", "money_paid", "details_given"} <= reset and "public" not in reset
    assert "Décrivez-moi" in texts(messages)


def test_during_the_questions_a_worry_is_answered_and_the_rules_ask_again():
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionRespondInForm().run(dispatcher, tracker("j'ai peur", "express_worry"), {}))
    assert [m["response"] for m in dispatcher.messages] == ["utter_reassure"]


def test_after_the_advice_a_longer_unclear_message_gets_the_choices_not_a_request_to_describe_again():
    messages, _ = run(ActionRespond(), tracker("j'ose pas le dire a mon mari", "nlu_fallback", advised_slots()))
    assert NOT_UNDERSTOOD not in texts(messages) and "conseiller" in texts(messages)
    assert "/ask_human" in [b["payload"] for m in messages for b in m.get("buttons") or []]


@pytest.mark.parametrize("place", ["Lille", "75011", "aix en provence", "dans le 93"])
def test_a_bare_place_after_the_advice_runs_the_provider_search(place):
    _, events = run(ActionRespond(), tracker(place, "nlu_fallback", advised_slots()))
    assert events == [FollowupAction("action_find_providers")]
    _, events = run(ActionRespond(), tracker(place, "nlu_fallback", {}))  # before any incident: not a request
    assert events == []


def test_after_the_advice_harassment_that_starts_again_changes_the_advice_and_said_again_is_heard():
    calm = advised_slots("cyberharcelement", minor_involved=False, ongoing=False)
    said = [{"entity": "ongoing", "value": True}]
    again = tracker("rebonjour, il a recommencé cette nuit", "nlu_fallback", {**calm, "ongoing": True}, said)
    shown = texts(run(ActionRespond(), again)[0])
    assert "Voici ce qui change" in shown and "Situation toujours en cours : oui" in shown

    ongoing = advised_slots("cyberharcelement", minor_involved=False, ongoing=True)
    ongoing["advice_given"] = case_from_slots(ongoing).as_dict()
    shown = texts(run(ActionRespond(), tracker("il a encore recommencé", "nlu_fallback", ongoing, said))[0])
    assert "Mes conseils restent les mêmes" in shown and "pas sûr de bien saisir" not in shown


def test_he_started_again_read_as_start_over_keeps_the_case():
    said = [{"entity": "ongoing", "value": True}]
    slots = {**advised_slots("cyberharcelement", minor_involved=False, ongoing=False), "ongoing": True}
    messages, events = run(ActionStartOver(), tracker("rebonjour il a recommencé", "start_over", slots, said))
    assert "Décrivez-moi" not in texts(messages) and "Voici ce qui change" in texts(messages)
    assert not [e for e in events if e["event"] == "slot" and e["name"] == "incident"]

    asking = {"incident": "cyberharcelement", "public": "particulier", "ongoing": True}
    messages, events = run(ActionStartOver(), tracker("il recommence", "start_over", asking, said))
    assert messages == [] and events == [FollowupAction("qualification_form")]

    messages, _ = run(ActionStartOver(), tracker("je veux recommencer", "start_over", slots))
    assert "Décrivez-moi" in texts(messages)  # no fact said: the victim starts over
