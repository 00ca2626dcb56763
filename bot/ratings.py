"""Victims' ratings of the help they got (1-5, or thumbs up/down on SMS) and the optional "why", per conversation.

Written by the action server (bot/actions/rating.py), read by the review console. The comment is stored redacted
unless KEEP_ORIGINAL_TEXT is on (victims sometimes paste anything, even there).
"""

from __future__ import annotations

from typing import Dict, List, Optional

from sqlalchemy import Column, DateTime, Integer, String, Text, select

from bot import db, erasure, privacy, responses, settings, vocabulary
from bot.handover import utcnow

SCORES = ("1", "2", "3", "4", "5")
THUMBS = {"up": "👍", "down": "👎"}
NEGATIVE = ("1", "2", "down")  # what the review list's "negative rating" filter means
MAX_COMMENT_CHARS = 2000


class Rating(db.Base):
    __tablename__ = "ratings"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    value = Column(String(8), nullable=False)  # "1".."5", "up" or "down"
    comment = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    commented_at = Column(DateTime, nullable=True)


erasure.register_rows(Rating.__table__, "ratings")


def normalise(value: object) -> Optional[str]:
    """ "4", 4, "4.0", "up", "👍"... as stored, or None when it is not a rating."""
    text = str(value if value is not None else "").strip().lower()
    if text in ("👍", "pouce levé"):
        return "up"
    if text in ("👎", "pouce baissé"):
        return "down"
    if text in THUMBS:
        return text
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return None
    return str(int(number)) if number.is_integer() and 1 <= number <= 5 else None


# The question, also asked by the console when an operator closes a conversation (console/conversations.py).
ASK = responses.text("utter_ask_rating")
ASK_SMS = responses.text("utter_ask_rating", channel=vocabulary.SMS.input_channel)
SCORE_BUTTONS = [
    {"title": "1 – Pas du tout", "payload": '/rate{"rating": "1"}'},
    {"title": "2", "payload": '/rate{"rating": "2"}'},
    {"title": "3", "payload": '/rate{"rating": "3"}'},
    {"title": "4", "payload": '/rate{"rating": "4"}'},
    {"title": "5 – Tout à fait", "payload": '/rate{"rating": "5"}'},
]
THUMB_BUTTONS = [
    {"title": "👍 Oui", "payload": '/rate{"rating": "up"}'},
    {"title": "👎 Non", "payload": '/rate{"rating": "down"}'},
]


def rating_buttons(channel: Optional[str]) -> List[Dict[str, str]]:
    """Scores 1 to 5, or thumbs on SMS where five numbered choices would cost a segment."""
    return THUMB_BUTTONS if channel == vocabulary.SMS.key else SCORE_BUTTONS


def label(value: Optional[str]) -> str:
    """How staff see a rating: "4/5", "👍"."""
    if not value:
        return ""
    return THUMBS.get(value) or f"{value}/5"


_tables_ready: set = set()


def _ensure_table() -> None:
    """The action server imports this module after creating its tables (rasa_sdk loads bot.actions' submodules
    itself), so the table is created on first use if needed."""
    engine = db.engine()
    if str(engine.url) not in _tables_ready:
        Rating.__table__.create(engine, checkfirst=True)
        _tables_ready.add(str(engine.url))


def store(sender_id: str, value: str) -> Rating:
    _ensure_table()
    with db.session() as s:
        rating = Rating(sender_id=sender_id, value=value)
        s.add(rating)
    return rating


def add_comment(sender_id: str, comment: str) -> bool:
    """Attaches the "why" to the conversation's latest rating; False when there is none."""
    _ensure_table()
    comment = (comment or "").strip()[:MAX_COMMENT_CHARS]
    if not settings.current().keep_original_text:
        comment = privacy.redact(comment)
    with db.session() as s:
        rating = s.scalar(select(Rating).where(Rating.sender_id == sender_id).order_by(Rating.id.desc()))
        if rating is None or not comment:
            return False
        rating.comment = comment
        rating.commented_at = utcnow()
        return True


def for_sender(sender_id: str) -> List[Rating]:
    with db.session() as s:
        return list(s.scalars(select(Rating).where(Rating.sender_id == sender_id).order_by(Rating.id)))
