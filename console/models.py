"""Tables of the staff console: accounts, sign-in sessions, audit log, operators' internal notes."""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.engine import Connection

from bot import erasure
from bot.db import Base
from bot.handover import Handover, utcnow  # noqa: F401  (one clock for every table)

ROLES = ("operator", "supervisor", "admin")  # each role can do everything the previous one can
TWO_FACTOR_ROLES = ("supervisor", "admin")  # they read transcripts and manage accounts: a password is not enough
# A session's stage: signed in, or past the password and waiting for a TOTP code or for the enrolment of one.
SIGNED_IN, CODE, ENROL = "signed_in", "code", "enrol"


class StaffUser(Base):
    __tablename__ = "staff_users"
    id = Column(Integer, primary_key=True)
    email = Column(String(255), unique=True, nullable=False)
    name = Column(String(255), nullable=False)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(20), nullable=False, default="operator")
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    totp_secret = Column(String(64), nullable=True)  # base32, set once confirmed with a code; never shown again
    totp_last_step = Column(Integer, nullable=True)  # the last TOTP time step accepted: a code works once

    def can(self, role: str) -> bool:
        return self.active and ROLES.index(self.role) >= ROLES.index(role)

    @property
    def needs_two_factor(self) -> bool:
        return self.role in TWO_FACTOR_ROLES


class StaffSession(Base):
    __tablename__ = "staff_sessions"
    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), unique=True, nullable=False)  # sha256 of the cookie value
    csrf_token = Column(String(64), nullable=False)
    user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)
    stage = Column(String(10), nullable=False, default=SIGNED_IN, server_default=SIGNED_IN)
    enrol_secret = Column(String(64), nullable=True)  # the TOTP secret being enrolled, until a code confirms it


class AuditLog(Base):
    __tablename__ = "staff_audit_log"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    action = Column(String(50), nullable=False)
    target = Column(String(255), nullable=True)
    at = Column(DateTime, nullable=False, default=utcnow)


class HandoverNote(Base):
    """Internal notes of the operators: never shown to the victim."""

    __tablename__ = "handover_notes"
    id = Column(Integer, primary_key=True)
    handover_id = Column(Integer, ForeignKey("handovers.id", ondelete="CASCADE"), nullable=False, index=True)
    author_id = Column(Integer, ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    text = Column(Text, nullable=False)
    at = Column(DateTime, nullable=False, default=utcnow)


def _erase_notes(connection: Connection, sender_ids: Sequence[str], counts: erasure.Counts) -> None:
    handovers = Handover.__table__
    notes = HandoverNote.__table__
    for chunk in erasure.chunks(sender_ids):
        of_these = select(handovers.c.id).where(handovers.c.sender_id.in_(chunk))
        erasure.add(
            counts, "notes", connection.execute(delete(notes).where(notes.c.handover_id.in_(of_these))).rowcount
        )


# Notes are found through their handover: erased before the handovers are.
erasure.register("handover_notes", _erase_notes, table=HandoverNote.__tablename__, order=-1)
