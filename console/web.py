"""What every console page shares: the URL prefix, the templates, the staff guard and blocking work off the loop.

The console runs inside the Rasa server's event loop, which also serves every victim: database calls and password
hashing go through `offload` (a worker thread), never straight from a handler.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
from pathlib import Path
from typing import Any, Awaitable, Callable, TypeVar

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from console import auth

PREFIX = "/console"
TEMPLATES = Environment(
    loader=FileSystemLoader(str(Path(__file__).resolve().parent / "templates")),
    autoescape=select_autoescape(["html"]),
)

T = TypeVar("T")


async def offload(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Runs blocking work (SQL, Argon2) in a worker thread."""
    return await asyncio.to_thread(function, *args, **kwargs)


def render(template: str, status: int = 200, **context: Any) -> HTTPResponse:
    html = TEMPLATES.get_template(template).render(prefix=PREFIX, **context)
    return response.html(html, status=status, headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"})


def error_page(request: Request, status: int, message: str) -> HTTPResponse:
    """The error page of a signed-in member of staff."""
    return render("error.html", status=status, user=request.ctx.user, csrf=request.ctx.csrf, message=message)


def set_session_cookie(request: Request, page: HTTPResponse, token: str) -> HTTPResponse:
    page.cookies[auth.COOKIE] = token
    cookie = page.cookies[auth.COOKIE]
    cookie["httponly"], cookie["samesite"], cookie["path"] = True, "Strict", PREFIX
    cookie["secure"] = request.scheme == "https"
    return page


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
            return await handler(request, *args, **kwargs)

        return wrapper

    return decorator
