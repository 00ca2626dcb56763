"""Signing in and out (/console/login, /console/logout)."""

from __future__ import annotations

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from console import auth
from console.web import PREFIX, offload, render, staff

_throttle = auth.LoginThrottle()


def register(bp: Blueprint) -> None:
    @bp.get("/login")
    async def login_page(request: Request) -> HTTPResponse:
        return render("login.html")

    @bp.post("/login")
    async def login(request: Request) -> HTTPResponse:
        email = (request.form.get("email") or "").strip().lower()
        if _throttle.blocked(email):
            return render("login.html", status=429, error="Trop de tentatives. Réessayez dans quelques minutes.")
        user = await offload(auth.authenticate, email, request.form.get("password") or "")
        if user is None:
            _throttle.failed(email)
            return render("login.html", status=401, error="Adresse e-mail ou mot de passe incorrect.")
        token, _ = await offload(auth.open_session, user)
        await offload(auth.audit, user, "login")
        page = response.redirect(f"{PREFIX}/")
        page.cookies[auth.COOKIE] = token
        cookie = page.cookies[auth.COOKIE]
        cookie["httponly"], cookie["samesite"], cookie["path"] = True, "Strict", PREFIX
        cookie["secure"] = request.scheme == "https"
        return page

    @bp.post("/logout")
    @staff()
    async def logout(request: Request) -> HTTPResponse:
        await offload(auth.close_session, request.cookies.get(auth.COOKIE))
        page = response.redirect(f"{PREFIX}/login")
        del page.cookies[auth.COOKIE]
        return page
