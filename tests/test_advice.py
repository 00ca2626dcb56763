"""Personalised advice and recap (bot/advice.py), and the hard rules over every sheet, public and answer."""

import itertools
import re

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import knowledge
from bot.actions.advice import ActionGiveAdvice, ActionRecap
from bot.advice import REPORT_IS_NOT_COMPLAINT, REPORT_IS_NOT_COMPLAINT_SHORT, UNKNOWN, Case, case_from_slots
from bot.taxonomy import INCIDENT_INTENTS
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
    assert "mot de passe" not in fold(
        "\n".join(Case("hameconnage", {"details_given": False, "money_paid": False}).section("urgent"))
    )


def test_remote_access_means_disconnect_and_clean():
    with_access = advice_text("faux_support_technique", remote_access=True, money_paid=False)
    without = fold(
        "\n".join(Case("faux_support_technique", {"remote_access": False, "money_paid": False}).section("urgent"))
    )
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
    assert "12,50 €" in case.recap_text()
    assert case_from_slots({"incident": None}) is None


FACT_VALUES = (True, False, None)


def all_cases(incidents=INCIDENT_INTENTS):
    for incident in incidents:
        sheet = knowledge.load().sheets[incident]
        asked = [q for q in sheet.questions if q != "public"]
        for public in sheet.publics:
            for values in itertools.product(FACT_VALUES, repeat=len(asked)):
                yield Case(incident, {"public": public, **dict(zip(asked, values))})


def channel_paths(case):
    """What the victim reads, per path: the web/Telegram advice turn, the SMS advice turn, the recap on its own."""
    return {
        "web": case.advice_messages(),
        "sms": case.sms_messages(),
        "recap": [case.recap_text()],
    }


# The hard rule, in its long and in its short (SMS) form: both say that a report is not a complaint.
SAYS_REPORT_IS_NOT_COMPLAINT = re.compile(r"un signalement n'est pas une plainte")
MENTIONS_REPORT = re.compile(r"\bsignal(er|ez|ement|ements)\b")
MENTIONS_COMPLAINT = re.compile(r"\bplaintes?\b")


@pytest.mark.parametrize("incident", INCIDENT_INTENTS)
def test_hard_rules_hold_on_every_path(incident):
    paths = list(all_cases([incident]))
    assert paths
    for case in paths:
        assert case.section("urgent"), f"{incident} {case.facts}: no urgent advice"
        both = bool(case.section("report")) and bool(case.section("complaint"))
        for channel, messages in channel_paths(case).items():
            text = "\n".join(messages)
            folded = fold(text)
            for sentence in re.split(r"[.\n•]", folded):
                if PAYING.search(sentence) and TO_CRIMINALS.search(sentence):
                    assert NEGATION.search(sentence), (channel, case.facts, sentence)
            assert not ASKING_SECRETS.search(folded), (channel, case.facts, text)
            # Wherever a report and a complaint both appear, the victim is told they are not the same thing.
            if both or (MENTIONS_REPORT.search(folded) and MENTIONS_COMPLAINT.search(folded)):
                assert SAYS_REPORT_IS_NOT_COMPLAINT.search(folded), (incident, channel, case.facts)
        if both:
            assert REPORT_IS_NOT_COMPLAINT in case.advice_messages()
            assert REPORT_IS_NOT_COMPLAINT in case.recap_text()
            assert REPORT_IS_NOT_COMPLAINT_SHORT in "\n".join(case.sms_messages())


def test_the_short_sms_rule_says_the_same_thing_in_fewer_characters():
    assert SAYS_REPORT_IS_NOT_COMPLAINT.search(fold(REPORT_IS_NOT_COMPLAINT_SHORT))
    assert "plainte" in REPORT_IS_NOT_COMPLAINT_SHORT.split(";")[1]  # ...and what only a complaint does
    assert len(REPORT_IS_NOT_COMPLAINT_SHORT) < len(REPORT_IS_NOT_COMPLAINT) / 2


def test_sms_links_keep_a_place_for_the_complaint():
    for case in all_cases():
        if case.section("complaint") and case.links(case.sheet.complaint):
            sms_links = case.sms_links()
            assert len(sms_links) <= 3
            assert set(sms_links) & set(case.links(case.sheet.complaint)), (case.incident, case.facts)


