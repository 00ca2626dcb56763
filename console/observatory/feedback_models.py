"""The tables of provider feedback: each provider's link generation (revoking a link bumps it) and what providers
reported they handled. No victim's data: a report is a count of cases for a month, an incident, a public, a
département and an outcome (console/observatory/feedback.py)."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, String

from bot import db
from bot.providers.models import utcnow

# How a report reached us: the provider's signed link, or a CSV file imported by staff.
SOURCES = ("lien", "csv")


class ProviderFeedbackLink(db.Base):
    """A provider's current link generation; no row means generation 1 (the first link, never revoked). Deleting
    the provider deletes its row: the link of a provider that is no longer in the directory works no more."""

    __tablename__ = "provider_feedback_links"
    provider_id = Column(Integer, ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True)
    generation = Column(Integer, nullable=False, default=1)
    revoked_at = Column(DateTime, nullable=True)  # when the previous link was revoked


class ProviderReport(db.Base):
    __tablename__ = "provider_reports"
    id = Column(Integer, primary_key=True)
    # Kept when the provider leaves the directory (the figures stay; who said them is forgotten).
    provider_id = Column(Integer, ForeignKey("providers.id", ondelete="SET NULL"), nullable=True, index=True)
    month = Column(Date, nullable=False)  # the first day of the month the cases were handled
    incident = Column(String(40), nullable=False)  # an incident intent of bot/taxonomy.py
    public = Column(String(20), nullable=False)  # a key of bot/vocabulary.PUBLICS
    departement = Column(String(3), nullable=False)  # a code of bot/geo
    outcome = Column(String(20), nullable=False)  # a key of feedback.OUTCOMES
    count = Column(Integer, nullable=False)
    source = Column(String(10), nullable=False)  # one of SOURCES
    received_at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_provider_reports_month", "month", "incident", "outcome"),)
