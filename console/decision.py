"""Decision support on a conversation an operator holds: its qualification (incident, public, facts, confidence),
which the operator may correct, and the checklist of next steps (bot/checklist.py), ticked as done.

A correction sets the conversation's slots, so that the bot's advice and recap after hand-back follow it; the
handover's summary is replaced, and the audit log records who changed what (console/routes/handover.py).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set

from rasa.shared.core.events import SlotSet

from bot import checklist, trackers
from bot.advice import case_from_slots
from bot.taxonomy import INCIDENTS
from bot.vocabulary import FACT_LABELS, PUBLICS

ANSWERS = {"oui": True, "non": False, "inconnu": None}


async def state(agent: Any, sender_id: str) -> Optional[Dict[str, Any]]:
    """The conversation's qualification and checklist as its slots hold them now, or None (no tracker)."""
    tracker = await trackers.read(agent, sender_id)
    if tracker is None:
        return None
    slots = tracker.current_slot_values()
    case = case_from_slots(slots)
    done: Set[str] = set(slots.get(checklist.SLOT) or [])
    return {
        "incident": slots.get("incident"),
        "public": slots.get("public"),
        "facts": {key: slots.get(key) for key in FACT_LABELS},
        "confidence": slots.get("incident_confidence"),
        "corrected_by": slots.get("qualification_corrected_by"),
        "steps": [{"key": s.key, "label": s.label, "done": s.key in done} for s in checklist.steps(case)]
        if case
        else [],
    }


def parse_correction(form: Any) -> Optional[Dict[str, Any]]:
    """The posted correction, or None when a value is not one the form offers (a forged request)."""
    incident = form.get("incident")
    public = form.get("public") or None
    if incident not in INCIDENTS or (public is not None and public not in PUBLICS):
        return None
    facts: Dict[str, Optional[bool]] = {}
    for key in FACT_LABELS:
        answer = form.get(key, "inconnu")
        if answer not in ANSWERS:
            return None
        facts[key] = ANSWERS[answer]
    return {"incident": incident, "public": public, "facts": facts}


async def correct(agent: Any, sender_id: str, correction: Dict[str, Any], operator: str) -> Optional[Dict[str, Any]]:
    """Sets the corrected qualification in the conversation; returns the new summary for the handover."""
    tracker = await trackers.read(agent, sender_id)
    if tracker is None:
        return None
    slots = tracker.current_slot_values()
    events: List[Any] = [
        SlotSet("incident", correction["incident"]),
        SlotSet("incident_confidence", 1.0),  # a person decided
        SlotSet("incident_candidates", None),
        SlotSet("other_incident", None),
        SlotSet("public", correction["public"]),
        SlotSet("qualification_corrected_by", operator),
    ]
    events += [SlotSet(key, value) for key, value in correction["facts"].items()]
    updated = {**slots, "incident": correction["incident"], "public": correction["public"], **correction["facts"]}
    case = case_from_slots(updated)
    if case is None:
        return None
    if slots.get("advice_given"):  # the recap after hand-back follows the correction
        events.append(SlotSet("advice_given", case.as_dict()))
    await trackers.append(agent, sender_id, *events)
    return case.handover_summary(bool(slots.get("advice_given")))


async def tick(agent: Any, sender_id: str, done: List[str]) -> None:
    """Records which steps of the checklist are done (the keys the page offers; anything else is dropped)."""
    tracker = await trackers.read(agent, sender_id)
    case = case_from_slots(tracker.current_slot_values()) if tracker else None
    offered = {s.key for s in checklist.steps(case)} if case else set()
    await trackers.append(agent, sender_id, SlotSet(checklist.SLOT, sorted(set(done) & offered)))