def tracker(slots, channel):
    events = [{"event": "user", "text": "...", "input_channel": channel, "parse_data": {}}]
    return Tracker("test", slots, {"text": "..."}, events, False, None, {}, "action_listen")


def texts_sent(action, slots, channel):
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, tracker(slots, channel), {})
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


@pytest.mark.parametrize("incident", INCIDENT_INTENTS)
@pytest.mark.parametrize("channel", ["rest", "telegram", "webchat", "sms"])
def test_actions_tell_that_a_report_is_not_a_complaint_on_every_channel(incident, channel):
    # Unknown answers keep every precaution, hence every report and complaint of the sheet that applies.
    slots = {"incident": incident, "public": knowledge.load().sheets[incident].publics[-1]}
    case = case_from_slots(slots)
    advice = fold(texts_sent(ActionGiveAdvice(), slots, channel))
    recap = fold(texts_sent(ActionRecap(), slots, channel))  # /ask_recap, sent again on its own
    if case.reports_and_complaints:
        assert SAYS_REPORT_IS_NOT_COMPLAINT.search(advice), channel
        assert SAYS_REPORT_IS_NOT_COMPLAINT.search(recap), channel
    for text in (advice, recap):
        if MENTIONS_REPORT.search(text) and MENTIONS_COMPLAINT.search(text):
            assert SAYS_REPORT_IS_NOT_COMPLAINT.search(text), (channel, text)


BANK_STEP = re.compile(
    r"opposition|rappel(er)? (des|les) (fonds|virements)|"
    r"(contactez|appelez|prevenez|demandez a|contestez aupres d)(es)?( vous-meme| vite)? (votre |vos |les )?banques?\b"
)


def _is_bank_step(text):
    """Call the bank: opposition, recall of funds, contest the payment (not "change your bank password")."""
    return bool(BANK_STEP.search(fold(text)))


@pytest.mark.parametrize("incident", INCIDENT_INTENTS)
def test_money_paid_puts_the_bank_first_or_second_on_every_sheet(incident):
    """With money paid, an opposition or a recall of funds only works within hours: bank first or second."""
    sheet = knowledge.load().sheets[incident]
    asked = [q for q in sheet.questions if q not in ("public", "money_paid")]
    checked = 0
    for public in sheet.publics:
        for values in itertools.product(FACT_VALUES, repeat=len(asked)):
            case = Case(incident, {"public": public, **dict(zip(asked, values)), "money_paid": True})
            urgent = case.section("urgent")
            banks = [index for index, text in enumerate(urgent) if _is_bank_step(text)]
            if not banks:
                continue
            checked += 1
            assert banks[0] <= 1, (incident, case.facts, urgent)
            assert any(_is_bank_step(line) for line in case.sms_messages()[0].splitlines()[1:3]), case.facts
    if "money_paid" in sheet.questions:
        assert checked, f"{incident} asks whether money was paid but never sends the victim to the bank"


def test_without_money_paid_the_sheet_order_is_kept():
    case = Case("faux_support_technique", {"public": "particulier", "remote_access": True, "money_paid": False})
    assert fold(case.section("urgent")[0]).startswith("debranchez")


def test_sextortion_reassures_only_about_the_mass_email_scam():
    for case in all_cases(["sextorsion"]):
        urgent = case.section("urgent")
        reassuring = [t for t in urgent if re.search(r"personne ne vous a filme|aucune video", fold(t))]
        # The reassurance names its situation: a mass e-mail, with no intimate image ever shared.
        assert reassuring, case.facts
        for text in reassuring:
            folded = fold(text)
            assert folded.startswith("si vous avez seulement recu un courriel"), text
            assert "jamais" in folded and "images intimes" in folded, text
        # A real person holding real images: firm advice, never the reassurance.
        real = [fold(t) for t in urgent if "detient vraiment des images" in fold(t)]
        assert len(real) == 1, case.facts
        assert "filme" not in real[0]
        for must in ("ne payez pas", "ne lui repondez plus", "preuves", "pharos", "plainte"):
            assert must in real[0], must
        whole = fold("\n".join(case.advice_messages()))
        assert "pharos" in whole and "plainte" in whole
        if case.facts.get("minor_involved") is not False:
            assert "3018" in whole
    summary = fold(knowledge.load().sheets["sextorsion"].summary)
    assert "souvent" in summary and "reellement" in summary


