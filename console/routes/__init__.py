"""The console's pages, one module per area; `register(bp)` adds them all to the console's blueprint."""

from __future__ import annotations

from sanic import Blueprint

from console.routes import account, admin, alerts, handover, observatory, provider_feedback, review, sign_in


def register(bp: Blueprint) -> None:
    for area in (sign_in, account, handover, review, observatory, alerts, admin, provider_feedback):
        area.register(bp)
