"""Custom actions, run with rasa_sdk's real Tracker and CollectingDispatcher."""

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.diagnosis import ActionDiagnose
from bot.actions.fallback import ActionNotUnderstood


def make_tracker(text, intent, confidence=0.9, ranking=None, events=None):
    ranking = ranking if ranking is not None else [{"name": intent, "confidence": confidence}]
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": ranking,
        "entities": [],
    }
    return Tracker("test", {}, latest, events or [], False, None, {}, "action_listen")


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


def texts(messages):
    return "\n".join(m.get("text") or "" for m in messages)


def test_clear_incident_gets_diagnosis_summary_and_first_reflexes():
    messages, events = run(
        ActionDiagnose(),
        make_tracker(
            "on a piraté mon compte facebook",
            "piratage_compte",
            0.93,
            [{"name": "piratage_compte", "confidence": 0.93}, {"name": "usurpation_identite", "confidence": 0.04}],
        ),
    )
    assert "vous semblez être victime d'un piratage de compte" in texts(messages)
    assert "Premier réflexe :" in texts(messages)
    assert {"event": "slot", "name": "incident", "value": "piratage_compte", "timestamp": None} in events


def test_two_close_incidents_are_offered_as_buttons_instead_of_guessed():
    ranking = [
        {"name": "fraude_carte_bancaire", "confidence": 0.46},
        {"name": "faux_conseiller_bancaire", "confidence": 0.41},
        {"name": "greet", "confidence": 0.01},
    ]
    messages, events = run(
        ActionDiagnose(), make_tracker("débit bizarre après un appel", "fraude_carte_bancaire", 0.46, ranking)
    )
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads == ["/fraude_carte_bancaire", "/faux_conseiller_bancaire", "/nlu_fallback"]
    assert "vous semblez" not in texts(messages)
    assert not any(e.get("name") == "incident" for e in events)


def test_emergency_with_a_confident_incident_continues_with_its_diagnosis():
    ranking = [{"name": "emergency_danger", "confidence": 1.0}, {"name": "sextorsion", "confidence": 0.8}]
    messages, _ = run(
        ActionDiagnose(), make_tracker("il va publier mes photos je vais me tuer", "emergency_danger", 1.0, ranking)
    )
    assert "chantage à la webcam" in texts(messages)


def test_emergency_alone_invites_to_describe_the_situation():
    messages, events = run(ActionDiagnose(), make_tracker("je veux mourir", "emergency_danger", 1.0))
    assert [m["response"] for m in messages] == ["utter_after_emergency"]
    assert events == []


def test_foreign_language_gets_the_french_only_answer():
    messages, _ = run(ActionNotUnderstood(), make_tracker("hello my account was hacked", "out_of_scope"))
    assert messages[0]["response"] == "utter_foreign_language"


def test_repeated_misunderstanding_offers_a_human():
    def user(intent):
        return {"event": "user", "parse_data": {"intent": {"name": intent}}}

    events = [user("greet"), user("nlu_fallback"), user("nlu_fallback"), user("nlu_fallback")]
    messages, _ = run(ActionNotUnderstood(), make_tracker("zzz", "nlu_fallback", 0.2, events=events))
    assert messages[0]["response"] == "utter_offer_human"
    messages, _ = run(ActionNotUnderstood(), make_tracker("zzz", "nlu_fallback", 0.2, events=events[:2]))
    assert messages[0]["response"] == "utter_not_understood"


def test_unsure_prediction_proposes_the_plausible_incidents():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "sextorsion", "confidence": 0.28},
        {"name": "cyberharcelement", "confidence": 0.22},
        {"name": "spam", "confidence": 0.05},
    ]
    messages, _ = run(ActionNotUnderstood(), make_tracker("il a des photos de moi", "nlu_fallback", 0.3, ranking))
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/sextorsion", "/cyberharcelement", "/out_of_scope"]


STORY = (
    "hier j'ai cliqué sur un SMS de livraison et j'ai donné ma carte pour 1,99 euro, "
    "et ce matin je vois trois paiements de 400 euros que je n'ai jamais faits"
)
TWO_INCIDENTS = [
    {"name": "fraude_carte_bancaire", "confidence": 0.62},
    {"name": "hameconnage", "confidence": 0.31},
    {"name": "arnaque_achat", "confidence": 0.03},
]


def test_a_story_of_two_incidents_names_the_driving_one_and_mentions_the_other():
    messages, events = run(ActionDiagnose(), make_tracker(STORY, "fraude_carte_bancaire", 0.62, TWO_INCIDENTS))
    said = texts(messages)
    assert "vous semblez être victime d'une fraude à la carte bancaire" in said
    assert "Vous parlez aussi d'une tentative d'hameçonnage (phishing)" in said
    assert {"event": "slot", "name": "other_incident", "value": "hameconnage", "timestamp": None} in events