def test_sms_advice_is_short_and_keeps_the_essentials():
    case = Case("piratage_compte", {"public": "particulier", "money_paid": True, "details_given": True})
    sms = case.sms_messages()
    assert sum(len(m) for m in sms) < sum(len(m) for m in case.advice_messages() + [case.recap_text()]) / 2
    assert (
        sms[0].startswith("Voici mes conseils, à faire tout de suite")
        and str(case.sheet.source_url).removeprefix("https://") in sms[-1]
    )


def messages_sent(action, slots, channel):
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, tracker(slots, channel), {})
    return dispatcher.messages


SLOTS = {
    "incident": "sextorsion",
    "public": "particulier",
    "money_paid": True,
    "minor_involved": False,
    "ongoing": True,
}


@pytest.mark.parametrize("channel", ["webchat", "telegram"])
def test_web_and_telegram_offer_the_recap_instead_of_repeating_it(channel):
    case = case_from_slots(SLOTS)
    messages = messages_sent(ActionGiveAdvice(), SLOTS, channel)
    text = "\n".join(m.get("text") or "" for m in messages)
    assert "À faire tout de suite" in text and "Preuves à conserver" in text  # the advice itself is kept
    assert "Récapitulatif –" not in text and case.recap_text() not in text
    assert text.count(case.section("urgent")[0]) == 1  # the urgent actions are not repeated
    last = messages[-1]
    assert "récapitulatif" in last["text"] and last["text"].endswith("Que souhaitez-vous faire maintenant ?")
    assert last["buttons"][0]["payload"] == "/ask_recap"
    # ...and the recap comes, complete, on request
    recap = "\n".join(m.get("text") or "" for m in messages_sent(ActionRecap(), SLOTS, channel))
    assert recap == case.recap_text() and recap.startswith("Récapitulatif – ")
    assert REPORT_IS_NOT_COMPLAINT in recap


def test_the_rest_api_keeps_the_recap_in_the_advice_turn():
    text = "\n".join(m.get("text") or "" for m in messages_sent(ActionGiveAdvice(), SLOTS, "rest"))
    assert case_from_slots(SLOTS).recap_text() in text


def test_sms_advice_turn_stays_short_and_points_to_the_recap():
    messages = messages_sent(ActionGiveAdvice(), SLOTS, "sms")
    text = "\n".join(m.get("text") or "" for m in messages)
    titles = [b["title"] for m in messages for b in m.get("buttons") or []]
    assert "Récapitulatif –" not in text and "Revoir le récapitulatif" in titles


# --- the first reflex and the advice follow what the victim already said -----------------------------------------
def test_the_first_reflex_follows_a_stated_payment_and_never_assumes_an_unstated_one():
    assert re.search(r"banque|opposition", fold(Case("hameconnage", {"money_paid": True}).first_reflex()))
    unknown = fold(Case("hameconnage", {}).first_reflex())
    assert "banque" not in unknown and "mot de passe" not in unknown
    assert "banque" in fold(Case("hameconnage", {"details_given": True, "money_paid": False}).first_reflex())


@pytest.mark.parametrize("incident", INCIDENT_INTENTS)
def test_every_incident_has_a_first_reflex_for_a_victim_who_said_nothing_yet(incident):
    assert Case(incident, {}).first_reflex()


def test_advice_for_one_lure_or_public_is_not_shown_to_everyone():
    plain = advice_text("hameconnage", public="particulier")
    assert "amende" not in plain and "nouveau numero" not in plain and "service informatique" not in plain
    assert "amende" in advice_text("hameconnage", lure="convocation")
    assert "nouveau numero" in advice_text("hameconnage", lure="proche")
    assert "service informatique" in advice_text("hameconnage", public="entreprise")


def test_a_phishing_that_worked_is_no_longer_called_an_attempt():
    from bot.taxonomy import victim_of

    assert "tentative" in victim_of("hameconnage", {"details_given": False})
    assert "tentative" not in victim_of("hameconnage", {"details_given": True})
    assert "tentative" not in fold(Case("hameconnage", {"money_paid": True}).recap_text())


