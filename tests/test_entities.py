"""Rule-based entity extraction (bot/nlu/entities.py)."""
import pytest

from bot.nlu.entities import extract


def values(text):
    return {e["entity"]: e["value"] for e in extract(text)}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("oui j’ai payé 300€ par virement", {"amount": 300.0, "currency": "EUR", "payment_means": "virement", "money_paid": True}),
        ("ma boite a reçu un faux RIB, 12 500,50 € partis", {"public": "entreprise", "amount": 12500.5}),
        ("Je suis secrétaire de mairie, nos serveurs sont chiffrés", {"public": "collectivite"}),
        ("Nous sommes une communauté d’agglomération", {"public": "collectivite"}),
        ("je suis un particulier", {"public": "particulier"}),
        ("il demande 2000 CHF sur mon natel", {"amount": 2000.0, "currency": "CHF"}),
        ("j ai acheté des coupons PCS pour 500 euros", {"payment_means": "coupon", "amount": 500.0}),
        ("mon fils de 14 ans a envoyé des photos sur Snap", {"minor_involved": True, "platform": "Snapchat"}),
        ("il a installé AnyDesk et pris la main sur mon pc", {"remote_access": True, "platform": "AnyDesk"}),
        ("jai donné mon code au mec", {"details_given": True}),
        ("je n ai pas donné mes codes", {"details_given": False}),
        ("non je n’ai rien payé", {"money_paid": False}),
        ("j’habite à Lyon 69003", {"postal_code": "69003"}),
        ("je suis à Ajaccio 20000", {"postal_code": "20000"}),
        ("je suis dans le 93", {"departement": "93"}),
        ("on habite en 2A", {"departement": "2A"}),
    ],
)
def test_entities_are_extracted(text, expected):
    found = values(text)
    for key, value in expected.items():
        assert found.get(key) == value, (key, found)


@pytest.mark.parametrize(
    "text, absent",
    [
        ("j’ai 45 ans", "minor_involved"),
        ("payé 49,90 € le 12/03", "departement"),
        ("le 15 mars à 14h", "departement"),
        ("40000 € partis sur un faux compte", "postal_code"),
        ("je suis à Paris 15e", "amount"),
    ],
)
def test_dates_ages_and_amounts_are_not_mistaken_for_other_entities(text, absent):
    assert absent not in values(text)


def test_spans_point_to_the_original_text():
    text = "J’ai versé 1 500 € à l’escroc"
    amount = next(e for e in extract(text) if e["entity"] == "amount")
    assert text[amount["start"]:amount["end"]] == "1 500 €"
