"""Staff accounts and sign-in: Argon2id password hashes, server-side sessions with expiry, CSRF tokens, roles."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Dict, Optional, Sequence, Tuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from bot import db, erasure, privacy, settings
from console.models import ROLES, AuditLog, StaffSession, StaffUser, utcnow

COOKIE = "cyberaide_staff"
# Argon2id with the library's recommended memory and time costs, on one lane: one sign-in takes one core, never all
# of the cores the victims' conversations run on. A hash made with other parameters is redone at the next sign-in.
_hasher = PasswordHasher(parallelism=1)
MIN_PASSWORD_LENGTH = 12


class AuthError(ValueError):
    pass


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(email: str, name: str, password: str, role: str = "operator") -> StaffUser:
    if role not in ROLES:
        raise AuthError(f"rôle inconnu : {role}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"le mot de passe doit faire au moins {MIN_PASSWORD_LENGTH} caractères")
    email = email.strip().lower()
    with db.session() as s:
        if s.scalar(select(StaffUser).where(StaffUser.email == email)):
            raise AuthError(f"un compte existe déjà pour {email}")
        user = StaffUser(email=email, name=name.strip(), password_hash=_hasher.hash(password), role=role)
        s.add(user)
    return user


def authenticate(email: str, password: str) -> Optional[StaffUser]:
    with db.session() as s:
        user = s.scalar(select(StaffUser).where(StaffUser.email == (email or "").strip().lower()))
        if user is None or not user.active:
            _hasher.hash(password or "")  # same cost whether the account exists or not
            return None
        try:
            _hasher.verify(user.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        return user


def open_session(user: StaffUser) -> Tuple[str, str]:
    """Returns (cookie token, CSRF token). Only the token's hash is stored."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    with db.session() as s:
        s.execute(delete(StaffSession).where(StaffSession.expires_at < now))
        s.add(
            StaffSession(
                token_hash=_digest(token),
                csrf_token=csrf,
                user_id=user.id,
                expires_at=now + timedelta(seconds=settings.current().staff_session_seconds),
            )
        )
    return token, csrf


def session_user(token: Optional[str]) -> Optional[Tuple[StaffUser, str]]:
    """The signed-in user and the session's CSRF token, or None when the session is missing or expired."""
    if not token:
        return None
    with db.session() as s:
        session = s.scalar(select(StaffSession).where(StaffSession.token_hash == _digest(token)))
        if session is None or session.expires_at < utcnow():
            return None
        user = s.get(StaffUser, session.user_id)
        if user is None or not user.active:
            return None
        return user, session.csrf_token


def close_session(token: Optional[str]) -> None:
    if token:
        with db.session() as s:
            s.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))


def audit(user: Optional[StaffUser], action: str, target: Optional[str] = None) -> None:
    with db.session() as s:
        s.add(AuditLog(user_id=user.id if user else None, action=action, target=target))


def _record_forgotten(sender_ids: Sequence[str], counts: Dict[str, int], user: Optional[StaffUser]) -> None:
    """Every erasure is in the audit log: who, which conversation (masked), what was deleted (counts)."""
    for sender_id in sender_ids:
        audit(user, "forget", f"{privacy.mask_sender(sender_id)} : {erasure.describe(counts)}"[:255])


erasure.on_forgotten(_record_forgotten)
