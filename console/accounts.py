"""What admins do to staff accounts, from the admin page and `python -m console`: deactivate and reactivate, change
role, reset the password or the two-factor sign-in, sign out everywhere. Each change is audited in its transaction.

Sessions are checked against the account on every request (console/auth.py): a deactivated account or a new role
takes effect at once; resets also delete the account's sessions, so that whoever held one has to sign in again.
"""

from __future__ import annotations

import secrets
from typing import Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot import db
from console import auth
from console.models import ROLES, AuditLog, StaffSession, StaffUser

GENERATED_PASSWORD_BYTES = 12  # 16 characters of token_urlsafe


class AccountError(ValueError):
    pass


def find(email: str) -> Optional[int]:
    with db.session() as s:
        return s.scalar(select(StaffUser.id).where(StaffUser.email == (email or "").strip().lower()))


def _account(s: Session, user_id: int) -> StaffUser:
    user = s.get(StaffUser, user_id, with_for_update=True)
    if user is None:
        raise AccountError("compte introuvable")
    return user


def _record(s: Session, actor: Optional[StaffUser], action: str, target: str) -> None:
    s.add(AuditLog(user_id=actor.id if actor else None, action=action, target=target[:255]))


def _keep_an_admin(s: Session, user: StaffUser) -> None:
    """Refuses to leave the console without an active admin (nobody could manage accounts any more)."""
    if user.role != "admin" or not user.active:
        return
    admins = s.scalars(
        select(StaffUser.id).where(StaffUser.role == "admin", StaffUser.active.is_(True)).with_for_update()
    ).all()
    if set(admins) <= {user.id}:
        raise AccountError(f"{user.email} est le dernier administrateur actif")


def _sign_out(s: Session, user_id: int) -> int:
    return s.execute(delete(StaffSession).where(StaffSession.user_id == user_id)).rowcount or 0


def set_active(actor: Optional[StaffUser], user_id: int, active: bool) -> StaffUser:
    with db.session() as s:
        user = _account(s, user_id)
        if not active:
            _keep_an_admin(s, user)
            _sign_out(s, user.id)
        user.active = active
        _record(s, actor, "reactivate" if active else "deactivate", user.email)
        return user


def set_role(actor: Optional[StaffUser], user_id: int, role: str) -> StaffUser:
    if role not in ROLES:
        raise AccountError(f"rôle inconnu : {role}")
    with db.session() as s:
        user = _account(s, user_id)
        if role != "admin":
            _keep_an_admin(s, user)
        _record(s, actor, "change_role", f"{user.email} : {user.role} → {role}")
        user.role = role
        return user


def reset_password(actor: Optional[StaffUser], user_id: int, password: Optional[str] = None) -> str:
    """Sets the given temporary password, or a generated one; returns it (shown once, never stored in clear)."""
    password = password or secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    try:
        hashed = auth.hash_password(password)
    except auth.AuthError as error:
        raise AccountError(str(error)) from error
    with db.session() as s:
        user = _account(s, user_id)
        user.password_hash = hashed
        _sign_out(s, user.id)
        _record(s, actor, "reset_password", user.email)
    return password


def reset_two_factor(actor: Optional[StaffUser], user_id: int) -> StaffUser:
    """Forgets the account's TOTP secret (a lost phone): a supervisor or admin enrols again at the next sign-in."""
    with db.session() as s:
        user = _account(s, user_id)
        user.totp_secret, user.totp_last_step = None, None
        _sign_out(s, user.id)
        _record(s, actor, "reset_two_factor", user.email)
        return user


def sign_out_everywhere(actor: Optional[StaffUser], user_id: int) -> int:
    """Deletes every session of the account (every browser); returns how many there were."""
    with db.session() as s:
        user = _account(s, user_id)
        closed = _sign_out(s, user.id)
        _record(s, actor, "sign_out_everywhere", user.email)
        return closed
