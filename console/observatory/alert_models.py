"""The observatory's alerts: one row per wave (a series above its own baseline) or campaign (near-identical first
messages from many victims), found by console/observatory/waves.py and campaigns.py, delivered and decided on by
staff.

An alert holds counts and, for a campaign, one REDACTED sample message (bot.privacy.redact) with the conversation
it comes from, so that erasing that conversation blanks the sample (the eraser below). Shared offender indicators
are counted by kind only (`{"domain": 12, "phone": 30}`), never their values.
"""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import JSON, Column, DateTime, Float, Index, Integer, String, Text, update
from sqlalchemy.engine import Connection

from bot import erasure
from bot.db import Base
from bot.handover import utcnow
from console.observatory.models import CHANNEL, INCIDENT, PUBLIC

WAVE, CAMPAIGN = "wave", "campaign"
KINDS = (WAVE, CAMPAIGN)
NEW, ACKNOWLEDGED, DISMISSED, APPROVED = "new", "acknowledged", "dismissed", "approved"
STATES = (NEW, ACKNOWLEDGED, DISMISSED, APPROVED)


class ObservatoryAlert(Base):
    __tablename__ = "observatory_alerts"
    id = Column(Integer, primary_key=True)
    kind = Column(String(10), nullable=False)  # WAVE or CAMPAIGN
    key = Column(String(200), nullable=False, unique=True)  # one alert per wave / campaign: series and start
    incident = Column(String(INCIDENT), nullable=False)
    public = Column(String(PUBLIC), nullable=False, default="")
    channel = Column(String(CHANNEL), nullable=False, default="")
    count = Column(Integer, nullable=False)  # journeys in the wave's window / victims of the campaign
    baseline = Column(Float, nullable=False)  # expected count for a wave; 0 for a campaign
    first_at = Column(DateTime, nullable=False)  # UTC, naive (bot.handover.utcnow)
    last_at = Column(DateTime, nullable=False)
    sample = Column(Text, nullable=False, default="")  # a campaign's redacted sample message
    sample_sender_id = Column(String(255), nullable=True)  # the conversation the sample comes from
    indicators = Column(JSON, nullable=False, default=dict)  # shared offender indicators counted by kind
    state = Column(String(12), nullable=False, default=NEW)
    decided_by = Column(Integer, nullable=True)  # staff_users.id
    decided_at = Column(DateTime, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_observatory_alerts_last_at", "last_at"),
        Index("ix_observatory_alerts_sample_sender_id", "sample_sender_id"),
        {"sqlite_autoincrement": True},  # ids are never reused: deliveries and the audit log refer to them
    )


ALERTS = ObservatoryAlert.__table__


def _erase_samples(connection: Connection, sender_ids: Sequence[str], _counts: erasure.Counts) -> None:
    """The alert stays (its counts name nobody); the sample taken from an erased conversation goes."""
    for chunk in erasure.chunks(sender_ids):
        connection.execute(
            update(ALERTS).where(ALERTS.c.sample_sender_id.in_(chunk)).values(sample="", sample_sender_id=None)
        )


erasure.register(ALERTS.name, _erase_samples, table=ALERTS.name)
