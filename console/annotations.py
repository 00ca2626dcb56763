"""What staff record about conversations: corrected or confirmed intents and entities, reviewed, flagged, tags.

Every change records who and when (and is written to the audit log by the page that makes it). The conversation
index keeps a copy of "reviewed" and "flagged" for the list's filters.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

import yaml
from sqlalchemy import delete, select, update

from bot import db
from bot.settings import PROJECT_ROOT
from bot.taxonomy import CONVERSATION_INTENTS, INCIDENT_INTENTS
from console.models import StaffUser, utcnow
from console.review_models import ConversationIndex, ConversationReview, ConversationTag, MessageAnnotation

INTENTS = INCIDENT_INTENTS + CONVERSATION_INTENTS  # what a message can be annotated with (../shared/TAXONOMY.md)
STATUSES = ("confirmed", "corrected", "excluded")
TAG_PATTERN = re.compile(r"[\w][\w \-]{0,48}[\w]?")
MAX_ENTITIES = 20


class AnnotationError(ValueError):
    """A French message for the staff member."""


@lru_cache(maxsize=1)
def domain_entities() -> Tuple[str, ...]:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8")) or {}
    return tuple(e if isinstance(e, str) else next(iter(e)) for e in domain.get("entities") or [])


def parse_entities(lines: str, message: str) -> List[Dict[str, Any]]:
    """Entities typed one per line as `entité=extrait` or `entité=extrait=>valeur`; the extract must appear in the
    (redacted) message."""
    entities: List[Dict[str, Any]] = []
    for number, line in enumerate((lines or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        name, sep, rest = line.partition("=")
        name, rest = name.strip(), rest.strip()
        span, arrow, value = rest.partition("=>")
        span, value = span.strip(), value.strip()
        if not sep or not name or not span:
            raise AnnotationError(f"Ligne {number} : écrivez « entité=extrait » ou « entité=extrait=>valeur ».")
        if name not in domain_entities():
            raise AnnotationError(
                f"Ligne {number} : l'entité « {name[:40]} » n'existe pas dans le domaine "
                f"({', '.join(domain_entities())})."
            )
        if span not in message:
            raise AnnotationError(f"Ligne {number} : « {span[:60]} » ne figure pas tel quel dans le message.")
        if any(ch in span + value for ch in "[]{}()"):
            raise AnnotationError(f"Ligne {number} : pas de crochets, d'accolades ni de parenthèses, s'il vous plaît.")
        entities.append({"entity": name, "text": span, "value": value or span})
        if len(entities) > MAX_ENTITIES:
            raise AnnotationError(f"Pas plus de {MAX_ENTITIES} entités par message.")
    return entities


def annotate(
    user: StaffUser,
    sender_id: str,
    event_id: int,
    message: str,
    predicted_intent: Optional[str],
    predicted_confidence: Optional[float],
    intent: str,
    entities: List[Dict[str, Any]],
    exclude: bool = False,
) -> MessageAnnotation:
    """Records the right intent (and entities) of a victim's message; `message` is the redacted text."""
    if intent not in INTENTS:
        raise AnnotationError("Choisissez une intention de la liste.")
    status = "excluded" if exclude else ("confirmed" if intent == predicted_intent else "corrected")
    with db.session() as s:
        annotation = s.scalar(select(MessageAnnotation).where(MessageAnnotation.event_id == event_id))
        if annotation is None:
            annotation = MessageAnnotation(sender_id=sender_id, event_id=event_id)
            s.add(annotation)
        annotation.text = message
        annotation.predicted_intent = predicted_intent
        annotation.predicted_confidence = predicted_confidence
        annotation.intent = intent
        annotation.entities = entities
        annotation.status = status
        annotation.annotated_by = user.id
        annotation.annotated_at = utcnow()
        annotation.exported_at = None  # changed since the last export: export it again (deduplicated there)
        annotation.export_file = None
    return annotation


def for_sender(sender_id: str) -> Dict[int, MessageAnnotation]:
    with db.session() as s:
        return {
            a.event_id: a for a in s.scalars(select(MessageAnnotation).where(MessageAnnotation.sender_id == sender_id))
        }


def review_of(sender_id: str) -> Optional[ConversationReview]:
    with db.session() as s:
        return s.scalar(select(ConversationReview).where(ConversationReview.sender_id == sender_id))


def _review_row(s: Any, sender_id: str) -> ConversationReview:
    review = s.scalar(select(ConversationReview).where(ConversationReview.sender_id == sender_id))
    if review is None:
        review = ConversationReview(sender_id=sender_id, reviewed=False, flagged=False)
        s.add(review)
    return review


def set_reviewed(user: StaffUser, sender_id: str, reviewed: bool) -> None:
    with db.session() as s:
        review = _review_row(s, sender_id)
        review.reviewed = reviewed
        review.reviewed_by = user.id if reviewed else None
        review.reviewed_at = utcnow() if reviewed else None
        s.execute(update(ConversationIndex).where(ConversationIndex.sender_id == sender_id).values(reviewed=reviewed))


def set_flagged(user: StaffUser, sender_id: str, flagged: bool, reason: str = "") -> None:
    with db.session() as s:
        review = _review_row(s, sender_id)
        review.flagged = flagged
        review.flag_reason = ((reason or "").strip()[:500] or None) if flagged else None
        review.flagged_by = user.id if flagged else None
        review.flagged_at = utcnow() if flagged else None
        s.execute(update(ConversationIndex).where(ConversationIndex.sender_id == sender_id).values(flagged=flagged))


def normalise_tag(tag: str) -> str:
    tag = " ".join((tag or "").split()).lower()
    if not TAG_PATTERN.fullmatch(tag):
        raise AnnotationError("Une étiquette fait de 1 à 50 caractères : lettres, chiffres, espaces, tirets.")
    return tag


def add_tag(user: StaffUser, sender_id: str, tag: str) -> str:
    tag = normalise_tag(tag)
    with db.session() as s:
        exists = s.scalar(
            select(ConversationTag).where(ConversationTag.sender_id == sender_id, ConversationTag.tag == tag)
        )
        if exists is None:
            s.add(ConversationTag(sender_id=sender_id, tag=tag, added_by=user.id))
    return tag


def remove_tag(sender_id: str, tag: str) -> None:
    with db.session() as s:
        s.execute(
            delete(ConversationTag).where(
                ConversationTag.sender_id == sender_id, ConversationTag.tag == (tag or "").strip().lower()
            )
        )


def tags_of(sender_ids: List[str]) -> Dict[str, List[str]]:
    if not sender_ids:
        return {}
    found: Dict[str, List[str]] = {}
    with db.session() as s:
        for tag in s.scalars(
            select(ConversationTag).where(ConversationTag.sender_id.in_(sender_ids)).order_by(ConversationTag.tag)
        ):
            found.setdefault(tag.sender_id, []).append(tag.tag)
    return found


def staff_names(user_ids: List[Optional[int]]) -> Dict[int, str]:
    ids = [i for i in set(user_ids) if i is not None]
    if not ids:
        return {}
    with db.session() as s:
        return {u.id: u.name for u in s.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))}
