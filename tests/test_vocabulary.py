"""One vocabulary (bot/vocabulary.py): channels, publics and facts are defined once and every user agrees with it."""

from typing import get_args

import pytest

from bot import vocabulary
from bot.knowledge import models
from bot.providers import models as provider_models
from channels import rest, sms, telegram, webchat


def test_the_schema_literals_are_the_vocabulary():
    assert get_args(models.Public) == vocabulary.PUBLIC_KEYS
    assert get_args(models.Lure) == vocabulary.LURES
    assert set(get_args(models.Question)) <= set(vocabulary.FACT_KEYS)


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
