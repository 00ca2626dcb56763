"""The advice knowledge base loads, covers every incident, and respects the hard rules in every sheet."""

import re

import pytest
import yaml

from bot import knowledge
from bot.knowledge import matches
from bot.knowledge.models import PREVENTION_THEMES, SMS_MAX, Prevention
from bot.taxonomy import INCIDENT_INTENTS
from bot.text import fold
from channels.sms_text import is_gsm7, transliterate
from tests.conftest import ROOT

KB = knowledge.load()
PREVENTION = Prevention(**KB.prevention)
SHEET_TEXTS = (
    [(sheet.intent, advice.text) for sheet in KB.sheets.values() for advice in knowledge.all_advice(sheet)]
    + [
        (f"{sheet.intent}:sms", advice.sms)
        for sheet in KB.sheets.values()
        for advice in knowledge.all_advice(sheet)
        if advice.sms
    ]
    + [(sheet.intent, sheet.summary) for sheet in KB.sheets.values()]
)
# Everything a user reads; the quiz's questions and wrong choices describe scams, so the "never advise paying"
# rule applies to what the kit recommends (tips, right answers, explanations), and the other rules to everything.
PREVENTION_TEXTS = [("prevention", text) for text in PREVENTION.texts()]
GLOSSARY_TEXTS = [(f"glossary:{key}", entry.text) for key, entry in KB.glossary.items()]
ALL_TEXTS = SHEET_TEXTS + PREVENTION_TEXTS + GLOSSARY_TEXTS
ADVICE_TEXTS = SHEET_TEXTS + [("prevention", text) for text in PREVENTION.advice()] + GLOSSARY_TEXTS

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


@pytest.mark.parametrize("intent, text", ADVICE_TEXTS)
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


@pytest.mark.parametrize("key", sorted(KB.glossary))
def test_every_glossary_entry_is_found_by_its_aliases_and_says_vous(key):
    from bot import glossary

    entry = KB.glossary[key]
    assert glossary.find(f"c'est quoi {entry.aliases[0]} ?") == entry
    assert not re.search(r"\b(tu|toi|ton|ta|tes)\b", fold(entry.text)), key


def test_a_glossary_question_is_told_from_a_story_that_names_a_service():
    from bot import glossary

    assert glossary.asked_about("c'est quoi PHAROS ?").term == "PHAROS"
    assert glossary.asked_about("le 33700 ?").term == "33700"
    assert (
        glossary.asked_about(
            "j'ai signalé le sms au 33700 et ensuite ils m'ont appelé en se faisant passer "
            "pour ma banque, ils ont vidé mon compte"
        )
        is None
    )


def copy_knowledge(tmp_path):
    (tmp_path / "sheets").mkdir()
    for path in (knowledge.KNOWLEDGE_DIR / "sheets").glob("*.yml"):
        (tmp_path / "sheets" / path.name).write_text(path.read_text())
    (tmp_path / "services.yml").write_text((knowledge.KNOWLEDGE_DIR / "services.yml").read_text())
    (tmp_path / "prevention.yml").write_text((knowledge.KNOWLEDGE_DIR / "prevention.yml").read_text())
    (tmp_path / "glossary.yml").write_text((knowledge.KNOWLEDGE_DIR / "glossary.yml").read_text())


def test_a_broken_sheet_fails_loudly(tmp_path, monkeypatch):
    copy_knowledge(tmp_path)
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


def test_prevention_kit_has_the_nine_themes_and_a_valid_quiz():
    assert list(KB.prevention["themes"]) == list(PREVENTION_THEMES)
    for question in KB.prevention["quiz"]:
        assert 0 <= question["answer"] < len(question["choices"])


