"""Personalised advice and recap (bot/advice.py), and the hard rules over every sheet, public and answer."""
import itertools
import re

import pytest

from bot import knowledge
from bot.advice import REPORT_IS_NOT_COMPLAINT, UNKNOWN, Case, case_from_slots
from bot.taxonomy import INCIDENT_INTENTS, PUBLICS
from bot.text import fold
from tests.test_knowledge import ASKING_SECRETS, NEGATION, PAYING, TO_CRIMINALS


def advice_text(incident, **facts):
    case = Case(incident, {"public": facts.pop("public", None), **facts})
    return fold("\n".join(case.advice_messages() + [case.recap_text()]))


def test_money_paid_puts_the_bank_first():
    case = Case("hameconnage", {"money_paid": True, "details_given": True})
    assert re.search(r"banque|opposition", fold(case.section("urgent")[0]))


def test_credentials_given_means_change_passwords():
    assert "mot de passe" in advice_text("hameconnage", details_given=True, money_paid=False)
    assert "mot de passe" not in fold("\n".join(Case("hameconnage", {"details_given": False, "money_paid": False}).section("urgent")))


def test_remote_access_means_disconnect_and_clean():
    with_access = advice_text("faux_support_technique", remote_access=True, money_paid=False)
    without = fold("\n".join(Case("faux_support_technique", {"remote_access": False, "money_paid": False}).section("urgent")))
    assert re.search(r"desinstall|deconnect|antivirus", with_access)
    assert not re.search(r"desinstall", without)


def test_minor_gets_3018_and_an_adult():
    assert "3018" in advice_text("sextorsion", minor_involved=True)
    assert "3018" not in advice_text("sextorsion", minor_involved=False, money_paid=False, ongoing=False)


def test_organisation_with_personal_data_notifies_the_cnil_within_72h():
    text = advice_text("violation_donnees", public="entreprise", third_party_data=True)
    assert "cnil" in text and "72" in text
    assert "72" not in advice_text("violation_donnees", public="particulier", third_party_data=False)


def test_ransomware_never_pay_isolate_keep_evidence():
    text = advice_text("rancongiciel", public="collectivite", third_party_data=True, ongoing=True)
    assert "ne payez pas" in text
    assert re.search(r"deconnect|isol", text)
    assert "preuves" in text or "conserve" in text


def test_unknown_answers_keep_the_precautions():
    skipped = Case("hameconnage", {"money_paid": None, "details_given": None})
    said_no = Case("hameconnage", {"money_paid": False, "details_given": False})
    assert len(skipped.section("urgent")) > len(said_no.section("urgent"))


def test_case_from_slots_treats_skipped_questions_as_unknown():
    case = case_from_slots({"incident": "spam", "money_paid": UNKNOWN, "public": "entreprise", "amount": 12.5})
    assert case.facts["money_paid"] is None and case.facts["public"] == "entreprise"
    assert "12.5 EUR" in case.recap_text()
    assert case_from_slots({"incident": None}) is None


FACT_VALUES = (True, False, None)


def all_cases():
    for incident in INCIDENT_INTENTS:
        sheet = knowledge.load().sheets[incident]
        asked = [q for q in sheet.questions if q != "public"]
        for public in sheet.publics:
            for values in itertools.product(FACT_VALUES, repeat=len(asked)):
                yield Case(incident, {"public": public, **dict(zip(asked, values))})


@pytest.mark.parametrize("incident", INCIDENT_INTENTS)
def test_hard_rules_hold_on_every_path(incident):
    paths = [case for case in all_cases() if case.incident == incident]
    assert paths
    for case in paths:
        messages = case.advice_messages() + [case.recap_text()]
        for message in messages:
            folded = fold(message)
            for sentence in re.split(r"[.\n•]", folded):
                if PAYING.search(sentence) and TO_CRIMINALS.search(sentence):
                    assert NEGATION.search(sentence), (case.facts, sentence)
            assert not ASKING_SECRETS.search(folded), (case.facts, message)
        if case.section("report") and case.section("complaint"):
            assert REPORT_IS_NOT_COMPLAINT in messages, case.facts
        assert case.section("urgent"), f"{incident} {case.facts}: no urgent advice"


def test_sms_advice_is_short_and_keeps_the_essentials():
    case = Case("piratage_compte", {"public": "particulier", "money_paid": True, "details_given": True})
    sms = case.sms_messages()
    assert sum(len(m) for m in sms) < sum(len(m) for m in case.advice_messages() + [case.recap_text()]) / 2
    assert sms[0].startswith("À faire tout de suite") and str(case.sheet.source_url) in sms[-1]
