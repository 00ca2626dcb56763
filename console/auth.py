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
from console.models import ROLES, SIGNED_IN, AuditLog, StaffSession, StaffUser, utcnow

COOKIE = "cyberaide_staff"
# Argon2id with the library's recommended memory and time costs, on one lane: one sign-in takes one core, never all
# of the cores the victims' conversations run on. A hash made with other parameters is redone at the next sign-in.
_hasher = PasswordHasher(parallelism=1)
MIN_PASSWORD_LENGTH = 12
PENDING_SECONDS = 300  # between the password and the TOTP code (or its enrolment)


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


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"le mot de passe doit faire au moins {MIN_PASSWORD_LENGTH} caractères")
    return _hasher.hash(password)


def open_session(user: StaffUser, stage: str = SIGNED_IN) -> Tuple[str, str]:
    """Returns (cookie token, CSRF token). Only the token's hash is stored. A session past the password only
    (stage CODE or ENROL) lasts a few minutes and opens none of the console's pages."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    seconds = settings.current().staff_session_seconds if stage == SIGNED_IN else PENDING_SECONDS
    with db.session() as s:
        s.execute(delete(StaffSession).where(StaffSession.expires_at < now))
        s.add(
            StaffSession(
                token_hash=_digest(token),
                csrf_token=csrf,
                user_id=user.id,
                stage=stage,
                expires_at=now + timedelta(seconds=seconds),
            )
        )
    return token, csrf


def current_session(token: Optional[str]) -> Optional[Tuple[StaffUser, StaffSession]]:
    """The session of this cookie, whatever its stage, and its active user; None when missing or expired."""
    if not token:
        return None
    with db.session() as s:
        session = s.scalar(select(StaffSession).where(StaffSession.token_hash == _digest(token)))
        if session is None or session.expires_at < utcnow():
            return None
        user = s.get(StaffUser, session.user_id)
        if user is None or not user.active:
            return None
        return user, session


def session_user(token: Optional[str]) -> Optional[Tuple[StaffUser, str]]:
    """The signed-in user and the session's CSRF token, or None when the session is missing, expired, only past the
    password, or of a supervisor or admin without two-factor sign-in (made one since: they sign in again)."""
    found = current_session(token)
    if found is None:
        return None
    user, session = found
    if session.stage != SIGNED_IN or (user.needs_two_factor and not user.totp_secret):
        return None
    return user, session.csrf_token


def set_enrol_secret(token: str, secret: str) -> None:
    with db.session() as s:
        session = s.scalar(select(StaffSession).where(StaffSession.token_hash == _digest(token)))
        if session is not None:
            session.enrol_secret = secret


def close_session(token: Optional[str]) -> None:
    if token:
        with db.session() as s:
            s.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))


def email_digest(email: str) -> str:
    """How the audit log names the address of a failed sign-in: whatever was typed (a password in the wrong field,
    a stranger's address) is not kept, yet repeated attempts on one address show as one target."""
    return f"e-mail {_digest((email or '').strip().lower())[:12]}"


def audit(user: Optional[StaffUser], action: str, target: Optional[str] = None) -> None:
    with db.session() as s:
        s.add(AuditLog(user_id=user.id if user else None, action=action, target=target))


def _record_forgotten(sender_ids: Sequence[str], counts: Dict[str, int], user: Optional[StaffUser]) -> None:
    """Every erasure is in the audit log: who, which conversation (masked), what was deleted (counts)."""
    for sender_id in sender_ids:
        audit(user, "forget", f"{privacy.mask_sender(sender_id)} : {erasure.describe(counts)}"[:255])


erasure.on_forgotten(_record_forgotten)