def _broken_prevention(change):
    data = yaml.safe_load((knowledge.KNOWLEDGE_DIR / "prevention.yml").read_text())
    change(data)
    return data


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["quiz"][0].update(answer=3), "answer 3"),  # wrong answer index
        (lambda d: d["quiz"][1].update(answer=-1), "answer"),
        (lambda d: d["quiz"][2].pop("explanation"), "explanation"),  # missing field
        (lambda d: d["quiz"][3].update(choices=["Une seule réponse"]), "choices"),
        (lambda d: d["themes"].pop("sauvegardes"), "sauvegardes"),  # a theme of the kit is missing
        (lambda d: d["themes"]["mots_de_passe"].pop("tips"), "tips"),
        (lambda d: d["themes"]["hameconnage"].update(conseil="typo"), "conseil"),  # unknown field
        (lambda d: d.pop("quiz"), "quiz"),
    ],
    ids=[
        "answer-out-of-range",
        "negative-answer",
        "missing-explanation",
        "one-choice",
        "missing-theme",
        "missing-tips",
        "unknown-field",
        "no-quiz",
    ],
)
def test_a_broken_prevention_kit_fails_loudly(tmp_path, monkeypatch, change, message):
    copy_knowledge(tmp_path)
    (tmp_path / "prevention.yml").write_text(yaml.safe_dump(_broken_prevention(change), allow_unicode=True))
    monkeypatch.setattr(knowledge, "KNOWLEDGE_DIR", tmp_path)
    knowledge.load.cache_clear()
    try:
        with pytest.raises(knowledge.KnowledgeError, match=f"prevention.yml(.|\\n)*{message}"):
            knowledge.load()
    finally:
        knowledge.load.cache_clear()


def test_prevention_texts_are_checked_by_the_hard_rules():
    advice = [fold(text) for _, text in ADVICE_TEXTS]
    assert any("ne payez pas la rancon" in text for text in advice)  # the ransomware tip is among them
    assert any("transferez le sms au 33700" in text for text in advice)  # and the quiz's right answers
    assert not any("vous reglez les frais" in text for text in advice)  # not its wrong choices
    assert any("1,50" in fold(text) for _, text in ALL_TEXTS)  # which the other rules still check


@pytest.mark.parametrize("text", PREVENTION.texts())
def test_no_quiz_choice_or_tip_asks_for_secrets_or_says_tu(text):
    assert not ASKING_SECRETS.search(fold(text)), text
    assert not re.search(r"\b(tu|toi|ton|ta|tes)\b", fold(text)), text


# Sheets the brief gives no specific official URL for yet: they point to the index of the fiches réflexes.
INDEX_URL = "https://www.cybermalveillance.gouv.fr/tous-nos-contenus/fiches-reflexes"
WITHOUT_SPECIFIC_SHEET = {"cyberharcelement", "deni_de_service", "logiciel_malveillant", "sextorsion"}


def test_sources_point_to_the_specific_official_sheet():
    for sheet in KB.sheets.values():
        url = str(sheet.source_url).rstrip("/")
        if sheet.intent in WITHOUT_SPECIFIC_SHEET:
            continue
        assert url != INDEX_URL, f"{sheet.intent}: the general index instead of its own official sheet"
        assert re.match(r"https://(www\.)?(cybermalveillance\.gouv\.fr|cnil\.fr)/", url), url
    assert str(KB.sheets["arnaque_achat"].source_url).endswith("/fiches-reflexes/arnaques-location-immobiliere")


# Words that agree with the victim's gender, which the assistant does not know ("vous êtes menacé", "seul").
GENDERED = re.compile(
    r"\b(seule?s?(?! (la|le|les|un|une|compte|service)\b)|seul·e|menacée?s?|accompagnée?s?|orientée?s?|"
    r"rassurée?s?|remboursée?s?|indemnisée?s?|inquiète?s?|inquiets?|piégée?s?|obligée?s?|sûre?s?|"
    r"connectée?s?|informée?s?|aidée?s?|redirigée?s?|prévenue?s?)(?=\W|$)"
)
# Agreements with a noun, not with the victim.
NOT_ABOUT_THE_VICTIM = re.compile(
    r"le plus sûr|un seul compte|seul le service|objets connectés|sauvegardes encore connectées"
)


