"""Transcript review for supervisors and admins: list, transcript, annotation, exports (pages under /console/review).

Registered on the console's blueprint by `register(bp)` (console/channel.py). Operators get 403. Every page that
shows conversation text is written to the audit log; every text shown is redacted (bot/privacy.py).

Command line (the same exports, for scripts and for the retraining path):

    python -m console.review export-nlu [--out DIR]        # annotated messages -> bot/data/nlu/review_export_*.yml
    python -m console.review export-story SENDER_ID [--out DIR]   # one conversation -> var/exports/stories/
    python -m console.review refresh                      # bring the conversation index up to date
    python -m console.review reindex                      # rebuild it from every event
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional
from urllib.parse import urlencode

from sqlalchemy import func, select

from bot import db, privacy, ratings, settings
from bot.taxonomy import INCIDENT_INTENTS, INCIDENTS
from console import annotations, auth, events, export, index, transcripts
from console.review_models import ConversationIndex, MessageAnnotation

logger = logging.getLogger(__name__)

PAGE_REFRESH_BUDGET_SECONDS = 2.0  # a page load catches up this long at most; the background task does the rest
BACKGROUND_REFRESH_BUDGET_SECONDS = 20.0

CHANNEL_LABELS = {"web": "Web", "telegram": "Telegram", "sms": "SMS", "rest": "Autre (API)"}
CONVERSATION_LABELS = {
    "emergency_danger": "danger immédiat",
    "ask_human": "demande un conseiller",
    "out_of_scope": "hors sujet",
    "greet": "salutation",
    "goodbye": "au revoir",
    "affirm": "oui",
    "deny": "non",
    "thank": "remerciement",
    "ask_prevention": "conseils de prévention",
    "dont_know": "ne sait pas",
    "inform": "information (public, lieu, montant…)",
    "ask_recap": "demande le récapitulatif",
    "request_provider": "demande un professionnel",
}
STATUS_LABELS = {"confirmed": "intention confirmée", "corrected": "intention corrigée", "excluded": "exclu de l'export"}


def incident_label(intent: Optional[str]) -> str:
    incident = INCIDENTS.get(intent or "")
    if incident is None:
        return intent or ""
    words = incident.victim_of
    for article in ("d'une ", "d'un ", "de "):
        if words.startswith(article):
            words = words[len(article) :]
            break
    return words[:1].upper() + words[1:]


def intent_choices() -> List[Dict[str, str]]:
    choices = [{"name": i, "label": f"{i} – {incident_label(i)}"} for i in INCIDENT_INTENTS]
    choices += [
        {"name": i, "label": f"{i} – {CONVERSATION_LABELS.get(i, i)}"}
        for i in annotations.INTENTS
        if i not in INCIDENT_INTENTS
    ]
    return choices


def pending_exports() -> int:
    with db.session() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(MessageAnnotation)
                .where(MessageAnnotation.status.in_(export.EXPORTABLE), MessageAnnotation.exported_at.is_(None))
            )
            or 0
        )


def conversation(conversation_id: int) -> Optional[ConversationIndex]:
    with db.session() as s:
        return s.get(ConversationIndex, conversation_id)


def audit_target(item: ConversationIndex) -> str:
    """The audit log names the conversation by its index id and a masked id, never by a phone number."""
    return f"conversation {item.id} ({privacy.mask_sender(item.sender_id)})"


def list_context(args: Dict[str, str]) -> Dict[str, Any]:
    """Everything the list page shows (runs in a worker thread: it queries the database)."""
    index.refresh(budget_seconds=PAGE_REFRESH_BUDGET_SECONDS)
    filters, errors = index.Filters.from_args(args)
    with db.engine().connect() as connection:
        found = index.page(connection, filters, after=args.get("after"), before=args.get("before"))
    tags = annotations.tags_of([row.sender_id for row in found.rows])
    rows = [
        {
            "id": row.id,
            "who": privacy.mask_sender(row.sender_id),
            "channel": CHANNEL_LABELS.get(row.channel, row.channel),
            "last_at": transcripts.when(row.last_at),
            "incident": incident_label(row.incident),
            "confidence": row.min_confidence,
            "messages": row.user_messages,
            "fallback": row.fallback,
            "handed_over": row.handed_over,
            "emergency": row.emergency,
            "rating": ratings.label(row.rating),
            "reviewed": row.reviewed,
            "flagged": row.flagged,
            "tags": tags.get(row.sender_id, []),
            "excerpt": row.first_message or "",
        }
        for row in found.rows
    ]
    base = filters.as_args()
    return {
        "filters": filters,
        "errors": errors,
        "rows": rows,
        "count": found.count,
        "count_limit": index.COUNT_LIMIT,
        "newer": f"?{urlencode({**base, 'before': found.newer})}" if found.newer else None,
        "older": f"?{urlencode({**base, 'after': found.older})}" if found.older else None,
        "channels": CHANNEL_LABELS,
        "incidents": [(i, incident_label(i)) for i in INCIDENT_INTENTS],
        "pending": pending_exports(),
        "default_threshold": settings.review_low_confidence(),
    }


def transcript_context(item: ConversationIndex) -> Dict[str, Any]:
    review = annotations.review_of(item.sender_id)
    names = annotations.staff_names([review.reviewed_by, review.flagged_by] if review else [])
    return {
        "item": item,
        "who": privacy.mask_sender(item.sender_id),
        "channel": CHANNEL_LABELS.get(item.channel, item.channel),
        "incident": incident_label(item.incident),
        "transcript": transcripts.build(item.sender_id),
        "review": review,
        "reviewed_by": names.get(review.reviewed_by) if review else None,
        "flagged_by": names.get(review.flagged_by) if review else None,
        "reviewed_at": transcripts.when_utc(review.reviewed_at) if review else "",
        "tags": annotations.tags_of([item.sender_id]).get(item.sender_id, []),
        "intents": intent_choices(),
        "status_labels": STATUS_LABELS,
        "entities": annotations.domain_entities(),
    }


def _shown(path: Path) -> str:
    """A path relative to the project when it is inside it."""
    try:
        return str(path.relative_to(settings.PROJECT_ROOT))
    except ValueError:
        return str(path)


def victim_event(sender_id: str, event_id: int) -> Optional[Dict[str, Any]]:
    """The victim's message `event_id` of this conversation, as the transcript shows it."""
    engine = db.engine()
    with engine.connect() as connection:
        row = connection.execute(
            select(events.EVENTS).where(
                events.EVENTS.c.id == event_id,
                events.EVENTS.c.sender_id == sender_id,
                events.EVENTS.c.type_name == "user",
            )
        ).first()
    return transcripts.victim_message(row.id, events.load(row.data)) if row else None


