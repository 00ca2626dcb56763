"""Whose identifier is it (bot/identifiers.py): the labelled table of tests/privacy/identifiers.yml, the victims'
secrets of the frozen pastes, generated IBANs, phone numbers and wallets in offender and victim sentences, and the
entity the NLU pipeline adds."""

import hashlib
import string
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rasa.shared.nlu.training_data.message import Message
from sqlalchemy import select

from bot import db, erasure, identifiers, privacy
from bot.identifiers import OFFENDER, find, offender_facts, registrable_domain, well_formed
from bot.nlu.components import RuleEntityExtractor
from bot.phones import e164
from bot.text import normalise
from console import events, export, retention, transcripts
from console.events import redact_event
from tests import review_data
from tests.review_data import Conversation

HERE = Path(__file__).parent
TABLE = yaml.safe_load((HERE / "privacy" / "identifiers.yml").read_text(encoding="utf-8"))["messages"]
HELD_OUT = yaml.safe_load((HERE / "privacy" / "identifiers_heldout.yml").read_text(encoding="utf-8"))["messages"]
PASTES = yaml.safe_load((HERE / "privacy" / "pastes.yml").read_text(encoding="utf-8"))["pastes"]
PROFILE = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def found(text):
    return {(i.kind, i.value): i.owner for i in find(text)}


# --- the labelled table -----------------------------------------------------------------------------------------------
def test_the_table_has_enough_messages_of_every_kind_and_owner():
    labels = [(i["kind"], i["owner"]) for message in TABLE for i in message["identifiers"]]
    assert len(TABLE) >= 40
    for kind in identifiers.KINDS:
        assert (kind, "offender") in labels and (kind, "victim") in labels, kind


@pytest.mark.parametrize("table", [TABLE, HELD_OUT], ids=["table", "held-out"])
def test_nothing_the_table_says_is_not_the_offenders_is_tagged_offender(table):
    wrong = []
    for message in table:
        labels = {(i["kind"], i["value"]): i["owner"] for i in message["identifiers"]}
        wrong += [
            (message["text"], key)
            for key, owner in found(message["text"]).items()
            if owner == OFFENDER and labels.get(key) != OFFENDER
        ]
    assert wrong == []  # precision 100 %


@pytest.mark.parametrize("table, recall", [(TABLE, 0.9), (HELD_OUT, 0.7)], ids=["table", "held-out"])
def test_the_offenders_identifiers_of_the_table_are_found_normalised(table, recall):
    offenders = [
        (m["text"], (i["kind"], i["value"])) for m in table for i in m["identifiers"] if i["owner"] == OFFENDER
    ]
    missed = [(text, key) for text, key in offenders if found(text).get(key) != OFFENDER]
    assert len(offenders) - len(missed) >= recall * len(offenders), missed  # 38 of 38 and 13 of 18 when written


@pytest.mark.parametrize("message", [m for m in TABLE if any(i["owner"] == "official" for i in m["identifiers"])])
def test_official_services_are_never_an_offenders_fact(message):
    assert all(found(message["text"]).get((i["kind"], i["value"])) != OFFENDER for i in message["identifiers"])


# --- the frozen pastes (written by someone who never read this module) ------------------------------------------------
VICTIM_ONLY = [p for p in PASTES if p["owner"] == "victim" and p["kind"] != "mixed"]


@pytest.mark.parametrize("paste", VICTIM_ONLY, ids=[p["id"] for p in VICTIM_ONLY])
def test_no_secret_of_the_victim_in_the_frozen_pastes_is_tagged_offender(paste):
    text = normalise(paste["text"])
    secrets = [normalise(secret) for secret in paste["secrets"]]
    tagged = [text[i.start : i.end] for i in find(text) if i.owner == OFFENDER]
    assert [span for span in tagged if any(span in secret or secret in span for secret in secrets)] == []


def test_scammers_identifiers_of_the_frozen_pastes_are_mostly_found():
    offender = [p for p in PASTES if p["owner"] == "offender" and p["kind"] in ("phone", "iban", "email")]
    hits = [p["id"] for p in offender if any(i.owner == OFFENDER for i in find(p["text"]))]
    assert len(hits) >= 0.8 * len(offender), sorted({p["id"] for p in offender} - set(hits))


# --- the victim's secrets are never identifiers -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "le faux conseiller m'a appelé et je lui ai donné ma carte 4970 1012 3456 7893 exp 09/27",
        "il m'a demandé de lui envoyer ma carte 5555 5555 5555 4444 sur whatsapp",
        "le faux agent de la CPAM a eu mon numero de secu 1 85 05 78 006 084 36",
        "numéro de sécu : 1-62-01-33-063-045-19, l'escroc l'a eu par sms",
        "l'escroc m'a fait lire le code reçu par sms 0612 3456 au téléphone",
        "mot de passe : 0645871290 (l'escroc l'a eu)",
    ],
)
def test_cards_social_security_numbers_codes_and_passwords_are_never_returned(text):
    assert [i for i in find(text) if i.owner == OFFENDER] == []


