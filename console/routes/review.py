"""Transcript review for supervisors and admins (/console/review): list, transcript, annotation, exports, erasure.

Operators get 403. Every page that shows conversation text is written to the audit log; every text shown is
redacted (bot/privacy.py). What the pages show is built by console/review.py.
"""

from __future__ import annotations

import functools
from typing import Any, Awaitable, Callable, Optional
from urllib.parse import urlencode

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import erasure, privacy, trackers
from console import annotations, auth, export, index, review
from console.review_models import ConversationIndex
from console.web import PREFIX, BadQuery, error_page, form_value, offload, render, staff

BASE = f"{PREFIX}/review"


def _not_found(request: Request) -> HTTPResponse:
    return error_page(request, 404, "Conversation introuvable : elle a peut-être été supprimée.")


def about_one_conversation(role: str = "supervisor") -> Callable[..., Any]:
    """A route about one indexed conversation: staff of at least `role`; 404 when the conversation is gone
    (deleted meanwhile); the handler gets the conversation instead of its id."""

    def decorator(handler: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Awaitable[HTTPResponse]]:
        @functools.wraps(handler)
        async def wrapper(request: Request, conversation_id: int, **kwargs: Any) -> HTTPResponse:
            item = await offload(review.conversation, conversation_id)
            if item is None:
                return _not_found(request)
            return await handler(request, item, **kwargs)

        return staff(role)(wrapper)

    return decorator


async def _transcript_page(
    request: Request,
    item: ConversationIndex,
    status: int = 200,
    error: Optional[str] = None,
    notice: Optional[str] = None,
) -> HTTPResponse:
    context = await offload(review.transcript_context, item)
    await offload(auth.audit, request.ctx.user, "view_transcript", review.audit_target(item))
    return render(
        "review_transcript.html",
        status=status,
        user=request.ctx.user,
        csrf=request.ctx.csrf,
        error=error,
        notice=notice,
        base=BASE,
        **context,
    )


