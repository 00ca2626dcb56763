"""Rule-based entity extraction: facts the dialogue needs, read from the victim's own words.

Regexes and lookup tables beat a statistical extractor here: the values are closed lists (publics, payment means,
brands), numbers with units, or yes/no facts with clear French markers, and every rule is testable on its own.
Each rule runs on folded text (lower case, no accents), so "Crédit Agricole", "credit agricole" and "CRÉDIT
AGRICOLE" match alike; spans refer to the original text (folding keeps lengths for French letters).

Entities produced (all declared in domain.yml):
- public: particulier / entreprise / collectivite
- amount (float) and currency (EUR, CHF, USD, CAD, BTC)
- payment_means: virement, carte, paypal, crypto, coupon, cheque, especes, transfert_argent, paiement_mobile
- platform: canonical brand or service name
- postal_code, departement, city: where the victim is (cities from bot.geo's communes, clear statements only)
- money_paid, details_given, remote_access, ongoing, minor_involved: True/False facts for the qualification form
- lure: convocation (a fake police or justice summons) / proche (a fake relative's "nouveau numéro")
- writer: parent, when a parent writes about their child
- offender_identifier: an IBAN, phone number, e-mail address, website or wallet of the offender (role: its kind,
  value: normalised), never the victim's own (bot/identifiers.py)
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Pattern, Tuple

from bot import geo, identifiers
from bot.text import fold

Entity = Dict[str, Any]


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation of phrases, longest first, tolerant to spaces, hyphens and apostrophes between words."""
    escaped = (re.escape(w.replace("'", " ")).replace(r"\ ", r"[\s-]?") for w in words)
    return "|".join(sorted(escaped, key=len, reverse=True))


def _compile(pattern: str) -> Pattern[str]:
    """Apostrophes are spaces in folded text and often missing in SMS: "j'ai", "j ai" and "jai" all match."""
    return re.compile(pattern.replace("'", r"\s?"))


# --- public -----------------------------------------------------------------------------------------------------
# Victims name many organisations that are not them: "la pharmacie m'a appelé", "mon fournisseur d'électricité",
# "un faux cabinet d'avocats", "la mairie m'a écrit". So only self-describing words count on their own (SELF); the
# others count when the victim says they are theirs: with "mon/ma/notre" (MINE) or only with "notre/je suis/je
# gère…" (RUN: "ma pharmacie", "ma mairie" are where a private person goes). A bare answer ("entreprise", "une
# commune", "pro") to the public question counts too.
_SELF_WORDS = {
    "particulier": [
        "particulier",
        "particuliere",
        "a titre perso",
        "a titre personnel",
        "a titre prive",
        "a titre individuel",
        "pour moi-meme",
        "pour moi meme",
        "simple citoyen",
        "simple citoyenne",
        "je suis retraite",
        "je suis retraitee",
        "compte perso",
        "perso",
        "personnellement",
        "un individu",
    ],
    "collectivite": [
        "collectivite",
        "collectivites",
        "conseil municipal",
        "conseil departemental",
        "conseil regional",
        "communaute de communes",
        "communaute d'agglomeration",
        "intercommunalite",
        "ccas",
        "secretaire de mairie",
        "notre commune",
        "notre mairie",
        "syndicat intercommunal",
        "nos administres",
        "agents municipaux",
    ],
    "entreprise": [
        "pme",
        "tpe",
        "sarl",
        "sas",
        "eurl",
        "startup",
        "auto-entrepreneur",
        "auto entrepreneur",
        "autoentrepreneur",
        "micro-entreprise",
        "micro entreprise",
        "nos clients",
        "mes clients",
        "nos salaries",
        "mes salaries",
        "nos employes",
        "mes employes",
        "notre comptable",
        "notre comptabilite",
        "notre fournisseur",
        "nos fournisseurs",
        "profession liberale",
        "freelance",
        "siret",
        "compte pro",
        "compte professionnel",
        "ma boite",
        "notre boite",
        "nos adherents",
        "nos benevoles",
        "pour mon travail",
        "pour le travail",
        "pour le boulot",
        "pour mon boulot",
    ],
}
_MINE_WORDS = {
    "entreprise": ["entreprise", "societe", "association", "asso", "club", "federation", "startup", "boite"],
}
_RUN_WORDS = {
    "collectivite": [
        "mairie",
        "commune",
        "agglomeration",
        "metropole",
        "administration",
        "prefecture",
        "centre hospitalier",
        "service public",
        "hotel de ville",
        "maire",
        "collectivite",
        "ville",
    ],
    "entreprise": [
        "entreprise",
        "societe",
        "association",
        "artisan",
        "commercant",
        "commercante",
        "magasin",
        "boutique",
        "restaurant",
        "cabinet",
        "agence",
        "club",
        "federation",
        "asso",
        "ehpad",
        "syndic",
        "independant",
        "independante",
        "boulangerie",
        "garage",
        "pharmacie",
        "gerant",
        "gerante",
        "commerce",
        "entrepreneur",
        "entrepreneuse",
        "pro",
        "professionnel",
        "professionnelle",
    ],
}
_MINE = r"(?:mon|ma|notre|nos)\s"
_RUN = (
    r"(?:notre|nos|je suis|je gere|je dirige|je tiens|nous sommes|on est|nous gerons|je travaille (?:dans|pour|a|"
    r"chez|au)|je suis (?:le|la) (?:gerant|gerante|patron|patronne|proprietaire|secretaire|directeur|directrice|"
    r"responsable|president|presidente|tresorier|tresoriere|maire) d(?:e|u|')?|j'ai)\s"
)
_ARTICLE = r"(?:(?:un|une|la|le|l'|des|les)\s)?(?:\w+\s)?"  # "je suis une petite commune"
_BARE = r"^\s*(?:c'est |pour |je suis |on est |nous sommes )?(?:(?:un|une|la|le|l'|mon|ma|notre)\s)?(?:{})\s*[.!]?\s*$"
_BARE_PARTICULIER = r"^\s*(?:c'est )?(?:pour moi|moi|perso|personnel|a titre perso\w*)\s*[.!]?\s*$"


