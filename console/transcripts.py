"""A conversation as the review page shows it, read from the tracker store's `events` table, always redacted.

Every message in order with who wrote it (victim, bot, operator, system), the predicted intent, confidence and
entities of each victim message, slots set, actions run, sessions and handover periods; plus the handover requests
(bot/handover.py), the ratings (bot/ratings.py) and the staff's annotations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot import db, identifiers, privacy, ratings
from bot.handover import Handover
from console import annotations, events
from console.review_models import MessageAnnotation

PARIS = ZoneInfo("Europe/Paris")
HIDDEN_ACTIONS = ("action_listen", "action_session_start")
MAX_VALUE_CHARS = 300


def when(timestamp: Optional[float]) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, timezone.utc).astimezone(PARIS).strftime("%d/%m/%Y %H:%M:%S")


def when_utc(moment: Optional[datetime]) -> str:
    """Application tables store naive UTC datetimes."""
    if moment is None:
        return ""
    return moment.replace(tzinfo=timezone.utc).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def _value(value: Any) -> str:
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    shown = privacy.redact(shown, phones=False)
    return shown if len(shown) <= MAX_VALUE_CHARS else shown[:MAX_VALUE_CHARS] + "…"


def victim_message(event_id: int, data: Dict[str, Any]) -> Dict[str, Any]:
    """A victim's message: redacted text, intent, confidence, entities (with the extract when it is still visible)."""
    original = data.get("text") if isinstance(data.get("text"), str) else ""
    text = privacy.redact(original)
    parse = data.get("parse_data") if isinstance(data.get("parse_data"), dict) else {}
    intent = parse.get("intent") if isinstance(parse.get("intent"), dict) else {}
    entities = []
    for entity in parse.get("entities") or []:
        if not isinstance(entity, dict) or not entity.get("entity"):
            continue
        span = ""
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(original):
            span = privacy.redact(original[start:end])
            if span not in text:
                span = ""
        # The offender's identifiers are kept in the events, not shown: staff see them masked like in the text.
        value = (
            privacy.redact(str(entity.get("value"))) if entity["entity"] == identifiers.ENTITY else entity.get("value")
        )
        entities.append({"entity": entity["entity"], "value": _value(value), "span": span})
    confidence = intent.get("confidence")
    return {
        "kind": "message",
        "who": "victim",
        "event_id": event_id,
        "text": text,
        "payload": original.startswith("/"),
        "intent": intent.get("name"),
        "confidence": confidence if isinstance(confidence, (int, float)) else None,
        "entities": entities,
        "ranking": [
            (r.get("name"), r.get("confidence")) for r in (parse.get("intent_ranking") or [])[:3] if isinstance(r, dict)
        ],
    }


def _item(row: Any) -> Optional[Dict[str, Any]]:
    kind = row.type_name
    if kind == "user":
        return victim_message(row.id, events.load(row.data))
    if kind == "bot":
        data = events.load(row.data)
        metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        who = "operator" if metadata.get("operator") else "system" if metadata.get("system") else "bot"
        buttons = ((data.get("data") or {}).get("buttons") or []) if isinstance(data.get("data"), dict) else []
        return {
            "kind": "message",
            "who": who,
            "operator": metadata.get("operator"),
            "text": privacy.redact(data.get("text") or "", phones=who == "operator"),
            "buttons": [
                privacy.redact(str(b.get("title") or ""), phones=False) for b in buttons if isinstance(b, dict)
            ],
        }
    if kind == "action":
        return None if row.action_name in HIDDEN_ACTIONS else {"kind": "action", "name": row.action_name}
    if kind == "slot":
        return {"kind": "slot", "name": row.action_name, "value": _value(events.load(row.data).get("value"))}
    if kind == "session_started":
        return {"kind": "marker", "text": "Début d'une session"}
    if kind == "pause":
        return {"kind": "marker", "text": "Conversation prise en charge par un conseiller (assistant en pause)"}
    if kind == "resume":
        return {"kind": "marker", "text": "Conversation rendue à l'assistant"}
    if kind == "restart":
        return {"kind": "marker", "text": "Conversation recommencée"}
    if kind == "active_loop":
        name = row.action_name
        return {"kind": "marker", "text": f"Formulaire « {name} » ouvert" if name else "Formulaire terminé"}
    return None


@dataclass
class Transcript:
    sender_id: str
    items: List[Dict[str, Any]]
    handovers: List[Dict[str, Any]] = field(default_factory=list)
    ratings: List[Dict[str, Any]] = field(default_factory=list)
    first_at: str = ""
    last_at: str = ""


def build(sender_id: str) -> Transcript:
    engine = db.engine()
    items: List[Dict[str, Any]] = []
    timestamps: List[float] = []
    if db.has_events(engine):
        with engine.connect() as connection:
            for row in events.of_sender(connection, sender_id):
                item = _item(row)
                if row.timestamp is not None:
                    timestamps.append(row.timestamp)
                if item:
                    item["at"] = when(row.timestamp)
                    items.append(item)
    notes = annotations.for_sender(sender_id)
    names = annotations.staff_names([a.annotated_by for a in notes.values()])
    for item in items:
        annotation: Optional[MessageAnnotation] = notes.get(item.get("event_id")) if item.get("event_id") else None
        if annotation is not None:
            item["annotation"] = {
                "intent": annotation.intent,
                "status": annotation.status,
                "entities": annotation.entities or [],
                "by": names.get(annotation.annotated_by, "compte supprimé"),
                "at": when_utc(annotation.annotated_at),
                "exported": annotation.export_file,
            }
    with db.session() as s:
        handovers = [
            {
                "requested": when_utc(h.requested_at),
                "taken": when_utc(h.taken_at),
                "closed": when_utc(h.closed_at),
                "operator": h.operator_name,
                "state": h.state,
                "outcome": h.outcome,
                "reason": h.reason,
            }
            for h in s.scalars(select(Handover).where(Handover.sender_id == sender_id).order_by(Handover.id))
        ]
        given = [
            {
                "value": ratings.label(r.value),
                "raw": r.value,
                "comment": privacy.redact(r.comment or ""),
                "at": when_utc(r.created_at),
            }
            for r in s.scalars(
                select(ratings.Rating).where(ratings.Rating.sender_id == sender_id).order_by(ratings.Rating.id)
            )
        ]
    return Transcript(
        sender_id,
        items,
        handovers,
        given,
        when(min(timestamps)) if timestamps else "",
        when(max(timestamps)) if timestamps else "",
    )
