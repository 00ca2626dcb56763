"""The frozen set of realistic pastes (tests/privacy/pastes.yml, written by a separate helper who never read
bot/privacy.py, committed before the redaction changed): every secret is masked, every look-alike operators need
is kept. Compared after the same Unicode normalisation the redaction applies (zero-width characters, full-width
digits, no-break spaces)."""

from pathlib import Path

import pytest
import yaml

from bot.privacy import redact
from bot.text import normalise

PASTES = yaml.safe_load((Path(__file__).parent / "privacy" / "pastes.yml").read_text(encoding="utf-8"))["pastes"]


def test_the_frozen_set_is_the_one_committed_first():
    assert len(PASTES) == 251
    assert len({paste["id"] for paste in PASTES}) == 251


@pytest.mark.parametrize("paste", PASTES, ids=[paste["id"] for paste in PASTES])
def test_every_secret_is_masked_and_every_look_alike_kept(paste):
    shown = redact(paste["text"])
    leaked = [secret for secret in paste["secrets"] if secret in shown or normalise(secret) in shown]
    lost = [kept for kept in paste["keep"] if normalise(kept) not in shown]
    assert (leaked, lost) == ([], []), shown