def _public_patterns(public: str) -> List[Pattern[str]]:
    """In the order they are tried: self-describing words, "mon/notre …", "je gère …", a bare answer."""
    patterns = []
    if public in _SELF_WORDS:
        patterns.append(_compile(rf"\b(?:{_alternation(_SELF_WORDS[public])})\b"))
    if public in _MINE_WORDS:
        patterns.append(_compile(rf"\b{_MINE}(?:\w+\s)?(?:{_alternation(_MINE_WORDS[public])})\b"))
    if public in _RUN_WORDS:
        patterns.append(_compile(rf"\b{_RUN}{_ARTICLE}(?:{_alternation(_RUN_WORDS[public])})\b"))
        patterns.append(_compile(_BARE.format(_alternation(_RUN_WORDS[public]))))
    if public == "particulier":
        patterns.append(_compile(_BARE_PARTICULIER))
    return patterns


_PUBLIC_RE = {public: _public_patterns(public) for public in ("particulier", "collectivite", "entreprise")}

# --- amounts ----------------------------------------------------------------------------------------------------
_CURRENCIES = [
    ("EUR", r"€|euros?|eur|balles|e(?=\s|$|[.,!?])"),
    ("CHF", r"chf|francs? suisses?|francs?"),
    ("USD", r"\$|dollars?|usd"),
    ("CAD", r"piastres?|cad"),
    ("BTC", r"btc|bitcoins?"),
]
_NUMBER = r"(?P<number>\d{1,3}(?:[\s.]\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?)"
_AMOUNT_RE = re.compile(
    rf"(?<![\w.,]){_NUMBER}\s?(?P<thousands>k|mille)?\s?(?P<currency>{'|'.join(f'(?P<{c}>{p})' for c, p in _CURRENCIES)})(?!\w)"
)

