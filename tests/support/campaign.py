"""A made-up extortion e-mail campaign for the alert tests: variants of one message (other amounts, names, wallets,
a few words changed, pasted alone or after a sentence of the victim's), and ordinary descriptions of the same
incident in the victims' own words, which must not be taken for it."""

from __future__ import annotations

import random
from typing import List

NAMES = ["Julie", "Marc", "Sophie", "Karim", "Nathalie", "Thomas", "Amina", "Luc", "Chloé", "Pierre"]
OPENINGS = [
    "",
    "j'ai reçu ce mail ce matin : ",
    "bonjour, je viens de recevoir ça, que dois-je faire ? ",
    "message reçu sur ma boîte mail : ",
    "aidez moi svp j'ai reçu ce message ",
]
BODIES = [
    "Bonjour {name}, je suis un hacker professionnel. J'ai piraté votre {device} il y a quelques mois et installé "
    "un logiciel espion. Je vous ai enregistré pendant que vous regardiez des vidéos pour adultes. Envoyez {amount} "
    "euros en Bitcoin à l'adresse {wallet} sous 48 heures, sinon la vidéo sera envoyée à tous vos contacts.",
    "{name}, je suis un hacker. J'ai piraté votre {device} et installé un logiciel espion il y a quelques mois. "
    "Je vous ai filmé pendant que vous regardiez des vidéos pour adultes. Virez {amount} € en Bitcoin sur "
    "{wallet} dans les 48 heures, ou la vidéo partira chez tous vos contacts.",
]
DEVICES = ["ordinateur", "téléphone", "appareil"]
WALLETS = [
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
]

ORDINARY = [
    "j'ai reçu un mail qui dit qu'on m'a filmé par ma webcam sur un site porno et qu'il faut payer en bitcoin",
    "un homme avec qui je discutais sur un site de rencontre menace de diffuser mes photos intimes si je ne paie pas",
    "une fille rencontrée sur instagram m'a demandé une vidéo et maintenant elle veut 500 euros sinon elle envoie "
    "tout à mes amis",
    "on me fait chanter avec une vidéo de moi nu enregistrée pendant un appel vidéo",
    "quelqu'un menace de publier des photos de moi si je ne lui envoie pas d'argent par carte cadeau",
    "j'ai envoyé des photos à quelqu'un sur snapchat et il me demande de l'argent pour ne pas les montrer",
]


def variants(count: int, seed: int = 7) -> List[str]:
    """`count` pasted variants of the campaign's message."""
    rng = random.Random(seed)
    return [
        rng.choice(OPENINGS)
        + rng.choice(BODIES).format(
            name=rng.choice(NAMES),
            device=rng.choice(DEVICES),
            amount=rng.choice([450, 600, 750, 900, 1200]),
            wallet=rng.choice(WALLETS),
        )
        for _ in range(count)
    ]