def test_a_transfer_is_recalled_before_the_card_is_blocked_and_a_card_payment_keeps_the_opposition_first():
    facts = {"money_paid": True, "details_given": False, "public": "particulier"}
    transfer = Case("faux_conseiller_bancaire", facts, details={"payment_means": "virement"})
    assert "rappeler les virements" in transfer.first_reflex()
    urgent = transfer.section("urgent")
    assert urgent.index(next(u for u in urgent if "virement" in u)) < urgent.index(
        next(u for u in urgent if "opposition" in u)
    )
    card = Case("faux_conseiller_bancaire", facts, details={"payment_means": "carte"})
    assert "opposition" in card.first_reflex()
    assert (
        "opposition" in Case("faux_conseiller_bancaire", facts).first_reflex()
    )  # the means unknown: the sheet's order


def test_perceval_is_advised_for_a_card_payment_or_an_unknown_means_not_for_a_transfer_only():
    facts = {"money_paid": True, "details_given": False, "public": "particulier"}

    def report(**details: str) -> str:
        return fold(" ".join(Case("faux_conseiller_bancaire", facts, details=details).section("report")))

    assert "perceval" not in report(payment_means="virement")
    assert "perceval" in report(payment_means="carte")
    assert "perceval" in report()  # not said: the precaution stays
    transfer = Case("faux_conseiller_bancaire", facts, details={"payment_means": "virement"})
    assert "perceval" not in fold(" ".join(transfer.advice_messages()))
    assert "perceval" not in fold(transfer.recap_text())


def test_a_payment_means_condition_names_only_what_the_nlu_extracts():
    from pydantic import ValidationError

    from bot.knowledge.models import Advice

    Advice(text="Signalez le paiement par carte.", when={"payment_means": ["carte"]})
    with pytest.raises(ValidationError):
        Advice(text="Signalez le paiement par carte.", when={"payment_means": ["cb"]})
    with pytest.raises(ValidationError):
        Advice(text="Signalez le paiement par carte.", when={"payment_means": True})


def test_a_service_whose_name_carries_its_number_gives_it_once():
    facts = {"money_paid": True, "details_given": False, "public": "particulier"}
    complaint = " ".join(Case("faux_conseiller_bancaire", facts).section("complaint"))
    assert complaint.count("116 006") == 1, complaint


def test_advice_on_a_minor_speaks_to_the_parent_who_writes_and_to_the_child_otherwise():
    facts = {"minor_involved": True, "ongoing": True, "public": "particulier"}
    for incident in ("cyberharcelement", "sextorsion", "arnaque_sentimentale"):
        child = fold(" ".join(Case(incident, facts).advice_messages()))
        parent = fold(" ".join(Case(incident, {**facts, "writer": "parent"}).advice_messages()))
        assert "adulte de confiance" in child and "votre enfant" not in child, incident
        assert "adulte de confiance" not in parent and "au nom de votre enfant" in parent, incident
        assert "3018" in parent and "3018" in child
        reflex = Case(incident, {**facts, "writer": "parent"}).first_reflex()
        assert "votre enfant" in reflex or "112" in reflex, (incident, reflex)  # the parent's, or the emergency


def test_a_parent_reads_that_their_child_seems_to_be_the_victim():
    from bot import knowledge
    from bot.actions.diagnosis import diagnosis_text
    from bot.advice import summary

    parent = {"minor_involved": True, "writer": "parent"}
    assert "votre enfant semble être victime de cyberharcèlement" in diagnosis_text("cyberharcelement", parent)
    assert "vous semblez être victime" in diagnosis_text("cyberharcelement", {"minor_involved": True})
    assert "vous semblez" in diagnosis_text("cyberharcelement", {"writer": "parent"})  # an adult child: not sure
    assert "Situation : votre enfant semble" in Case("sextorsion", parent).recap_text()
    sheet = knowledge.load().sheets["sextorsion"]
    assert summary(sheet, parent).startswith("Quelqu'un menace de diffuser des images intimes de votre enfant")
    assert summary(knowledge.load().sheets["hameconnage"], parent) == knowledge.load().sheets["hameconnage"].summary


def test_a_parent_who_bought_for_their_child_is_the_victim_themselves():
    from bot.actions.diagnosis import diagnosis_text

    parent = {"minor_involved": True, "writer": "parent"}
    assert "vous semblez être victime" in diagnosis_text("arnaque_achat", parent)
    assert "Situation : vous semblez" in Case("arnaque_achat", parent).recap_text()
    assert "aucune image intime de votre enfant" in " ".join(Case("sextorsion", parent).section("evidence"))
    assert "image intime de votre enfant" not in " ".join(
        Case("sextorsion", {"minor_involved": True}).section("evidence")
    )
