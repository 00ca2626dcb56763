"""Whose identifier is it? The IBANs, phone numbers, e-mail addresses, websites and crypto wallets in a victim's
message, each with its kind, a normalised value and its owner.

`bot.privacy.redact` masks everyone's identifiers alike in whatever staff read. This module tells the offender's
(the number that called, the IBAN the victim was told to pay, the phishing mail's sender, the fake shop, the wallet
paid to, anything inside a pasted scam message) from the victim's own ("mon numéro", "mon IBAN", "mon adresse
mail"). The rule entity extractor keeps the offender's as the entity `offender_identifier` (role: the kind, value:
the normalised value) in the conversation's events, for the complaint dossier and campaign detection; retention and
erasure delete them with the events.

Owners: "offender" only on a clear French cue next to the identifier; "victim" for the victim's or a relative's;
"unknown" otherwise, and an unknown owner is never kept. Cards, codes, passwords, social security and identity
document numbers are never returned, nor official services' numbers, sites and addresses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Pattern, Tuple

from bot import knowledge, privacy
from bot.phones import e164
from bot.text import fold, normalise

ENTITY = "offender_identifier"
OFFENDER_SLOT = "offender_told"  # identifiers given in answer to the dossier's question: [{"kind", "value"}]
KINDS = ("iban", "phone", "email", "website", "wallet")
OFFENDER, VICTIM, UNKNOWN = "offender", "victim", "unknown"


@dataclass(frozen=True)
class Identifier:
    kind: str  # one of KINDS
    value: str  # IBAN without spaces, phone in E.164, e-mail in lower case, registrable domain, wallet address
    owner: str  # OFFENDER, VICTIM or UNKNOWN
    start: int  # span in the text given to `find`
    end: int


# --- official services and well-known platforms: never an offender's fact ---------------------------------------------
# A phishing site is a domain of its own ("ameli-remboursement.info"); these are the real ones victims name.
PLATFORM_DOMAINS = frozenset(
    """google.com google.fr gmail.com youtube.com facebook.com fb.com messenger.com instagram.com whatsapp.com wa.me
    t.me telegram.org snapchat.com tiktok.com x.com twitter.com linkedin.com discord.com leboncoin.fr vinted.fr
    vinted.com amazon.fr amazon.com ebay.fr ebay.com cdiscount.com fnac.com darty.com aliexpress.com temu.com
    shein.com rakuten.fr booking.com airbnb.fr airbnb.com abritel.fr blablacar.fr sncf-connect.com paypal.com
    paypal.me apple.com icloud.com microsoft.com live.com outlook.com outlook.fr hotmail.com hotmail.fr yahoo.com
    yahoo.fr orange.fr sfr.fr free.fr bouyguestelecom.fr laposte.fr laposte.net colissimo.fr chronopost.fr
    mondialrelay.fr dhl.com ups.com ameli.fr caf.fr netflix.com doctolib.fr binance.com coinbase.com
    credit-agricole.fr labanquepostale.fr societegenerale.fr lcl.fr caisse-epargne.fr banquepopulaire.fr
    creditmutuel.fr cic.fr boursorama.com boursobank.com ing.fr revolut.com n26.com lydia-app.com anydesk.com
    teamviewer.com rustdesk.com ultraviewer.net supremocontrol.com""".split()
)
# Free mailboxes anyone opens (offenders too): an address there can be the offender's, unlike one at a company.
FREE_MAIL = frozenset(
    """gmail.com outlook.com outlook.fr hotmail.com hotmail.fr live.com live.fr yahoo.com yahoo.fr icloud.com
    orange.fr wanadoo.fr sfr.fr free.fr laposte.net proton.me protonmail.com gmx.fr gmx.com aol.com mail.com
    yandex.com""".split()
)
# Link shorteners: the link, not the shortener, is the offender's ("bit.ly/3Fk9zQ").
SHORTENERS = frozenset("bit.ly tinyurl.com t.co cutt.ly is.gd rb.gy shorturl.at ow.ly tiny.cc t.ly rebrand.ly".split())
# Suffixes under which anyone registers a name: the registrable domain is one label more.
_SUFFIXES = frozenset(
    """co.uk org.uk gov.uk ac.uk com.br com.au co.jp gouv.fr asso.fr nom.fr com.tr co.za com.cn com.mx co.in qc.ca
    gc.ca co.ma com.tn co.il github.io herokuapp.com netlify.app vercel.app web.app firebaseapp.com pages.dev
    workers.dev blogspot.com wixsite.com weebly.com 000webhostapp.com ngrok.io ngrok-free.app glitch.me
    azurewebsites.net appspot.com wordpress.com webflow.io myshopify.com r2.dev""".split()
)


def registrable_domain(host: str) -> str:
    """ "secure.ameli-rembourse.net" -> "ameli-rembourse.net"; "colis-fr.web.app" stays whole (a hosted site)."""
    labels = host.lower().strip(".").split(".")
    if labels and labels[0] == "www":
        labels = labels[1:]
    keep = 3 if ".".join(labels[-2:]) in _SUFFIXES else 2
    return ".".join(labels[-keep:])


@lru_cache(maxsize=1)
def _official() -> Tuple[FrozenSet[str], FrozenSet[str]]:
    """The phone numbers (E.164) and domains of the services the assistant itself quotes (bot/knowledge)."""
    base = knowledge.load()
    numbers = [service.phone or "" for service in base.services.values()]
    urls = [str(service.url or "") for service in base.services.values()]
    urls += [str(sheet.source_url) for sheet in base.sheets.values()]
    urls += [str(entry.source_url) for entry in base.glossary.values()]
    phones = {e164(number[a:b]) for number in numbers for a, b in privacy.phone_spans(number)}
    domains = {registrable_domain(m.group("host")) for url in urls if (m := _URL.search(url)) and m.group("host")}
    return frozenset(p for p in phones if p), frozenset(domains)


def official_domain(domain: str) -> bool:
    return domain.endswith(".gouv.fr") or domain == "gouv.fr" or domain in _official()[1]


# --- candidates -------------------------------------------------------------------------------------------------------
_TLDS = (
    "com|fr|net|org|info|biz|eu|be|ch|lu|ca|io|uk|nl|pt|pl|ro|ru|cn|us|tv|cc|ws|app|dev|shop|store|online|site|"
    "website|xyz|top|club|live|vip|icu|buzz|click|link|space|tech|pro|fun|sbs|cfd|bond|lol|cyou|ltd|cam|life|world|"
    "today|win|loan|work|email|support|help|services|digital|finance|money|trade|market|monster|rest|quest|one|asia|"
    "mobi|tk|ml|ga|cf|gq|pw|su|ci|sn|cm|tn|dz|gp|mq|nc|pf|ly|gd|gy|at|ai|to"
)
_URL = re.compile(
    r"\b(?:https?|hxxps?)://(?:[^\s/@«»\"<>]+@)?(?P<host>[^\s/:?#«»\"<>,;)]+)"
    r"|(?<![\w.@/-])(?P<www>www\.[^\s/:?#«»\"<>,;)]+)"
    rf"|(?<![\w.@/-])(?P<bare>(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+(?:{_TLDS}))(?![\w-]|@|\.[a-z0-9])",
    re.IGNORECASE,
)
_PATH = re.compile(r"/([\w-]{1,32})")
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,24}|\d{1,3}(?:\.\d{1,3}){3}")


def _websites(text: str) -> Iterable[Tuple[str, int, int]]:
    for match in _URL.finditer(text):
        group = "host" if match.group("host") else "www" if match.group("www") else "bare"
        host = match.group(group).rstrip(".").lower()
        if not _HOST.fullmatch(host):
            continue
        domain = registrable_domain(host)
        start, end = match.start(group), match.start(group) + len(host)
        if group == "bare" and len(domain.split(".")[0]) < 3 and domain not in SHORTENERS:
            continue  # "le.site", "c.fr": typos more often than domains
        if group == "bare" and re.search(r"[/=%?&]", text[text.rfind(" ", 0, start) + 1 : start]):
            continue  # inside a link's path or query ("…&login=jean%40orange.fr")
        if domain in SHORTENERS and (path := _PATH.match(text, end)):
            yield f"{domain}/{path.group(1)}", start, path.end()
        elif domain not in PLATFORM_DOMAINS and not official_domain(domain):
            yield domain, start, end


def _inside_number(text: str, start: int, end: int) -> bool:
    """Part of a longer number written with dashes, dots or slashes ("1-62-01-33-063-045-19")."""
    return bool(re.search(r"\d[-./]$", text[max(0, start - 2) : start]) or re.match(r"[-./]\d", text[end : end + 2]))


def _candidates(text: str) -> List[Tuple[str, str, int, int]]:
    """(kind, value, start, end) of every identifier in `text` (normalised), in order, none overlapping."""
    found: List[Tuple[str, str, int, int]] = []

    def free(start: int, end: int) -> bool:
        return not any(s < end and start < e for _, _, s, e in found)

    for start, end in privacy.wallet_spans(text):
        found.append(("wallet", privacy.wallet_address(text[start:end]) or "", start, end))
    for start, end in privacy.email_spans(text):
        address = text[start:end].lower()
        domain = address.rpartition("@")[2]
        company = domain in PLATFORM_DOMAINS and domain not in FREE_MAIL  # "service.client@fnac.com"
        if free(start, end) and address not in privacy.OFFICIAL_EMAILS and not official_domain(domain) and not company:
            found.append(("email", address, start, end))
    emails = [(s, e) for kind, _, s, e in found if kind == "email"]
    for value, start, end in _websites(text):
        if free(start, end) and not any(s <= start < e for s, e in emails):
            found.append(("website", value, start, end))
    # An IBAN of a real country ("le 0033 6…" passes mod 97 now and then: redact masks it anyway).
    ibans = [(s, e) for s, e in privacy.iban_spans(text) if text[s : s + 2].upper() in privacy.IBAN_LENGTHS]
    for start, end in ibans:
        if free(start, end):
            found.append(("iban", re.sub(r"[^0-9A-Za-z]", "", text[start:end]).upper(), start, end))
    # The victim's secrets: never an identifier, even when a phone pattern matches inside them.
    blanked = "".join("X" if any(s <= i < e for s, e in ibans) else c for i, c in enumerate(text)) if ibans else text
    secrets = privacy.card_spans(blanked) + privacy.nir_spans(blanked)
    officials = _official()[0]
    for start, end in privacy.phone_spans(text):
        if not free(start, end) or any(s < end and start < e for s, e in secrets) or _inside_number(text, start, end):
            continue
        written = re.sub(r"\(0\)", "", text[start:end])
        digits = re.sub(r"\D", "", written)
        number = e164(written) or (e164("+" + digits) if written[0] not in "+0" else None)
        if number and number not in officials:
            found.append(("phone", number, start, end))
    return sorted(found, key=lambda item: item[2])


# --- the cues around an identifier ------------------------------------------------------------------------------------
def _c(pattern: str) -> Pattern[str]:
    """Cues read folded text in which apostrophes are spaces: "m'a", "m a" and "ma" all match "m'a"."""
    return re.compile(pattern.replace("'", r"\s?"))


# Words that may stand between a cue and the identifier ("virer sur le compte sécurisé : FR76…").
_GLUE = (
    r"(?:\s*(?:[:=(«»\"“”<>,-]|le|la|l|les|un|une|ce|cet|cette|ces|au|du|des|de|d|en|numero|num|n°|no|tel|telephone|"
    r"portable|mobile|fixe|iban|rib|compte|comptes|adresse|mail|e-mail|email|courriel|site|lien|url|page|wallet|"
    r"portefeuille|suivant|suivante|suivantes|ci-dessous|securise|bancaire|bitcoin|btc|crypto|usdt|eth|ethereum|trc20|"
    r"erc20|whatsapp|telegram|signal|sms|internet|web|officiel|est|c'est|cest|c|etait|c'etait|cetait|ceci|ca|hier|"
    r"wa\.me/|https?://|www\.))*\s*$"
)
# Who the offender is in the victim's words (a counterpart on a marketplace is one).
_OFFENDER_NOUN = (
    r"(?:escroc\w*|arnaqu\w*|fraudeu\w*|pirate\w*|hacker\w*|brouteu\w*|maitre.chanteu\w*|usurpat\w*|faux|fausse|"
    r"soi.?disant|soit.disant|pretendu\w*|impost\w*|malfrat\w*|voleu\w*|criminel\w*|mec|type|gars|individu|"
    r"inconnu\w*|vendeu\w*|acheteu\w*|proprio\w*|bailleu\w*|recruteu\w*|beneficiaire)"
)
_OFFENDER_NOUN_RE = _c(rf"\b{_OFFENDER_NOUN}\b")
_POSSESSIVE = r"(?:mon|ma|mes|mn|notre|nos|son|sa|ses|leur|leurs)"
# Someone known to the victim: what they write or give is theirs, not an offender's.
_PEOPLE = (
    r"(?:mere|maman|pere|papa|fille|fils|frere|soeur|mari|femme|epou\w*|conjoint\w*|compagn\w*|copain|copine|ami|"
    r"amie|amis|collegue\w*|voisin\w*|patron\w*|tante|oncle|cousin\w*|grand.?mere|grand.?pere|mamie|mamy|papi|"
    r"papy|neveu|niece|enfant\w*|parents|banque|conseill\w*|assureur|operateur|employeur|avocat\w*|notaire|medecin|"
    r"comptable|secretaire|client\w*|fournisseur\w*|entreprise|societe|mairie|commune|association|asso|cabinet)"
)
_KNOWN = _c(rf"\b(?:{_POSSESSIVE}|la|le|l')\s(?:\w+\s)?{_PEOPLE}\b")

# The victim's own: a possessive a few words before ("mon numéro de portable est …", "ma fille au …"), when what
# it possesses holds identifiers or is a person ("mes cryptos", "ma carte d'identité à …" are not).
_ADJACENT_POSSESSIVE = _c(rf"\b(?P<who>{_POSSESSIVE})\s(?P<rest>(?:[^\s§]+\s){{0,3}}?[^\s§]*)\s*$")
_HOLDER = _c(
    r"(?:(?:nouveau|nouvel|nouvelle|ancien|ancienne|propre|vrai|vraie|autre|seul|seule|deuxieme|second|seconde|"
    r"premier|premiere|perso|pro|unique|vieux|vieille|petit|petite)\s)?(?:numero|num|no|n°|tel|telephone|portable|"
    r"mobile|fixe|gsm|natel|cell|cellulaire|ligne|iban|rib|compte|comptes|adresse|adresses|mail|mails|e-mail|email|"
    r"courriel|boite|messagerie|site|blog|boutique|wallet|portefeuille|identifiant|login|profil|whatsapp|telegram|"
    rf"contact|coordonnees|carte|cb|livret|{_PEOPLE})\b"
)
_FIRST_PERSON = frozenset(("mon", "ma", "mes", "mn", "notre", "nos"))
_ENDS_WITH_DESTINATION = re.compile(r"\b(?:a|vers|chez|pour|sur)\s*[:«\"]?\s*$")
_GIVER = _c(
    r"(?P<verb>(?:m'a|m'ont|mont|nous a|nous ont|m'avait)\s(?:\w+\s)?(?:donne|envoye|transmis|communique|fourni|"
    r"indique|dicte|file|laisse|ecrit|mis|partage|passe))\s(?:\w+\s)?$"
)
_VICTIM_CUES = [
    # "je lui ai donné 06…", "j'ai tapé mon IBAN"
    _c(
        r"\b(?:je\s(?:lui |leur |les |l' ?|vous |en )?(?:ai|avais)|j'\s?(?:ai|avais)|jai|javais|on\s(?:lui |leur )?a|"
        r"nous\s(?:lui |leur )?avons)\s(?:\w+\s)?(?:donne|envoye|"
        r"transmis|communique|dicte|lu|ecrit|mis|tape|rempli|saisi|indique|laisse|fourni|renseigne|inscrit|copie)"
        rf"(?:\s(?:mon|ma|mes|notre|le|la|l'|les))?{_GLUE}"
    ),
    # "vous pouvez me rappeler au …", "rappelez-moi au …", "joignable au …"
    _c(
        r"\b(?:me|m')\s?(?:rappeler|joindre|contacter|recontacter|appeler|ecrire|repondre|envoyer|rappelez|"
        rf"appelez|contactez|ecrivez)\b(?:\s\w+)?{_GLUE}"
    ),
    _c(rf"\b(?:rappelez|appelez|contactez|ecrivez|envoyez)[\s-](?:moi|nous)\b{_GLUE}"),
    _c(rf"\b(?:joignable|joignables|disponible|dispo)\b(?:\s\w+)?{_GLUE}"),
    # "le mail était adressé à …": its recipient
    _c(rf"\b(?:adresse|adressee|destine|destinee|(?:etait|est|a ete) envoye\w*)\s(?:a|au|pour)\b{_GLUE}"),
    # a login, a password, a code: the victim's secrets
    _c(rf"\b(?:identifiant|identifiants|login|user|username|mot de passe|mdp|code|pin)\b{_GLUE}"),
    # "des prélèvements sur …", "débité de …": the victim's account
    _c(rf"\b(?:prelev\w*|debit\w*)\b(?:\s\w+){{0,3}}?\s(?:sur|de)\b{_GLUE}"),
]
# Verbs after "ma" when it is "m'a" typed without its apostrophe ("le 06… ma appelé").
_VERB = (
    r"(?:appel|rappel|ecri|dit|demand|envoy|donn|fai|contact|harcel|propos|expliqu|conseill|menac|vol|arnaqu|escroqu|"
    r"pris|mis|laiss|relanc|bloqu|text|repond|transfer|indiqu|fourni|communiqu|transmis|oblig|forc|pouss|fil|pass|"
    r"soutir|extorqu|insult|raccroch|parl|rassur|promi|convainc|spam)"
)
_AFTER_VICTIM = [
    _c(r"^\W*(?:\(\s*)?(?:c'est|cest|c|qui est|est|etait)?\s?(?:le |la )?(?:mien|mienne|le mien|la mienne)\b"),
    _c(r"^\W*(?:\(\s*)?(?:c'est|cest|c|qui est|est|etait)\s(?:le |la )?(?:mon|ma|notre|celui de|celle de)\b"),
    _c(r"^\W*(?:de|du compte de|appartenant a|au nom de|a)\s(?:mon|ma|mes|notre|nos|moi)\b"),
    # "… (ma soeur)", "… mon fixe"; not "… ma appelé" (m'a)
    _c(rf"^(?:\(\s*(?:\w+\s){{0,3}}?)?(?:mon|ma(?!\s{_VERB})|mes|notre|nos)\s"),
    _c(
        r"^\W*(?:a ete|a|est|ont ete|s'est fait|se fait|avait ete|etait)\s(?:\w+\s)?(?:pirat|hack|usurp|compromis|vol|"
        r"bloqu|suspend|clon|vide|pirat|detourn|ferm)"
    ),
]
_AFTER_OFFENDER = [
    _c(
        r"^\W*(?:qui\s)?(?:m'a|m'ont|mas|nous a|nous ont|lui a|les a|l'a|a|ont|m'avait|me|m')\s?(?:\w+\s)?(?:appel|"
        r"ecrit|contact|envoy|text|harcel|relanc|rappel|spam|menac|arnaqu|escroqu|sollicit|laiss\w* un)"
    ),
    _c(r"^\W*(?:m'appel|m'ecri|m'envoi|m'harcel|me harcel|appelle|envoie|harcele|spamme|insiste|me relance)"),
    _c(
        r"^\W*(?:il|elle|ils|qui)?\s?(?:s'est presente|se presente|se faisait passer|se fait passer|se disait|se dit|"
        r"pretend|pretendait|se faisant passer|disait etre|dit etre)"
    ),
]
# Sending a message to someone is not paying them ("j'ai envoyé un sms au …", "un mail à …").
_NOT_A_MESSAGE = r"(?!(?:sms|message|messages|mail|mails|texto|courriel|e-mail|reclamation|plainte|signalement)\b)"
_PAY = (
    r"(?:virer|vire|virez|virement|virements|verser|verse|versez|versement|payer|paye|payez|payee|paie|envoyer|envoye|"
    r"envoyez|envoie|transferer|transfere|transferez|transfert|deposer|depose|deposez|regler|regle|reglez|mettre|"
    r"mis|placer|place|investi\w*|convertir)"
)
# "X m'a appelé/écrit depuis …": the identifier is X's (see `_sender_owner`).
_SENDER = _c(
    r"(?P<verb>(?:(?:m'a|m'ont|mont|m'avait|mavait|nous a|nous ont|lui a|me|m'|l'a|les a|l'ont)\s?(?:\w+\s)?)?"
    r"(?:appele\w*|appelait|appelle|rappele\w*|rappelait|rappelle|ecrit|ecrivait|ecris|contacte\w*|contactait|texte|"
    r"harcel\w*|relance\w*|joint|telephone|telephonait|envoye un (?:sms|mail|message|texto|courriel)))"
    r"\s(?:\w+\s){0,3}?(?:du|de|depuis|avec|via|par|sur|d')\s?"
    rf"(?:le\s|la\s|l'\s?|un\s|ce\s|son\s|sa\s|cette\s)?{_GLUE}"
)
# What fraud looks like whoever sent it (a known supplier's hacked mailbox sends "un nouvel IBAN" too).
_STRONG_CUES: Dict[str, List[Pattern[str]]] = {
    "iban": [
        _c(
            r"\b(?:compte\s(?:\w+\s)?securise|nouvel?\s(?:iban|rib|compte)|nouvelles?\scoordonnees(?:\sbancaires)?|"
            r"changement\sde\s(?:rib|iban|coordonnees(?:\sbancaires)?|compte)|beneficiaire)"
            rf"(?:\s\w+){{0,2}}?{_GLUE}"
        ),
    ],
    "email": [_c(rf"\b(?:expediteur|expedie par|envoye par|provenant de|reply.to){_GLUE}")],
    "wallet": [
        _c(
            r"\badresse\s(?:bitcoin|btc|crypto|usdt|eth|ethereum|tron|trc20|erc20|de depot|du wallet|de portefeuille|"
            r"de paiement|de reception|wallet)(?:\s\S+){0,2}?\s(?:ou|sur laquelle|a laquelle|que|qu'|donnee|indiquee|"
            r"fournie|communiquee|suivante)\b[^§]{0,40}$"
        ),
    ],
}
_OFFENDER_CUES: Dict[str, List[Pattern[str]]] = {
    "any": [
        # "l'adresse où j'ai envoyé mes cryptos : …", "le compte sur lequel j'ai viré : …", "le site où j'ai commandé"
        _c(
            r"\b(?:adresse|compte|numero|iban|rib|wallet|portefeuille|site|lien|plateforme)\s(?:\w+\s)?"
            r"(?:ou|sur lequel|"
            r"sur laquelle|auquel|a laquelle|vers lequel|vers laquelle)\s(?:\w+\s){0,3}?(?:"
            rf"{_PAY}|commande\w*|achete\w*|inscrit\w*|connecte\w*|clique\w*)\b[^§]{{0,40}}$"
        ),
        # "sms du …", "appel de …", "mail reçu de …"
        _c(
            r"\b(?:appels?|sms|texto|textos|message|messages|msg|mail|mails|e-mail|courriel|vocal|notification|"
            r"whatsapp|coups? de fil|demandes?|spam)\s(?:\w+\s){0,3}?(?:du|de|depuis|venant du|venant de|provenant du|"
            rf"provenant de|de la part du|de la part de|emis par|envoye par|expedie par|par le|par)\b{_GLUE}"
        ),
        # "le numéro qui m'a appelé c'est …"
        _c(
            r"\b(?:numero|num|tel|adresse|mail|compte)\s(?:\w+\s){0,2}?(?:qui|dont|avec lequel|avec laquelle)\s"
            r"(?:m'a|ma|m a|nous a|a|m'|on m'a|il m'a|ils m'ont)\s?(?:\w+\s)?(?:appel\w*|contact\w*|ecrit|envoy\w*|"
            rf"harcel\w*|texte|laiss\w*|arnaqu\w*|escroqu\w*)(?:\s\w+){{0,2}}?{_GLUE}"
        ),
        # "le numéro de l'escroc", "l'IBAN du faux conseiller", "l'adresse du vendeur"
        _c(rf"\b(?:de l'|du|de la|des|de ce|de cet|de cette)\s?(?:\w+\s)?{_OFFENDER_NOUN}(?:\s\w+){{0,2}}?{_GLUE}"),
        # "au mec du …", "l'acheteur au …"
        _c(rf"\b{_OFFENDER_NOUN}\s(?:du|au|avec le|sur le|sur son)\b{_GLUE}"),
        # "X m'a donné son IBAN / un numéro": see `_sender_owner`
        _c(
            r"(?P<verb>(?:m'a|m'ont|mont|nous a|nous ont|m'avait)\s(?:\w+\s)?(?:donne|envoye|transmis|communique|"
            r"fourni|indique|dicte|file|laisse|ecrit|partage|passe))\s(?:un|une|le|la|son|sa|ses|ce|cet|cette|leur|l'|"
            rf"les|des)?\s?(?:\w+\s)?{_GLUE}"
        ),
        # "il m'a dit de le rappeler au …", "veut que je lui écrive sur WhatsApp au …"
        _c(
            r"\b(?:dit|demande|demandait|disait|conseille|ordonne|oblige|force|pousse|fait|incite|explique|indique|"
            r"propose|voulait|veut|voulaient|veulent|faut|fallait|devais|dois|doit|invite|priait|prie)\s"
            r"(?:\w+\s){0,5}?(?:rappeler|rappelle|appeler|appelle|contacter|contacte|ecrire|ecrive|ecris|joindre|"
            r"ajouter|rajouter|continuer|discuter|parler|composer|envoyer|envoye|virer|vire|verser|verse|payer|paye|"
            r"transferer|deposer|regler|mettre)\s(?:\w+\s){0,5}?(?:au|le|sur|a|vers|chez)\b"
            rf"{_GLUE}"
        ),
        # in a message quoted or left: "appelez le …", "rappelez au plus vite le …"
        _c(
            r"\b(?:message|vocal|sms|texto|mail|disait|dit|ecrit|indiquait|affich\w*|pop.?up|fenetre|ecran|annonce)\b"
            r"[^§]{0,60}\b(?:rappelez|appelez|contactez|composez|joignez|d'appeler|de rappeler|de contacter|"
            rf"de composer|de joindre)\s(?:\w+\s){{0,3}}?(?:le|au)\b{_GLUE}"
        ),
        # a pay or send verb, then where to: "virer 2500 euros sur …", "payé le loyer sur …"
        _c(rf"\b{_PAY}\s(?:{_NOT_A_MESSAGE}[^\s]+\s){{0,7}}?(?:sur|vers|a|au|chez|pour|a destination d\w*)\b{_GLUE}"),
    ],
    "email": [
        _c(rf"\b(?:de la part de|repondre a){_GLUE}"),
        _c(
            r"\b(?:envoye|envoyer|envoyez|transmettre|transmis|renvoyer)\s"
            rf"(?:{_NOT_A_MESSAGE}[^\s§]+\s){{0,6}}?(?:a|au)\b{_GLUE}"
        ),
    ],
    "website": [
        _c(
            r"\b(?:site|sites|lien|liens|url|plateforme|boutique)\b"
            rf"(?!\s(?:officiel|de la mairie|de la commune|du gouvernement))(?:\s[^\s§]+){{0,4}}?{_GLUE}"
        ),
        _c(
            r"\b(?:commande\w*|achete\w*|acheter|paye\w*|payer|reglez|regler|inscrit\w*|connecte\w*|rendu\w*|alle\w*|"
            r"clique\w*|cliquer|redirig\w*|ouvert|visite\w*|trouve\w*|tombe\w*|telecharge\w*)\s(?:[^\s§]+\s){0,5}?"
            rf"(?:sur|via|a|vers|chez|depuis)\b{_GLUE}"
        ),
    ],
    "phone": [],
    "iban": [],
    "wallet": [],
}
# Legitimate services that a scam imitates ("un faux mail qui imitait boulanger.com"), and sites the victim looked
# things up on ("j'ai vérifié sur signal-arnaques.com").
_IMITATED = _c(rf"\b(?:imit\w*|ressembl\w*|copie de|se faisant passer pour|au nom de|logo de|officiel){_GLUE}")
_CONSULTED = _c(
    r"\b(?:verifi\w*|regard\w*|vu|lu|cherch\w*|consult\w*|signal\w*|recherch\w*|avis|renseign\w*)\b[^§]{0,30}$"
)
# A message quoted by the victim: what is inside is the sender's.
_QUOTES = {"«": "»", "“": "”", '"': '"'}
_PASTED = _c(
    r"\b(?:recu|recois|reception|sms|texto|message|messages|mail|courriel|e-mail|ecrit|envoye|dit|disait|dis|"
    r"copie|colle|voici|voila|ca|ceci|suivant|vocal|notification|lettre|courrier|annonce|pop.?up|fenetre|affiche|"
    r"transfere|transmis)\b"
)
_HEADER_FROM = _c(r"^\s*(?:de|from|exp|expediteur|envoye par|sender|reply-to|repondre a)\s*:")
_HEADER_TO = _c(r"^\s*(?:a|to|pour|destinataire|cc|cci)\s*:")
_BOUNDARY = re.compile(r"[.!?;](?=\s)|\n")
_YOURS = _c(r"\b(?:votre|vos|ton|tes)\s(?:[^\s§]+\s){0,3}?[^\s§]*\s*$")
_TO_VICTIM = _c(r"(?:m'|me\s|nous\s(?:a|ont|avait)\b)")
_FIRST_PERSON_SUBJECT = _c(r"\b(?:je|j'|jai|on|nous)\s?(?:l'|les|lui|leur|vous|t'|te|y)?\s?(?:ai|avons|a|avais)?\s*$")


def _folded(text: str) -> str:
    return re.sub(r"\s+", " ", fold(text).replace("'", " ")).strip()


def _quoted(masked: str, at: int) -> Optional[int]:
    """Where the quotation that holds position `at` opens, if there is one."""
    best: Optional[int] = None
    for opening, closing in _QUOTES.items():
        if opening == closing:
            if masked.count(opening, 0, at) % 2 == 1 and opening in masked[at:]:
                best = max(best or -1, masked.rfind(opening, 0, at))
        else:
            start = masked.rfind(opening, 0, at)
            if start >= 0 and masked.rfind(closing, start, at) < 0:
                best = max(best or -1, start)
    return best


def _sender_owner(clause: str, match: "re.Match[str]") -> str:
    """Whose is what "X m'a appelé depuis", "X m'a donné" names: X's. The victim's when the victim is X ("j'ai
    appelé du …"), unknown when X is someone they know, the offender's otherwise."""
    before = clause[: match.start("verb")]
    if re.search(r"\b(?:ete|etais|etait|suis)\s*$", before):
        return OFFENDER  # "j'ai été appelée depuis …"
    if not _TO_VICTIM.match(match.group("verb")) and _FIRST_PERSON_SUBJECT.search(before):
        return UNKNOWN  # "j'ai appelé du …", "je l'ai appelé au …"; but "on m'a appelé du …" is someone else
    if _KNOWN.search(before) and not _OFFENDER_NOUN_RE.search(before):
        return UNKNOWN
    return OFFENDER


def _owner(kind: str, masked: str, at: int) -> str:
    """The owner of the identifier replaced by "§" at `at` in `masked` (every identifier of the text is a "§")."""
    line = masked[masked.rfind("\n", 0, at) + 1 : at]
    if _HEADER_FROM.search(_folded(line)):
        return OFFENDER
    if _HEADER_TO.search(_folded(line)):
        return VICTIM
    quote = _quoted(masked, at)
    if quote is not None and at - quote >= 2 and _PASTED.search(_folded(masked[max(0, quote - 100) : quote])):
        return VICTIM if _YOURS.search(_folded(masked[quote + 1 : at])) else OFFENDER
    starts = [m.end() for m in _BOUNDARY.finditer(masked, max(0, at - 160), at)]
    clause = _folded(masked[starts[-1] if starts else max(0, at - 160) : at])
    ends = [m.start() for m in _BOUNDARY.finditer(masked, at + 1, at + 80)]
    after = _folded(masked[at + 1 : ends[0] if ends else at + 80])
    if any(cue.search(after) for cue in _AFTER_VICTIM):
        return VICTIM
    adjacent = _ADJACENT_POSSESSIVE.search(clause)
    if adjacent and _HOLDER.match(adjacent.group("rest")) and not _ENDS_WITH_DESTINATION.search(clause):
        rest = adjacent.group("rest")
        if not _SENDER.search(rest) and not any(cue.search(rest) for cue in _OFFENDER_CUES["any"]):
            if adjacent.group("who") in _FIRST_PERSON:
                return VICTIM
            giver = _GIVER.search(clause[: adjacent.start()])
            return _sender_owner(clause, giver) if giver else UNKNOWN
    if any(cue.search(after) for cue in _AFTER_OFFENDER):
        return OFFENDER
    if any(cue.search(clause) for cue in _VICTIM_CUES):
        return VICTIM
    if kind == "website" and (_IMITATED.search(clause) or _CONSULTED.search(clause)):
        return UNKNOWN
    if any(cue.search(clause) for cue in _STRONG_CUES.get(kind, ())):
        return OFFENDER  # "un nouvel IBAN", "l'adresse bitcoin où j'ai payé", whoever sent it
    sender = _SENDER.search(clause)
    if sender:
        return _sender_owner(clause, sender)
    for cue in _OFFENDER_CUES["any"] + _OFFENDER_CUES[kind]:
        match = cue.search(clause)
        if match:
            return _sender_owner(clause, match) if "verb" in cue.groupindex and match.group("verb") else OFFENDER
    return UNKNOWN


# --- the API ----------------------------------------------------------------------------------------------------------
# Most messages hold no identifier: it takes a digit, an "@", a dot before a letter or a TRON address (maybe digitless).
_MAYBE = re.compile(r"[\d@]|\.[A-Za-z]|T[1-9A-HJ-NP-Za-km-z]{33}")


def find(text: str) -> List[Identifier]:
    """Every identifier of `text` with its owner; spans refer to `text` as given."""
    if not text or not _MAYBE.search(text):
        return []
    work, offsets = _normalised(text)
    candidates = _candidates(work)
    # Each identifier becomes "§" in the text its owner is read from: cues never reach across another identifier.
    pieces: List[str] = []
    markers: List[int] = []
    last = length = 0
    for _, _, start, end in candidates:
        pieces += [work[last:start], "§"]
        length += start - last
        markers.append(length)
        length += 1
        last = end
    masked = "".join(pieces) + work[last:]
    return [
        Identifier(kind, value, _owner(kind, masked, marker), offsets[start], offsets[end])
        for (kind, value, start, end), marker in zip(candidates, markers)
    ]


def offender_identifiers(text: str) -> List[Identifier]:
    return [identifier for identifier in find(text) if identifier.owner == OFFENDER]


def _normalised(text: str) -> Tuple[str, List[int]]:
    """bot.text.normalise(text), and for each of its positions (and its end) the position in `text`."""
    whole = normalise(text)
    if len(whole) == len(text):
        return whole, list(range(len(text) + 1))
    pieces, offsets = [], []
    for index, char in enumerate(text):
        piece = normalise(char)
        pieces.append(piece)
        offsets += [index] * len(piece)
    offsets.append(len(text))
    return "".join(pieces), offsets


_WELL_FORMED = {
    "phone": lambda v: bool(re.fullmatch(r"\+[1-9]\d{6,14}", v)) and e164(v) == v,
    "iban": lambda v: v == v.upper() and privacy.iban_valid(v),
    "email": lambda v: v == v.lower() and bool(privacy.email_spans(v) == [(0, len(v))]),
    "website": lambda v: bool(re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,24}(?:/[\w-]{1,32})?", v)),
    "wallet": lambda v: privacy.wallet_address(v) == v,
}


def well_formed(kind: Any, value: Any) -> bool:
    """True for a value `find` could have produced for that kind (what the event redaction keeps)."""
    check = _WELL_FORMED.get(kind) if isinstance(kind, str) else None
    return bool(check and isinstance(value, str) and check(value))


def entities(text: str) -> List[Dict[str, Any]]:
    """The offender's identifiers as Rasa entities: `offender_identifier`, role = kind, value = normalised value."""
    return [
        {"entity": ENTITY, "role": i.kind, "value": i.value, "start": i.start, "end": i.end}
        for i in offender_identifiers(text)
    ]


def offender_facts(events: Iterable[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """The offender identifiers a conversation holds, from its tracker events (dicts, as Rasa serialises them):
    [{"kind", "value", "first_seen"}], one per kind and value, in the order they were first seen. Besides the
    entities, the slot OFFENDER_SLOT holds those given in answer to the dossier's question (bot/actions/dossier.py),
    which carry no cue of their own ("c'était le 01 84 88 12 34")."""
    facts: Dict[Tuple[str, str], Dict[str, Any]] = {}
    for event in events:
        if event.get("event") == "slot" and event.get("name") == OFFENDER_SLOT:
            for told in event.get("value") or [] if isinstance(event.get("value"), list) else []:
                kind, value = (told.get("kind"), told.get("value")) if isinstance(told, dict) else (None, None)
                if well_formed(kind, value) and (str(kind), str(value)) not in facts:
                    facts[(str(kind), str(value))] = {
                        "kind": kind,
                        "value": value,
                        "first_seen": event.get("timestamp"),
                    }
            continue
        parse = event.get("parse_data") if event.get("event") == "user" else None
        for entity in (parse or {}).get("entities") or [] if isinstance(parse, dict) else []:
            if not isinstance(entity, dict) or entity.get("entity") != ENTITY:
                continue
            kind, value = entity.get("role"), entity.get("value")
            if well_formed(kind, value) and (str(kind), str(value)) not in facts:
                facts[(str(kind), str(value))] = {"kind": kind, "value": value, "first_seen": event.get("timestamp")}
    return sorted(facts.values(), key=lambda fact: fact["first_seen"] or 0)
