"""Expiring links to a victim's dossier (bot/dossier.py): how an SMS, the web chat or the REST API reaches the PDF.

The link carries a random token (128 bits, URL-safe); only its SHA-256 is stored, with the conversation id and the
expiry (DOSSIER_LINK_HOURS). The page it opens (channels/dossier_page.py) builds the PDF from the conversation when
the victim presses the button, so nothing of the dossier is stored, and erasing the conversation removes its links.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import Column, DateTime, String, delete, select

from bot import db, erasure, settings
from bot.handover import utcnow

PATH = "/dossier/"
TOKEN_BYTES = 16
# The custom payload (json_message) by which the action asks a channel to deliver the PDF itself: Telegram sends it as
# a document (channels/telegram.py), the web chat shows a download button (channels/webchat.py).
PAYLOAD_KEY = "dossier_token"


class DossierLink(db.Base):
    __tablename__ = "dossier_links"
    token_hash = Column(String(64), primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False, index=True)


erasure.register_rows(DossierLink.__table__, "dossier_links")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def create(sender_id: str, now: Optional[datetime] = None) -> str:
    """A new token for the conversation's dossier, valid DOSSIER_LINK_HOURS from `now`."""
    now = now or utcnow()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with db.session() as session:
        session.query(DossierLink).filter(DossierLink.expires_at <= now).delete(synchronize_session=False)
        session.add(
            DossierLink(
                token_hash=_hash(token),
                sender_id=sender_id,
                created_at=now,
                expires_at=now + timedelta(hours=settings.current().dossier_link_hours),
            )
        )
    return token


def url(token: str) -> str:
    return f"{settings.current().public_base_url}{PATH}{token}"


def resolve(token: str, now: Optional[datetime] = None) -> Optional[str]:
    """The conversation id of a valid token, else None (unknown, expired, or erased with its conversation)."""
    if not token or len(token) > 64:
        return None
    now, hashed = now or utcnow(), _hash(token)
    with db.session() as session:
        row = session.execute(
            select(DossierLink.sender_id, DossierLink.expires_at).where(DossierLink.token_hash == hashed)
        ).first()
        if row is None:
            return None
        if row.expires_at <= now:
            session.execute(delete(DossierLink).where(DossierLink.token_hash == hashed))
            return None
        return row.sender_id


def active_for(sender_id: str, now: Optional[datetime] = None) -> bool:
    """Whether the conversation has a link that has not expired: the web chat's download button works as long as
    the link it came with."""
    with db.session() as session:
        found = session.execute(
            select(DossierLink.token_hash).where(
                DossierLink.sender_id == sender_id, DossierLink.expires_at > (now or utcnow())
            )
        ).first()
    return found is not None