# --- payment means ----------------------------------------------------------------------------------------------
_PAYMENT_WORDS = {
    "virement": ["virement", "vire", "virer", "virements", "iban", "rib", "compte securise"],
    "carte": [
        "carte bancaire",
        "carte bleue",
        "carte de credit",
        "cb",
        "ma carte",
        "visa",
        "mastercard",
        "numero de carte",
        "par carte",
        "sa cb",
    ],
    "paypal": ["paypal"],
    "crypto": [
        "crypto",
        "cryptomonnaie",
        "cryptos",
        "bitcoin",
        "bitcoins",
        "btc",
        "usdt",
        "ethereum",
        "binance",
        "wallet",
    ],
    "coupon": [
        "coupon",
        "coupons",
        "transcash",
        "pcs",
        "neosurf",
        "paysafecard",
        "carte cadeau",
        "cartes cadeaux",
        "cartes cadeau",
        "carte google play",
        "cartes google play",
        "carte steam",
        "cartes steam",
        "itunes",
        "recharge",
        "recharges",
        "ticket premium",
        "toneo",
    ],
    "cheque": ["cheque", "cheques"],
    "especes": ["especes", "en liquide", "cash"],
    "transfert_argent": ["western union", "moneygram", "mandat cash", "ria", "worldremit"],
    "paiement_mobile": ["lydia", "wero", "paylib", "sumeria", "apple pay", "google pay"],
}
_PAYMENT_RE = {means: re.compile(rf"\b(?:{_alternation(words)})\b") for means, words in _PAYMENT_WORDS.items()}
PAYMENT_MEANS = tuple(_PAYMENT_WORDS)  # the values of `payment_means` (the observatory counts no other)

# --- platforms --------------------------------------------------------------------------------------------------
_PLATFORMS = {
    "Leboncoin": ["leboncoin", "le bon coin", "lbc"],
    "Vinted": ["vinted"],
    "Facebook": ["facebook", "fb", "messenger"],
    "Facebook Marketplace": ["marketplace"],
    "Instagram": ["instagram", "insta"],
    "WhatsApp": ["whatsapp", "whatsap", "wtsp"],
    "Snapchat": ["snapchat", "snap"],
    "TikTok": ["tiktok", "tik tok"],
    "Gmail": ["gmail"],
    "Outlook": ["outlook", "hotmail", "live.fr"],
    "Microsoft": ["microsoft", "windows", "office 365", "microsoft 365"],
    "Apple": ["apple", "icloud", "iphone"],
    "Amazon": ["amazon"],
    "PayPal": ["paypal"],
    "Ameli": ["ameli", "assurance maladie", "carte vitale"],
    "CAF": ["caf"],
    "impots.gouv": ["impots", "impot", "dgfip"],
    "ANTAI": ["antai", "amende"],
    "ANTS": ["ants"],
    "Chronopost": ["chronopost"],
    "Colissimo": ["colissimo"],
    "La Poste": ["la poste"],
    "DHL": ["dhl"],
    "UPS": ["ups"],
    "Mondial Relay": ["mondial relay"],
    "Netflix": ["netflix"],
    "Steam": ["steam"],
    "Fortnite": ["fortnite"],
    "Discord": ["discord"],
    "Roblox": ["roblox"],
    "Tinder": ["tinder"],
    "Meetic": ["meetic"],
    "LinkedIn": ["linkedin"],
    "X (Twitter)": ["twitter"],
    "Telegram": ["telegram"],
    "YouTube": ["youtube"],
    "Google": ["google"],
    "Orange": ["orange"],
    "SFR": ["sfr"],
    "Free": ["free"],
    "Bouygues": ["bouygues"],
    "EDF": ["edf"],
    "Engie": ["engie"],
    "CPF": ["cpf", "mon compte formation", "moncompteformation"],
    "France Travail": ["france travail", "pole emploi"],
    "Doctolib": ["doctolib"],
    "AnyDesk": ["anydesk"],
    "TeamViewer": ["teamviewer"],
    "Binance": ["binance"],
    "Lydia": ["lydia"],
    "Western Union": ["western union"],
}
_PLATFORM_RE = [(name, re.compile(rf"\b(?:{_alternation(words)})\b")) for name, words in _PLATFORMS.items()]
PLATFORMS = tuple(_PLATFORMS)  # the values of `platform`