@pytest.mark.parametrize("intent, text", ALL_TEXTS)
def test_wording_does_not_assume_the_victims_gender(intent, text):
    cleaned = NOT_ABOUT_THE_VICTIM.sub("", text.lower())
    assert not GENDERED.search(cleaned), f"{intent}: {text}"


def test_no_response_of_domain_yml_assumes_the_victims_gender():
    from bot import responses

    for name, variations in responses._responses().items():
        for variation in variations:
            cleaned = NOT_ABOUT_THE_VICTIM.sub("", str(variation.get("text", "")).lower())
            assert not GENDERED.search(cleaned), f"{name}: {variation['text']}"


def test_report_is_not_complaint_sentence_does_not_assume_the_victims_gender():
    from bot.advice import REPORT_IS_NOT_COMPLAINT, REPORT_IS_NOT_COMPLAINT_SHORT

    for text in (REPORT_IS_NOT_COMPLAINT, REPORT_IS_NOT_COMPLAINT_SHORT):
        assert not GENDERED.search(text.lower()), text


# What an SMS reply sends of a sheet: the first reflexes, the evidence and the plainte, each in its short form.
SMS_SECTIONS = ("urgent", "evidence", "complaint")
SMS_ITEMS = [
    (f"{sheet.intent}.{section}[{index}]", advice)
    for sheet in KB.sheets.values()
    for section in SMS_SECTIONS
    for index, advice in enumerate(getattr(sheet, section))
]


@pytest.mark.parametrize("where, advice", SMS_ITEMS, ids=[where for where, _ in SMS_ITEMS])
def test_every_first_reflex_evidence_and_complaint_item_has_a_short_sms_form(where, advice):
    assert advice.sms, f"{where}: no sms form for {advice.text!r}"
    assert len(advice.sms) <= SMS_MAX, where
    assert len(advice.sms) <= len(advice.text), f"{where}: the sms form is longer than the text"
    assert "\u2019" not in advice.sms and "«" not in advice.sms, f"{where}: straight apostrophe and no « » in sms"


def test_most_sms_forms_are_pure_gsm7_so_that_a_reply_keeps_its_459_characters():
    forms = [advice.sms for _, advice in SMS_ITEMS if advice.sms]
    ucs2 = [text for text in forms if not is_gsm7(transliterate(text))]
    share = 1 - len(ucs2) / len(forms)
    # A single ê, ç or ô switches the whole SMS to UCS-2 (201 characters in 3 segments instead of 459): wording
    # avoids them where it reads as well, but never drops an accent, so a few correctly spelt words remain.
    assert share >= 0.6, f"{share:.0%} of the sms forms are GSM-7; UCS-2 ones: {ucs2}"


def test_the_sms_forms_are_checked_by_the_hard_rules():
    assert any(intent.endswith(":sms") for intent, _ in ALL_TEXTS)
    assert any(intent.endswith(":sms") for intent, _ in ADVICE_TEXTS)


def test_a_too_long_sms_form_fails_loudly(tmp_path, monkeypatch):
    copy_knowledge(tmp_path)
    broken = yaml.safe_load((tmp_path / "sheets" / "spam.yml").read_text())
    broken["urgent"][0]["sms"] = "Ne répondez pas. " * 6
    (tmp_path / "sheets" / "spam.yml").write_text(yaml.safe_dump(broken, allow_unicode=True))
    monkeypatch.setattr(knowledge, "KNOWLEDGE_DIR", tmp_path)
    knowledge.load.cache_clear()
    try:
        with pytest.raises(
            knowledge.KnowledgeError, match=f"spam.yml(.|\\n)*urgent(.|\\n)*sms must be 10 to {SMS_MAX}"
        ):
            knowledge.load()
    finally:
        knowledge.load.cache_clear()
