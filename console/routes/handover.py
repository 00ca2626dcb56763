"""Operators' work: the live queue (/console/), a conversation handed over (/console/handovers/<id>): transcript,
two-way chat, quick inserts, internal notes, take, hand back, close."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import func, select

from bot import db, delivery, handover, knowledge, privacy, vocabulary
from bot.taxonomy import INCIDENTS
from bot.vocabulary import FACT_LABELS, PUBLICS
from channels import dossier_page, store
from console import auth, conversations, decision
from console.models import HandoverNote, StaffUser
from console.web import PREFIX, error_page, offload, posted_text, query_int, render, staff

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 4000
# The handover page polls the messages API every few seconds: the log gets the first read of a handover by each member
# of staff, then at most one per this period (shared by every worker and instance, channels/store.py). That says who
# read which conversation and when, to the minute that matters, without burying the other entries under polls.
READ_AUDIT_SECONDS = 300
NOT_DELIVERED = "Message non remis : le canal de la victime ne l'a pas accepté. Il reste dans l'historique."
RESUME_FAILED = (
    "La conversation n'a pas pu être rendue à l'assistant (base de données indisponible ?) : elle reste ouverte. "
    "Réessayez dans un instant."
)


NOT_HELD = "Vous ne tenez pas cette conversation."


async def held(request: Request, handover_id: int) -> Optional[handover.Handover]:
    """The handover, when the signed-in member of staff may act on it (may_act), else None."""
    item = await offload(get_handover, handover_id)
    return item if item is not None and may_act(request.ctx.user, item) else None


def get_handover(handover_id: int) -> Optional[handover.Handover]:
    with db.session() as s:
        return s.get(handover.Handover, handover_id)


def may_act(user: StaffUser, item: handover.Handover) -> bool:
    return item.state == handover.OPERATOR and (item.operator_id == user.id or user.can("supervisor"))


def may_read(user: StaffUser, item: handover.Handover) -> bool:
    """Any operator reads a waiting request (to decide to take it), and the operator who holds it reads it while they
    do; once it is handed back or closed, only supervisors read it: past conversations are transcripts, which
    operators do not browse (console/routes/review.py), not even those they held."""
    if user.can("supervisor") or item.state == handover.WAITING:
        return True
    return item.state == handover.OPERATOR and item.operator_id == user.id


def _unix(moment: Optional[datetime]) -> Optional[float]:
    return moment.replace(tzinfo=timezone.utc).timestamp() if moment else None


def reading_window(user: StaffUser, item: handover.Handover) -> Optional[conversations.Window]:
    """What of the victim's history the handover shows `user`: for an operator, the conversation that led to the
    request (its Rasa session, from the close of the victim's previous handover at the earliest) up to now, never an
    earlier conversation (may_read ends there: nothing after the close either); None (everything) for supervisors,
    who read whole histories in the review anyway."""
    if user.can("supervisor"):
        return None
    with db.session() as s:
        previous = s.scalar(
            select(func.max(handover.Handover.closed_at)).where(
                handover.Handover.sender_id == item.sender_id, handover.Handover.id < item.id
            )
        )
    return conversations.Window(_unix(item.requested_at) or 0.0, _unix(previous))


def audit_read(user: StaffUser, item: handover.Handover) -> None:
    """A read of the messages API in the audit log, once per READ_AUDIT_SECONDS per member of staff and handover."""
    reads = store.space("console:message-reads", max_items=100_000, ttl_seconds=READ_AUDIT_SECONDS)
    if reads.claim(f"{user.id}:{item.id}"):
        auth.audit(user, "read_messages", audit_target(item))


def unreachable_message(item: handover.Handover) -> str:
    """Why a conversation cannot be taken: its channel cannot carry an operator's messages to the victim."""
    label = vocabulary.CHANNELS[vocabulary.channel_of(item.sender_id)].label
    return (
        "Impossible de prendre cette conversation : vos messages ne parviendraient pas à la victime sur son canal, "
        f"« {label} »."
    )


def audit_target(item: handover.Handover) -> str:
    """How the audit log names a conversation: never by the victim's phone number or Telegram id."""
    return f"handover {item.id} ({privacy.mask_sender(item.sender_id)})"


def waited(item: handover.Handover) -> str:
    """How long the victim waited (or has been waiting) for an operator, in words."""
    end = (
        item.taken_at or (handover.utcnow() if item.state == handover.WAITING else item.closed_at) or handover.utcnow()
    )
    minutes = max(0, int((end - item.requested_at).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d}"


def quick_inserts(item: handover.Handover) -> list:
    """Ready-made messages: the reporting links and first reflexes of the diagnosed incident's sheet."""
    summary = item.summary or {}
    inserts = list(summary.get("links") or [])
    incident = summary.get("incident")
    if incident in knowledge.load().sheets:
        inserts += [a.text for a in knowledge.load().sheets[incident].urgent[:4]]
    inserts.append("Si vous êtes en danger immédiat, appelez le 17 ou le 112 (SMS au 114).")
    return inserts


def queue_of(operator_id: int) -> Dict[str, List[Dict[str, Any]]]:
    """The waiting requests, most urgent first, and the conversations this operator holds."""
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
        held = s.scalars(
            select(handover.Handover).where(
                handover.Handover.state == handover.OPERATOR, handover.Handover.operator_id == operator_id
            )
        )
        mine = [
            {"id": h.id, "title": (h.summary or {}).get("title") or "Non qualifié", "channel": h.channel} for h in held
        ]
    return {"waiting": waiting, "mine": mine}


def notes_of(handover_id: int) -> List[HandoverNote]:
    with db.session() as s:
        return list(
            s.scalars(select(HandoverNote).where(HandoverNote.handover_id == handover_id).order_by(HandoverNote.at))
        )


def add_note(handover_id: int, author_id: int, text: str) -> None:
    # Notes are read by other staff and kept: no card number or password in them either.
    with db.session() as s:
        s.add(HandoverNote(handover_id=handover_id, author_id=author_id, text=privacy.redact(text[:MAX_TEXT_CHARS])))


def register(bp: Blueprint) -> None:
    @bp.get("/")
    @staff()
    async def queue_page(request: Request) -> HTTPResponse:
        return render("queue.html", user=request.ctx.user, csrf=request.ctx.csrf)

    @bp.get("/api/queue")
    @staff(api=True)
    async def queue_api(request: Request) -> HTTPResponse:
        return response.json(await offload(queue_of, request.ctx.user.id))

    @bp.get("/handovers/<handover_id:int>")
    @staff()
    async def handover_page(request: Request, handover_id: int) -> HTTPResponse:
        item = await offload(get_handover, handover_id)
        user = request.ctx.user
        if item is None:
            return error_page(request, 404, "Demande introuvable.")
        if not may_read(user, item):
            message = (
                f"Cette conversation est prise en charge par {item.operator_name}."
                if item.state == handover.OPERATOR
                else "Cette conversation est terminée : seuls les superviseurs peuvent la relire."
            )
            return error_page(request, 403, message)
        await offload(auth.audit, user, "view_conversation", audit_target(item))
        return render(
            "handover.html",
            user=user,
            csrf=request.ctx.csrf,
            item=item,
            notes=await offload(notes_of, item.id),
            may_act=may_act(user, item),
            inserts=quick_inserts(item),
            outcomes=handover.OUTCOMES,
            qualification=await decision.state(request.app.ctx.agent, item.sender_id),
            incidents={name: entry.victim_of for name, entry in sorted(INCIDENTS.items())},
            publics={key: public.label for key, public in PUBLICS.items()},
            fact_labels=FACT_LABELS,
            summary=privacy.redact_value(item.summary or {}, phones=False),
            waited=waited(item),
            who=privacy.mask_sender(item.sender_id),
            messages=await conversations.transcript(
                request.app.ctx.agent, item.sender_id, window=await offload(reading_window, user, item)
            ),
        )

    @bp.get("/api/handovers/<handover_id:int>/messages")
    @staff(api=True)
    async def messages_api(request: Request, handover_id: int) -> HTTPResponse:
        item = await offload(get_handover, handover_id)
        if item is None:
            return response.json({"error": "Demande introuvable."}, status=404)
        if not may_read(request.ctx.user, item):
            return response.json({"error": "Accès refusé."}, status=403)
        after = query_int(request, "after", default=-1, minimum=-1)
        await offload(audit_read, request.ctx.user, item)
        window = await offload(reading_window, request.ctx.user, item)
        items = await conversations.transcript(request.app.ctx.agent, item.sender_id, after, window)
        return response.json({"state": item.state, "messages": items})

    @bp.post("/handovers/<handover_id:int>/take")
    @staff()
    async def take(request: Request, handover_id: int) -> HTTPResponse:
        user = request.ctx.user
        item = await offload(get_handover, handover_id)
        if item is not None and not delivery.can_push(item.sender_id):  # e.g. a request queued before this check
            return error_page(request, 409, unreachable_message(item))
        if item is None or not await offload(handover.take, handover_id, user.id, user.name):
            taken_by = item.operator_name if item else None
            return error_page(
                request,
                409,
                f"Trop tard : cette conversation a déjà été prise{' par ' + taken_by if taken_by else ''}.",
            )
        await offload(auth.audit, user, "take", audit_target(item))
        await conversations.pause(request.app.ctx.agent, item.sender_id, user.name)
        return response.redirect(f"{PREFIX}/handovers/{handover_id}")

    @bp.post("/handovers/<handover_id:int>/send")
    @staff()
    async def send(request: Request, handover_id: int) -> HTTPResponse:
        item = await offload(get_handover, handover_id)
        text = posted_text(request)
        if item is None or not may_act(request.ctx.user, item):
            return response.json({"error": "Vous ne tenez pas cette conversation."}, status=403)
        if not text:
            return response.json({"error": "Message vide."}, status=400)
        delivered = await conversations.say(
            request.app.ctx.agent, item.sender_id, text[:MAX_TEXT_CHARS], operator=request.ctx.user.name
        )
        await offload(auth.audit, request.ctx.user, "operator_message", audit_target(item))
        if not delivered:  # in the transcript, marked "Non remis": the operator knows the victim did not get it
            return response.json({"error": NOT_DELIVERED}, status=502)
        return response.json({"status": "envoyé"})

    @bp.post("/handovers/<handover_id:int>/note")
    @staff()
    async def note(request: Request, handover_id: int) -> HTTPResponse:
        text = posted_text(request)
        item = await offload(get_handover, handover_id)
        if item is None or not may_read(request.ctx.user, item):
            return error_page(request, 403, "Vous ne pouvez pas annoter cette conversation.")
        if text:
            await offload(add_note, handover_id, request.ctx.user.id, text)
            await offload(auth.audit, request.ctx.user, "note", audit_target(item))
        return response.redirect(f"{PREFIX}/handovers/{handover_id}")

    @bp.post("/handovers/<handover_id:int>/qualification")
    @staff()
    async def correct_qualification(request: Request, handover_id: int) -> HTTPResponse:
        item = await held(request, handover_id)
        if item is None:
            return error_page(request, 403, NOT_HELD)
        correction = decision.parse_correction(request.form or {})
        if correction is None:
            return error_page(request, 400, "Qualification invalide : choisissez parmi les valeurs proposées.")
        before = (item.summary or {}).get("incident")
        summary = await decision.correct(request.app.ctx.agent, item.sender_id, correction, request.ctx.user.name)
        if summary is None:
            return error_page(request, 409, "La conversation n'a pas pu être corrigée : réessayez.")
        await offload(handover.set_summary, handover_id, summary)
        change = f"{before or 'aucun'} -> {correction['incident']}, public {correction['public'] or 'inconnu'}"
        await offload(auth.audit, request.ctx.user, "correct_qualification", f"{audit_target(item)} : {change}"[:255])
        return response.redirect(f"{PREFIX}/handovers/{handover_id}")

    @bp.post("/handovers/<handover_id:int>/checklist")
    @staff()
    async def checklist(request: Request, handover_id: int) -> HTTPResponse:
        item = await held(request, handover_id)
        if item is None:
            return error_page(request, 403, NOT_HELD)
        done = [str(key) for key in (request.form.getlist("done") if request.form else None) or []]
        await decision.tick(request.app.ctx.agent, item.sender_id, done)
        await offload(auth.audit, request.ctx.user, "checklist", f"{audit_target(item)} : {', '.join(done)}"[:255])
        return response.redirect(f"{PREFIX}/handovers/{handover_id}")

    @bp.post("/handovers/<handover_id:int>/dossier")
    @staff()
    async def dossier(request: Request, handover_id: int) -> HTTPResponse:
        item = await offload(get_handover, handover_id)
        if item is None or not may_read(request.ctx.user, item):
            return error_page(request, 403, "Vous ne pouvez pas lire cette conversation.")
        pdf = await dossier_page.pdf_of(request.app.ctx.agent, item.sender_id)
        if pdf is None:
            return error_page(request, 404, "Pas encore de dossier : la situation n'est pas qualifiée.")
        await offload(auth.audit, request.ctx.user, "dossier", audit_target(item))
        return dossier_page.pdf_response(pdf)

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
    item = await offload(get_handover, handover_id)
    outcome = request.form.get("outcome") if request.form else None
    if outcome not in handover.OUTCOMES:
        outcome = "other" if state == handover.CLOSED else None
    holder = None if user.can("supervisor") else user.id
    held = item is not None and item.state in handover.ACTIVE_STATES and holder in (None, item.operator_id)
    if not held:
        return error_page(request, 403, "Vous ne tenez pas cette conversation.")
    if item.state == handover.OPERATOR:
        # The bot first, then the handover's state: if the tracker store fails, the handover stays open and can be
        # closed again, instead of being closed over a bot that stays paused (and silent) for good.
        try:
            await conversations.resume(request.app.ctx.agent, item.sender_id)
        except Exception:
            logger.exception("Could not give %s back to the bot", audit_target(item))
            return error_page(request, 503, RESUME_FAILED)
    if not await offload(handover.finish, handover_id, holder, state, outcome):
        return error_page(request, 403, "Vous ne tenez pas cette conversation.")
    await offload(auth.audit, user, state, audit_target(item))
    await conversations.say(request.app.ctx.agent, item.sender_id, message)
    if state == handover.CLOSED and item.state == handover.OPERATOR:  # a person helped: may they rate it?
        await conversations.ask_rating(request.app.ctx.agent, item.sender_id)
    return response.redirect(f"{PREFIX}/")
