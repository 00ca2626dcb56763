"""Admins only: the audit log (/console/audit) and staff accounts (/console/users): create, deactivate, change role,
reset password or two-factor sign-in, sign out everywhere (console/accounts.py)."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import select

from bot import db
from console import accounts, auth
from console.models import ROLES, AuditLog, StaffUser
from console.web import PREFIX, error_page, form_value, offload, query_int, render, staff

AUDIT_PAGE_SIZE = 200


def audit_entries(action: str, before: Optional[int]) -> List[Dict[str, Any]]:
    """Who read or changed what, newest first (targets never hold a victim's phone number)."""
    with db.session() as s:
        query = select(AuditLog, StaffUser.name).outerjoin(StaffUser, StaffUser.id == AuditLog.user_id)
        if action:
            query = query.where(AuditLog.action == action)
        if before is not None:
            query = query.where(AuditLog.id < before)
        rows = s.execute(query.order_by(AuditLog.id.desc()).limit(AUDIT_PAGE_SIZE)).all()
        return [
            {
                "id": log.id,
                "at": log.at.strftime("%d/%m/%Y %H:%M:%S"),
                "who": name or "système",
                "action": log.action,
                "target": log.target or "",
            }
            for log, name in rows
        ]


def staff_accounts() -> List[StaffUser]:
    with db.session() as s:
        return list(s.scalars(select(StaffUser).order_by(StaffUser.name)))


def register(bp: Blueprint) -> None:
    @bp.get("/audit")
    @staff("admin")
    async def audit_page(request: Request) -> HTTPResponse:
        action = (request.args.get("action") or "").strip()[:50]
        entries = await offload(audit_entries, action, query_int(request, "before", default=None))
        older = entries[-1]["id"] if len(entries) == AUDIT_PAGE_SIZE else None
        return render(
            "audit.html", user=request.ctx.user, csrf=request.ctx.csrf, entries=entries, action=action, older=older
        )

    @bp.get("/users")
    @staff("admin")
    async def users_page(request: Request) -> HTTPResponse:
        return await _users(request)

    @bp.post("/users")
    @staff("admin")
    async def create_user(request: Request) -> HTTPResponse:
        form = request.form or {}
        try:
            await offload(
                auth.create_user,
                form.get("email") or "",
                form.get("name") or "",
                form.get("password") or "",
                form.get("role") or "operator",
            )
        except auth.AuthError as error:
            return error_page(request, 400, f"Compte non créé : {error}.")
        await offload(auth.audit, request.ctx.user, "create_user", form.get("email"))
        return response.redirect(f"{PREFIX}/users")

    @bp.post("/users/<user_id:int>/active")
    @staff("admin")
    async def set_active(request: Request, user_id: int) -> HTTPResponse:
        return await _change(request, accounts.set_active, user_id, form_value(request, "active") == "1")

    @bp.post("/users/<user_id:int>/role")
    @staff("admin")
    async def set_role(request: Request, user_id: int) -> HTTPResponse:
        return await _change(request, accounts.set_role, user_id, form_value(request, "role"))

    @bp.post("/users/<user_id:int>/sign-out")
    @staff("admin")
    async def sign_out_everywhere(request: Request, user_id: int) -> HTTPResponse:
        return await _change(request, accounts.sign_out_everywhere, user_id)

    @bp.post("/users/<user_id:int>/two-factor")
    @staff("admin")
    async def reset_two_factor(request: Request, user_id: int) -> HTTPResponse:
        return await _change(request, accounts.reset_two_factor, user_id)

    @bp.post("/users/<user_id:int>/password")
    @staff("admin")
    async def reset_password(request: Request, user_id: int) -> HTTPResponse:
        # Not stripped: a password may begin or end with a space.
        chosen = (request.form.get("password") if request.form else None) or None
        try:
            password = await offload(accounts.reset_password, request.ctx.user, user_id, chosen)
        except accounts.AccountError as error:
            return error_page(request, 400, f"Mot de passe non modifié : {error}.")
        notice = "Mot de passe temporaire enregistré, ses sessions sont fermées :"
        return await _users(request, notice=notice, password=password)


async def _users(request: Request, **shown: Any) -> HTTPResponse:
    users = await offload(staff_accounts)
    return render("users.html", user=request.ctx.user, csrf=request.ctx.csrf, users=users, roles=ROLES, **shown)


async def _change(request: Request, change: Callable[..., Any], *args: Any) -> HTTPResponse:
    """Applies one of console/accounts.py's changes as the signed-in admin, then back to the list."""
    try:
        await offload(change, request.ctx.user, *args)
    except accounts.AccountError as error:
        return error_page(request, 409, f"Modification refusée : {error}.")
    return response.redirect(f"{PREFIX}/users")