def test_spans_point_to_the_original_text_even_with_invisible_characters():
    text = "le numéro qui m'a appelé : ０６\u200b７１ ９２ ４８ ３０ !"
    (identifier,) = find(text)
    assert (identifier.kind, identifier.value, identifier.owner) == ("phone", "+33671924830", OFFENDER)
    assert text[identifier.start : identifier.end] == "０６\u200b７１ ９２ ４８ ３０"


def test_registrable_domains_and_link_shorteners():
    assert registrable_domain("secure.ameli-rembourse.net") == "ameli-rembourse.net"
    assert registrable_domain("www.colis.co.uk") == "colis.co.uk"
    assert registrable_domain("suivi-colis.web.app") == "suivi-colis.web.app"
    assert found("le lien reçu par sms c'était bit.ly/3Fk9zQ") == {("website", "bit.ly/3Fk9zQ"): OFFENDER}
    assert found("le site leboncoin.fr et le faux site leboncoin-securise.com") == {
        ("website", "leboncoin-securise.com"): OFFENDER
    }


# --- generated identifiers --------------------------------------------------------------------------------------------
def _iban_check(country: str, bban: str) -> str:
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


@st.composite
def ibans(draw):
    country = draw(st.sampled_from(sorted(["FR", "LT", "DE", "ES", "BE", "PT", "EE", "IE", "NL", "IT"])))
    length = privacy.IBAN_LENGTHS[country]
    if country in ("IE", "NL"):  # a bank code in letters
        bban = draw(st.text(string.ascii_uppercase, min_size=4, max_size=4))
    elif country == "IT":
        bban = draw(st.text(string.ascii_uppercase, min_size=1, max_size=1))
    else:
        bban = ""
    bban += draw(st.text(string.digits, min_size=length - 4 - len(bban), max_size=length - 4 - len(bban)))
    iban = _iban_check(country, bban)
    separator = draw(st.sampled_from(["", " ", " ", "-"]))
    return separator.join(iban[i : i + 4] for i in range(0, len(iban), 4)), iban


@st.composite
def phones(draw):
    prefix = draw(st.sampled_from(["6", "75", "76", "77", "78", "79"]))
    national = "0" + prefix + draw(st.text(string.digits, min_size=9 - len(prefix), max_size=9 - len(prefix)))
    number = e164(national)
    assume(number is not None and number.startswith("+33"))  # not 0639… (Mayotte), 0690… (Guadeloupe)
    pairs = [national[i : i + 2] for i in range(0, 10, 2)]
    form = draw(st.sampled_from(["spaced", "dotted", "dashed", "glued", "plus", "double zero"]))
    written = {
        "spaced": " ".join(pairs),
        "dotted": ".".join(pairs),
        "dashed": "-".join(pairs),
        "glued": national,
        "plus": "+33 " + national[1] + " " + " ".join(pairs[1:]),
        "double zero": "0033" + national[1:],
    }[form]
    return written, number