async def refresh_forever(interval: float) -> None:
    """Keeps the index (and, unless KEEP_ORIGINAL_TEXT, the redaction of stored texts) up to date in the server."""
    from console import retention

    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(index.refresh, None, BACKGROUND_REFRESH_BUDGET_SECONDS)
            if not settings.keep_original_text():
                await asyncio.to_thread(retention.scrub_originals, None, BACKGROUND_REFRESH_BUDGET_SECONDS)
        except Exception:
            logger.exception("review index refresh")


def register(bp: Any) -> None:
    """Adds the review pages to the console's blueprint (call at the end of ConsoleInput.blueprint)."""
    from sanic import response
    from sanic.request import Request
    from sanic.response import HTTPResponse

    from console.channel import PREFIX, render, staff

    base = f"{PREFIX}/review"

    @bp.listener("after_server_start")
    async def start_refresh(app: Any, loop: Any) -> None:
        app.ctx.review_refresher = loop.create_task(refresh_forever(settings.review_refresh_seconds()))

    @bp.listener("before_server_stop")
    async def stop_refresh(app: Any, _loop: Any) -> None:
        task = getattr(app.ctx, "review_refresher", None)
        if task:
            task.cancel()

    def _form(request: Request, name: str) -> str:
        return ((request.form.get(name) if request.form else None) or "").strip()

    def _not_found(request: Request) -> HTTPResponse:
        return render(
            "error.html",
            status=404,
            user=request.ctx.user,
            csrf=request.ctx.csrf,
            message="Conversation introuvable : elle a peut-être été supprimée.",
        )

    def about_one_conversation(role: str = "supervisor") -> Callable[..., Any]:
        """A route about one indexed conversation: staff of at least `role`; 404 when the conversation is gone
        (deleted meanwhile); the handler gets the conversation instead of its id."""

        def decorator(handler: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Awaitable[HTTPResponse]]:
            @functools.wraps(handler)
            async def wrapper(request: Request, conversation_id: int, **kwargs: Any) -> HTTPResponse:
                item = conversation(conversation_id)
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
        context = await asyncio.to_thread(transcript_context, item)
        auth.audit(request.ctx.user, "view_transcript", audit_target(item))
        return render(
            "review_transcript.html",
            status=status,
            user=request.ctx.user,
            csrf=request.ctx.csrf,
            error=error,
            notice=notice,
            base=base,
            **context,
        )

    @bp.get("/review")
    @staff("supervisor")
    async def review_list(request: Request) -> HTTPResponse:
        args = {key: request.args.get(key) for key in request.args}
        context = await asyncio.to_thread(list_context, args)
        auth.audit(request.ctx.user, "review_list", urlencode(context["filters"].as_args())[:255] or None)
        return render(
            "review_list.html",
            user=request.ctx.user,
            csrf=request.ctx.csrf,
            base=base,
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
        message = victim_event(item.sender_id, event_id)
        if message is None:
            return _not_found(request)
        try:
            entities = annotations.parse_entities(_form(request, "entities"), message["text"])
            annotations.annotate(
                request.ctx.user,
                item.sender_id,
                event_id,
                message["text"],
                message["intent"],
                message["confidence"],
                _form(request, "intent"),
                entities,
                exclude=_form(request, "action") == "exclude",
            )
        except annotations.AnnotationError as error:
            return await _transcript_page(request, item, status=400, error=f"Annotation non enregistrée : {error}")
        auth.audit(request.ctx.user, "annotate", f"{audit_target(item)} message {event_id}"[:255])
        return response.redirect(f"{base}/{item.id}#m{event_id}")

    @bp.post("/review/<conversation_id:int>/reviewed")
    @about_one_conversation()
    async def review_mark(request: Request, item: ConversationIndex) -> HTTPResponse:
        reviewed = _form(request, "value") != "0"
        annotations.set_reviewed(request.ctx.user, item.sender_id, reviewed)
        auth.audit(request.ctx.user, "review_reviewed" if reviewed else "review_unreviewed", audit_target(item))
        return response.redirect(f"{base}/{item.id}")

    @bp.post("/review/<conversation_id:int>/flag")
    @about_one_conversation()
    async def review_flag(request: Request, item: ConversationIndex) -> HTTPResponse:
        flagged = _form(request, "value") != "0"
        annotations.set_flagged(request.ctx.user, item.sender_id, flagged, privacy.redact(_form(request, "reason")))
        auth.audit(request.ctx.user, "review_flag" if flagged else "review_unflag", audit_target(item))
        return response.redirect(f"{base}/{item.id}")

    @bp.post("/review/<conversation_id:int>/tags")
    @about_one_conversation()
    async def review_tag(request: Request, item: ConversationIndex) -> HTTPResponse:
        try:
            if _form(request, "action") == "remove":
                annotations.remove_tag(item.sender_id, _form(request, "tag"))
            else:
                annotations.add_tag(request.ctx.user, item.sender_id, _form(request, "tag"))
        except annotations.AnnotationError as error:
            return await _transcript_page(request, item, status=400, error=f"Étiquette non ajoutée : {error}")
        auth.audit(request.ctx.user, "review_tag", f"{audit_target(item)} {_form(request, 'tag')}"[:255])
        return response.redirect(f"{base}/{item.id}")

    @bp.post("/review/<conversation_id:int>/story")
    @about_one_conversation()
    async def review_story(request: Request, item: ConversationIndex) -> HTTPResponse:
        path = await asyncio.to_thread(export.export_story, item.sender_id)
        auth.audit(request.ctx.user, "export_story", audit_target(item))
        notice = (
            f"Story de test écrite dans {_shown(path)}."
            if path
            else "Aucun message de la victime : pas de story à écrire."
        )
        return response.redirect(f"{base}/{item.id}?{urlencode({'notice': notice})}")

    @bp.post("/review/export-nlu")
    @staff("supervisor")
    async def review_export(request: Request) -> HTTPResponse:
        result = await asyncio.to_thread(export.export_nlu)
        auth.audit(request.ctx.user, "export_nlu", result.path.name if result.path else None)
        return render(
            "review_export.html",
            user=request.ctx.user,
            csrf=request.ctx.csrf,
            base=base,
            result=result,
            path=_shown(result.path) if result.path else None,
        )

    @bp.post("/review/<conversation_id:int>/forget")
    @about_one_conversation("admin")
    async def review_forget(request: Request, item: ConversationIndex) -> HTTPResponse:
        """Deletes the conversation at the victim's request, under the conversation's lock (no turn in progress
        writes it back)."""
        from channels.common import delete_conversation
        from console import retention

        if _form(request, "confirm") != "oui":
            return await _transcript_page(
                request, item, status=400, error="Cochez la case de confirmation pour supprimer la conversation."
            )
        await delete_conversation(request.app.ctx.agent, item.sender_id)
        counts = await asyncio.to_thread(retention.forget_senders, [item.sender_id], request.ctx.user)
        notice = f"Conversation supprimée ({retention.describe(counts)})."
        return response.redirect(f"{base}?{urlencode({'notice': notice})}")


# --- command line ----------------------------------------------------------------------------------------------------
def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.review", description="Exports of the transcript review.")
    commands = parser.add_subparsers(dest="command", required=True)
    nlu = commands.add_parser("export-nlu", help="annotated messages to a new Rasa NLU file")
    nlu.add_argument("--out", type=Path, default=None, help="default REVIEW_NLU_EXPORT_DIR (bot/data/nlu)")
    story = commands.add_parser("export-story", help="one conversation to a Rasa test story")
    story.add_argument("sender_id")
    story.add_argument("--out", type=Path, default=None, help="default REVIEW_STORY_EXPORT_DIR (var/exports/stories)")
    commands.add_parser("refresh", help="bring the conversation index up to date")
    commands.add_parser("reindex", help="rebuild the conversation index from every event")
    args = parser.parse_args(argv)

    db.create_all()
    index.ensure_schema(db.engine())
    if args.command == "export-nlu":
        result = export.export_nlu(args.out)
        auth.audit(None, "export_nlu", result.path.name if result.path else None)
        print(describe_export(result))
    elif args.command == "export-story":
        path = export.export_story(args.sender_id, args.out)
        auth.audit(None, "export_story", privacy.mask_sender(args.sender_id))
        if path is None:
            print(
                f"Aucun message de victime pour {privacy.mask_sender(args.sender_id)} : rien n'a été écrit.",
                file=sys.stderr,
            )
            return 1
        print(f"Story de test écrite dans {path}.")
    elif args.command == "refresh":
        print(f"{index.refresh(settle_seconds=0)} événements indexés.")
    else:
        print(f"Index reconstruit : {index.reindex()} événements lus.")
    return 0


def describe_export(result: export.NluExport) -> str:
    lines = [
        f"{result.written} exemple(s) écrit(s)" + (f" dans {result.path}." if result.path else " : aucun fichier.")
    ]
    if result.duplicates:
        lines.append(f"{result.duplicates} déjà présent(s) dans les données d'entraînement.")
    if result.in_test_set:
        lines.append(f"{result.in_test_set} ignoré(s) car présent(s) dans le jeu de test (tests/nlu).")
    if result.buttons:
        lines.append(f"{result.buttons} clic(s) sur un bouton ignoré(s).")
    for text, corrected, existing in result.conflicts:
        lines.append(f"Conflit : « {text[:80]} » corrigé en {corrected}, mais déjà dans les données comme {existing}.")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
