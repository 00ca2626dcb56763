"""Phone numbers in E.164 (bot/phones.py), so that `forget` finds the SMS conversation of an overseas number."""

import pytest

from bot.phones import e164, is_bare_international
from console.retention import resolve_identity


@pytest.mark.parametrize(
    "written, expected",
    [
        ("06 12 34 56 78", "+33612345678"),
        ("0033 6 12 34 56 78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0692 12 34 56", "+262692123456"),  # Réunion
        ("0690 12 34 56", "+590690123456"),  # Guadeloupe
        ("0694 20 12 34", "+594694201234"),  # Guyane
        ("0696 12 34 56", "+596696123456"),  # Martinique
        ("0639 01 23 45", "+262639012345"),  # Mayotte
        ("+32 475 12 34 56", "+32475123456"),
        ("12", None),
    ],
)
def test_e164(written, expected):
    assert e164(written) == expected


@pytest.mark.parametrize(
    "identity, sender_id",
    [
        ("0692 12 34 56", "sms:+262692123456"),
        ("+262 692 12 34 56", "sms:+262692123456"),
        ("06.12.34.56.78", "sms:+33612345678"),
        ("+33 (0)6 12 34 56 78", "sms:+33612345678"),
    ],
)
def test_forget_finds_the_conversation_of_any_french_number(identity, sender_id):
    assert resolve_identity(identity) == sender_id


def test_bare_international_numbers():
    assert is_bare_international("33612345678") and is_bare_international("262692123456")
    assert not is_bare_international("12345678901") and not is_bare_international("33000000000")
