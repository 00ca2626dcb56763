"""The victim's dossier (bot/dossier.py), its PDF (bot/dossier_pdf.py, read back with poppler) and its expiring
links (bot/dossier_links.py)."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import db, dossier, dossier_links, dossier_pdf, erasure, identifiers
from bot.nlu.entities import extract

# Thursday 3 December 2026, in Paris.
NOW = datetime(2026, 12, 3, 11, 0, tzinfo=ZoneInfo("Europe/Paris")).timestamp()
CARD = "4970 1012 3456 7893"  # the victim's own card: valid (Luhn), must never reach the dossier
STORY = [
    (
        "Hier soir un soi-disant conseiller de ma banque m'a appelé depuis le 06 12 34 56 78, il m'a fait valider "
        f"un virement de 2 400 € vers l'IBAN FR76 3000 6000 0112 3456 7890 189, et je lui ai donné ma carte {CARD}",
        NOW - 3600,
    ),
    ("lundi dernier j'avais déjà reçu un SMS bizarre, j'ai le cœur qui bat encore", NOW - 1800),
]
SLOTS = {"incident": "faux_conseiller_bancaire", "public": "particulier", "money_paid": True}


def events():
    return [
        {
            "event": "user",
            "text": text,
            "timestamp": at,
            "parse_data": {"entities": extract(text) + identifiers.entities(text)},
        }
        for text, at in STORY
    ] + [
        {"event": "user", "text": "/affirm", "timestamp": NOW, "parse_data": {"entities": []}},
        {
            "event": "user",
            "text": "mon dossier svp",
            "timestamp": NOW,
            "parse_data": {"intent": {"name": "ask_dossier"}},
        },
    ]


def test_the_dossier_holds_the_facts_in_order_with_dates_money_and_the_offender_but_not_the_card():
    built = dossier.build(events(), SLOTS, NOW)
    text = built.text()
    assert "Fraude au faux conseiller bancaire" in built.title
    assert "« Hier soir" in text and "« hier » : mercredi 2 décembre 2026" in text
    assert "« lundi dernier » : lundi 30 novembre 2026" in text
    assert text.index("Hier soir") < text.index("lundi dernier j'avais")
    assert "2 400 € – virement" in text
    assert "Numéro de téléphone : +33612345678" in text
    assert "IBAN du bénéficiaire : FR7630006000011234567890189" in text
    assert "Notez les numéros qui vous ont appelé" in text  # the evidence of the sheet
    assert "procureur de la République" in text and "un signalement n'est pas une plainte" in text
    assert "/affirm" not in text and "mon dossier svp" not in text  # not facts
    digits = "".join(ch for ch in text if ch.isdigit())
    assert CARD.replace(" ", "") not in digits and "4970" not in text


def test_no_dossier_before_an_incident():
    assert dossier.build(events(), {}, NOW) is None


def test_the_pdf_renders_and_reads_back_in_unicode(tmp_path):
    pdf = dossier_pdf.render(dossier.build(events(), SLOTS, NOW))
    path = tmp_path / "dossier.pdf"
    path.write_bytes(pdf)
    read = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(read.split())
    for expected in ["2 400 €", "+33612345678", "mercredi 2 décembre 2026", "cœur", "Preuves (☑ gardées", "☐"]:
        assert expected in flat, expected
    assert "4970" not in flat
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True
    )
    image = tmp_path / "page-1.png"
    assert image.stat().st_size > 5_000  # a page with text on it, not a blank one


@pytest.fixture
def database(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'links.db'}")
    db.create_all()


def test_a_link_resolves_until_it_expires_and_only_its_hash_is_stored(database):
    now = datetime(2026, 12, 3, 10, 0)
    token = dossier_links.create("web:victim", now)
    assert len(token) >= 22
    assert dossier_links.resolve(token, now + timedelta(hours=23)) == "web:victim"
    with db.session() as session:
        stored = session.query(dossier_links.DossierLink).one()
    assert token not in (stored.token_hash, stored.sender_id)
    assert dossier_links.resolve(token, now + timedelta(hours=24, seconds=1)) is None
    assert dossier_links.resolve(token, now) is None  # the expired row is gone
    for forged in ["", "x" * 200, token[:-1], token + "A", "../../etc/passwd"]:
        assert dossier_links.resolve(forged, now) is None


def test_erasing_the_conversation_removes_its_links(database):
    now = datetime(2026, 12, 3, 10, 0)
    mine, other = dossier_links.create("web:victim", now), dossier_links.create("web:other", now)
    erasure.forget(["web:victim"])
    assert dossier_links.resolve(mine, now) is None
    assert dossier_links.resolve(other, now) == "web:other"


def test_the_evidence_the_victim_kept_is_ticked_and_the_rest_still_to_keep():
    text = dossier.build(events(), {**SLOTS, "evidence_kept": {"0": "oui", "1": "impossible"}}, NOW).text()
    assert "☑ Notez les numéros qui vous ont appelé" in text
    assert "☒ Conservez les SMS reçus" in text and "ne peut pas être obtenue" in text
    assert "☐ Notez les numéros" in dossier.build(events(), SLOTS, NOW).text()


def test_the_scrub_keeps_the_offenders_identifiers_given_in_answer_and_anonymisation_masks_them():
    import copy
    import json

    from console.events import redact_event

    iban = "FR7630006000011234567890189"
    slot = {"event": "slot", "name": identifiers.OFFENDER_SLOT, "value": [{"kind": "iban", "value": iban}]}
    assert redact_event(copy.deepcopy(slot))["value"][0]["value"] == iban
    assert iban not in json.dumps(redact_event(copy.deepcopy(slot), anonymise=True))
    assert iban not in json.dumps(redact_event({"event": "slot", "name": "platform", "value": iban}))
