"""Admins only: the audit log (/console/audit) and staff accounts (/console/users)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import select

from bot import db
from console import auth
from console.models import ROLES, AuditLog, StaffUser
from console.web import PREFIX, error_page, offload, query_int, render, staff

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
        users = await offload(staff_accounts)
        return render("users.html", user=request.ctx.user, csrf=request.ctx.csrf, users=users, roles=ROLES)

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
