"""The incident names staff read in the console (review, statistics, alerts, provider reports): a noun phrase
without the article that `victim_of` carries ("victime d'un faux ordre de virement ou d'un faux RIB")."""

import re

import pytest

from bot.taxonomy import INCIDENT_INTENTS
from console.review import incident_label


@pytest.mark.parametrize("intent", INCIDENT_INTENTS)
def test_a_label_is_a_capitalised_noun_phrase_without_any_article_of_victim_of(intent):
    label = incident_label(intent)
    assert label and label[0].isupper(), label
    assert not re.match(r"(d'une?|de) ", label, re.IGNORECASE), label
    assert not re.search(r" ou (d'une?|de) ", label), label


def test_both_alternatives_of_the_transfer_fraud_lose_their_article():
    assert incident_label("fraude_virement") == "Faux ordre de virement ou faux RIB"


def test_an_unknown_intent_is_shown_as_it_is():
    assert incident_label("pas_un_incident") == "pas_un_incident"
    assert incident_label(None) == ""