# --- location ---------------------------------------------------------------------------------------------------
# Metropolitan (01-95 incl. Corsica 20xxx), overseas (971-976) and collectivities (975, 977, 978, 986-988).
_POSTAL_RE = re.compile(
    r"(?<![\d,.])((?:0[1-9]|[1-8]\d|9[0-5])\d{3}|97[1-8]\d{2}|98[6-8]\d{2})(?![\d,.])(?!\s?(?:€|euros?|eur|chf|\$|k\b|balles))"
)
_DEPARTEMENT_RE = _compile(
    r"\b(?:dans le|dans l'|du|le|departement|dept|dpt|en)\s?(0[1-9]|[1-8]\d|9[0-5]|2a|2b|97[1-8])\b(?![/:.,]\d)(?![ .]\d\d)(?!\s?(?:ans|€|euros?|eur|%|h\b|min|jours|fois|k\b|balles|janv|fev|mars|avr|mai|juin|juil|aou|sept|oct|nov|dec))"
)

# --- yes/no facts -----------------------------------------------------------------------------------------------
_NEG = r"(?:je n'ai|j'ai|on n'a|nous n'avons|il n'a|elle n'a|n'ai|n'a)\s(?:rien|pas|jamais|aucun\w*)"
_NEG_ME = r"(?:je n'ai|j'ai|on n'a|nous n'avons|n'ai)\s(?:rien|pas|jamais|aucun\w*)"  # what the victim did not do
# What makes "envoyé", "transféré", "réglé", "perdu" a payment: money as their object. "J'ai envoyé des photos",
# "j'ai perdu l'accès à mon compte", "j'ai transféré le mail" say nothing about money.
_MONEY = (
    r"(?:(?:les |des |mes |ses |pour )?\d[\d .,]*\s?(?:€|e\b|euros?|eur\b|chf|francs?|\$|dollars?|k\b|balles|btc)|par (?:virement|carte|cb|paypal|western|mandat|lydia|wero|transcash|pcs|"
    r"neosurf|crypto|bitcoin|cheque)|(?:tout |toute |plus de |presque )?(?:de l'|d'|l'|le |les |des |mes |mon |ma |la |sa |son "
    r"|ses |notre |nos |votre |leur |leurs |un |une )?(?:argent|sous|cash|euros?|francs?|dollars?|economies|epargne|"
    r"salaire|chomage|retraite|somme|fonds|virements?|mandats?|acomptes?|avance|depot|rancon|fric|thunes?|"
    r"coupons?|cartes? (?:pcs|cadeaux?|prepayees?|neosurf|transcash|google play|steam|itunes)|bitcoins?|cryptos?|frais|"
    r"loyers?|caution))"
)
_FACT_PATTERNS: Dict[str, List[Tuple[bool, str]]] = {
    "money_paid": [
        # "J'ai payé 300 €" wins over what someone else did not do ("il n'a rien envoyé à mes contacts").
        (True, r"\b(?:j'ai|on a|nous avons|j'avais|g)\s(?:deja\s|bien\s)?(?:paye|verse|vire)\b"),
        (False, rf"{_NEG}\s(?:\w+\s)?(?:paye|verse|vire|debite)"),
        (False, rf"{_NEG_ME}\s(?:\w+\s)?(?:envoye|transfere|regle|perdu)\s{_MONEY}"),
        (False, r"\b(?:je n'ai|on n'a|nous n'avons|n'ai) rien (?:envoye|transfere|regle|perdu)\b"),
        (
            False,
            r"\b(?:sans|avant de|rien) (?:rien )?(?:payer|paye|verser)\b|\bpas (?:encore )?(?:paye|debite|preleve)\b",
        ),
        (
            False,
            # Not "c'était pas un virement, c'était par carte": a means corrected, not money kept.
            r"\b(?<!etait )(?<!est )(?:pas de|pas un|aucun|aucune|sans|ni) (?:seul )?(?:debit|prelevement|virement|paiement|euro|centime)s?\b",
        ),
        (
            True,
            r"\b(?:j'ai|on a|nous avons|il a|elle a|ma mere a|mon pere a|j'avais|ai|g)\s(?:deja\s)?(?:paye|verse|vire|investi|depense)\b",
        ),
        (
            True,
            rf"\b(?:j'ai|on a|nous avons|il a|elle a|ma mere a|mon pere a|j'avais|ai|g)\s(?:deja\s)?(?:envoye|transfere|regle|perdu)\s{_MONEY}",
        ),
        (True, r"\b(?:j'ai|on a|nous avons|ai|g)\s(?:deja\s)?regle (?:la|les|une|des|sa|ses) factures?\b"),
        (True, r"\b(?:debite|debites|debitee|preleve|preleves|prelevement|prelevements|debit|debits)\b"),
        (
            True,
            r"\b(?:j'ai|on a|il m'a fait|elle m'a fait|ils m'ont fait|ai)\s(?:\w+\s)?(?:valide|fait|effectue|autorise|faire|effectuer|valider)\s(?:un|des|le|les|deux|trois|\d+)\s(?:\w+\s)?(?:virements?|paiements?|operations?|transferts?)\b",
        ),
        (True, r"\b(?:on m'a|ils m'ont|il m'a) (?:vole|pris|soutire|escroque|arnaque) (?:\d|de l'argent)"),
        (
            True,
            r"\b(?:il y a eu|il y a|j'ai vu|on voit) (?:un|une|des|deux|trois|plusieurs|\d+) (?:\w+ )?(?:paiements?|achats?|retraits?|virements?|operations?) (?:par carte|avec (?:ma|sa|la|notre) carte|sur (?:mon|son|le|notre) compte|que je n'ai pas fait|qu'il n'a pas fait|qu'elle n'a pas fait|sur internet|frauduleu\w*|inconnu\w*|bizarres?)",
        ),
    ],
    "details_given": [
        (False, rf"{_NEG}\s(?:\w+\s)?(?:donne|communique|transmis|saisi|tape|rempli|envoye)\b"),
        (
            True,
            r"\b(?:j'ai|on a|il a|elle a|ai)\s(?:\w+\s)?(?:donne|communique|transmis|saisi|tape|rempli|entre|valide|lu|dicte)\s(?:\w+\s)?(?:mon|mes|ma|le|les|la|son|ses|sa|tous|toutes|des)?\s?(?:\w+\s)?(?:code|codes|mot de passe|mots de passe|mdp|identifiant|identifiants|numero de carte|coordonnees bancaires|cryptogramme|cvv|carte|rib|iban|infos bancaires|informations bancaires|donnees bancaires)",
        ),
        (
            True,
            r"\b(?:il|elle|ils|le pirate|l'escroc|le faux conseiller) (?:a|ont) (?:eu |recupere |obtenu )?(?:mon|mes|ma) (?:code|codes|mot de passe|mdp|identifiants|numero de carte|coordonnees bancaires)",
        ),
    ],
    "remote_access": [
        (False, r"\b(?:pas|jamais|rien) (?:installe|pris la main|donne acces)\b"),
        (True, r"\b(?:anydesk|teamviewer|quick ?assist|assistance rapide|ultraviewer|rustdesk|supremo)\b"),
        (
            True,
            r"\b(?:pris|prend|prendre|a pris) (?:la main|le controle)\b|\bprise (?:de controle|en main) a distance\b|\bcontrole a distance\b",
        ),
    ],
    # Still going on: the harassment, the blackmail, the contact or the attack. Only clear wording: "ça continue",
    # "il recommence", "toujours en cours"; "c'est fini" alone is left to the question (it also says despair).
    "ongoing": [
        (
            True,
            r"\b(?<!est ce que )(?<!est-ce que )(?<!si )(?:ca|sa|il|elle|ils|elles|le harcelement|le chantage|l'attaque|les messages|"
            r"les menaces|les appels)"
            r" (?:continue(?:nt)?|continu|recommence(?:nt)?|a recommence|ont recommence|n'arrete(?:nt)? pas|"
            r"ne s'arrete(?:nt)? pas|arrete(?:nt)? pas|s'arrete(?:nt)? pas)\b(?!\s(?:pas|plus|jamais))|"
            r"\b(?:toujours en cours|encore en cours|en ce moment meme|continue(?:nt)? (?:de|a) (?:m'|me |nous |lui |la |le )"
            r"(?:ecrire|envoyer|harceler|menacer|appeler|contacter|insulter|relancer))",
        ),
        (
            False,
            r"\b(?:ca s'est arrete|ca a cesse|ca a arrete|(?:il|elle|ils|elles) (?:a|ont) (?:tout )?arrete(?! de | d | le | la | les | l | mon | ma | mes | son | sa )(?!.*\b(?:continue|recommence))|"
            r"(?:ce n'est|c'est|n'est) plus en cours|c'est termine maintenant)\b(?!.*\b(?:continue|recommence))",
        ),
    ],
    "minor_involved": [
        (
            False,
            r"\b(?:pas|aucun|aucune|ni|sans|personne) (?:de |d'|d'un |d'une )?(?:mineurs?|mineures?|enfants?|ados?)\b",
        ),
        (
            False,
            r"\b(?:je suis|nous sommes|on est|sommes|tous|toutes|il est|elle est) (?:tous |toutes )?(?:majeur|majeure|majeurs|majeures)\b",
        ),
        (
            True,
            r"\b(?:mon|ma|notre|mes|nos) (?:fils|fille|enfant|enfants|ado|gamin|gamine|petit-fils|petite-fille|neveu|niece)\b(?:\s(?:de|ag[ee]e? de))?\s(?:[1-9]|1[0-7])\s?ans\b",
        ),
        (True, r"\b(?:mineur|mineure|mineurs|collegien|collegienne|lyceen|lyceenne|ado|adolescent|adolescente)\b"),
        (True, r"\b(?:j'ai|il a|elle a) (?:[1-9]|1[0-7]) ans\b"),
    ],
}
_FACT_RE: Dict[str, List[Tuple[bool, Pattern[str]]]] = {
    fact: [(value, _compile(pattern)) for value, pattern in patterns] for fact, patterns in _FACT_PATTERNS.items()
}


