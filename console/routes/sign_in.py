"""Signing in and out (/console/login, /console/login/code, /console/logout).

A correct password opens a session of a few minutes that leads only to the next step: the TOTP code of an account
that has one, or its enrolment for supervisors and admins (console/routes/account.py). The signed-in session is a
new one, opened after the code. What is refused before any hash, and the delays after failures, password or code:
console/login_guard.py.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Optional, Tuple

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.inbound import client_address
from console import auth, login_guard, two_factor
from console.models import CODE, ENROL, SIGNED_IN, StaffSession, StaffUser
from console.web import PREFIX, form_value, offload, render, set_session_cookie, staff

_throttle = login_guard.LoginThrottle()
_gate = login_guard.HashGate()
BUSY = "Trop de connexions en cours. Réessayez dans quelques secondes."


async def _refused(message: str, seconds: float, template: str = "login.html", **context: str) -> HTTPResponse:
    """429 with Retry-After, after login_guard.REFUSAL_PAUSE_SECONDS."""
    await asyncio.sleep(login_guard.REFUSAL_PAUSE_SECONDS)
    page = render(template, status=429, error=message, **context)
    page.headers["Retry-After"] = login_guard.retry_after(seconds)
    return page


def _after_password(user: StaffUser) -> Tuple[str, str]:
    """The session a correct password opens and where it leads: the code, the enrolment, or the console."""
    if user.totp_secret:
        stage, page = CODE, "/login/code"
    elif user.needs_two_factor:
        stage, page = ENROL, "/two-factor"
    else:
        stage, page = SIGNED_IN, "/"
    token, _ = auth.open_session(user, stage)
    if stage == SIGNED_IN:
        auth.audit(user, "login")
    return token, f"{PREFIX}{page}"


def _replace_pending(pending_token: str, user: StaffUser) -> str:
    auth.close_session(pending_token)
    token, _ = auth.open_session(user)
    auth.audit(user, "login")
    return token


async def signed_in(request: Request, user: StaffUser) -> HTTPResponse:
    """Replaces the pending session of a finished second step by a signed-in one (a new token)."""
    token = await offload(_replace_pending, request.cookies.get(auth.COOKIE), user)
    _throttle.succeeded(user.email, client_address(request))
    return set_session_cookie(request, response.redirect(f"{PREFIX}/"), token)


def code_error(
    user: StaffUser, code: str, address: str, enrolling: Optional[str] = None
) -> Optional[Tuple[int, str, float]]:
    """Checks a posted code (or the first code of an enrolment) under the same delays as passwords (the account and
    the address): the status, message and seconds to wait of a refusal, or None."""
    wait = _throttle.wait(user.email, address)
    if wait > 0:
        return 429, f"Trop de tentatives. Réessayez {login_guard.in_words(wait)}.", wait
    if not two_factor.check(user.id, code, enrolling):
        _throttle.failed(user.email, address)
        auth.audit(user, "login_code_failed")
        return 401, "Code incorrect ou déjà utilisé. Saisissez le code suivant de votre application.", 0
    return None


def pending_sign_in(token: Optional[str], stage: str) -> Optional[Tuple[StaffUser, StaffSession]]:
    """The user and session of a sign-in waiting at this stage."""
    found = auth.current_session(token)
    return found if found is not None and found[1].stage == stage else None


def register(bp: Blueprint) -> None:
    @bp.get("/login")
    async def login_page(request: Request) -> HTTPResponse:
        return render("login.html")

    @bp.post("/login")
    async def login(request: Request) -> HTTPResponse:
        email = (request.form.get("email") or "").strip().lower()
        if len(email) > login_guard.MAX_EMAIL_CHARS:
            return render("login.html", status=400, error="Cette adresse e-mail est trop longue.")
        address = client_address(request)
        wait = _throttle.wait(email, address)
        if wait > 0:
            return await _refused(f"Trop de tentatives. Réessayez {login_guard.in_words(wait)}.", wait)
        if not await _gate.enter(priority=_throttle.known(email, address)):
            return await _refused(BUSY, 1)
        try:
            user = await _gate.run(auth.authenticate, email, request.form.get("password") or "")
        finally:
            _gate.leave()
        if user is None:
            _throttle.failed(email, address)
            await offload(auth.audit, None, "login_failed", auth.email_digest(email))
            return render("login.html", status=401, error="Adresse e-mail ou mot de passe incorrect.")
        token, next_page = await offload(_after_password, user)
        if next_page == f"{PREFIX}/":
            _throttle.succeeded(email, address)  # otherwise once the second step is done (`signed_in`)
        return set_session_cookie(request, response.redirect(next_page), token)

    @bp.get("/login/code")
    async def code_page(request: Request) -> HTTPResponse:
        pending = await offload(pending_sign_in, request.cookies.get(auth.COOKIE), CODE)
        if pending is None:
            return response.redirect(f"{PREFIX}/login")
        return render("login_code.html", csrf=pending[1].csrf_token)

    @bp.post("/login/code")
    async def code(request: Request) -> HTTPResponse:
        pending = await offload(pending_sign_in, request.cookies.get(auth.COOKIE), CODE)
        if pending is None:
            return response.redirect(f"{PREFIX}/login")
        user, session = pending
        if not hmac.compare_digest(form_value(request, "csrf"), session.csrf_token):
            return render("login_code.html", status=403, csrf=session.csrf_token, error="Le formulaire a expiré.")
        refused = await offload(code_error, user, form_value(request, "code"), client_address(request))
        if refused:
            status, message, wait = refused
            if status == 429:
                return await _refused(message, wait, "login_code.html", csrf=session.csrf_token)
            return render("login_code.html", status=status, csrf=session.csrf_token, error=message)
        return await signed_in(request, user)

    @bp.post("/logout")
    @staff()
    async def logout(request: Request) -> HTTPResponse:
        await offload(auth.close_session, request.cookies.get(auth.COOKIE))
        await offload(auth.audit, request.ctx.user, "logout")
        page = response.redirect(f"{PREFIX}/login")
        del page.cookies[auth.COOKIE]
        return page
