"""The victim's dossier: what to take to the police or gendarmerie, or to use online, built from the conversation.

Facts in order with their dates (bot/dates.py), amounts and means of payment, platforms, the offender's identifiers
(bot/identifiers.py), the evidence to keep, where and how to file, and the advice already given. Built from the
structured facts and the victim's own words redacted (bot/privacy.py): the victim's card number, passwords and
codes never reach it; the offender's IBAN, phone number or address do, since the police need them.

Rendered as a PDF by bot/dossier_pdf.py; reached through an expiring link (bot/dossier_links.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from bot import identifiers, privacy
from bot.advice import REPORT_IS_NOT_COMPLAINT, case_from_slots, seems_victim
from bot.dates import find_dates, french, local_day
from bot.taxonomy import EMERGENCY_INTENT, INCIDENT_INTENTS
from bot.text import money
from bot.vocabulary import PUBLICS

MAX_WORDS_CHARS = 600  # of each message quoted in the facts
FACT_INTENTS = set(INCIDENT_INTENTS) | {EMERGENCY_INTENT, "inform"}
FACT_ENTITIES = {"amount", "payment_means", "platform", "offender_identifier"}
IDENTIFIER_LABELS = {
    "iban": "IBAN du bénéficiaire",
    "phone": "Numéro de téléphone",
    "email": "Adresse e-mail",
    "website": "Site internet",
    "wallet": "Portefeuille de cryptomonnaie",
}
PAYMENT_LABELS = {
    "carte": "carte bancaire",
    "virement": "virement",
    "crypto": "cryptomonnaie",
    "coupon": "coupons ou cartes prépayées (PCS, Transcash…)",
    "cheque": "chèque",
    "especes": "espèces",
    "paypal": "PayPal",
    "transfert_argent": "transfert d'argent (Western Union, MoneyGram…)",
    "paiement_mobile": "paiement mobile",
}
BRING = [
    "une pièce d'identité ;",
    "ce dossier, imprimé ou sur votre téléphone ;",
    "les preuves listées ci-dessus (captures d'écran, messages, relevés bancaires) ;",
    "si de l'argent est parti : le relevé ou l'avis d'opération de votre banque, et votre RIB.",
]
PROSECUTOR = (
    "Vous pouvez aussi écrire au procureur de la République du tribunal judiciaire de votre domicile, par lettre "
    "recommandée avec avis de réception, en joignant ce dossier et vos preuves."
)
INTRO = (
    "Ce dossier reprend ce que vous avez écrit à l'assistant Cyberaide. Relisez-le, corrigez-le si besoin et "
    "complétez-le avant de le remettre. Vos numéros de carte, mots de passe et codes n'y figurent pas : ne les "
    "donnez à personne."
)


@dataclass
class Fact:
    day: str  # the day of the message, in French
    words: str  # what the victim wrote, redacted
    dates: List[Tuple[str, str]] = field(default_factory=list)  # ("hier", "mercredi 2 décembre 2026")


@dataclass
class Dossier:
    title: str
    situation: str
    prepared_on: str
    facts: List[Fact]
    money: List[str]
    platforms: List[str]
    offender: List[str]
    evidence: List[str]
    where: List[str]
    bring: List[str]
    advice: List[str]
    notes: List[str]

    def sections(self) -> List[Tuple[str, List[str]]]:
        """Headings and lines, in the order they are printed (empty sections are left out)."""
        facts = []
        for fact in self.facts:
            facts.append(f"Message du {fact.day} : « {fact.words} »")
            facts += [f"   « {said} » : {day}" for said, day in fact.dates]
        found = [
            ("Les faits, dans l'ordre", facts),
            ("Montants et moyens de paiement cités", self.money),
            ("Services et plateformes en cause", self.platforms),
            ("Identifiants de l'escroc ou de l'auteur", self.offender),
            ("Preuves (☑ gardées, ☐ encore à garder)", self.evidence),
            ("Où et comment porter plainte ou signaler", self.where),
            ("À apporter", self.bring),
            ("Conseils déjà donnés", self.advice),
            ("À savoir", self.notes),
        ]
        return [(heading, lines) for heading, lines in found if lines]

    def text(self) -> str:
        parts = [self.title, self.situation, f"Préparé le {self.prepared_on}.", INTRO]
        for heading, lines in self.sections():
            parts.append(heading + " :\n" + "\n".join(lines))
        return "\n\n".join(parts)


def _user_messages(events: Iterable[Mapping[str, Any]]) -> List[Mapping[str, Any]]:
    """The victim's messages that tell the facts: typed text (not button payloads such as "/affirm") read as an
    incident, an emergency or a fact, or holding an amount, a platform or an offender's identifier; not "oui",
    "merci" or "mon dossier"."""
    found = []
    for event in events:
        text = (event.get("text") or "").strip() if event.get("event") == "user" else ""
        if not text or text.startswith("/"):
            continue
        parse = event.get("parse_data") if isinstance(event.get("parse_data"), dict) else {}
        intent = ((parse or {}).get("intent") or {}).get("name")
        told = {e.get("entity") for e in _entities(event)} & FACT_ENTITIES
        if intent is None or intent in FACT_INTENTS or told or (intent == "nlu_fallback" and len(text.split()) >= 6):
            found.append(event)
    return found


def _entities(event: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    parse = event.get("parse_data")
    entities = parse.get("entities") if isinstance(parse, dict) else None
    return [e for e in entities or [] if isinstance(e, dict)]


def _money(events: List[Mapping[str, Any]], slots: Mapping[str, Any]) -> List[str]:
    lines, seen = [], set()
    for event in events:
        entities = _entities(event)
        currency = next((e.get("value") for e in entities if e.get("entity") == "currency"), None) or "EUR"
        means = [e.get("value") for e in entities if e.get("entity") == "payment_means"]
        day = french(local_day(float(event.get("timestamp") or 0)))
        for entity in entities:
            if entity.get("entity") != "amount" or not isinstance(entity.get("value"), (int, float)):
                continue
            line = money(entity["value"], currency)
            if means:
                line += " – " + ", ".join(PAYMENT_LABELS.get(str(m), str(m)) for m in dict.fromkeys(means))
            line += f" (cité dans votre message du {day})"
            if line not in seen:
                seen.add(line)
                lines.append(line)
    if not lines and slots.get("payment_means"):
        stated = str(slots["payment_means"])
        lines.append(f"Moyen de paiement indiqué : {PAYMENT_LABELS.get(stated, stated)}")
    if slots.get("money_paid") is True:
        lines.append("Vous avez indiqué avoir payé, ou que de l'argent a été débité de votre compte.")
    elif slots.get("money_paid") is False:
        lines.append("Vous avez indiqué ne pas avoir payé.")
    return lines


def _platforms(events: List[Mapping[str, Any]], slots: Mapping[str, Any]) -> List[str]:
    names = [str(e.get("value")) for event in events for e in _entities(event) if e.get("entity") == "platform"]
    if slots.get("platform"):
        names.append(str(slots["platform"]))
    return list(dict.fromkeys(n for n in names if n and n != "None"))


def _offender(events: Iterable[Mapping[str, Any]]) -> List[str]:
    lines = []
    for fact in identifiers.offender_facts(events):
        label = IDENTIFIER_LABELS.get(str(fact["kind"]), str(fact["kind"]))
        seen = f" (cité le {french(local_day(float(fact['first_seen'])))})" if fact.get("first_seen") else ""
        lines.append(f"{label} : {fact['value']}{seen}")
    return lines


def _evidence(items: List[str], kept: Any) -> List[str]:
    """The sheet's evidence, each marked kept or still to keep as the victim said (bot/actions/evidence.py)."""
    said = kept if isinstance(kept, dict) else {}
    marks = {"oui": "☑", "impossible": "☒"}
    lines = []
    for index, item in enumerate(items):
        answer = str(said.get(str(index)) or "")
        note = " (ne peut pas être obtenue par la victime)" if answer == "impossible" else ""
        lines.append(f"{marks.get(answer, '☐')} {item}{note}")
    return lines


