"""The page a dossier link opens (bot/dossier_links.py): `GET /dossier/<token>` shows a button, `POST` downloads the
PDF built from the conversation at that moment (bot/dossier.py, bot/dossier_pdf.py).

- Link-preview robots (messaging apps, SMS clients) only GET: they see a page with no personal data and never
  build the dossier.
- Nothing is cached (`no-store`) or indexed, no referrer leaves the page, and the token is masked in the logs
  (bot/logs.py).
- At most RATE_PER_MINUTE requests per client address; an unknown, expired or erased link gets the same 404.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import dossier, dossier_links, dossier_pdf
from channels.inbound import RateLimiter, client_address

RATE_PER_MINUTE = 10
HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow, noarchive",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}
FILENAME = "dossier-plainte-cyberaide.pdf"
limiter = RateLimiter("dossier", limit=RATE_PER_MINUTE)

_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow"><title>{title}</title>
<style>body{{font:17px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}}
button{{font:inherit;padding:.7rem 1.2rem;border:0;border-radius:6px;background:#213a6b;color:#fff;cursor:pointer}}
</style></head><body><h1>{title}</h1>{body}
<p>En cas de danger immédiat, appelez le 17 ou le 112.</p></body></html>"""
READY = (
    "<p>Votre dossier reprend ce que vous avez écrit à l'assistant : les faits et leurs dates, l'argent en jeu, "
    "les identifiants de l'escroc, les preuves à garder et où porter plainte.</p>"
    '<form method="post"><button type="submit">Télécharger mon dossier (PDF)</button></form>'
    "<p>Ce lien est personnel : ne le partagez pas.</p>"
)
GONE = "<p>Ce lien a expiré ou n'existe pas. Pour recevoir un nouveau lien, écrivez « mon dossier » à l'assistant.</p>"
SLOW_DOWN = "<p>Trop de demandes en peu de temps. Patientez une minute, puis réessayez.</p>"


def _page(title: str, body: str, status: int) -> HTTPResponse:
    return response.html(_PAGE.format(title=title, body=body), status=status, headers=HEADERS)


class DossierInput(InputChannel):
    """Serves `/dossier/<token>` on every deployment (credentials.yml), whichever channel sent the link."""

    @classmethod
    def name(cls) -> Text:
        return "dossier"

    def url_prefix(self) -> Text:
        return "/"  # absolute: the link stays short

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("cyberaide_dossier", __name__)
        blueprint.add_route(serve, f"{dossier_links.PATH}<token:str>", methods=["GET", "HEAD", "POST"])
        return blueprint


async def serve(request: Request, token: str) -> HTTPResponse:
    if limiter.check(client_address(request)) != RateLimiter.OK:
        return _page("Dossier", SLOW_DOWN, 429)
    sender_id = await asyncio.to_thread(dossier_links.resolve, token)
    if sender_id is None:
        return _page("Lien expiré", GONE, 404)
    if request.method != "POST":
        return _page("Votre dossier de plainte", READY, 200)
    pdf = await pdf_of(request.app.ctx.agent, sender_id)
    if pdf is None:
        return _page("Lien expiré", GONE, 404)
    return pdf_response(pdf)


def pdf_response(pdf: bytes) -> HTTPResponse:
    """The dossier as a download, never cached."""
    return response.raw(
        pdf,
        content_type="application/pdf",
        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{FILENAME}"'},
    )


async def pdf_of(agent: Any, sender_id: str) -> Optional[bytes]:
    """The dossier of a conversation as a PDF, built from its tracker now, or None (no conversation, no incident)."""
    tracker = await agent.tracker_store.retrieve_full_tracker(sender_id)
    if tracker is None:
        return None
    events = [event.as_dict() for event in tracker.events]
    built = dossier.build(events, tracker.current_slot_values(), time.time())
    return None if built is None else await asyncio.to_thread(dossier_pdf.render, built)
