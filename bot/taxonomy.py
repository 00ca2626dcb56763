"""The fixed intent names of ../shared/TAXONOMY.md and the plain-French words used to talk about them.

`victim_of` completes the sentence "vous semblez être victime …" (`caught` instead once the victim gave details or
paid: it is no longer an attempt); `choice` describes the situation in the victim's words, for the buttons shown
when two incidents are equally likely; `sms` completes "Il semble que vous soyez victime …" on SMS where the
usual words need a letter outside GSM-7 ("hameçonnage", "rançongiciel"): one "ç" makes the whole first SMS UCS-2,
201 characters in 3 segments instead of 459 (channels/sms_text.py), and the advice then no longer fits in a turn.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, NamedTuple, Optional

from bot.vocabulary import PUBLIC_KEYS


class Incident(NamedTuple):
    victim_of: str
    choice: str
    caught: Optional[str] = None
    sms: Optional[str] = None


INCIDENTS: Dict[str, Incident] = {
    "hameconnage": Incident(
        "d'une tentative d'hameçonnage (phishing)",
        "J'ai reçu un message, un appel ou un lien suspect (colis, impôts, Ameli, banque…)",
        "d'un hameçonnage (phishing)",
        sms="d'une arnaque par faux message (phishing)",
    ),
    "rancongiciel": Incident(
        "d'un rançongiciel (ransomware)",
        "Mes fichiers sont chiffrés et on me demande une rançon",
        sms="d'un virus qui chiffre vos fichiers (ransomware)",
    ),
    "piratage_compte": Incident(
        "d'un piratage de compte",
        "Je n'ai plus accès à mon compte ou il a été utilisé à mon insu",
    ),
    "faux_support_technique": Incident(
        "d'une arnaque au faux support technique",
        "Un faux technicien ou un message d'alerte m'a demandé d'appeler ou de payer",
    ),
    "sextorsion": Incident(
        "d'un chantage à la webcam (sextorsion)",
        "On me menace de diffuser des images intimes si je ne paie pas",
    ),
    "arnaque_achat": Incident(
        "d'une arnaque à l'achat ou à la vente en ligne",
        "J'ai payé un achat jamais reçu, ou un faux acheteur m'a piégé",
    ),
    "fraude_carte_bancaire": Incident(
        "d'une fraude à la carte bancaire",
        "Des paiements inconnus apparaissent sur mon compte",
    ),
    "faux_conseiller_bancaire": Incident(
        "d'une fraude au faux conseiller bancaire",
        "Un faux conseiller de ma banque m'a fait valider des opérations ou donner des codes",
    ),
    "fraude_virement": Incident(
        "d'un faux ordre de virement ou d'un faux RIB",
        "Un virement est parti vers un faux RIB ou sur une fausse demande urgente",
    ),
    "cyberharcelement": Incident(
        "de cyberharcèlement",
        "Je reçois des insultes, des menaces ou des moqueries répétées en ligne",
    ),
    "usurpation_identite": Incident(
        "d'une usurpation d'identité",
        "Quelqu'un utilise mon nom, mes photos ou mes papiers",
    ),
    "escroquerie_placement": Incident(
        "d'une escroquerie au faux placement financier",
        "J'ai investi sur une plateforme et je ne peux pas récupérer mon argent",
    ),
    "arnaque_sentimentale": Incident(
        "d'une escroquerie sentimentale",
        "Une personne rencontrée en ligne me demande de l'argent",
    ),
    "logiciel_malveillant": Incident(
        "d'un virus ou logiciel malveillant",
        "Mon ordinateur ou mon téléphone se comporte bizarrement (virus, appli inconnue)",
    ),
    "violation_donnees": Incident(
        "d'une violation de données personnelles",
        "Des données personnelles ont fuité ou ont été volées",
    ),
    "deni_de_service": Incident(
        "d'une attaque en déni de service (DDoS)",
        "Notre site ou service en ligne est saturé et inaccessible",
    ),
    "defiguration": Incident(
        "d'une défiguration de site internet",
        "Les pages de notre site ont été modifiées par quelqu'un d'autre",
    ),
    "spam": Incident(
        "de spam (messages indésirables)",
        "Je reçois des messages ou des appels publicitaires indésirables",
    ),
}
INCIDENT_INTENTS = tuple(INCIDENTS)

CONVERSATION_INTENTS = (
    "emergency_danger",
    "ask_human",
    "out_of_scope",
    "greet",
    "goodbye",
    "affirm",
    "deny",
    "thank",
    "ask_prevention",
    # project additions (form answers and requests)
    "dont_know",
    "inform",
    "ask_recap",
    "request_provider",
)
EMERGENCY_INTENT = "emergency_danger"
PUBLICS = PUBLIC_KEYS  # bot/vocabulary.py


def victim_of(incident: str, facts: Mapping[str, Any]) -> str:
    """The end of "vous semblez être victime …" for what the victim said: an attempt, or an attempt that worked."""
    entry = INCIDENTS[incident]
    if entry.caught and (facts.get("details_given") is True or facts.get("money_paid") is True):
        return entry.caught
    return entry.victim_of
