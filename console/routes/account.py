"""A member of staff's own account (/console/account): two-factor enrolment (/console/two-factor), required before
any other page for supervisors and admins, optional for operators; signing out of every browser."""

from __future__ import annotations

import hmac
from typing import Optional, Tuple

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.inbound import client_address
from console import accounts, auth, login_guard, two_factor
from console.models import ENROL, SIGNED_IN, StaffSession, StaffUser
from console.routes.sign_in import code_error, signed_in
from console.web import PREFIX, form_value, offload, render, staff


def enrolling(token: Optional[str]) -> Optional[Tuple[StaffUser, StaffSession]]:
    """The account and session of someone enrolling: past the password of an account that must enrol, or signed in
    without two-factor sign-in yet. The secret is made once per session and kept on it until a code confirms it."""
    found = auth.current_session(token)
    if found is None or found[0].totp_secret or found[1].stage not in (ENROL, SIGNED_IN):
        return None
    user, session = found
    if not session.enrol_secret:
        session.enrol_secret = two_factor.new_secret()
        auth.set_enrol_secret(token, session.enrol_secret)
    return user, session


def _enrol_page(user: StaffUser, session: StaffSession, status: int = 200, error: str = "") -> HTTPResponse:
    uri = two_factor.provisioning_uri(user.email, session.enrol_secret)
    return render(
        "two_factor.html",
        status=status,
        user=user if session.stage == SIGNED_IN else None,
        csrf=session.csrf_token,
        uri=uri,
        qr=two_factor.qr_svg(uri),
        secret=session.enrol_secret,
        error=error,
    )


def register(bp: Blueprint) -> None:
    @bp.get("/account")
    @staff()
    async def account_page(request: Request) -> HTTPResponse:
        return render("account.html", user=request.ctx.user, csrf=request.ctx.csrf)

    @bp.get("/two-factor")
    async def enrol_page(request: Request) -> HTTPResponse:
        found = await offload(enrolling, request.cookies.get(auth.COOKIE))
        if found is None:
            return response.redirect(f"{PREFIX}/login")
        return _enrol_page(*found)

    @bp.post("/two-factor")
    async def enrol(request: Request) -> HTTPResponse:
        found = await offload(enrolling, request.cookies.get(auth.COOKIE))
        if found is None:
            return response.redirect(f"{PREFIX}/login")
        user, session = found
        if not hmac.compare_digest(form_value(request, "csrf"), session.csrf_token):
            return _enrol_page(user, session, 403, "Le formulaire a expiré.")
        refused = await offload(
            code_error, user, form_value(request, "code"), client_address(request), session.enrol_secret
        )
        if refused:
            page = _enrol_page(user, session, *refused[:2])
            if refused[0] == 429:
                page.headers["Retry-After"] = login_guard.retry_after(refused[2])
            return page
        await offload(auth.audit, user, "enrol_two_factor", user.email)
        if session.stage == ENROL:
            return await signed_in(request, user)
        return response.redirect(f"{PREFIX}/account")

    @bp.post("/sign-out-everywhere")
    @staff()
    async def sign_out_everywhere(request: Request) -> HTTPResponse:
        await offload(accounts.sign_out_everywhere, request.ctx.user, request.ctx.user.id)
        page = response.redirect(f"{PREFIX}/login")
        del page.cookies[auth.COOKIE]
        return page
