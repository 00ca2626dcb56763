"""TOTP two-factor sign-in of staff (pyotp): secrets, the enrolment's QR code (segno), and codes that work once.

A code is accepted for the current 30-second time step and its neighbours (clocks drift), and never for a step at or
before the last one accepted for the account: a code seen over a shoulder or in a proxy log cannot be replayed.
"""

from __future__ import annotations

import hmac
import time
from typing import Optional

import pyotp
import segno

from bot import db
from console.models import StaffUser

ISSUER = "Cyberaide"
VALID_WINDOW = 1  # time steps accepted on either side of the current one


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(email: str, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """An inline SVG of the provisioning URI, for authenticator apps to scan."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#161616", light="#fff")


def _matching_step(secret: str, code: str, after: Optional[int]) -> Optional[int]:
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(time.time()) // totp.interval
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check(user_id: int, code: str, enrolling: Optional[str] = None) -> bool:
    """Checks a code against the account's secret, or against the secret being enrolled (which then becomes the
    account's). The account's row is locked so that two sign-ins racing with one code cannot both pass."""
    with db.session() as s:
        user = s.get(StaffUser, user_id, with_for_update=True)
        secret = enrolling or (user.totp_secret if user else None)
        if user is None or not secret:
            return False
        step = _matching_step(secret, code or "", None if enrolling else user.totp_last_step)
        if step is None:
            return False
        user.totp_last_step = step
        if enrolling:
            user.totp_secret = enrolling
        return True
