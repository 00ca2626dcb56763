"""An operator using the staff console over HTTP, to check that operator messages reach Telegram and SMS victims;
`sign_in`, the sign-in of any member of staff, TOTP code or enrolment included."""

from __future__ import annotations

import hashlib
import os
import re
import time
from typing import Dict, Tuple

import pyotp
import requests

from bot import db
from console import auth

HANDOVER_ENV = {"HANDOVER_OPENING_HOURS": "24/7", "HANDOVER_WAIT_SECONDS": "600"}
EMAIL, NAME, PASSWORD = "alex@example.org", "Alex", "un mot de passe très long"


def create_operator(database_url: str) -> None:
    """Creates the operator's account in the servers' database (before they start)."""
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = database_url
    try:
        db.create_all()
        auth.create_user(EMAIL, NAME, PASSWORD, "operator")
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
        db._engine.cache_clear()


# What sign_in enrolled: (console URL, e-mail) -> TOTP secret, and the last time step it sent a code for.
SECRETS: Dict[Tuple[str, str], str] = {}
_LAST_STEP: Dict[Tuple[str, str], int] = {}


def totp_code(base: str, email: str) -> str:
    """A code of a time step the server has not accepted yet for this account (each works once): the previous,
    current or next step, waiting for the clock when all three are spent."""
    key = (base, email)
    totp = pyotp.TOTP(SECRETS[key])
    now = time.time()
    current = int(now // totp.interval)
    # The previous step only far from a boundary: the server's clock must not have moved past it.
    earliest = current - 1 if now % totp.interval < totp.interval - 5 else current
    step = max(earliest, _LAST_STEP.get(key, earliest - 1) + 1)
    if step > current + 1:
        time.sleep((step - 1) * totp.interval - now + 0.5)
    _LAST_STEP[key] = step
    return totp.generate_otp(step)


def _csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page)[1]


def desk_address(email: str) -> str:
    """The address a member of staff works from, one per account (as each operator has a desk): with
    TRUSTED_PROXIES=1 the server reads it from X-Forwarded-For, so one account's failed sign-ins delay that address
    only, as in production (console/login_guard.py). Without it the header is ignored: everyone is 127.0.0.1."""
    number = int(hashlib.sha256(email.lower().encode()).hexdigest()[:6], 16)
    return f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"


def sign_in(http: requests.Session, base: str, email: str, password: str) -> requests.Response:
    """Signs in at `base` (…/console) with the password, then the TOTP code, or the enrolment the first time a
    supervisor or admin signs in (the secret is read from the page, as an authenticator app scans it). Returns the
    last answer: a redirection to the console when signed in."""
    http.headers["X-Forwarded-For"] = desk_address(email)
    for _ in range(4):  # a refused sign-in says when to come back (console/login_guard.py): as a person would
        answer = http.post(
            f"{base}/login", data={"email": email, "password": password}, allow_redirects=False, timeout=30
        )
        wait = float(answer.headers.get("Retry-After") or 0) if answer.status_code == 429 else 0
        if not 0 < wait <= 16:
            break
        time.sleep(wait)
    step = answer.headers.get("Location", "").rpartition("/console")[2]  # a path under the console
    if step not in ("/two-factor", "/login/code"):
        return answer
    page = http.get(f"{base}{step}", timeout=20).text
    if step == "/two-factor":
        SECRETS[(base, email)] = re.search(r"secret=([A-Z2-7]+)", page)[1]
        _LAST_STEP.pop((base, email), None)
    code = totp_code(base, email)
    return http.post(f"{base}{step}", data={"csrf": _csrf(page), "code": code}, allow_redirects=False, timeout=20)


class Operator:
    def __init__(self, base_url: str) -> None:
        self.base = f"{base_url}/console"
        self.http = requests.Session()
        login = sign_in(self.http, self.base, EMAIL, PASSWORD)
        assert login.status_code in (302, 303), login.text
        self.csrf = _csrf(self.http.get(f"{self.base}/", timeout=20).text)

    def waiting(self, channel: str) -> list:
        queue = self.http.get(f"{self.base}/api/queue", timeout=20).json()["waiting"]
        return [item["id"] for item in queue if item["channel"] == channel]

    def take(self, handover_id: int) -> None:
        response = self.http.post(
            f"{self.base}/handovers/{handover_id}/take", data={"csrf": self.csrf}, allow_redirects=False, timeout=20
        )
        assert response.status_code in (302, 303), response.text

    def send(self, handover_id: int, text: str, status: int = 200) -> dict:
        """What the console's page does when the operator sends a message; its JSON answer."""
        response = self.http.post(
            f"{self.base}/handovers/{handover_id}/send",
            json={"text": text},
            headers={"X-CSRF-Token": self.csrf},
            timeout=20,
        )
        assert response.status_code == status, response.text
        return response.json()

    def page(self, handover_id: int) -> str:
        response = self.http.get(f"{self.base}/handovers/{handover_id}", timeout=20)
        assert response.status_code == 200, response.text
        return response.text

    def messages(self, handover_id: int) -> list:
        return self.http.get(f"{self.base}/api/handovers/{handover_id}/messages", timeout=20).json()["messages"]
