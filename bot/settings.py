"""Every setting read from the environment, with its embedded default, in one place.

Both the Rasa server (tracker store, channels) and the action server import this module, so they always agree on
the database and on which channels are on.
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CYBERAIDE_VAR_DIR", PROJECT_ROOT / "var"))


def database_url() -> str:
    """SQLAlchemy URL of the database holding the tracker store and the application tables."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{VAR_DIR / 'cyberaide.db'}"


def redis_url() -> str | None:
    """Redis URL for the lock store (needed with several Sanic workers or server instances); unset = in memory."""
    return os.environ.get("REDIS_URL") or None


# --- staff console and human handover ---------------------------------------------------------------------------
def staff_session_seconds() -> int:
    """Lifetime of a staff sign-in session."""
    return int(os.environ.get("STAFF_SESSION_HOURS", "8")) * 3600


def handover_wait_seconds() -> int:
    """After this long in the queue without an operator, the victim is told honestly and given alternatives."""
    return int(os.environ.get("HANDOVER_WAIT_SECONDS", "300"))


def handover_opening_hours() -> str:
    """When operators answer, e.g. "24/7" or "lun-ven 09:00-18:00" (Europe/Paris time)."""
    return os.environ.get("HANDOVER_OPENING_HOURS", "lun-ven 09:00-18:00")