def test_a_short_message_or_a_faint_second_incident_is_not_mentioned():
    short = make_tracker("paiements inconnus sur ma carte", "fraude_carte_bancaire", 0.62, TWO_INCIDENTS)
    faint = [TWO_INCIDENTS[0], {"name": "hameconnage", "confidence": 0.08}]
    for tracker in (short, make_tracker(STORY, "fraude_carte_bancaire", 0.62, faint)):
        messages, events = run(ActionDiagnose(), tracker)
        assert "Vous parlez aussi" not in texts(messages)
        assert {"event": "slot", "name": "other_incident", "value": None, "timestamp": None} in events


def test_the_menu_after_the_advice_offers_the_other_incident_first():
    from bot.actions.advice import NEXT_STEPS, OTHER_INCIDENT_STEP, next_steps

    def with_slots(**slots):
        return Tracker("test", slots, {}, [], False, None, {}, "action_listen")

    offered = next_steps(with_slots(incident="fraude_carte_bancaire", other_incident="hameconnage"), NEXT_STEPS)
    assert offered[0] == {"title": OTHER_INCIDENT_STEP, "payload": "/hameconnage"}
    assert offered[1:] == NEXT_STEPS
    assert next_steps(with_slots(incident="hameconnage", other_incident="hameconnage"), NEXT_STEPS) == NEXT_STEPS
    assert next_steps(with_slots(incident="hameconnage"), NEXT_STEPS) == NEXT_STEPS


def test_a_clause_about_another_incident_is_mentioned_even_when_the_whole_story_is_clear():
    tracker = make_tracker(
        STORY, "fraude_carte_bancaire", 0.97, [{"name": "fraude_carte_bancaire", "confidence": 0.97}]
    )
    tracker.latest_message["entities"] = [{"entity": "other_incident", "value": "hameconnage", "start": 0, "end": 40}]
    messages, events = run(ActionDiagnose(), tracker)
    assert "Vous parlez aussi d'une tentative d'hameçonnage (phishing)" in texts(messages)
    assert {"event": "slot", "name": "other_incident", "value": "hameconnage", "timestamp": None} in events


def turn_after(action: str, text: str, buttons=()) -> list:
    """The tracker events of a turn: `action` spoke (with `buttons`), then the victim wrote `text`."""
    return [
        {"event": "action", "name": action},
        {"event": "bot", "text": "…", "data": {"buttons": list(buttons)}},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]


def test_a_stale_offender_question_does_not_turn_a_later_message_into_an_identifier(tmp_path, monkeypatch):
    import asyncio

    from bot.actions.follow_up import ActionRespond

    slots = {
        "incident": "faux_conseiller_bancaire",
        "advice_given": {"incident": "faux_conseiller_bancaire"},
        "offender_question": "faux_conseiller_bancaire",  # asked, then the recap answered the next message
    }
    text = "ma fille au 06 12 34 56 78 peut vous rappeler"
    latest = {"text": text, "intent": {"name": "inform"}, "entities": []}
    tracker = Tracker("web:x", slots, latest, turn_after("action_recap", text), False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionRespond().run(dispatcher, tracker, {}))
    assert "je l'ajoute" not in texts(dispatcher.messages)
    assert {"event": "slot", "name": "offender_question", "value": None, "timestamp": None} in events
    assert not [e for e in events if e.get("name") == "offender_told"]


@pytest.mark.parametrize(
    "text, intent, expected",
    [
        ("oui", "affirm", "oui"),
        ("ouais je les ai", "affirm", "oui"),
        ("non pas encore", "deny", "non"),
        ("je sais pas", "dont_know", "non"),
        ("non il a tout effacé", "deny", "impossible"),
        ("je ne peux plus, c'est supprimé", "deny", "impossible"),
    ],
)
def test_a_typed_answer_answers_the_evidence_question_just_asked(text, intent, expected):
    import asyncio

    from bot.actions.evidence import ActionEvidence, answer_buttons

    slots = {"incident": "faux_conseiller_bancaire", "evidence_kept": {"0": "oui"}}
    latest = {"text": text, "intent": {"name": intent}, "entities": []}
    events = turn_after("action_evidence", text, answer_buttons(1))
    tracker = Tracker("web:x", slots, latest, events, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ActionEvidence().run(dispatcher, tracker, {}))
    assert result == [
        {"event": "slot", "name": "evidence_kept", "value": {"0": "oui", "1": expected}, "timestamp": None}
    ]
    assert "preuve(s) sur 2" in texts(dispatcher.messages)