_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def base58check(payload: bytes) -> str:
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number, text = int.from_bytes(data, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        text = _BASE58[digit] + text
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + text


def bech32(program: bytes, version: int) -> str:
    accumulator = bits = 0
    data = [version]
    for byte in program:
        accumulator, bits = accumulator << 8 | byte, bits + 8
        while bits >= 5:
            bits -= 5
            data.append(accumulator >> bits & 31)
    if bits:
        data.append(accumulator << (5 - bits) & 31)
    check = 1
    for value in [3, 3, 0, 2, 3] + data + [0] * 6:  # "bc" expanded, then the data and room for the checksum
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
            check ^= generator if (top >> i) & 1 else 0
    check ^= 1 if version == 0 else 0x2BC830A3
    return "bc1" + "".join(_BECH32[d] for d in data + [check >> 5 * (5 - i) & 31 for i in range(6)])


@st.composite
def wallets(draw):
    kind = draw(st.sampled_from(["p2pkh", "p2sh", "segwit", "taproot", "ethereum", "tron"]))
    body = draw(st.binary(min_size=32, max_size=32))
    address = {
        "p2pkh": lambda: base58check(b"\0" + body[:20]),
        "p2sh": lambda: base58check(b"\5" + body[:20]),
        "segwit": lambda: bech32(body[:20], 0),
        "taproot": lambda: bech32(body, 1),
        "ethereum": lambda: "0x" + body[:20].hex(),
        "tron": lambda: base58check(b"\x41" + body[:20]),
    }[kind]()
    return address, address.lower() if kind in ("segwit", "taproot", "ethereum") else address


OFFENDER_SENTENCES = {
    "iban": [
        "il m'a demandé de virer 3000 € sur {}",
        "Le faux conseiller m'a fait faire un virement vers le compte sécurisé {} hier",
        "notre fournisseur a envoyé un nouvel IBAN : {}",
        "jai payé lacompte sur {} et plus de nouvelles du vendeur",
    ],
    "phone": [
        "le numéro qui m'a appelé c'est {}",
        "jai recu un sms du {} pour un colis",
        "Le faux policier m'appelait depuis le {}",
        "le {} m'appelle tous les jours",
    ],
    "wallet": [
        "Envoyez 0,05 BTC à l'adresse suivante : {} sous 48 heures",
        "l'adresse où j'ai envoyé mes cryptos : {}",
        "le conseiller de la plateforme m'a fait transférer mes USDT vers {}",
    ],
}
VICTIM_SENTENCES = {
    "iban": ["mon iban c'est {}", "je lui ai donné mon RIB {}", "des prélèvements sur mon compte {}"],
    "phone": ["mon numéro c'est le {}", "vous pouvez me rappeler au {} svp", "ma fille est joignable au {}"],
    "wallet": ["mon wallet {} a été vidé", "je lui ai envoyé mon adresse {} pour recevoir les gains"],
}
GENERATORS = {"iban": ibans(), "phone": phones(), "wallet": wallets()}


@pytest.mark.parametrize("kind", sorted(GENERATORS))
@PROFILE
@given(data=st.data())
def test_generated_identifiers_in_an_offenders_sentence_are_found_and_redacted(kind, data):
    written, value = data.draw(GENERATORS[kind])
    text = data.draw(st.sampled_from(OFFENDER_SENTENCES[kind])).format(written)
    assert found(text).get((kind, value)) == OFFENDER, text
    shown = privacy.redact(text)
    assert written not in shown and value not in shown, shown


@pytest.mark.parametrize("kind", sorted(GENERATORS))
@PROFILE
@given(data=st.data())
def test_generated_identifiers_in_the_victims_sentence_are_never_the_offenders(kind, data):
    written, value = data.draw(GENERATORS[kind])
    text = data.draw(st.sampled_from(VICTIM_SENTENCES[kind])).format(written)
    assert found(text).get((kind, value)) not in (OFFENDER, None), text
    assert written not in privacy.redact(text)


@PROFILE
@given(address=wallets(), position=st.integers(min_value=4, max_value=30), char=st.sampled_from("23456789"))
def test_a_mistyped_wallet_address_is_not_one(address, position, char):
    written, _ = address
    assume(position < len(written) and written[position] != char and not written.startswith("0x"))
    mistyped = written[:position] + char + written[position + 1 :]
    assert privacy.wallet_address(mistyped) is None


# --- the facts of a conversation --------------------------------------------------------------------------------------
def _user(timestamp, *entities):
    return {"event": "user", "timestamp": timestamp, "parse_data": {"entities": list(entities)}}


def test_facts_of_a_conversation_are_deduplicated_in_the_order_first_seen():
    phone = {"entity": identifiers.ENTITY, "role": "phone", "value": "+33671924830"}
    iban = {"entity": identifiers.ENTITY, "role": "iban", "value": "FR1878778932879217421809679"}
    forged = {"entity": identifiers.ENTITY, "role": "phone", "value": "Jean Dupont"}
    other = {"entity": "platform", "value": "Vinted"}
    events = [
        {"event": "bot", "timestamp": 1.0, "text": "Bonjour"},
        _user(2.0, phone, other),
        _user(3.0, iban, phone, forged),
        _user(4.0, phone),
    ]
    assert offender_facts(events) == [
        {"kind": "phone", "value": "+33671924830", "first_seen": 2.0},
        {"kind": "iban", "value": "FR1878778932879217421809679", "first_seen": 3.0},
    ]
    assert not well_formed("phone", "Jean Dupont") and not well_formed("card", "4970101234567893")


# --- the NLU entity ---------------------------------------------------------------------------------------------------
def test_the_extractor_adds_the_offenders_identifiers_as_entities_with_their_kind_as_role():
    message = Message(
        data={"text": "le faux conseiller m'a appelé du 06 71 92 48 30, mon numéro à moi c'est le 0612983547"}
    )
    RuleEntityExtractor().process([message])
    found_entities = [e for e in message.get("entities") if e["entity"] == identifiers.ENTITY]
    assert found_entities == [
        {
            "entity": "offender_identifier",
            "role": "phone",
            "value": "+33671924830",
            "start": 33,
            "end": 47,
            "extractor": "RuleEntityExtractor",
        }
    ]


def test_domain_yml_declares_the_entity_with_every_kind_as_a_role_and_out_of_the_dialogue():
    domain = yaml.safe_load((HERE.parent / "domain.yml").read_text(encoding="utf-8"))
    (declared,) = [e[identifiers.ENTITY] for e in domain["entities"] if isinstance(e, dict) and identifiers.ENTITY in e]
    assert declared == {"roles": list(identifiers.KINDS), "influence_conversation": False}


# --- kept in the events: under retention ------------------------------------------------------------------------------
SCAM = (
    "le faux conseiller m'a appelé du 06 71 92 48 30 et voulait que je vire sur FR18 7877 8932 8792 1742 1809 679, "
    "je lui ai donné ma carte 4970 1012 3456 7893 et mon numéro 06 12 98 35 47"
)
FACTS = [("phone", "+33671924830"), ("iban", "FR1878778932879217421809679")]


def test_the_event_redaction_masks_the_text_and_keeps_only_the_offenders_identifiers():
    forged = {"entity": identifiers.ENTITY, "role": "phone", "value": "Mme Martin, 06 12 98 35 47"}
    parse = {"text": SCAM, "entities": identifiers.entities(SCAM) + [forged, {"entity": "x", "value": "0612983547"}]}
    event = {"event": "user", "text": SCAM, "parse_data": parse, "metadata": {"original_text": SCAM}}

    kept = redact_event(yaml.safe_load(yaml.safe_dump(event)))
    assert [(e.get("role"), e["value"]) for e in kept["parse_data"]["entities"]][:2] == FACTS
    assert kept["parse_data"]["entities"][2:] == [
        dict(forged, value=privacy.redact(forged["value"])),
        {"entity": "x", "value": privacy.PHONE},
    ]
    assert kept["text"] == kept["parse_data"]["text"] == kept["metadata"]["original_text"] == privacy.redact(SCAM)
    assert not any(d in kept["text"] for d in ("06 71", "FR18", "4970", "06 12"))

    anonymised = redact_event(yaml.safe_load(yaml.safe_dump(event)), anonymise=True)
    assert [e["value"] for e in anonymised["parse_data"]["entities"][:2]] == [privacy.PHONE, privacy.IBAN]


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, monkeypatch):
    with review_data.review_database(request.param, tmp_path, monkeypatch) as url:
        yield url


