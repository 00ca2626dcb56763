"""Rule-based entity extraction (bot/nlu/entities.py)."""

import pytest

from bot.nlu.entities import extract


def values(text):
    return {e["entity"]: e["value"] for e in extract(text)}


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "oui j’ai payé 300€ par virement",
            {"amount": 300.0, "currency": "EUR", "payment_means": "virement", "money_paid": True},
        ),
        ("ma boite a reçu un faux RIB, 12 500,50 € partis", {"public": "entreprise", "amount": 12500.5}),
        ("Je suis secrétaire de mairie, nos serveurs sont chiffrés", {"public": "collectivite"}),
        ("Nous sommes une communauté d’agglomération", {"public": "collectivite"}),
        ("je suis un particulier", {"public": "particulier"}),
        ("il demande 2000 CHF sur mon natel", {"amount": 2000.0, "currency": "CHF"}),
        ("j ai acheté des coupons PCS pour 500 euros", {"payment_means": "coupon", "amount": 500.0}),
        ("mon fils de 14 ans a envoyé des photos sur Snap", {"minor_involved": True, "platform": "Snapchat"}),
        ("non, il n'y a pas de mineur", {"minor_involved": False}),
        ("aucun enfant n'est concerné", {"minor_involved": False}),
        ("non nous sommes tous majeurs", {"minor_involved": False}),
        ("ma fille est mineure, elle a 16 ans", {"minor_involved": True}),
        ("il a installé AnyDesk et pris la main sur mon pc", {"remote_access": True, "platform": "AnyDesk"}),
        ("jai donné mon code au mec", {"details_given": True}),
        ("je n ai pas donné mes codes", {"details_given": False}),
        ("non je n’ai rien payé", {"money_paid": False}),
        ("j’habite à Lyon 69003", {"postal_code": "69003"}),
        ("je suis à Ajaccio 20000", {"postal_code": "20000"}),
        ("je suis dans le 93", {"departement": "93"}),
        ("on habite en 2A", {"departement": "2A"}),
        ("je suis à Bordeaux et on m'a piraté", {"city": "Bordeaux"}),
        ("j'habite saint etienne", {"city": "Saint-Étienne"}),
        ("le faux conseiller m'a appelé et j'ai validé un virement de 3000 euros", {"money_paid": True}),
        ("un gars de ma banque ma appelé, il ma fait faire un virement de 3000 euros", {"money_paid": True}),
        ("ils m'ont fait effectuer deux virements vers un compte sécurisé", {"money_paid": True}),
        ("elle a donné son code et il y a eu 2 paiements par carte sur internet", {"money_paid": True}),
        ("j'ai vu des achats inconnus sur mon compte", {"money_paid": True}),
        ("j'ai payé 300 € par carte", {"payment_means": "carte", "money_paid": True}),
        ("ma mère a payé avec sa cb", {"payment_means": "carte"}),
        ("il n'y a eu aucun virement", {"money_paid": False}),
        ("j'ai envoyé les 500 euros", {"money_paid": True}),
        ("j'ai transféré mes économies sur son compte", {"money_paid": True}),
        ("je n'ai pas envoyé d'argent", {"money_paid": False}),
        ("je n'ai rien perdu", {"money_paid": False}),
        ("rebonjour, il a recommencé cette nuit", {"ongoing": True}),
        ("ça continue, il m'écrit tous les soirs", {"ongoing": True}),
        ("il continue de m'envoyer des menaces", {"ongoing": True}),
        ("les serveurs sont toujours en cours de chiffrement", {"ongoing": True}),
        ("il a arrêté depuis que je l'ai bloqué", {"ongoing": False}),
        ("ma fille de 13 ans reçoit des insultes sur Snap", {"writer": "parent", "minor_involved": True}),
        ("je suis sa maman, il a 14 ans", {"writer": "parent"}),
        ("j'ai reçu une convocation de la gendarmerie pour infraction", {"lure": "convocation"}),
        ("coucou maman c'est mon nouveau numéro", {"lure": "proche"}),
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
        ("j'ai écrit à Orange pour leur dire", "city"),
        ("j'ai reçu un SMS de Chronopost", "city"),
        ("si ça continue je porte plainte", "ongoing"),
        ("est-ce que ça continue si je paie ?", "ongoing"),
        ("c'est fini pour moi", "ongoing"),
        ("mon fils m'aurait écrit depuis un nouveau numéro", "writer"),
        ("j'ai envoyé des photos à une fille sur insta, elle veut 200 euros", "money_paid"),  # photos, not money
        ("j'ai perdu l'accès à mon compte insta", "money_paid"),
        ("j'ai transféré le mail à ma banque", "money_paid"),
        ("je n'ai pas envoyé de photos", "money_paid"),
        ("j'ai réglé le problème du mot de passe", "money_paid"),
        ("ma mère de 80 ans a reçu un faux SMS", "writer"),
        ("mon petit ami menace de publier mes photos", "writer"),
    ],
)
def test_dates_ages_and_amounts_are_not_mistaken_for_other_entities(text, absent):
    assert absent not in values(text)


