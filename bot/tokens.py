"""Comparing a secret a client presents (a token, a webhook secret) with the one configured."""

from __future__ import annotations

import hmac
from typing import Optional


def matches(given: Optional[str], expected: Optional[str]) -> bool:
    """Constant time, and false when either is missing. Sanic decodes header bytes with surrogateescape: they are
    encoded back the same way, so a stray byte like \\xff is a refusal, not a 500."""
    if given is None or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))
