"""Transcript review for supervisors and admins: list, transcript, annotation, exports (pages under /console/review).

What the review pages (console/routes/review.py) show, built here in worker threads, and the background refresh of
the index.

Command line (the same exports, for scripts and for the retraining path):

    python -m console.review export-nlu [--out DIR]        # annotated messages -> var/exports/nlu/review_export_*.yml
    python -m console.review promote FILE                 # an NLU export -> bot/data/nlu (redaction checked again)
    python -m console.review export-story SENDER_ID [--out DIR]   # one conversation -> var/exports/stories/
    python -m console.review refresh                      # bring the conversation index up to date
    python -m console.review reindex                      # rebuild it from every event
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import urlencode

from sqlalchemy import func, select

from bot import db, privacy, ratings, settings, vocabulary
from bot.db import EVENTS
from bot.taxonomy import INCIDENT_INTENTS, INCIDENTS
from channels import store
from console import annotations, auth, events, export, index, transcripts
from console.review_models import ConversationIndex, MessageAnnotation

logger = logging.getLogger(__name__)

PAGE_REFRESH_BUDGET_SECONDS = 2.0  # a page load catches up this long at most; the background task does the rest
BACKGROUND_REFRESH_BUDGET_SECONDS = 20.0

CHANNEL_LABELS = {key: channel.label for key, channel in vocabulary.CHANNELS.items()}
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


_ARTICLES = re.compile(r"(?:^|(?<= ou ))(?:d'une |d'un |de )")


def incident_label(intent: Optional[str]) -> str:
    incident = INCIDENTS.get(intent or "")
    if incident is None:
        return intent or ""
    # victim_of's article goes, from every alternative: "d'un faux ordre de virement ou d'un faux RIB".
    words = _ARTICLES.sub("", incident.victim_of)
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
        "default_threshold": settings.current().review_low_confidence,
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


def shown(path: Path) -> str:
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
            select(EVENTS).where(
                EVENTS.c.id == event_id,
                EVENTS.c.sender_id == sender_id,
                EVENTS.c.type_name == "user",
            )
        ).first()
    return transcripts.victim_message(row.id, events.load(row.data)) if row else None


async def refresh_forever(interval: float) -> None:
    """Keeps the index up to date in the server (the redaction of stored texts has its own job:
    console.retention.scrub_forever)."""
    while True:
        await asyncio.sleep(interval)
        if not store.lease("review-refresh", interval):
            continue  # once per period for the whole deployment (channels/store.py)
        try:
            await asyncio.to_thread(index.refresh, None, BACKGROUND_REFRESH_BUDGET_SECONDS)
        except Exception:
            logger.exception("review index refresh")


# --- command line ----------------------------------------------------------------------------------------------------
def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.review", description="Exports of the transcript review.")
    commands = parser.add_subparsers(dest="command", required=True)
    nlu = commands.add_parser("export-nlu", help="annotated messages to a new Rasa NLU file")
    nlu.add_argument("--out", type=Path, default=None, help="default REVIEW_NLU_EXPORT_DIR (bot/data/nlu)")
    story = commands.add_parser("export-story", help="one conversation to a Rasa test story")
    # Staff know a conversation by its number in the review list: web chat session ids are never shown to them.
    story.add_argument("conversation", help="the conversation's number (n° in the review list) or its id")
    story.add_argument("--out", type=Path, default=None, help="default REVIEW_STORY_EXPORT_DIR (var/exports/stories)")
    promote = commands.add_parser("promote", help="an NLU export into bot/data/nlu, redaction checked again")
    promote.add_argument("file", type=Path)
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
        sender_id = args.conversation
        if sender_id.isdigit():
            item = conversation(int(sender_id))
            if item is None:
                print(f"Aucune conversation n° {sender_id} dans l'index de relecture.", file=sys.stderr)
                return 1
            sender_id = item.sender_id
        path = export.export_story(sender_id, args.out)
        auth.audit(None, "export_story", privacy.mask_sender(sender_id))
        if path is None:
            print(
                f"Aucun message de victime pour {privacy.mask_sender(sender_id)} : rien n'a été écrit.",
                file=sys.stderr,
            )
            return 1
        print(f"Story de test écrite dans {path}.")
    elif args.command == "promote":
        try:
            target = export.promote(args.file)
        except export.PromotionError as error:
            print(f"Refusé : {error}.", file=sys.stderr)
            return 1
        print(f"Promu dans {target} : relancez `make retrain` pour comparer, puis commitez le fichier.")
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