@pytest.mark.parametrize(
    "text",
    [
        "la pharmacie m'a appelé pour mon ordonnance",
        "mon cabinet médical m'a prévenu que mes données ont fuité",
        "j'ai commandé sur une boutique en ligne",
        "un faux cabinet d'avocats me réclame des frais",
        "l'administration fiscale m'aurait écrit",
        "mon fournisseur d'électricité m'envoie un SMS",
        "ma mairie m'a envoyé un mail bizarre",
        "le gérant du magasin m'a dit de porter plainte",
    ],
)
def test_organisations_the_victim_only_deals_with_do_not_make_it_an_organisation(text):
    assert "public" not in values(text)


@pytest.mark.parametrize(
    "text, public",
    [
        ("perso", "particulier"),
        ("pour moi", "particulier"),
        ("pro", "entreprise"),
        ("une association", "entreprise"),
        ("je tiens une boulangerie", "entreprise"),
        ("je suis gérante d'une pharmacie", "entreprise"),
        ("on est une petite asso", "entreprise"),
        ("notre fournisseur a changé de RIB", "entreprise"),
        ("je suis une petite commune", "collectivite"),
        ("c'est pour mon travail", "entreprise"),
        ("je suis le maire de la commune", "collectivite"),
    ],
)
def test_the_victims_own_organisation_and_short_answers_give_the_public(text, public):
    assert values(text).get("public") == public


@pytest.mark.parametrize("text", ["pas de débit sur mon compte pour l'instant", "aucun prélèvement", "pas un euro"])
def test_no_debit_means_no_money_paid(text):
    assert values(text).get("money_paid") is False


def test_spans_point_to_the_original_text():
    text = "J’ai versé 1 500 € à l’escroc"
    amount = next(e for e in extract(text) if e["entity"] == "amount")
    assert text[amount["start"] : amount["end"]] == "1 500 €"


def test_a_phone_number_after_le_is_not_a_departement():
    found = [
        (e["entity"], e["value"]) for e in extract("c'était le 01 84 88 12 34, affiché comme le numéro de ma banque")
    ]
    assert not [f for f in found if f[0] == "departement"]
    assert ("departement", "75") in [(e["entity"], e["value"]) for e in extract("j'habite dans le 75")]


@pytest.mark.parametrize(
    "text, paid",
    [
        ("il n'a rien envoyé à mes contacts, j'ai payé 300 euros", True),  # the victim's payment wins
        ("j'ai payé mais il n'a jamais envoyé l'article", True),
        ("il a envoyé 2 photos de moi à mes amis", None),  # a number is money only with its currency
        ("j'ai envoyé une facture à mon client", None),
        ("j'ai réglé la facture du faux fournisseur", True),
        ("c'etais pas un virement c'etait par carte", None),
        ("ct pas un virement, c'était avec la carte", None),
    ],
)
def test_money_paid_reads_who_paid_what(text, paid):
    assert values(text).get("money_paid") is paid


@pytest.mark.parametrize(
    "text, ongoing",
    [
        ("on a arrêté de lui répondre mais il continue", True),
        ("il a arrêté de me demander de l'argent mais les menaces continuent", True),
        ("ça s'est arrêté mais il a recommencé hier", True),
        ("ils ont arrêté le prélèvement", None),
        ("ça continue pas", None),
        ("il arrête pas", True),
        ("sa continue", True),
    ],
)
def test_still_going_on_is_read_whatever_else_stopped(text, ongoing):
    assert values(text).get("ongoing") is ongoing


@pytest.mark.parametrize(
    "text",
    [
        "il menace d'envoyer la vidéo à mes enfants",
        "j'ai acheté une console pour mon fils sur un faux site",
        "un faux conseiller m'a appelé pendant que j'étais avec mon fils",
    ],
)
def test_a_child_named_as_an_object_does_not_make_the_writer_a_parent(text):
    assert "writer" not in values(text)


def test_a_corrected_means_of_payment_is_not_money_kept():
    found = values("en fait non c'était pas un virement c'était par carte")
    assert "money_paid" not in found  # the victim corrects how, not whether, they paid
    assert found["payment_means"] == "carte"  # the last means named, as Rasa fills the slot
