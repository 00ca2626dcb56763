"""An operator using the staff console over HTTP, to check that operator messages reach Telegram and SMS victims."""

from __future__ import annotations

import os
import re

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


class Operator:
    def __init__(self, base_url: str) -> None:
        self.base = f"{base_url}/console"
        self.http = requests.Session()
        login = self.http.post(
            f"{self.base}/login", data={"email": EMAIL, "password": PASSWORD}, allow_redirects=False, timeout=20
        )
        assert login.status_code in (302, 303), login.text
        self.csrf = re.search(r'name="csrf" value="([^"]+)"', self.http.get(f"{self.base}/", timeout=20).text)[1]

    def waiting(self, channel: str) -> list:
        queue = self.http.get(f"{self.base}/api/queue", timeout=20).json()["waiting"]
        return [item["id"] for item in queue if item["channel"] == channel]

    def take(self, handover_id: int) -> None:
        response = self.http.post(
            f"{self.base}/handovers/{handover_id}/take", data={"csrf": self.csrf}, allow_redirects=False, timeout=20
        )
        assert response.status_code in (302, 303), response.text

    def send(self, handover_id: int, text: str) -> None:
        response = self.http.post(
            f"{self.base}/handovers/{handover_id}/send",
            json={"text": text},
            headers={"X-CSRF-Token": self.csrf},
            timeout=20,
        )
        assert response.status_code == 200, response.text
