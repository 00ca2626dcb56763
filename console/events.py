"""Rasa's tracker store table (`events`, described by `bot.db.EVENTS`) as the console reads it: a conversation's
rows, an event's JSON, that JSON redacted, and the offender identifiers it holds.

The redaction masks every text, but keeps the values of `offender_identifier` entities (bot/identifiers.py): the
offender's IBAN, number, address, site or wallet, a fact of the conversation kept with its events until retention
or erasure deletes them. Anonymised copies keep none.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.engine import Connection

from bot import identifiers, privacy
from bot.db import EVENTS

# Delivery identifiers in message metadata: they point back to the victim's Telegram account or SMS number.
_IDENTIFYING_METADATA = ("telegram_update_id", "sms_message_sid", "message_id")


def load(data: Optional[str]) -> Dict[str, Any]:
    try:
        value = json.loads(data or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def of_sender(connection: Connection, sender_id: str, upto: Optional[int] = None) -> List[Any]:
    query = select(EVENTS).where(EVENTS.c.sender_id == sender_id)
    if upto is not None:
        query = query.where(EVENTS.c.id <= upto)
    return list(connection.execute(query.order_by(EVENTS.c.id)))


def is_operator_message(data: Dict[str, Any]) -> bool:
    return bool((data.get("metadata") or {}).get("operator"))


def is_offender_fact(entity: Dict[str, Any]) -> bool:
    """An `offender_identifier` entity whose value is one the extractor produces (nothing else is kept)."""
    return entity.get("entity") == identifiers.ENTITY and identifiers.well_formed(
        entity.get("role"), entity.get("value")
    )


def offender_facts(connection: Connection, sender_id: str) -> List[Dict[str, Any]]:
    """The offender identifiers of a conversation (bot.identifiers.offender_facts over its stored events)."""
    rows = of_sender(connection, sender_id)
    return identifiers.offender_facts(load(row.data) for row in rows if row.type_name == "user")


def redact_event(data: Dict[str, Any], anonymise: bool = False) -> Dict[str, Any]:
    """The event's JSON with what people wrote redacted (bot/privacy.py), in place and returned.

    The assistant's own messages keep their phone numbers (official services); operators' do not. The offender's
    identifiers stay as entities (`is_offender_fact`), the texts that hold them are masked. With `anonymise`,
    those entities are masked too and delivery identifiers are dropped from the metadata.
    """
    kind = data.get("event")
    if kind == "user":
        if isinstance(data.get("text"), str):
            data["text"] = privacy.redact(data["text"])
        parse = data.get("parse_data")
        if isinstance(parse, dict):
            if isinstance(parse.get("text"), str):
                parse["text"] = privacy.redact(parse["text"])
            for entity in parse.get("entities") or []:
                if isinstance(entity, dict) and isinstance(entity.get("value"), str):
                    if anonymise or not is_offender_fact(entity):
                        entity["value"] = privacy.redact(entity["value"])
    elif kind == "bot" and isinstance(data.get("text"), str):
        data["text"] = privacy.redact(data["text"], phones=is_operator_message(data))
    elif kind == "slot":
        if anonymise or data.get("name") != identifiers.OFFENDER_SLOT:  # the offender's, kept like the entities
            data["value"] = privacy.redact_value(data.get("value"), phones=False)
    for holder in (data, data.get("parse_data")):
        if not isinstance(holder, dict):
            continue
        metadata = holder.get("metadata")
        if isinstance(metadata, dict):
            if isinstance(metadata.get("original_text"), str):
                metadata["original_text"] = privacy.redact(metadata["original_text"])
            if anonymise:
                for key in _IDENTIFYING_METADATA:
                    metadata.pop(key, None)
        if anonymise and kind == "user":
            holder.pop("message_id", None)  # Telegram message ids are "telegram:<update id>"
    return data
