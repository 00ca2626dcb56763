"""Redaction of personal data before staff see transcripts or anything is exported (bot/privacy.py)."""

import time

import pytest

from bot import privacy
from bot.privacy import CARD, CODE, EMAIL, IBAN, ID_DOCUMENT, NIR, PASSWORD, PHONE, RIB, redact
from console.events import redact_event


def luhn_complete(prefix: str) -> str:
    return next(prefix + str(d) for d in range(10) if privacy.luhn_valid(prefix + str(d)))


VISA = luhn_complete("497010123456789")  # 4970101234567893
MASTERCARD = "5555555555554444"
AMEX = "371449635398431"


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"ma carte {VISA}", f"ma carte {CARD}"),
        ("ma carte 4970 1012 3456 7893 a été débitée", f"ma carte {CARD} a été débitée"),
        ("4970-1012-3456-7893", CARD),
        ("CB : 5555.5555.5555.4444.", f"CB : {CARD}."),
        ("amex 3714 496353 98431", f"amex {CARD}"),
        # the card followed by its expiry date and CVV: only the number goes (the CVV has no keyword here)
        ("4970101234567893 12/26", f"{CARD} 12/26"),
        ("carte\u00a04970\u00a01012\u00a03456\u00a07893", f"carte {CARD}"),
        ("4970\t1012\t3456\t7893", CARD),  # pasted from a spreadsheet
        ("ma carte 4970  1012  3456  7893 svp", f"ma carte {CARD} svp"),  # double spaces
        ("4970\n1012\n3456\n7893", CARD),  # one group per line
    ],
)
def test_card_numbers_are_masked_however_they_are_written(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "commande n° 4970 1012 3456 7890",  # fails Luhn
        "référence 1234567890123456",  # fails Luhn
        "j'ai payé 1 250,50 € le 12/03/2024 à 14h32",
        "montant 1234567890123 €",  # 13 digits, fails Luhn
        "le 12.03.2024 puis le 2024-03-15",
        "0000000000000000",  # passes Luhn, but no card starts with 0
        "numéro de suivi 8 1234 5678 9012 3",  # a parcel number starting with 8
        "appelez le 17 ou le 112, ou le 0 805 805 817",
        "le 12  03  2024 à 14  30",
        "j'ai payé 49\n50 euros\n12 fois",
    ],
)
def test_numbers_that_are_not_card_numbers_are_kept(text):
    assert redact(text) == text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("rappelez-moi au 06 12 34 56 78", f"rappelez-moi au {PHONE}"),
        ("06.12.34.56.78", PHONE),
        ("0612345678", PHONE),
        ("06-12-34-56-78", PHONE),
        ("+33 6 12 34 56 78", PHONE),
        ("+33 (0)6 12 34 56 78", PHONE),
        ("0033 6 12 34 56 78", PHONE),
        ("+33612345678", PHONE),
        ("+44 20 7946 0958", PHONE),
        ("+1 (415) 555-2671", PHONE),
        ("mes deux numéros : 06 12 34 56 78 07 11 22 33 44", f"mes deux numéros : {PHONE} {PHONE}"),
    ],
)
def test_phone_numbers_are_masked(text, expected):
    assert redact(text) == expected


def test_amounts_and_short_numbers_are_not_phone_numbers():
    for text in ("j'ai perdu +300 000 €", "code postal 75011", "le 06/12/2024", "à 3000 euros près"):
        assert redact(text) == text


def test_the_assistants_own_messages_keep_official_phone_numbers():
    text = "AMF Épargne Info Service : 01 53 45 62 00"
    assert redact(text, phones=False) == text
    assert redact(text) == f"AMF Épargne Info Service : {PHONE}"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("IBAN FR76 3000 6000 0112 3456 7890 189 merci", f"IBAN {IBAN} merci"),
        ("iban: FR7630006000011234567890189.", f"iban: {IBAN}."),
        ("fr76 3000 6000 0112 3456 7890 189", IBAN),
        ("DE89 3704 0044 0532 0130 00", IBAN),
        ("virement vers GB82WEST12345698765432 hier", f"virement vers {IBAN} hier"),
        ("BE68 5390 0754 7034", IBAN),
        ("RIB 30006 00001 12345678901 89", f"RIB {RIB}"),
        ("virez sur FR 76 3000 6000 0112 3456 7890 189 svp", f"virez sur {IBAN} svp"),  # space after the country
        ("FR76  3000  6000  0112  3456  7890  189", IBAN),  # double spaces
        ("FR76\t3000\t6000\t0112\t3456\t7890\t189", IBAN),  # pasted from a spreadsheet
    ],
)
def test_ibans_and_ribs_with_a_valid_checksum_are_masked(text, expected):
    assert redact(text) == expected


