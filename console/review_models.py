"""Tables of the transcript review: the conversation index, and the staff's annotations (who and when).

The tracker store (`events`) is the transcript of record and is never annotated in place: annotations live here,
keyed by conversation id (`sender_id`) and, for a message, by the `events.id` of the victim's message.
`conversation_index` is derived from `events` (console/index.py) and can be rebuilt at any time.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)

from bot import erasure
from bot.db import Base
from console.models import utcnow  # noqa: F401  (also registers staff_users, which annotations refer to)


class ConversationIndex(Base):
    """One row per conversation, kept up to date from `events` for fast filters and keyset pagination."""

    __tablename__ = "conversation_index"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, unique=True)
    channel = Column(String(20), nullable=False)  # web, telegram, sms or rest
    first_at = Column(Float, nullable=False)  # epoch seconds, as in events.timestamp
    last_at = Column(Float, nullable=False)
    user_messages = Column(Integer, nullable=False, default=0)
    incident = Column(String(64), nullable=True)  # latest incident predicted or diagnosed
    min_confidence = Column(Float, nullable=True)  # lowest intent confidence of a typed victim message
    fallback = Column(Boolean, nullable=False, default=False)  # nlu_fallback or action_not_understood
    handed_over = Column(Boolean, nullable=False, default=False)
    emergency = Column(Boolean, nullable=False, default=False)
    rating = Column(String(8), nullable=True)  # latest rating: "1".."5", "up", "down"
    reviewed = Column(Boolean, nullable=False, default=False)  # copies of review_conversations, for filtering
    flagged = Column(Boolean, nullable=False, default=False)
    first_message = Column(String(300), nullable=True)  # first message that is not small talk, redacted
    search_text = Column(Text, nullable=False, default="")  # redacted and folded victim and operator messages

    __table_args__ = (
        Index("ix_conversation_index_recent", "last_at", "id"),
        Index("ix_conversation_index_channel", "channel", "last_at", "id"),
        Index("ix_conversation_index_incident", "incident", "last_at", "id"),
        Index("ix_conversation_index_reviewed", "reviewed", "last_at", "id"),
        Index("ix_conversation_index_confidence", "min_confidence"),
        {"sqlite_autoincrement": True},  # ids are never reused: the audit log refers to them
    )


class IndexState(Base):
    """Cursors over `events.id`: how far indexing ("index") and stored-text redaction ("scrub") have gone."""

    __tablename__ = "conversation_index_state"
    name = Column(String(20), primary_key=True)
    last_event_id = Column(BigInteger, nullable=False, default=0)
    safe_id = Column(BigInteger, nullable=False, default=0)  # events up to here are committed (see index.refresh)
    seen_max_id = Column(BigInteger, nullable=True)  # highest events.id seen at `seen_at`
    seen_at = Column(Float, nullable=True)
    locked_at = Column(Float, nullable=True)


class MessageAnnotation(Base):
    """A victim message whose intent (and entities) a staff member confirmed or corrected."""

    __tablename__ = "review_message_annotations"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    event_id = Column(BigInteger, nullable=False, unique=True)  # events.id of the victim's message
    text = Column(Text, nullable=False)  # the message, redacted, as annotated and exported
    predicted_intent = Column(String(64), nullable=True)
    predicted_confidence = Column(Float, nullable=True)
    intent = Column(String(64), nullable=False)
    entities = Column(JSON, nullable=False, default=list)  # [{"entity": ..., "text": span, "value": ...}]
    status = Column(String(12), nullable=False)  # confirmed, corrected or excluded (never exported)
    annotated_by = Column(Integer, ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    annotated_at = Column(DateTime, nullable=False, default=utcnow)
    exported_at = Column(DateTime, nullable=True)
    export_file = Column(String(255), nullable=True)


class ConversationReview(Base):
    __tablename__ = "review_conversations"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, unique=True)
    reviewed = Column(Boolean, nullable=False, default=False)
    reviewed_by = Column(Integer, ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    reviewed_at = Column(DateTime, nullable=True)
    flagged = Column(Boolean, nullable=False, default=False)
    flag_reason = Column(String(500), nullable=True)
    flagged_by = Column(Integer, ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    flagged_at = Column(DateTime, nullable=True)


class ConversationTag(Base):
    __tablename__ = "review_tags"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    tag = Column(String(50), nullable=False, index=True)
    added_by = Column(Integer, ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    added_at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("sender_id", "tag", name="uq_review_tags_sender_tag"),)


erasure.register_rows(MessageAnnotation.__table__, "annotations")
erasure.register_rows(ConversationTag.__table__, "tags")
erasure.register_rows(ConversationReview.__table__, "reviews")
