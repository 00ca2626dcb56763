"""Signing in and out (/console/login, /console/logout). What is refused before any hash: console/login_guard.py."""

from __future__ import annotations

import asyncio

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from channels.inbound import client_address
from console import auth, login_guard
from console.web import PREFIX, offload, render, staff

_throttle = login_guard.LoginThrottle()
_gate = login_guard.HashGate()
BUSY = "Trop de connexions en cours. Réessayez dans quelques secondes."


async def _refused(message: str, seconds: float) -> HTTPResponse:
    """429 with Retry-After, after login_guard.REFUSAL_PAUSE_SECONDS."""
    await asyncio.sleep(login_guard.REFUSAL_PAUSE_SECONDS)
    page = render("login.html", status=429, error=message)
    page.headers["Retry-After"] = login_guard.retry_after(seconds)
    return page


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
            return render("login.html", status=401, error="Adresse e-mail ou mot de passe incorrect.")
        _throttle.succeeded(email, address)
        token, _ = await offload(auth.open_session, user)
        await offload(auth.audit, user, "login")
        page = response.redirect(f"{PREFIX}/")
        page.cookies[auth.COOKIE] = token
        cookie = page.cookies[auth.COOKIE]
        cookie["httponly"], cookie["samesite"], cookie["path"] = True, "Strict", PREFIX
        # STAFF_COOKIE_SECURE=0 is for plain-http development: the cookie would otherwise never come back.
        cookie["secure"] = settings.current().staff_cookie_secure or request.scheme == "https"
        return page

    @bp.post("/logout")
    @staff()
    async def logout(request: Request) -> HTTPResponse:
        await offload(auth.close_session, request.cookies.get(auth.COOKIE))
        page = response.redirect(f"{PREFIX}/login")
        del page.cookies[auth.COOKIE]
        return page
