"""What every console page shares: the URL prefix, the templates and their security headers, the staff guard and
blocking work off the loop.

The console runs inside the Rasa server's event loop, which also serves every victim: database calls and password
hashing go through `offload` (a worker thread), never straight from a handler; a sign-in's hash goes through the
budget of console/login_guard.py.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import re
import secrets
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional, TypeVar

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from console import auth
from console.observatory import alert_decisions

PREFIX = "/console"
TEMPLATES = Environment(
    loader=FileSystemLoader(str(Path(__file__).resolve().parent / "templates")),
    autoescape=select_autoescape(["html"]),
)

T = TypeVar("T")
logger = logging.getLogger(__name__)
# New observatory alerts, counted once per supervisor's page by `staff` and shown by base.html's banner. A context
# variable: `render` runs in the request's task, and is called without the request.
_new_alerts: ContextVar[int] = ContextVar("cyberaide_new_alerts", default=0)

# The pages' own inline <script> and <style> elements carry a fresh nonce; nothing else runs or loads, and the
# scripts talk to this server only. Responses that are not pages (JSON, redirects) get NOTHING_POLICY.
PAGE_POLICY = (
    "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
NOTHING_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# The largest id an INTEGER column holds on PostgreSQL: a bigger one in a URL or a query is refused before SQL
# (where it would overflow, a 500).
MAX_ID = 2**31 - 1
HSTS = "max-age=31536000"  # a year; sent only where the cookie is Secure (STAFF_COOKIE_SECURE), i.e. HTTPS


async def offload(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Runs blocking work (SQL, Argon2) in a worker thread."""
    return await asyncio.to_thread(function, *args, **kwargs)


def render(template: str, status: int = 200, **context: Any) -> HTTPResponse:
    nonce = secrets.token_urlsafe(16)
    context.setdefault("new_alerts", _new_alerts.get())
    html = TEMPLATES.get_template(template).render(prefix=PREFIX, csp_nonce=nonce, **context)
    policy = PAGE_POLICY.format(nonce=nonce)
    return response.html(html, status=status, headers={"Cache-Control": "no-store", "Content-Security-Policy": policy})


def security_headers(request: Request, page: HTTPResponse) -> None:
    """On every console response (a response middleware of the console's blueprint)."""
    headers = page.headers
    headers.setdefault("Content-Security-Policy", NOTHING_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")  # for browsers without frame-ancestors
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")  # console URLs name conversations: they stay here
    if settings.current().staff_cookie_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)


def error_page(request: Request, status: int, message: str) -> HTTPResponse:
    """The error page of a signed-in member of staff."""
    return render("error.html", status=status, user=request.ctx.user, csrf=request.ctx.csrf, message=message)


def set_session_cookie(request: Request, page: HTTPResponse, token: str) -> HTTPResponse:
    page.cookies[auth.COOKIE] = token
    cookie = page.cookies[auth.COOKIE]
    cookie["httponly"], cookie["samesite"], cookie["path"] = True, "Strict", PREFIX
    # STAFF_COOKIE_SECURE=0 is for plain-http development: the cookie would otherwise never come back.
    cookie["secure"] = settings.current().staff_cookie_secure or request.scheme == "https"
    return page


class BadQuery(ValueError):
    """A query-string value a route cannot use: 400 with this message (`bad_query`)."""


def query_int(
    request: Request, name: str, default: Optional[int], minimum: int = 0, maximum: int = MAX_ID
) -> Optional[int]:
    """The query parameter `name` as a whole number between `minimum` and `maximum`, `default` when absent."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"-?[0-9]{1,10}", raw) or not minimum <= int(raw) <= maximum:
        raise BadQuery(f"Paramètre « {name} » invalide : un nombre entier entre {minimum} et {maximum} est attendu.")
    return int(raw)


def bad_query(request: Request, error: BadQuery) -> HTTPResponse:
    """The console's handler of BadQuery (raised inside a staff route, so the member of staff is known)."""
    if request.path.startswith(f"{PREFIX}/api/"):
        return response.json({"error": str(error)}, status=400)
    return error_page(request, 400, str(error))


def ids_in_range(request: Request) -> Optional[HTTPResponse]:
    """A request middleware: an id in the path that no table can hold is not found, rather than a SQL overflow."""
    if any(isinstance(value, int) and not 0 <= value <= MAX_ID for value in (request.match_info or {}).values()):
        return response.text("Page introuvable.", status=404)
    return None


def form_value(request: Request, name: str) -> str:
    return ((request.form.get(name) if request.form else None) or "").strip()


def posted_text(request: Request) -> str:
    """The `text` field of a form or of a JSON body."""
    if request.form:
        return (request.form.get("text") or "").strip()
    try:
        return str((request.json or {}).get("text") or "").strip()
    except Exception:
        return ""


async def _count_new_alerts(user: Any) -> int:
    """For the banner of supervisors and admins; a failure leaves the page without it."""
    if not user.can("supervisor"):
        return 0
    try:
        return await offload(alert_decisions.count_new)
    except Exception:
        logger.exception("Could not count the new observatory alerts")
        return 0


def staff(role: str = "operator", api: bool = False):
    """Requires a signed-in account with at least `role`; POST requests also require the CSRF token."""

    def decorator(handler: Callable[..., Awaitable[HTTPResponse]]):
        @functools.wraps(handler)
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            signed_in = await offload(auth.session_user, request.cookies.get(auth.COOKIE))
            if signed_in is None:
                if api:
                    return response.json({"error": "Authentification requise."}, status=401)
                return response.redirect(f"{PREFIX}/login")
            user, csrf = signed_in
            request.ctx.user, request.ctx.csrf = user, csrf
            if not user.can(role):
                if api:
                    return response.json({"error": "Accès refusé."}, status=403)
                return error_page(request, 403, "Vous n'avez pas accès à cette page avec votre rôle.")
            if request.method == "POST":
                sent = request.headers.get("X-CSRF-Token") or (request.form.get("csrf") if request.form else None)
                if not sent or not hmac.compare_digest(sent, csrf):
                    if api:
                        return response.json({"error": "Jeton CSRF invalide."}, status=403)
                    return error_page(request, 403, "Le formulaire a expiré. Rechargez la page et recommencez.")
            shown = _new_alerts.set(await _count_new_alerts(user) if not api and request.method == "GET" else 0)
            try:
                return await handler(request, *args, **kwargs)
            finally:
                _new_alerts.reset(shown)

        return wrapper

    return decorator
