"""The staff console, served by `rasa run` under /console (registered in credentials.yml like a channel).

Pages: sign-in, the live queue of waiting conversations, a conversation (summary, transcript, two-way chat, quick
inserts, internal notes, hand back / close), and user management for admins. Every page requires a signed-in
account with the right role; every form and API call that changes something requires the session's CSRF token.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional, Text

from jinja2 import Environment, FileSystemLoader, select_autoescape
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import select

from bot import db, handover, knowledge, privacy, settings
from console import auth, conversations
from console.models import ROLES, AuditLog, HandoverNote, StaffUser  # also registers the console tables

logger = logging.getLogger(__name__)

PREFIX = "/console"
TEMPLATES = Environment(
    loader=FileSystemLoader(str(Path(__file__).resolve().parent / "templates")),
    autoescape=select_autoescape(["html"]),
)
_throttle = auth.LoginThrottle()


def render(template: str, status: int = 200, **context: Any) -> HTTPResponse:
    html = TEMPLATES.get_template(template).render(prefix=PREFIX, **context)
    return response.html(html, status=status, headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"})


def staff(role: str = "operator", api: bool = False):
    """Requires a signed-in account with at least `role`; POST requests also require the CSRF token."""

    def decorator(handler: Callable[..., Awaitable[HTTPResponse]]):
        @functools.wraps(handler)
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            signed_in = auth.session_user(request.cookies.get(auth.COOKIE))
            if signed_in is None:
                if api:
                    return response.json({"error": "Authentification requise."}, status=401)
                return response.redirect(f"{PREFIX}/login")
            user, csrf = signed_in
            if not user.can(role):
                if api:
                    return response.json({"error": "Accès refusé."}, status=403)
                return render(
                    "error.html",
                    status=403,
                    user=user,
                    csrf=csrf,
                    message="Vous n'avez pas accès à cette page avec votre rôle.",
                )
            if request.method == "POST":
                sent = request.headers.get("X-CSRF-Token") or (request.form.get("csrf") if request.form else None)
                if not sent or not hmac.compare_digest(sent, csrf):
                    return (
                        response.json({"error": "Jeton CSRF invalide."}, status=403)
                        if api
                        else render(
                            "error.html",
                            status=403,
                            user=user,
                            csrf=csrf,
                            message="Le formulaire a expiré. Rechargez la page et recommencez.",
                        )
                    )
            request.ctx.user, request.ctx.csrf = user, csrf
            return await handler(request, *args, **kwargs)

        return wrapper

    return decorator


AUDIT_PAGE_SIZE = 200


def _get_handover(handover_id: int) -> Optional[handover.Handover]:
    with db.session() as s:
        return s.get(handover.Handover, handover_id)


def _may_act(user: StaffUser, item: handover.Handover) -> bool:
    return item.state == handover.OPERATOR and (item.operator_id == user.id or user.can("supervisor"))


def _may_read(user: StaffUser, item: handover.Handover) -> bool:
    """Any operator reads a waiting request (to decide to take it); afterwards only the operator who held it and
    supervisors do: past conversations are transcripts, which operators do not browse (console/review.py)."""
    return item.state == handover.WAITING or item.operator_id == user.id or user.can("supervisor")


def _target(item: handover.Handover) -> str:
    """How the audit log names a conversation: never by the victim's phone number or Telegram id."""
    return f"handover {item.id} ({privacy.mask_sender(item.sender_id)})"


