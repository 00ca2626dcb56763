"""The foreign-language check (bot.text.looks_foreign, lingua): clear foreign messages are recognised, and no
French message a victim may write — short, misspelt, in SMS style — is ever answered as foreign."""

from pathlib import Path

import pytest
import yaml

from bot.text import looks_foreign

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "text",
    [
        "hello my account was hacked",
        "Hi, someone is asking me for money on WhatsApp",
        "sorry I don't speak french, I got scammed",
        "hola me robaron la cuenta de correo",
        "ich wurde im Internet betrogen, bitte helfen Sie mir",
        "mi hanno rubato i soldi dal conto",
        "olá, fui roubado no site de compras",
        "ik ben opgelicht via een nepwinkel",
        "تم اختراق حسابي على فيسبوك",
    ],
)
def test_clear_foreign_messages_are_recognised(text):
    assert looks_foreign(text)


@pytest.mark.parametrize(
    "text",
    [
        "ok",
        "oui",
        "help",
        "URGENT",
        "jai recu un sms de chronopost",
        "slt jai un pb avec mon compte fb",
        "wsh jsui bloqué",
        "c koi un rançongiciel",
        "mon compte instagram a été hacké",
        "allo ? y a quelqu'un ?",
        "Bonsoir, ma fille a reçu un message bizarre sur Snapchat",
    ],
)
def test_short_or_misspelt_french_is_french(text):
    assert not looks_foreign(text)


def _nlu_examples(path: Path):
    for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
        if item.get("intent") == "out_of_scope":  # holds the foreign-language examples, on purpose
            continue
        for line in (item.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                yield line[2:]


def test_no_french_message_of_the_nlu_test_set_is_read_as_foreign():
    examples = [e for path in sorted((ROOT / "tests" / "nlu").glob("*.yml")) for e in _nlu_examples(path)]
    assert len(examples) > 300
    assert [e for e in examples if looks_foreign(e)] == []
