"""The operator's checklist for a conversation: the next steps for its incident and facts, as 17Cyber's operators
work through them (contain, keep evidence, report, file a complaint), with the organisations' own duties (the
regional CSIRT, the CNIL within 72 hours for a personal-data breach, the insurer). Ticks are kept in the
conversation (slot `checklist_done`), so they are erased with it.
"""

from __future__ import annotations

from typing import Any, List, Mapping, NamedTuple

from bot.advice import Case

SLOT = "checklist_done"
ORGANISATIONS = ("entreprise", "collectivite")


class Step(NamedTuple):
    key: str
    label: str


def steps(case: Case) -> List[Step]:
    facts: Mapping[str, Any] = case.facts
    found = []
    urgent = case.section("urgent")
    if urgent:
        found.append(Step("contain", f"Contenir : {urgent[0]}"))
    if case.section("evidence"):
        found.append(Step("evidence", "Preuves : la victime sait quoi garder (captures, messages, relevés)"))
    reports = case.report_names()
    if case.section("report"):
        found.append(Step("report", "Signalement : " + (", ".join(reports) if reports else "au service indiqué")))
    found.append(Step("complaint", "Plainte : où et comment la déposer est expliqué ; dossier proposé"))
    if facts.get("money_paid"):
        found.append(Step("bank", "Banque : opposition, rappel des opérations et demande de remboursement"))
    organisation = facts.get("public") in ORGANISATIONS
    if organisation:
        found.append(Step("csirt", "CSIRT régional prévenu (organisation)"))
    if facts.get("third_party_data") or (organisation and case.incident == "violation_donnees"):
        found.append(Step("cnil", "CNIL notifiée dans les 72 heures (violation de données personnelles)"))
    if organisation or facts.get("money_paid"):
        found.append(Step("insurer", "Assureur prévenu (contrat cyber, protection juridique)"))
    return found