def _waited(item: handover.Handover) -> str:
    """How long the victim waited (or has been waiting) for an operator, in words."""
    end = (
        item.taken_at or (handover.utcnow() if item.state == handover.WAITING else item.closed_at) or handover.utcnow()
    )
    minutes = max(0, int((end - item.requested_at).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d}"


def _quick_inserts(item: handover.Handover) -> list:
    """Ready-made messages: the reporting links and first reflexes of the diagnosed incident's sheet."""
    summary = item.summary or {}
    inserts = list(summary.get("links") or [])
    incident = summary.get("incident")
    if incident in knowledge.load().sheets:
        inserts += [a.text for a in knowledge.load().sheets[incident].urgent[:4]]
    inserts.append("Si vous êtes en danger immédiat, appelez le 17 ou le 112 (SMS au 114).")
    return inserts


async def watch_timeouts(app: Any) -> None:
    """Tells victims honestly when nobody has taken their request in time (the request stays queued)."""
    interval = max(1, min(10, settings.handover_wait_seconds() // 2))
    while True:
        await asyncio.sleep(interval)
        try:
            if not handover.is_open():
                continue  # the victim was told at once that operators are away, and when they come back
            for item in handover.overdue():
                if handover.mark_notified(item.id):  # claimed first: with several servers, only one tells the victim
                    await conversations.say(app.ctx.agent, item.sender_id, conversations.TIMEOUT_MESSAGE)
        except Exception:
            logger.exception("handover timeout watcher")


class ConsoleInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "console"

    def url_prefix(self) -> Text:
        return PREFIX  # absolute: the console lives at /console, not under /webhooks/

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("cyberaide_console", __name__)

        @bp.listener("before_server_start")
        async def setup(app: Any, loop: Any) -> None:
            db.create_all()
            app.ctx.handover_watcher = loop.create_task(watch_timeouts(app))

        @bp.listener("before_server_stop")
        async def teardown(app: Any, _loop: Any) -> None:
            watcher = getattr(app.ctx, "handover_watcher", None)
            if watcher:
                watcher.cancel()

        @bp.get("/login")
        async def login_page(request: Request) -> HTTPResponse:
            return render("login.html")

        @bp.post("/login")
        async def login(request: Request) -> HTTPResponse:
            email = (request.form.get("email") or "").strip().lower()
            if _throttle.blocked(email):
                return render("login.html", status=429, error="Trop de tentatives. Réessayez dans quelques minutes.")
            user = auth.authenticate(email, request.form.get("password") or "")
            if user is None:
                _throttle.failed(email)
                return render("login.html", status=401, error="Adresse e-mail ou mot de passe incorrect.")
            token, _ = auth.open_session(user)
            auth.audit(user, "login")
            page = response.redirect(f"{PREFIX}/")
            page.cookies[auth.COOKIE] = token
            cookie = page.cookies[auth.COOKIE]
            cookie["httponly"], cookie["samesite"], cookie["path"] = True, "Strict", PREFIX
            cookie["secure"] = request.scheme == "https"
            return page

        @bp.post("/logout")
        @staff()
        async def logout(request: Request) -> HTTPResponse:
            auth.close_session(request.cookies.get(auth.COOKIE))
            page = response.redirect(f"{PREFIX}/login")
            del page.cookies[auth.COOKIE]
            return page

        @bp.get("/")
        @staff()
        async def queue_page(request: Request) -> HTTPResponse:
            return render("queue.html", user=request.ctx.user, csrf=request.ctx.csrf)

        @bp.get("/api/queue")
        @staff(api=True)
        async def queue_api(request: Request) -> HTTPResponse:
            now = handover.utcnow()
            waiting = [
                {
                    "id": h.id,
                    "channel": h.channel,
                    "reason": h.reason,
                    "urgency": h.urgency,
                    "title": (h.summary or {}).get("title") or "Non qualifié",
                    "waiting_seconds": int((now - h.requested_at).total_seconds()),
                }
                for h in handover.queue()
            ]
            with db.session() as s:
                mine = [
                    {"id": h.id, "title": (h.summary or {}).get("title") or "Non qualifié", "channel": h.channel}
                    for h in s.scalars(
                        select(handover.Handover).where(
                            handover.Handover.state == handover.OPERATOR,
                            handover.Handover.operator_id == request.ctx.user.id,
                        )
                    )
                ]
            return response.json({"waiting": waiting, "mine": mine})

        @bp.get("/handovers/<handover_id:int>")
        @staff()
        async def handover_page(request: Request, handover_id: int) -> HTTPResponse:
            item = _get_handover(handover_id)
            user = request.ctx.user
            if item is None:
                return render(
                    "error.html", status=404, user=user, csrf=request.ctx.csrf, message="Demande introuvable."
                )
            if not _may_read(user, item):
                message = (
                    f"Cette conversation est prise en charge par {item.operator_name}."
                    if item.state == handover.OPERATOR
                    else "Cette conversation est terminée : seuls le conseiller qui l'a tenue et les superviseurs "
                    "peuvent la relire."
                )
                return render("error.html", status=403, user=user, csrf=request.ctx.csrf, message=message)
            auth.audit(user, "view_conversation", _target(item))
            with db.session() as s:
                notes = list(
                    s.scalars(select(HandoverNote).where(HandoverNote.handover_id == item.id).order_by(HandoverNote.at))
                )
            return render(
                "handover.html",
                user=user,
                csrf=request.ctx.csrf,
                item=item,
                notes=notes,
                may_act=_may_act(user, item),
                inserts=_quick_inserts(item),
                outcomes=handover.OUTCOMES,
                summary=privacy.redact_value(item.summary or {}, phones=False),
                waited=_waited(item),
                who=privacy.mask_sender(item.sender_id),
                messages=await conversations.transcript(request.app.ctx.agent, item.sender_id),
            )

        @bp.get("/api/handovers/<handover_id:int>/messages")
        @staff(api=True)
        async def messages_api(request: Request, handover_id: int) -> HTTPResponse:
            item = _get_handover(handover_id)
            if item is None:
                return response.json({"error": "Demande introuvable."}, status=404)
            if not _may_read(request.ctx.user, item):
                return response.json({"error": "Accès refusé."}, status=403)
            after = int(request.args.get("after", -1))
            items = await conversations.transcript(request.app.ctx.agent, item.sender_id, after)
            return response.json({"state": item.state, "messages": items})

        @bp.post("/handovers/<handover_id:int>/take")
        @staff()
        async def take(request: Request, handover_id: int) -> HTTPResponse:
            user = request.ctx.user
            item = _get_handover(handover_id)
            if item is None or not handover.take(handover_id, user.id, user.name):
                taken_by = item.operator_name if item else None
                return render(
                    "error.html",
                    status=409,
                    user=user,
                    csrf=request.ctx.csrf,
                    message=f"Trop tard : cette conversation a déjà été prise{' par ' + taken_by if taken_by else ''}.",
                )
            auth.audit(user, "take", _target(item))
            await conversations.pause(request.app.ctx.agent, item.sender_id, user.name)
            return response.redirect(f"{PREFIX}/handovers/{handover_id}")

        @bp.post("/handovers/<handover_id:int>/send")
        @staff()
        async def send(request: Request, handover_id: int) -> HTTPResponse:
            item = _get_handover(handover_id)
            text = _posted_text(request)
            if item is None or not _may_act(request.ctx.user, item):
                return response.json({"error": "Vous ne tenez pas cette conversation."}, status=403)
            if not text:
                return response.json({"error": "Message vide."}, status=400)
            await conversations.say(request.app.ctx.agent, item.sender_id, text[:4000], operator=request.ctx.user.name)
            return response.json({"status": "envoyé"})

        @bp.post("/handovers/<handover_id:int>/note")
        @staff()
        async def note(request: Request, handover_id: int) -> HTTPResponse:
            text = _posted_text(request)
            item = _get_handover(handover_id)
            if item is None or not _may_read(request.ctx.user, item):
                return render(
                    "error.html",
                    status=403,
                    user=request.ctx.user,
                    csrf=request.ctx.csrf,
                    message="Vous ne pouvez pas annoter cette conversation.",
                )
            if text:  # notes are read by other staff and kept: no card number or password in them either
                with db.session() as s:
                    s.add(
                        HandoverNote(
                            handover_id=handover_id, author_id=request.ctx.user.id, text=privacy.redact(text[:4000])
                        )
                    )
            return response.redirect(f"{PREFIX}/handovers/{handover_id}")

        @bp.post("/handovers/<handover_id:int>/handback")
        @staff()
        async def handback(request: Request, handover_id: int) -> HTTPResponse:
            return await _finish(request, handover_id, handover.BACK_TO_BOT, conversations.BACK_TO_BOT_MESSAGE)

        @bp.post("/handovers/<handover_id:int>/close")
        @staff()
        async def close(request: Request, handover_id: int) -> HTTPResponse:
            return await _finish(request, handover_id, handover.CLOSED, conversations.CLOSED_MESSAGE)

        async def _finish(request: Request, handover_id: int, state: str, message: str) -> HTTPResponse:
            user = request.ctx.user
            item = _get_handover(handover_id)
            outcome = request.form.get("outcome") if request.form else None
            if outcome not in handover.OUTCOMES:
                outcome = "other" if state == handover.CLOSED else None
            holder = None if user.can("supervisor") else user.id
            if item is None or not handover.finish(handover_id, holder, state, outcome):
                return render(
                    "error.html",
                    status=403,
                    user=user,
                    csrf=request.ctx.csrf,
                    message="Vous ne tenez pas cette conversation.",
                )
            auth.audit(user, state, _target(item))
            if item.state == handover.OPERATOR:
                await conversations.resume(request.app.ctx.agent, item.sender_id, message)
            else:  # still waiting: the bot never stopped, just tell the victim
                await conversations.say(request.app.ctx.agent, item.sender_id, message)
            if state == handover.CLOSED and item.state == handover.OPERATOR:  # a person helped: may they rate it?
                await conversations.ask_rating(request.app.ctx.agent, item.sender_id)
            return response.redirect(f"{PREFIX}/")

        @bp.get("/audit")
        @staff("admin")
        async def audit_page(request: Request) -> HTTPResponse:
            """Who read or changed what, newest first (targets never hold a victim's phone number)."""
            action = (request.args.get("action") or "").strip()[:50]
            before = request.args.get("before", "")
            with db.session() as s:
                query = select(AuditLog, StaffUser.name).outerjoin(StaffUser, StaffUser.id == AuditLog.user_id)
                if action:
                    query = query.where(AuditLog.action == action)
                if before.isdigit():
                    query = query.where(AuditLog.id < int(before))
                rows = s.execute(query.order_by(AuditLog.id.desc()).limit(AUDIT_PAGE_SIZE)).all()
                entries = [
                    {
                        "id": log.id,
                        "at": log.at.strftime("%d/%m/%Y %H:%M:%S"),
                        "who": name or "système",
                        "action": log.action,
                        "target": log.target or "",
                    }
                    for log, name in rows
                ]
            older = entries[-1]["id"] if len(entries) == AUDIT_PAGE_SIZE else None
            return render(
                "audit.html", user=request.ctx.user, csrf=request.ctx.csrf, entries=entries, action=action, older=older
            )

        @bp.get("/users")
        @staff("admin")
        async def users_page(request: Request) -> HTTPResponse:
            with db.session() as s:
                users = list(s.scalars(select(StaffUser).order_by(StaffUser.name)))
            return render("users.html", user=request.ctx.user, csrf=request.ctx.csrf, users=users, roles=ROLES)

        @bp.post("/users")
        @staff("admin")
        async def create_user(request: Request) -> HTTPResponse:
            form = request.form or {}
            try:
                auth.create_user(
                    form.get("email") or "",
                    form.get("name") or "",
                    form.get("password") or "",
                    form.get("role") or "operator",
                )
            except auth.AuthError as error:
                return render(
                    "error.html",
                    status=400,
                    user=request.ctx.user,
                    csrf=request.ctx.csrf,
                    message=f"Compte non créé : {error}.",
                )
            auth.audit(request.ctx.user, "create_user", form.get("email"))
            return response.redirect(f"{PREFIX}/users")

        from console import review

        review.register(bp)
        return bp


def _posted_text(request: Request) -> str:
    if request.form:
        return (request.form.get("text") or "").strip()
    try:
        return str((request.json or {}).get("text") or "").strip()
    except Exception:
        return ""
