"""The advice knowledge base loads, covers every incident, and respects the hard rules in every sheet."""
import re

import pytest
import yaml

from bot import knowledge
from bot.knowledge import matches
from bot.taxonomy import INCIDENT_INTENTS
from bot.text import fold
from tests.conftest import ROOT

KB = knowledge.load()
ALL_TEXTS = [
    (sheet.intent, advice.text) for sheet in KB.sheets.values() for advice in knowledge.all_advice(sheet)
] + [(sheet.intent, sheet.summary) for sheet in KB.sheets.values()]

# Paying a ransom, a blackmailer, a scammer or "fees" to get money back may only ever be mentioned to say not to.
PAYING = re.compile(r"\b(pa(y|i)e[rz]?|paie(nt)?|reglez|regler|versez|verser)\b")
TO_CRIMINALS = re.compile(r"(rancon|chantage|chanteur|escroc|arnaqueur|fraudeur|pirate|hacker|frais|debloqu|recuper)")
NEGATION = re.compile(r"\b(ne|n'|jamais|aucun|aucune|pas|sans)\b")
# Asking the victim to hand over secrets: "donnez votre mot de passe", "indiquez-nous votre numéro de carte"...
ASKING_SECRETS = re.compile(
    r"\b(donnez|envoyez|communiquez|indiquez|transmettez|saisissez|tapez|ecrivez|dictez)(-(moi|nous))? "
    r"(votre|vos|le|les) (numero de carte|numeros? complets?|mot de passe|mots de passe|code|codes|identifiants)"
)


def test_every_incident_has_a_valid_sheet():
    assert set(KB.sheets) == set(INCIDENT_INTENTS)
    for sheet in KB.sheets.values():
        assert str(sheet.source_url).startswith("https://")
        assert set(sheet.publics) <= {"particulier", "entreprise", "collectivite"}


@pytest.mark.parametrize("intent, text", ALL_TEXTS)
def test_never_advises_paying(intent, text):
    folded = fold(text)
    if PAYING.search(folded) and TO_CRIMINALS.search(folded):
        assert NEGATION.search(folded), f"{intent}: {text}"


@pytest.mark.parametrize("intent, text", ALL_TEXTS)
def test_never_asks_for_card_numbers_passwords_or_codes(intent, text):
    assert not ASKING_SECRETS.search(fold(text)), f"{intent}: {text}"


def test_domain_responses_never_ask_for_secrets_and_always_say_vous():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    for name, variants in domain["responses"].items():
        for variant in variants:
            text = fold(variant.get("text", ""))
            assert not ASKING_SECRETS.search(text), name
            assert not re.search(r"\b(tu|toi|ton|ta|tes)\b", text), f"{name} must use vous"


def test_a_broken_sheet_fails_loudly(tmp_path, monkeypatch):
    (tmp_path / "sheets").mkdir()
    for path in (knowledge.KNOWLEDGE_DIR / "sheets").glob("*.yml"):
        (tmp_path / "sheets" / path.name).write_text(path.read_text())
    (tmp_path / "services.yml").write_text((knowledge.KNOWLEDGE_DIR / "services.yml").read_text())
    (tmp_path / "prevention.yml").write_text((knowledge.KNOWLEDGE_DIR / "prevention.yml").read_text())
    broken = yaml.safe_load((tmp_path / "sheets" / "spam.yml").read_text())
    broken["urgent"][0]["service"] = "no_such_service"
    (tmp_path / "sheets" / "spam.yml").write_text(yaml.safe_dump(broken, allow_unicode=True))
    monkeypatch.setattr(knowledge, "KNOWLEDGE_DIR", tmp_path)
    knowledge.load.cache_clear()
    try:
        with pytest.raises(knowledge.KnowledgeError, match="no_such_service"):
            knowledge.load()
        (tmp_path / "sheets" / "spam.yml").unlink()
        with pytest.raises(knowledge.KnowledgeError, match="spam"):
            knowledge.load()
    finally:
        knowledge.load.cache_clear()


def test_conditions_keep_precautions_when_the_answer_is_unknown():
    assert matches({"money_paid": True}, {})  # unknown: show the precaution
    assert not matches({"money_paid": False}, {})
    assert matches({"money_paid": False}, {"money_paid": False})
    assert not matches({"money_paid": True}, {"money_paid": False})
    assert matches({"public": ["particulier"]}, {})  # unknown public counts as an individual
    assert not matches({"public": ["entreprise", "collectivite"]}, {"public": "particulier"})
    assert matches({"public": ["entreprise"], "details_given": True}, {"public": "entreprise", "details_given": True})