def _entity(name: str, value: Any, match: "re.Match[str]", group: int = 0) -> Entity:
    return {"entity": name, "value": value, "start": match.start(group), "end": match.end(group)}


def _to_float(number: str) -> Optional[float]:
    cleaned = re.sub(r"[\s.](?=\d{3}\b)", "", number).replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        return None


def extract_public(folded: str) -> List[Entity]:
    # An explicit "à titre personnel" wins; otherwise a local authority is more specific than an organisation.
    for public in ("particulier", "collectivite", "entreprise"):
        for rx in _PUBLIC_RE[public]:
            match = rx.search(folded)
            if match:
                return [_entity("public", public, match)]
    return []


def extract_amounts(folded: str) -> List[Entity]:
    entities: List[Entity] = []
    for match in _AMOUNT_RE.finditer(folded):
        value = _to_float(match.group("number"))
        if value is None:
            continue
        if match.group("EUR") == "e" and value < 100 and not match.group("thousands"):
            continue  # "Paris 15e", "le 3e" are ordinals, not euros
        if match.group("thousands"):
            value *= 1000
        currency = next(c for c, _ in _CURRENCIES if match.group(c))
        entities.append(_entity("amount", value, match))
        entities.append(_entity("currency", currency, match, "currency"))
    return entities


