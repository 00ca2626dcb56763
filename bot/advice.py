"""From the diagnosed incident and the facts collected to the personalised advice and the recap.

The same `Case` feeds the victim's advice messages, the "récapitulatif" and the summary handed to a human operator,
so what the operator reads is exactly what the victim was told.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from bot import knowledge
from bot.knowledge.models import Advice, Sheet
from bot.taxonomy import INCIDENTS, victim_of
from bot.text import fold, money
from bot.vocabulary import FACT_KEYS, FACT_LABELS, PUBLICS

UNKNOWN = "inconnu"  # slot value of a skipped question or "je ne sais pas"

REPORT_IS_NOT_COMPLAINT = (
    "Attention : un signalement n'est pas une plainte. Le signalement alerte les autorités ou la plateforme ; "
    "seule la plainte ouvre une procédure et permet, par exemple, d'obtenir un remboursement ou une indemnisation."
)
# The same hard rule in a few words, for SMS where every segment counts.
REPORT_IS_NOT_COMPLAINT_SHORT = (
    "Attention : un signalement n'est pas une plainte ; seule la plainte ouvre une procédure."
)
BANK_SERVICE = "opposition_bancaire"
SMS_URGENT = 3  # urgent actions in the essentials of the SMS advice; the others wait for SUITE


def facts_from_slots(slots: Mapping[str, Any]) -> Dict[str, Any]:
    """The facts of the qualification form, with unknown answers as None (see knowledge.matches)."""
    facts: Dict[str, Any] = {}
    for key in FACT_KEYS:
        value = slots.get(key)
        facts[key] = None if value in (None, UNKNOWN, "") else value
    return facts


def speaks_to_parent(incident: str, facts: Mapping[str, Any]) -> bool:
    """A parent writes about their minor child, in an incident that happens to children (its sheet has a summary for
    parents): "votre enfant semble être victime". A parent who bought a console for their son on a fake shop is the
    victim themselves."""
    sheet = knowledge.load().sheets.get(incident)
    return (
        bool(sheet and sheet.parent_summary) and facts.get("writer") == "parent" and facts.get("minor_involved") is True
    )


def seems_victim(incident: str, facts: Mapping[str, Any]) -> str:
    """The diagnosis: "vous semblez être victime de …" or, for a parent, "votre enfant semble être victime de …"."""
    who = "votre enfant semble" if speaks_to_parent(incident, facts) else "vous semblez"
    return f"{who} être victime {victim_of(incident, facts)}"


def summary(sheet: Sheet, facts: Mapping[str, Any]) -> str:
    return (sheet.parent_summary if speaks_to_parent(sheet.intent, facts) else None) or sheet.summary


def is_bank_step(advice: Advice) -> bool:
    """Advice to call the bank (opposition, rappel de fonds, contest a payment)."""
    if advice.service == BANK_SERVICE:
        return True
    return advice.when.get("money_paid") is True and "banque" in fold(advice.text)


def _protects_a_person(advice: Advice) -> bool:
    """Emergency numbers and the protection of a minor stay ahead of everything, the bank included."""
    return advice.service == "police_secours" or advice.when.get("minor_involved") is True


# Which means of payment a bank step is about, from its words: a card opposition does not stop a transfer.
_STEP_MEANS = (("virement", re.compile(r"\bvirement")), ("carte", re.compile(r"\bcarte|\bopposition")))


def _other_means(advice: Advice, payment_means: Optional[str]) -> bool:
    """The step is about another means of payment than the one the victim used."""
    if not payment_means:
        return False
    named = {means for means, words in _STEP_MEANS if words.search(fold(advice.text))}
    return bool(named) and payment_means not in named


def urgent_order(items: List[Advice], facts: Mapping[str, Any], payment_means: Optional[str] = None) -> List[Advice]:
    """Containment order of the urgent actions, for every sheet.

    When money may have left (paid, or the victim does not know), the bank comes right after the protection of
    people: an opposition or a recall of funds only works within hours; among the bank's steps, the one for the
    means the victim paid with ("un virement": recall it) comes before the others (the card's opposition).
    Otherwise the sheet's order is kept.
    """
    if facts.get("money_paid") is False:
        return list(items)

    def rank(advice: Advice) -> Tuple[int, bool]:
        if _protects_a_person(advice):
            return 0, False
        return (1, _other_means(advice, payment_means)) if is_bank_step(advice) else (2, False)

    return sorted(items, key=rank)  # stable: the sheet's order within each rank


def _with_service(advice: Advice) -> str:
    service = knowledge.load().services.get(advice.service) if advice.service else None
    if service is None:
        return advice.text
    # A name that carries its number ("France Victimes (116 006)", so that the recap's links show it) needs it once.
    phone = service.phone if service.phone and service.phone not in service.name else None
    details = [str(service.url) if service.url else None, phone]
    extra = " – ".join(d for d in details if d)
    return f"{advice.text} ({service.name} : {extra})" if extra else advice.text


@dataclass
class Case:
    """A qualified situation: the incident, the facts collected and the advice that applies to them."""

    incident: str
    facts: Dict[str, Any]
    confidence: Optional[float] = None
    details: Dict[str, Any] = field(default_factory=dict)  # amount, currency, payment means, platform...

    @property
    def sheet(self) -> Sheet:
        return knowledge.load().sheets[self.incident]

    def _items(self, name: str) -> List[Advice]:
        """The items of a section that apply to the facts, urgent ones in containment order."""
        items = knowledge.select(getattr(self.sheet, name), self.conditions)
        return urgent_order(items, self.facts, self.payment_means) if name == "urgent" else items

    def section(self, name: str) -> List[str]:
        return [_with_service(a) if name in ("report", "complaint") else a.text for a in self._items(name)]

    def first_reflex(self, sms: bool = False) -> Optional[str]:
        """The most urgent action for what the victim has already said, shown with the diagnosis.

        Unlike the advice, where an unknown fact keeps its precaution, an action that depends on a fact not stated yet
        is not a first reflex: "call your bank" comes first when a payment was mentioned, not to everyone."""
        for advice in urgent_order(
            knowledge.select(self.sheet.urgent, self.conditions), self.facts, self.payment_means
        ):
            if all(key in knowledge.DEFAULTS or self.conditions.get(key) is not None for key in advice.when):
                return (advice.sms if sms else None) or advice.text
        return None

    @property
    def payment_means(self) -> Optional[str]:
        means = self.details.get("payment_means")
        return str(means) if means else None

    @property
    def conditions(self) -> Dict[str, Any]:
        """What the sheets' `when` reads: the facts, and the means of payment the victim named (a detail, not asked)."""
        return {**self.facts, "payment_means": self.payment_means}

    @property
    def reports_and_complaints(self) -> bool:
        """Both a signalement and a plainte are advised: the victim must be told they are not the same thing."""
        return bool(self.section("report")) and bool(self.section("complaint"))

    @property
    def serious(self) -> bool:
        return any(knowledge.matches(condition, self.facts) for condition in self.sheet.serious_when)

    def advice_messages(self) -> List[str]:
        """The personalised "fiche réflexe", as short messages: containment first, then evidence, report, plainte."""
        messages = []
        for title, name in (
            ("À faire tout de suite", "urgent"),
            ("Preuves à conserver", "evidence"),
            ("Signaler", "report"),
            ("Porter plainte", "complaint"),
        ):
            lines = self.section(name)
            if lines:
                messages.append(f"{title} :\n" + "\n".join(f"• {line}" for line in lines))
        if self.reports_and_complaints:
            messages.append(REPORT_IS_NOT_COMPLAINT)
        messages.append(f"Source : {self.sheet.source_url}")
        return messages

    def sms_lines(self, name: str) -> List[str]:
        """A section in the sheet's short SMS wording (`sms`), the full text where a sheet has none."""
        return [a.sms or a.text for a in self._items(name)]

    def _sms_urgent(self, said: Optional[str] = None) -> Tuple[List[str], List[str]]:
        """The urgent actions of the SMS essentials and those left for SUITE; `said` (the first reflex, already
        sent with the diagnosis in the same turn) is not repeated and counts as one of the essentials."""
        lines = self.sms_lines("urgent")
        room = SMS_URGENT
        if said in lines:
            lines.remove(said)
            room -= 1
        return lines[:room], lines[room:]

    def sms_messages(self, said: Optional[str] = None) -> List[str]:
        """The essentials of the advice for SMS, in order: the 2–3 urgent actions, then one line each for the
        evidence, the report and the complaint, and the link to the full official sheet (channels/sms_text.py keeps
        each line whole and the header with the first action). Their lines are written in GSM-7 where French reads
        as well (channels/sms_text.py): then the essentials fit in the 2 SMS of a turn."""
        urgent, _ = self._sms_urgent(said)
        messages = ["Voici mes conseils, à faire tout de suite :\n" + "\n".join(f"- {line}" for line in urgent)]
        if not urgent:  # the reflex said with the diagnosis was the only one
            messages = ["Voici mes conseils :"]
        evidence = self.sms_lines("evidence")
        if evidence:
            messages.append(f"Preuves : {evidence[0]}")
        reports = self.report_names()
        if reports:
            messages.append(f"Signaler : {', '.join(reports)}.")
        complaint = self.sms_lines("complaint")
        if complaint:
            messages.append(f"Plainte : {complaint[0]}")
        if self.reports_and_complaints:
            messages.append(REPORT_IS_NOT_COMPLAINT_SHORT)
        # Phones make a link of "www.…" too: the scheme is a few characters saved.
        messages.append(f"Fiche complète : {str(self.sheet.source_url).removeprefix('https://')}")
        return messages

    def sms_details(self, said: Optional[str] = None) -> List[str]:
        """What waits for SUITE on SMS: the other urgent actions and evidence, the addresses to report and file."""
        details = []
        _, urgent = self._sms_urgent(said)
        if urgent:
            details.append("Aussi :\n" + "\n".join(f"- {line}" for line in urgent))
        evidence = self.sms_lines("evidence")[1:]
        if evidence:
            details.append("Preuves, aussi :\n" + "\n".join(f"- {line}" for line in evidence))
        links = self.sms_links()
        if links:
            details.append(f"{self.links_heading(sms=True)} :\n" + "\n".join(f"- {line}" for line in links))
        return details

    def report_names(self) -> List[str]:
        """The services where the victim reports, by name only (their addresses are in the details)."""
        services = knowledge.load().services
        names: List[str] = []
        for advice in knowledge.select(self.sheet.report, self.conditions):
            service = services.get(advice.service) if advice.service else None
            if service and service.name not in names:
                names.append(service.name)
        return names[:3]

    def key_facts(self) -> List[str]:
        lines = []
        public = self.facts.get("public")
        if public:
            lines.append(f"Public : {PUBLICS[public].label if public in PUBLICS else public}")
        for key, label in FACT_LABELS.items():
            value = self.facts.get(key)
            if value is not None:
                lines.append(f"{label} : {'oui' if value else 'non'}")
        amount = self.details.get("amount")
        if amount:
            lines.append(f"Montant évoqué : {money(amount, self.details.get('currency') or 'EUR')}")
        if self.details.get("payment_means"):
            lines.append(f"Moyen de paiement : {self.details['payment_means']}")
        if self.details.get("platform"):
            lines.append(f"Service ou plateforme : {self.details['platform']}")
        return lines

    def recap_text(self) -> str:
        """The "récapitulatif": what an operator also receives on handover."""
        parts = [
            f"Récapitulatif – {self.sheet.title}",
            f"Situation : {seems_victim(self.incident, self.facts)}.",
        ]
        facts = self.key_facts()
        if facts:
            parts.append("Ce que vous m'avez indiqué :\n" + "\n".join(f"• {line}" for line in facts))
        urgent = self.section("urgent")
        if urgent:
            parts.append("Conseils donnés :\n" + "\n".join(f"• {line}" for line in urgent))
        evidence = self.section("evidence")
        if evidence:
            parts.append("Preuves à conserver :\n" + "\n".join(f"• {line}" for line in evidence))
        links = self.links()
        if links:
            parts.append(f"{self.links_heading()} :\n" + "\n".join(f"• {line}" for line in links))
        if self.reports_and_complaints:
            parts.append(REPORT_IS_NOT_COMPLAINT)
        return "\n\n".join(parts)

    def links_heading(self, sms: bool = False) -> str:
        """Name only what the links are for: a plainte is not mentioned where none is advised."""
        if self.reports_and_complaints:
            return "Signalement et plainte" if sms else "Où signaler et porter plainte"
        if self.section("complaint"):
            return "Porter plainte" if sms else "Où porter plainte"
        return "Signaler" if sms else "Où signaler"

    def sms_links(self, limit: int = 3) -> List[str]:
        """At most `limit` links, keeping one for the plainte when a plainte is advised."""
        links = self.links()
        complaint_links = self.links(self.sheet.complaint)
        if len(links) <= limit or not complaint_links or set(complaint_links) & set(links[:limit]):
            return links[:limit]
        return links[: limit - 1] + complaint_links[:1]

    def links(self, items: Optional[List[Advice]] = None) -> List[str]:
        services = knowledge.load().services
        seen, lines = set(), []
        items = self.sheet.report + self.sheet.complaint if items is None else items
        for advice in knowledge.select(items, self.conditions):
            service = services.get(advice.service) if advice.service else None
            if service and advice.service not in seen:
                seen.add(advice.service)
                contact = str(service.url) if service.url else (service.phone or "")
                lines.append(f"{service.name} : {contact}".rstrip(" :"))
        return lines

    def handover_summary(self, advice_given: bool) -> Dict[str, Any]:
        """What the operators' handover page shows: the structured summary, the facts in French, and whether the
        advice was actually sent to the victim (bot/actions/handover.py queues it, console/decision.py corrects it)."""
        return {**self.as_dict(), "key_facts": self.key_facts(), "advice_given": advice_given}

    def as_dict(self) -> Dict[str, Any]:
        """Structured summary for the operators' console and the transcripts."""
        return {
            "incident": self.incident,
            "title": self.sheet.title,
            "confidence": self.confidence,
            "facts": self.facts,
            "details": self.details,
            "serious": self.serious,
            "urgent": self.section("urgent"),
            "evidence": self.section("evidence"),
            "report": self.section("report"),
            "complaint": self.section("complaint"),
            "links": self.links(),
            "source_url": str(self.sheet.source_url),
        }


DETAIL_SLOTS = ("amount", "currency", "payment_means", "platform")


def case_from_slots(slots: Mapping[str, Any]) -> Optional[Case]:
    incident = slots.get("incident")
    if not incident or incident not in INCIDENTS:
        return None
    return Case(
        incident=incident,
        facts=facts_from_slots(slots),
        confidence=slots.get("incident_confidence"),
        details={key: slots.get(key) for key in DETAIL_SLOTS if slots.get(key) not in (None, "")},
    )