def register(bp: Blueprint) -> None:
    @bp.get("/review")
    @staff("supervisor")
    async def review_list(request: Request) -> HTTPResponse:
        args = {key: request.args.get(key) for key in request.args}
        for name in ("after", "before"):
            if args.get(name) and index.decode_cursor(args[name]) is None:
                raise BadQuery("Lien de page invalide : revenez à la première page des transcriptions.")
        context = await offload(review.list_context, args)
        await offload(
            auth.audit, request.ctx.user, "review_list", urlencode(context["filters"].as_args())[:255] or None
        )
        return render(
            "review_list.html",
            status=400 if context["errors"] else 200,  # the page explains which filter was not understood
            user=request.ctx.user,
            csrf=request.ctx.csrf,
            base=BASE,
            notice=(request.args.get("notice") or "")[:300] or None,
            **context,
        )

    @bp.get("/review/<conversation_id:int>")
    @about_one_conversation()
    async def review_transcript(request: Request, item: ConversationIndex) -> HTTPResponse:
        return await _transcript_page(request, item, notice=(request.args.get("notice") or "")[:300] or None)

    @bp.post("/review/<conversation_id:int>/messages/<event_id:int>")
    @about_one_conversation()
    async def review_annotate(request: Request, item: ConversationIndex, event_id: int) -> HTTPResponse:
        message = await offload(review.victim_event, item.sender_id, event_id)
        if message is None:
            return _not_found(request)
        try:
            entities = annotations.parse_entities(form_value(request, "entities"), message["text"])
            await offload(
                annotations.annotate,
                request.ctx.user,
                item.sender_id,
                event_id,
                message["text"],
                message["intent"],
                message["confidence"],
                form_value(request, "intent"),
                entities,
                exclude=form_value(request, "action") == "exclude",
            )
        except annotations.AnnotationError as error:
            return await _transcript_page(request, item, status=400, error=f"Annotation non enregistrée : {error}")
        await offload(auth.audit, request.ctx.user, "annotate", f"{review.audit_target(item)} message {event_id}"[:255])
        return response.redirect(f"{BASE}/{item.id}#m{event_id}")

    @bp.post("/review/<conversation_id:int>/reviewed")
    @about_one_conversation()
    async def review_mark(request: Request, item: ConversationIndex) -> HTTPResponse:
        reviewed = form_value(request, "value") != "0"
        await offload(annotations.set_reviewed, request.ctx.user, item.sender_id, reviewed)
        await offload(
            auth.audit,
            request.ctx.user,
            "review_reviewed" if reviewed else "review_unreviewed",
            review.audit_target(item),
        )
        return response.redirect(f"{BASE}/{item.id}")

    @bp.post("/review/<conversation_id:int>/flag")
    @about_one_conversation()
    async def review_flag(request: Request, item: ConversationIndex) -> HTTPResponse:
        flagged = form_value(request, "value") != "0"
        await offload(
            annotations.set_flagged,
            request.ctx.user,
            item.sender_id,
            flagged,
            privacy.redact(form_value(request, "reason")),
        )
        await offload(
            auth.audit, request.ctx.user, "review_flag" if flagged else "review_unflag", review.audit_target(item)
        )
        return response.redirect(f"{BASE}/{item.id}")

    @bp.post("/review/<conversation_id:int>/tags")
    @about_one_conversation()
    async def review_tag(request: Request, item: ConversationIndex) -> HTTPResponse:
        try:
            if form_value(request, "action") == "remove":
                await offload(annotations.remove_tag, item.sender_id, form_value(request, "tag"))
            else:
                await offload(annotations.add_tag, request.ctx.user, item.sender_id, form_value(request, "tag"))
        except annotations.AnnotationError as error:
            return await _transcript_page(request, item, status=400, error=f"Étiquette non ajoutée : {error}")
        await offload(
            auth.audit,
            request.ctx.user,
            "review_tag",
            f"{review.audit_target(item)} {form_value(request, 'tag')}"[:255],
        )
        return response.redirect(f"{BASE}/{item.id}")

    @bp.post("/review/<conversation_id:int>/story")
    @about_one_conversation()
    async def review_story(request: Request, item: ConversationIndex) -> HTTPResponse:
        path = await offload(export.export_story, item.sender_id)
        await offload(auth.audit, request.ctx.user, "export_story", review.audit_target(item))
        notice = (
            f"Story de test écrite dans {review.shown(path)}."
            if path
            else "Aucun message de la victime : pas de story à écrire."
        )
        return response.redirect(f"{BASE}/{item.id}?{urlencode({'notice': notice})}")

    @bp.post("/review/export-nlu")
    @staff("supervisor")
    async def review_export(request: Request) -> HTTPResponse:
        result = await offload(export.export_nlu)
        await offload(auth.audit, request.ctx.user, "export_nlu", result.path.name if result.path else None)
        return render(
            "review_export.html",
            user=request.ctx.user,
            csrf=request.ctx.csrf,
            base=BASE,
            result=result,
            path=review.shown(result.path) if result.path else None,
        )

    @bp.post("/review/<conversation_id:int>/forget")
    @about_one_conversation("admin")
    async def review_forget(request: Request, item: ConversationIndex) -> HTTPResponse:
        """Deletes the conversation at the victim's request, under the conversation's lock (no turn in progress
        writes it back)."""
        if form_value(request, "confirm") != "oui":
            return await _transcript_page(
                request, item, status=400, error="Cochez la case de confirmation pour supprimer la conversation."
            )
        await trackers.delete(request.app.ctx.agent, item.sender_id)
        counts = await offload(erasure.forget, [item.sender_id], request.ctx.user)
        notice = f"Conversation supprimée ({erasure.describe(counts)})."
        if counts.get("training"):
            notice += " " + erasure.RETRAIN_NOTICE
        return response.redirect(f"{BASE}?{urlencode({'notice': notice})}")
