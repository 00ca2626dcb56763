"""Public alerts: the "vague en cours" notices in force (bot/notices.py) on `GET /alertes` and its Atom feed
`GET /alertes.atom`, for anyone, without signing in, on every deployment (credentials.yml).

Only what a supervisor wrote for the public is shown: title, text, reflex, the incident's name and the dates; never
the alert's sample, its counts or the words it is matched on. Every value is escaped (html.escape for the page,
ElementTree for the feed). Both may be cached a few minutes (CACHE_SECONDS): a notice is news for days, and a
cache in front of the server absorbs a rush after a press article. At most RATE_PER_MINUTE requests per address.
"""

from __future__ import annotations

import asyncio
import html
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, List, Optional, Text
from urllib.parse import urlsplit
from xml.etree import ElementTree

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import db, knowledge, notices, settings
from bot.handover import utcnow
from channels.inbound import RateLimiter, client_address

PATH = "/alertes"
FEED_PATH = "/alertes.atom"
CACHE_SECONDS = 300
RATE_PER_MINUTE = 60
ATOM = "http://www.w3.org/2005/Atom"
HEADERS = {
    "Cache-Control": f"public, max-age={CACHE_SECONDS}",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
}
limiter = RateLimiter("public-alerts", limit=RATE_PER_MINUTE)

_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vagues d'arnaques en cours – Cyberaide</title>
<link rel="alternate" type="application/atom+xml" title="Vagues en cours" href="{feed}">
<style>body{{font:17px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}}
article{{border-left:4px solid #b34000;padding:.2rem 1rem;margin:1.5rem 0;background:#fff8ef}}
.when{{color:#555;font-size:.9em}}</style></head><body>
<h1>Vagues d'arnaques en cours</h1>
<p>Ces avis décrivent des arnaques que de nombreuses personnes nous signalent en ce moment, et le bon réflexe.
Ne payez jamais : aucun paiement ne met fin à un chantage.</p>
{body}
<p>Suivre ces avis : <a href="{feed}">flux Atom</a>.</p>
<p>En cas de danger immédiat, appelez le 17 ou le 112.</p></body></html>"""
NONE = "<p>Aucune vague particulière n'est signalée en ce moment.</p>"


def _incident(key: str) -> str:
    sheet = knowledge.load().sheets.get(key)
    return sheet.title if sheet else ""


def _date(value: datetime) -> str:
    return value.strftime("%d/%m/%Y")


def page(current: List[notices.Notice]) -> str:
    articles = []
    for notice in current:
        incident = _incident(notice.incident)
        articles.append(
            f'<article id="avis-{notice.id}"><h2>{html.escape(notice.title)}</h2>'
            + (f"<p><strong>{html.escape(incident)}</strong></p>" if incident else "")
            + f"<p>{html.escape(notice.text)}</p><p><strong>Le réflexe :</strong> {html.escape(notice.reflex)}</p>"
            f'<p class="when">Publié le {_date(notice.starts_at)}, valable jusqu\'au {_date(notice.expires_at)}.</p>'
            "</article>"
        )
    return _PAGE.format(body="\n".join(articles) or NONE, feed=html.escape(FEED_PATH))


def _iso(value: datetime) -> str:
    return value.replace(tzinfo=timezone.utc, microsecond=0).isoformat().replace("+00:00", "Z")


def _tag(base: str, notice: notices.Notice) -> str:
    """A permanent entry id (RFC 4151 tag URI): the same notice keeps it whatever the page's address becomes."""
    host = urlsplit(base).hostname or "localhost"
    return f"tag:{host},{notice.starts_at.strftime('%Y-%m-%d')}:avis-{notice.id}"


def feed(current: List[notices.Notice], updated: Optional[datetime], base: str) -> str:
    """The Atom feed (RFC 4287) of the notices in force."""
    ElementTree.register_namespace("", ATOM)

    def child(parent: ElementTree.Element, name: str, text: Optional[str] = None, **attributes: str):
        element = ElementTree.SubElement(parent, f"{{{ATOM}}}{name}", attributes)
        if text is not None:
            element.text = text
        return element

    root = ElementTree.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "fr"})
    child(root, "id", f"{base}{PATH}")
    child(root, "title", "Cyberaide – vagues d'arnaques en cours")
    child(root, "updated", _iso(updated or datetime(2026, 1, 1)))
    child(root, "link", rel="self", href=f"{base}{FEED_PATH}", type="application/atom+xml")
    child(root, "link", rel="alternate", href=f"{base}{PATH}", type="text/html")
    author = child(root, "author")
    child(author, "name", settings.current().controller_name or "Cyberaide")
    for notice in current:
        entry = child(root, "entry")
        child(entry, "id", _tag(base, notice))
        child(entry, "title", notice.title)
        child(entry, "published", _iso(notice.starts_at))
        child(entry, "updated", _iso(notice.starts_at))
        child(entry, "link", rel="alternate", href=f"{base}{PATH}#avis-{notice.id}", type="text/html")
        incident = _incident(notice.incident)
        summary = f"{incident} : " if incident else ""
        child(entry, "summary", f"{summary}{notice.text} Le réflexe : {notice.reflex}", type="text")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, encoding="unicode")


def _read() -> tuple:
    now = utcnow()
    return notices.current(now), notices.last_change(now)


class PublicAlertsInput(InputChannel):
    """Serves `/alertes` and `/alertes.atom` on every deployment (credentials.yml)."""

    @classmethod
    def name(cls) -> Text:
        return "alertes"

    def url_prefix(self) -> Text:
        return "/"  # absolute: a public address people type and share

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("cyberaide_public_alerts", __name__)

        @blueprint.listener("before_server_start")
        async def tables(_app: Any, _loop: Any) -> None:
            await asyncio.to_thread(db.create_all)  # a first start without the console still has the table

        blueprint.add_route(serve_page, PATH, methods=["GET", "HEAD"])
        blueprint.add_route(serve_feed, FEED_PATH, methods=["GET", "HEAD"])
        return blueprint


def _slow_down(request: Request) -> Optional[HTTPResponse]:
    if limiter.check(client_address(request)) != RateLimiter.OK:
        return response.text("Trop de demandes : réessayez dans une minute.", status=429)
    return None


async def serve_page(request: Request) -> HTTPResponse:
    refused = _slow_down(request)
    if refused is not None:
        return refused
    current, _ = await asyncio.to_thread(_read)
    return response.html(page(current), headers=HEADERS)


async def serve_feed(request: Request) -> HTTPResponse:
    refused = _slow_down(request)
    if refused is not None:
        return refused
    current, updated = await asyncio.to_thread(_read)
    body = feed(current, updated, settings.current().public_base_url)
    return response.text(body, content_type="application/atom+xml; charset=utf-8", headers=HEADERS)
