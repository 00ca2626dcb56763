"""One vocabulary (bot/vocabulary.py): channels, publics and facts are defined once and every user agrees with it."""

from typing import get_args

import pytest

from bot import vocabulary
from bot.knowledge import models
from bot.nlu.entities import PAYMENT_MEANS
from bot.providers import models as provider_models
from channels import rest, sms, telegram, webchat


def test_the_schema_literals_are_the_vocabulary():
    assert get_args(models.Public) == vocabulary.PUBLIC_KEYS
    assert get_args(models.Lure) == vocabulary.LURES
    assert get_args(models.Writer) == vocabulary.WRITERS
    assert set(get_args(models.Question)) <= set(vocabulary.FACT_KEYS)
    assert get_args(models.Means) == PAYMENT_MEANS  # the sheets' `payment_means` lists name what the NLU extracts


def test_the_provider_masks_keep_the_publics_order():
    assert tuple(provider_models.PUBLICS) == vocabulary.PUBLIC_KEYS  # a key's position is its bit in stored masks


def test_every_connector_is_a_channel_of_the_vocabulary():
    names = {channel.input_channel for channel in vocabulary.CHANNELS.values()}
    assert {rest.CHANNEL, sms.CHANNEL, telegram.CHANNEL, webchat.CHANNEL} == names


@pytest.mark.parametrize(
    "sender_id, input_channel, expected",
    [
        ("web:6f1c2b4e-8a3d-4c5e-9f10-1a2b3c4d5e6f", None, "web"),
        ("sms:+33612345678", None, "sms"),
        ("telegram:5550000001", None, "telegram"),
        ("rest:abc", None, "rest"),
        ("abc", "webchat", "web"),  # an id without prefix: the input channel decides
        ("abc", None, "rest"),
        ("abc", "inconnu", "rest"),
    ],
)
def test_channel_of(sender_id, input_channel, expected):
    assert vocabulary.channel_of(sender_id, input_channel) == expected


def test_fixed_texts_come_from_domain_yml_with_channel_variations():
    from bot import responses

    assert responses.text("utter_non_text", channel="sms") != responses.text("utter_non_text")
    assert "MMS" in responses.text("utter_non_text", channel="sms")
    assert responses.text("utter_non_text", channel="telegram") == responses.text("utter_non_text")
    assert responses.text("utter_operator_joined", name="Camille").startswith("Camille, ")
    with pytest.raises(KeyError):
        responses.text("utter_nowhere")


def test_every_fixed_text_the_code_names_is_in_domain_yml():
    import re
    from pathlib import Path

    from bot import responses

    root = Path(__file__).resolve().parent.parent
    named = {
        name
        for package in ("bot", "channels", "console")
        for path in (root / package).rglob("*.py")
        for name in re.findall(r'responses\.text\(\s*"(utter_\w+)"', path.read_text(encoding="utf-8"))
    }
    assert len(named) >= 15
    assert named - set(responses._responses()) == set()