def _facts(sender_id):
    with db.engine().connect() as connection:
        return [(f["kind"], f["value"]) for f in events.offender_facts(connection, sender_id)]


def test_the_offenders_identifiers_live_in_the_events_until_retention_or_erasure(database, monkeypatch):
    now = time.time()
    victims = ["web:11111111-1111-4111-8111-111111111111", "web:22222222-2222-4222-8222-222222222222"]
    old = "web:33333333-3333-4333-8333-333333333333"
    conversations = [Conversation(sender, now - 3 * 3600) for sender in victims] + [
        Conversation(old, now - 400 * 86400)
    ]
    review_data.store(
        database, [c.victim(SCAM, "fraude_carte_bancaire", entities=identifiers.entities(SCAM)) for c in conversations]
    )
    assert _facts(victims[0]) == _facts(victims[1]) == _facts(old) == FACTS

    # The stored text is redacted after the grace period; the facts stay.
    monkeypatch.setenv("KEEP_ORIGINAL_TEXT", "0")
    assert retention.scrub_originals() == 3
    with db.engine().connect() as connection:
        (row,) = [r for r in events.of_sender(connection, victims[0]) if r.type_name == "user"]
        rows = events.of_sender(connection, victims[0])
    assert "06 71" not in row.data and "4970" not in row.data and _facts(victims[0]) == FACTS
    # Staff see them masked, and exports leave them out.
    shown = transcripts.victim_message(row.id, events.load(row.data))
    assert [e["value"] for e in shown["entities"] if e["entity"] == identifiers.ENTITY] == [privacy.PHONE, privacy.IBAN]
    (uttered,) = [e for e in export.story_events(rows, {}) if e.type_name == "user"]
    assert all(e["entity"] != identifiers.ENTITY for e in uttered.entities)

    # Erasure (STOP, "Supprimer", forget) and the purge delete them with the events; anonymised copies keep none.
    erasure.forget([victims[0]])
    assert _facts(victims[0]) == [] and _facts(victims[1]) == FACTS
    retention.purge(days=365, anonymise=True)
    with db.engine().connect() as connection:
        senders = {r.sender_id for r in connection.execute(select(db.EVENTS.c.sender_id).distinct())}
    assert old not in senders and [_facts(s) for s in senders - {victims[1]}] == [[]]