def extract_payment_means(folded: str) -> List[Entity]:
    return [_entity("payment_means", means, m) for means, rx in _PAYMENT_RE.items() if (m := rx.search(folded))]


def extract_platforms(folded: str) -> List[Entity]:
    return [_entity("platform", name, m) for name, rx in _PLATFORM_RE if (m := rx.search(folded))]


def extract_location(folded: str, text: str = "") -> List[Entity]:
    entities: List[Entity] = []
    postal = _POSTAL_RE.search(folded)
    if postal:
        entities.append(_entity("postal_code", postal.group(1), postal, 1))
    departement = _DEPARTEMENT_RE.search(folded)
    if departement and not postal:
        entities.append(_entity("departement", departement.group(1).upper(), departement, 1))
    if not postal and not departement and text:
        entities += extract_city(folded, text)
    return entities


def extract_city(folded: str, text: str) -> List[Entity]:
    """A commune the victim clearly says they are in ("je suis à Lyon", "j'habite Brest"), from bot.geo: only
    anchored statements, since "j'ai écrit à Orange" names no place. The span covers the commune's name."""
    location = geo.locate(text, anchored_only=True)
    if location is None or location.commune is None:
        return []
    words = [w for w in re.split(r"[\s'-]+", fold_keep_length(location.commune.name).strip()) if w]
    match = re.search(r"[\s'-]+".join(re.escape(w) for w in words), folded) if words else None
    if match is None:
        return []
    return [{"entity": "city", "value": location.commune.name, "start": match.start(), "end": match.end()}]


