"""The linear half of the intent ensemble (bot/nlu/components.py) as the server loads it from a model archive."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.components import EmergencyOverride, LinearIntentEnsemble

EXAMPLES = {
    "hameconnage": ["j'ai recu un sms chronopost pour un colis", "un faux mail de la banque m'a demandé mon code"],
    "piratage_compte": ["mon compte instagram a été piraté", "je ne peux plus me connecter a mon facebook"],
    "rancongiciel": [
        "tous nos fichiers sont chiffrés, on demande une rançon",
        "les serveurs de la mairie sont bloqués",
    ],
}


@pytest.fixture
def trained():
    data = TrainingData([Message(data={"text": t, "intent": i}) for i, texts in EXAMPLES.items() for t in texts])
    component = LinearIntentEnsemble({"weight": 1.0}, model_storage=None, resource=None)
    component._model = component.pipeline(C=10.0, random_seed=42)
    component._model.fit([m.get("text") for m in data.intent_examples], [m.get("intent") for m in data.intent_examples])
    return component


def test_the_weights_are_laid_out_for_one_message_at_a_time_with_the_same_scores(trained):
    texts = ["on m'a piraté mon compte", "sms bizarre pour un colis", "fichiers chiffrés au bureau"]
    before = trained._model.predict_proba(texts)
    assert not trained._model.steps[-1][1].coef_.T.flags["C_CONTIGUOUS"]  # as scikit-learn leaves it: copied per call
    fast = LinearIntentEnsemble._fast(trained._model)
    assert fast.steps[-1][1].coef_.T.flags["C_CONTIGUOUS"]
    assert np.array_equal(fast.predict_proba(texts), before)
    message = Message(data={"text": texts[0]})
    trained.process([message])
    assert message.get("intent")["name"] == "piratage_compte"


def test_the_sentence_encoder_member_is_saved_with_the_model_and_reads_meaning_not_words(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    storage, resource = LocalModelStorage(tmp_path), Resource("linear_intent_ensemble")
    config = {"weight": 0.0, "encoder_weight": 1.0}  # the encoder alone decides
    data = TrainingData([Message(data={"text": t, "intent": i}) for i, texts in EXAMPLES.items() for t in texts])
    LinearIntentEnsemble(config, storage, resource).train(data)
    loaded = LinearIntentEnsemble.load(config, storage, resource, execution_context=None)
    assert loaded._encoder_model is not None
    # No word in common with the training lines: character n-grams cannot tell, the sentence embedding can.
    for text, intent in [
        ("impossible d'ouvrir le moindre document, ils veulent des bitcoins pour les débloquer", "rancongiciel"),
        ("quelqu'un d'autre utilise mon profil snapchat et j'ai perdu l'accès", "piratage_compte"),
    ]:
        message = Message(data={"text": text})
        loaded.process([message])
        assert message.get("intent")["name"] == intent, text
    without = LinearIntentEnsemble({"weight": 1.0}, storage, Resource("plain"))
    without.train(data)
    plain = LinearIntentEnsemble.load({"weight": 1.0}, storage, Resource("plain"), None)
    assert plain._encoder_model is None
    message = Message(data={"text": "quelqu'un d'autre utilise mon profil snapchat et j'ai perdu l'accès"})
    plain.process([message])
    assert message.get("intent")["name"] != "piratage_compte"  # the words alone mislead the linear model


def test_a_clause_about_another_incident_is_kept_as_an_entity(trained):
    story = (
        "hier j'ai recu un sms chronopost pour un colis et j'ai cliqué, "
        "puis mon compte instagram a été piraté et je ne peux plus me connecter"
    )
    message = Message(data={"text": story})
    trained.process([message])
    assert message.get("intent")["name"] == "piratage_compte"
    [mention] = [e for e in message.get("entities") if e["entity"] == "other_incident"]
    assert mention["value"] == "hameconnage"
    assert "chronopost" in story[mention["start"] : mention["end"]]
    # One incident told at length, or a short message: nothing else is mentioned.
    for text in [
        "mon compte instagram a été piraté cette nuit, je ne peux plus me connecter et mes amis reçoivent des messages",
        "sms chronopost, puis compte piraté",
    ]:
        message = Message(data={"text": text})
        trained.process([message])
        assert not [e for e in message.get("entities") or [] if e["entity"] == "other_incident"], text


def _parsed(ranking):
    message = Message(data={"text": "un message où le modèle hésite", "intent": ranking[0], "intent_ranking": ranking})
    EmergencyOverride().process([message])
    return message.get("intent")["name"]


def test_a_tie_between_a_danger_to_life_and_anything_else_goes_to_the_emergency():
    fallback = {"name": "nlu_fallback", "confidence": 0.2}
    torn = [
        fallback,
        {"name": "cyberharcelement", "confidence": 0.47},
        {"name": "emergency_danger", "confidence": 0.45},
    ]
    assert _parsed(torn) == "emergency_danger"
    # Two incidents tied, the emergency far behind: the victim chooses between the two (bot/actions/fallback.py).
    two_incidents = [
        fallback,
        {"name": "hameconnage", "confidence": 0.5},
        {"name": "fraude_carte_bancaire", "confidence": 0.46},
        {"name": "emergency_danger", "confidence": 0.02},
    ]
    assert _parsed(two_incidents) == "nlu_fallback"
    faint = [fallback, {"name": "greet", "confidence": 0.25}, {"name": "emergency_danger", "confidence": 0.2}]
    assert _parsed(faint) == "nlu_fallback"
    confident = [{"name": "cyberharcelement", "confidence": 0.55}, {"name": "emergency_danger", "confidence": 0.4}]
    assert _parsed(confident) == "cyberharcelement"  # no tie: the rules alone may override it