def build(events: List[Mapping[str, Any]], slots: Mapping[str, Any], now: float) -> Optional["Dossier"]:
    """The dossier of a conversation (its tracker events and current slots), or None before any incident."""
    case = case_from_slots(slots)
    if case is None:
        return None
    messages = _user_messages(events)
    facts = []
    for event in messages:
        sent = float(event.get("timestamp") or now)
        words = privacy.redact(event["text"])
        if len(words) > MAX_WORDS_CHARS:
            words = words[:MAX_WORDS_CHARS].rsplit(" ", 1)[0] + " […]"
        dates = [(m.expression, french(m.day)) for m in find_dates(event["text"], sent)]
        facts.append(Fact(french(local_day(sent)), words, dates))
    public = slots.get("public")
    situation = f"Situation : {seems_victim(case.incident, case.facts)}"
    if public in PUBLICS:
        situation += f" – public : {PUBLICS[public].label}"
    given: Dict[str, Any] = slots["advice_given"] if isinstance(slots.get("advice_given"), dict) else {}
    where = case.section("complaint") + case.section("report")
    if case.reports_and_complaints:
        where.append(REPORT_IS_NOT_COMPLAINT)
    where.append(PROSECUTOR)
    return Dossier(
        title=f"Dossier de plainte – {case.sheet.title}",
        situation=situation + ".",
        prepared_on=french(local_day(now)),
        facts=facts,
        money=_money(messages, slots),
        platforms=_platforms(messages, slots),
        offender=_offender(events),
        evidence=_evidence(case.section("evidence"), slots.get("evidence_kept")),
        where=where,
        bring=BRING,
        advice=list(given.get("urgent") or case.section("urgent")),
        notes=[f"Fiche officielle : {case.sheet.source_url}"],
    )