def test_a_country_code_and_two_numbers_are_not_an_iban():
    assert redact("le FR 12 et 13 mars, vol AF 1234") == "le FR 12 et 13 mars, vol AF 1234"


def test_iban_like_strings_failing_the_checksum_are_kept():
    for text in ("FR76 3000 6000 0112 3456 7890 188", "FR12 3456", "RIB 30006 00001 12345678901 88"):
        assert redact(text) == text


def test_email_addresses_are_masked():
    assert redact("écrivez à jean.dupont+test@gmail.com svp") == f"écrivez à {EMAIL} svp"
    assert redact("contact@mairie-saint-jean.fr.") == f"{EMAIL}."
    assert redact("je suis @ la maison") == "je suis @ la maison"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mon mot de passe c'est Soleil2024!", f"mon mot de passe c'est {PASSWORD}"),
        ("mon mot de passe est soleil", f"mon mot de passe est {PASSWORD}"),
        ("Mon MDP : azerty", f"Mon MDP : {PASSWORD}"),
        ("mdp=Azerty!2", f"mdp={PASSWORD}"),
        ("password is hunter2", f"password is {PASSWORD}"),
        ('mot de passe "la vie en rose"', f"mot de passe {PASSWORD}"),
        ("mot de passe Marseille13", f"mot de passe {PASSWORD}"),
        ("le code reçu par sms 482913", f"le code reçu par sms {CODE}"),
        ("code secret : 4821", f"code secret : {CODE}"),
        ("cvv 123 et cryptogramme: 456", f"cvv {CODE} et cryptogramme: {CODE}"),
        # a few words between the keyword and the secret, SMS spelling, several words after a colon
        (
            "le mot de passe de mon compte facebook c'est Soleil2024",
            f"le mot de passe de mon compte facebook c'est {PASSWORD}",
        ),
        ("mon mot de passe Gmail est Soleil2024!", f"mon mot de passe Gmail est {PASSWORD}"),
        ("mot de passe wifi : livebox-1234", f"mot de passe wifi : {PASSWORD}"),
        ("mon mot de passe, c'est chaton", f"mon mot de passe, c'est {PASSWORD}"),
        ("mon mdp c marseille13", f"mon mdp c {PASSWORD}"),
        ("user jdupont pass Azerty123", f"user jdupont pass {PASSWORD}"),
        ("mot de passe : 1234 5678", f"mot de passe : {PASSWORD}"),
        ("Mdp: Toto Tata", f"Mdp: {PASSWORD}"),
        ("mdp : azerty et le code est 1234", f"mdp : {PASSWORD} et le code est {CODE}"),
        ("mot de passe Soleil2024. Ensuite il a appelé", f"mot de passe {PASSWORD}. Ensuite il a appelé"),
        (
            "je lui ai donné le code reçu par SMS, c'était 482913.",
            f"je lui ai donné le code reçu par SMS, c'était {CODE}.",
        ),
    ],
)
def test_passwords_and_codes_after_their_keyword_are_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "j'ai donné mon mot de passe à l'escroc",
        "mot de passe oublié",
        "mon mot de passe est trop simple",
        "mon mot de passe était compromis",
        "Un gestionnaire de mots de passe c'est fiable ?",
        "code postal 75011",
        "le code à 6 chiffres",
        "le code est bon",
        "il m'a demandé le code de la carte",
        "le pass navigo est génial",
        "j'ai changé mon mot de passe sur facebook.com hier",
        "le code m'a coûté 300 euros",
        "le code reçu le 12/03",
        "mon mot de passe Gmail, je l'ai changé le 12 mars",
    ],
)
def test_sentences_about_passwords_keep_their_words(text):
    assert redact(text) == text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mon numéro de sécu 1 85 05 78 006 084 91", f"mon numéro de sécu {NIR}"),
        ("185057800608491", NIR),
        ("2 85 05 2A 006 084 82", NIR),  # Corsica
        ("carte vitale 1850578006084", f"carte vitale {NIR}"),  # without key, but said to be one
        ("numéro de sécu 1 85 05 78 006 084 36", f"numéro de sécu {NIR}"),  # mistyped key, but said to be one
        ("passeport 12AB34567", f"passeport {ID_DOCUMENT}"),
        ("ma carte d'identité numéro X4RTBPFW4", f"ma carte d'identité numéro {ID_DOCUMENT}"),
        ("CNI n° 880692310285", f"CNI n° {ID_DOCUMENT}"),
    ],
)
def test_national_and_identity_document_numbers_are_masked(text, expected):
    assert redact(text) == expected