# "C'était pas un virement, c'était par carte" (c etais, ct, c pas…): the means is corrected, money did leave.
_CORRECTED_MEANS = _compile(
    r"\bpas (?:un|de) (?:virement|paiement)s?\b.*\b(?:par|avec|en) (?:ma |la |sa )?(?:carte|cb|paypal|cheque|especes|"
    r"crypto|bitcoin|coupons?|pcs|transcash|neosurf|lydia|wero|twint)"
)


def extract_facts(folded: str) -> List[Entity]:
    """Yes/no facts; the first matching rule of each fact wins (mostly negations first, see each list)."""
    entities: List[Entity] = []
    corrected = _CORRECTED_MEANS.search(folded) is not None
    for fact, rules in _FACT_RE.items():
        for value, rx in rules:
            if corrected and fact == "money_paid" and value is False:
                continue
            match = rx.search(folded)
            if match:
                entities.append(_entity(fact, value, match))
                break
    return entities


# --- the lure, when the victim's words say how it came -------------------------------------------------------------
_LURE_RE: List[Tuple[str, Pattern[str]]] = [
    (
        "convocation",
        _compile(
            r"\b(?:convocation|convoque|convoquee|amende|infraction|pedopornograph\w*|"
            r"(?:mail|courriel|message|courrier|sms|lettre) (?:de la|du) (?:police|gendarmerie|"
            r"justice|tribunal|commissariat)|europol|interpol)\b"
        ),
    ),
    (
        "proche",
        _compile(
            r"\b(?:nouveau (?:numero|num|tel|telephone|portable)|(?:coucou|salut|bonjour) "
            r"(?:maman|papa|mamie|papi)|c'est (?:moi )?(?:ton|votre) (?:fils|fille|enfant)|"
            r"(?:mon|ma) (?:fils|fille|enfant|petit-fils|petite-fille) (?:aurait|m'aurait) (?:ecrit|envoye))\b"
        ),
    ),
]


def extract_lure(folded: str) -> List[Entity]:
    for value, rx in _LURE_RE:
        match = rx.search(folded)
        if match:
            return [_entity("lure", value, match)]
    return []


# --- who writes: a parent for their child -------------------------------------------------------------------------
_PARENT_RE = _compile(
    r"\b(?:(?<!a )(?<!de )(?<!pour )(?<!avec )(?<!chez )(?<!par )(?:mon|ma|notre|nos|mes) "
    r"(?:fils|fille|filles|enfant|enfants|ado|ados|gamin|gamine|gamins|fiston|garcon|gosse)\b"
    r"(?!\s?(?:aurait|m'aurait)\b)|je suis (?:sa|la) (?:mere|maman)\b|je suis (?:son|le) (?:pere|papa)\b)"
)


def extract_writer(folded: str) -> List[Entity]:
    """A parent writing about their child ("ma fille de 13 ans", "mon fils reçoit des menaces"). The fake relative's
    "mon fils m'aurait écrit" is the lure, not who writes."""
    match = _PARENT_RE.search(folded)
    return [_entity("writer", "parent", match)] if match else []


def extract(text: str) -> List[Entity]:
    folded = fold_keep_length(text)
    return (
        extract_public(folded)
        + extract_amounts(folded)
        + extract_payment_means(folded)
        + extract_platforms(folded)
        + extract_location(folded, text)
        + extract_facts(folded)
        + extract_lure(folded)
        + extract_writer(folded)
        + identifiers.entities(text)
    )


def fold_keep_length(text: str) -> str:
    """Like bot.text.fold, but character for character, so that spans match the original text."""
    out = []
    for char in text:
        folded = fold(char) if not (char.isspace() or char in "'\u2019\u2018`") else " "
        out.append(folded[:1] if folded else " ")
    return "".join(out)