def test_a_bare_ok_to_an_evidence_question_asks_again_and_a_yes_after_the_last_one_is_a_follow_up():
    import asyncio

    from bot.actions.evidence import ActionEvidence, answer_buttons

    slots = {"incident": "faux_conseiller_bancaire", "evidence_kept": {}}

    def run_turn(text, intent, events):
        latest = {"text": text, "intent": {"name": intent}, "entities": []}
        tracker = Tracker("web:x", slots, latest, events, False, None, {}, "action_listen")
        dispatcher = CollectingDispatcher()
        return dispatcher.messages, asyncio.run(ActionEvidence().run(dispatcher, tracker, {}))

    messages, events = run_turn("ok", "affirm", turn_after("action_evidence", "ok", answer_buttons(0)))
    assert "Je n'ai pas bien compris" in texts(messages) and "Preuve 1/2" in texts(messages) and events == []
    messages, events = run_turn("oui", "affirm", turn_after("action_evidence", "oui"))  # the "C'est noté" message
    assert events == [{"event": "followup", "name": "action_respond", "timestamp": None}] and messages == []
    messages, events = run_turn("oui", "affirm", turn_after("action_recap", "oui", answer_buttons(0)))
    assert events == [{"event": "followup", "name": "action_respond", "timestamp": None}]


def test_evidence_is_asked_one_item_at_a_time_and_the_answers_are_kept():
    import asyncio

    from bot.actions.evidence import ActionEvidence

    def step(answer=None, kept=None):
        slots = {"incident": "faux_conseiller_bancaire", "evidence_kept": kept}
        entities = [{"entity": "evidence_answer", "value": answer}] if answer else []
        latest = {"text": "", "intent": {"name": "evidence"}, "entities": entities}
        tracker = Tracker("web:x", slots, latest, [], False, None, {}, "action_listen")
        dispatcher = CollectingDispatcher()
        events = asyncio.run(ActionEvidence().run(dispatcher, tracker, {}))
        return dispatcher.messages, events

    messages, events = step()
    assert "Preuve 1/2" in texts(messages) and events == []
    assert [b["payload"] for b in messages[-1]["buttons"]][0] == '/evidence{"evidence_answer":"0:oui"}'
    messages, events = step("0:oui")
    assert "Preuve 2/2" in texts(messages)
    assert events == [{"event": "slot", "name": "evidence_kept", "value": {"0": "oui"}, "timestamp": None}]
    messages, events = step("1:non", {"0": "oui"})
    assert "Pensez-y" in texts(messages) and "1 preuve(s) sur 2" in texts(messages)
    assert events[0]["value"] == {"0": "oui", "1": "non"}
    for forged in ["9:oui", "0:peut-etre", "x:oui", "-1:oui"]:
        messages, events = step(forged, {"0": "oui"})
        assert "Preuve 1/2" in texts(messages) and events == []  # not an answer the bot offered: start again


def test_the_dossier_asks_for_the_offenders_number_and_keeps_the_answer(tmp_path, monkeypatch):
    import asyncio

    from bot import db, identifiers
    from bot.actions.dossier import ActionSendDossier
    from bot.actions.follow_up import ActionRespond

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'links.db'}")
    db.create_all()
    slots = {"incident": "faux_conseiller_bancaire", "advice_given": {"incident": "faux_conseiller_bancaire"}}

    def run_action(action, slots, text="", events=()):
        latest = {"text": text, "intent": {"name": "inform"}, "entities": []}
        tracker = Tracker("web:x", slots, latest, list(events), False, None, {}, "action_listen")
        dispatcher = CollectingDispatcher()
        return dispatcher.messages, asyncio.run(action.run(dispatcher, tracker, {}))

    messages, events = run_action(ActionSendDossier(), slots)
    assert "/dossier/" in messages[0]["text"] and "Quel numéro vous a appelé ?" in texts(messages)
    assert events == [
        {"event": "slot", "name": "offender_question", "value": "faux_conseiller_bancaire", "timestamp": None}
    ]
    # The answer has no cue of its own: the question, asked just before, gives it.
    asked = {**slots, "offender_question": "faux_conseiller_bancaire"}
    answer = "c'était le 01 84 88 12 34, affiché comme ma banque"
    messages, events = run_action(ActionRespond(), asked, answer, turn_after("action_send_dossier", answer))
    assert "je l'ajoute à votre dossier : Numéro de téléphone +33184881234" in texts(messages)
    stored = [e for e in events if e["name"] == identifiers.OFFENDER_SLOT]
    assert stored[0]["value"] == [{"kind": "phone", "value": "+33184881234"}]
    assert identifiers.offender_facts([{**stored[0], "timestamp": 5.0}])[0]["value"] == "+33184881234"
    # Already told, or not asked: no question, and an ordinary message is not taken for an answer.
    told = [{"event": "slot", "name": identifiers.OFFENDER_SLOT, "value": [{"kind": "phone", "value": "+33184881234"}]}]
    messages, events = run_action(ActionSendDossier(), slots, events=told)
    assert "Quel numéro" not in texts(messages) and events == []
    messages, events = run_action(ActionRespond(), slots, "c'était le 01 84 88 12 34")
    assert "je l'ajoute" not in texts(messages)