def test_a_nir_with_a_wrong_key_and_no_context_is_kept():
    assert redact("dossier 1 85 05 78 006 084 36") != NIR


def test_tokens_are_plain_french_without_brackets_and_redaction_is_idempotent():
    text = (
        f"carte {VISA}, iban FR7630006000011234567890189, tel 0612345678, mail a@b.fr, "
        "mon mot de passe c'est Soleil2024!, sécu 185057800608491, passeport 12AB34567"
    )
    once = redact(text)
    assert redact(once) == once
    for token in privacy.TOKENS:
        assert not set(token) & set("[]{}()")
    assert not any(ch.isdigit() for ch in once)


def test_redaction_of_huge_or_hostile_input_stays_fast():
    for text in (
        "06 12 " * 5000 + "x",
        "1" * 100_000 + "a",
        "+1 " * 30_000,
        "FR76 " * 20_000,
        "a@" * 50_000,
        "mot de passe " * 8000,
        "\x00\ufffd" * 10_000,
        "1." * 50_000,  # a dotted run: once quadratic in the link finder
        "a" * 100_000,  # one long word: once quadratic in the recovery-phrase finder
        "login " + "a" * 100_000,
        "mon adresse c'est " + "1" * 100_000 + " sur gmail",
    ):
        started = time.perf_counter()
        redact(text)
        assert time.perf_counter() - started < 2, text[:20]
    assert redact(None) == "" and redact(42) == "42"


def test_staff_see_sms_telegram_and_web_conversation_ids_masked():
    assert privacy.mask_sender("sms:+33612345678") == "sms:…78"
    assert privacy.mask_sender("telegram:123456789") == "telegram:…89"
    # a web chat session id is the conversation's only secret: whoever has it reads and writes as the victim
    assert privacy.mask_sender("web:0b6f2c4e-8d1a-4c3b-9e7f-5a2d6c8b4f2c") == "web:…4f2c"
    assert privacy.mask_sender("jean@example.org") == EMAIL


def test_stored_events_are_redacted_field_by_field():
    user = {
        "event": "user",
        "text": f"ma carte {VISA}",
        "metadata": {"original_text": f"ma carte {VISA}", "telegram_update_id": 12},
        "parse_data": {
            "text": f"ma carte {VISA}",
            "entities": [{"entity": "x", "value": "06 12 34 56 78"}],
            "message_id": "telegram:12",
            "metadata": {},
        },
        "message_id": "telegram:12",
    }
    redacted = redact_event(user, anonymise=True)
    assert (
        redacted["text"]
        == redacted["parse_data"]["text"]
        == redacted["metadata"]["original_text"]
        == f"ma carte {CARD}"
    )
    assert redacted["parse_data"]["entities"][0]["value"] == PHONE
    assert "telegram_update_id" not in redacted["metadata"] and "message_id" not in redacted
    bot = redact_event({"event": "bot", "text": "AMF : 01 53 45 62 00", "metadata": {}})
    operator = redact_event(
        {"event": "bot", "text": "je vous rappelle au 06 12 34 56 78", "metadata": {"operator": "Camille"}}
    )
    assert bot["text"] == "AMF : 01 53 45 62 00" and operator["text"] == f"je vous rappelle au {PHONE}"
    assert redact_event({"event": "bot", "text": None})["text"] is None
