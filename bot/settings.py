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
