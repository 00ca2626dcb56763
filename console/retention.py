"""Retention and deletion of conversations (personal data of victims), with the audit log as the record.

    python -m console.retention purge [--days N] [--anonymise] [--dry-run]
        Conversations idle for more than N days (default RETENTION_DAYS) are deleted: tracker events, review index
        row, annotations, tags, ratings, handover requests and their notes, the observatory's working rows (not its
        anonymous counts). In a conversation still in use, the current session is kept; what is older than the
        limit is deleted: the sessions that ended before it, and the ratings and handover requests (with their
        notes) made before it, never a request still open (waiting or taken by an operator). With --anonymise
        they are kept for statistics instead, under a new random conversation id (channel kept), with every text
        redacted and delivery identifiers removed.
    python -m console.retention forget IDENTITY [--phone | --telegram]
        Deletes everything about one victim, on request: IDENTITY is a conversation id (web:…, telegram:…, sms:…), a
        phone number (06 12 34 56 78, +33 6…: its SMS conversation) or a Telegram chat id. Run it while the
        victim is not chatting (the console's admin "Supprimer" button does it under the conversation's lock).
    python -m console.retention scrub
        Redacts now the stored messages older than REDACT_STORED_AFTER_MINUTES (the Rasa server also
        does it every SCRUB_INTERVAL_SECONDS: `scrub_forever`), unless KEEP_ORIGINAL_TEXT is on.

What was deleted or anonymised is written to the audit log (counts, never the victim's identifiers in clear).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from bot import db, erasure, phones, privacy, settings
from bot.db import EVENTS
from bot.handover import ACTIVE_STATES, Handover
from bot.ratings import Rating
from bot.vocabulary import channel_of
from channels import store
from console import auth, events, export, index  # noqa: F401  (export: registers the eraser of export files)
from console.models import HandoverNote
from console.observatory import journeys as observatory
from console.review_models import ConversationIndex, ConversationReview, ConversationTag, MessageAnnotation

logger = logging.getLogger(__name__)

SCRUB_BATCH = 1000
BACKGROUND_SCRUB_BUDGET_SECONDS = 20.0  # a run stops after this much work; the next one goes on from the cursor
ANNOTATIONS = MessageAnnotation.__table__
REVIEWS = ConversationReview.__table__
TAGS = ConversationTag.__table__
RATINGS = Rating.__table__
HANDOVERS = Handover.__table__
NOTES = HandoverNote.__table__
CI = ConversationIndex.__table__


def _delete_conversations(connection: Connection, sender_ids: List[str], counts: Dict[str, int]) -> None:
    erasure.delete_events(connection, sender_ids, counts)
    erasure.erase_app_data(connection, sender_ids, counts)
    erasure.add(counts, "conversations", len(sender_ids))


def normalise_phone(number: str) -> str:
    """E.164 as the SMS channel stores it: "06 12 34 56 78" and "0033 6…" -> "+33612345678", "0692 12 34 56" (Réunion)
    -> "+262692123456" (bot/phones.py). A number no reading makes valid is kept as typed, digits only."""
    found = phones.e164(re.sub(r"\(0\)", "", number))  # "+33 (0)6 12…": the (0) is not dialled
    if found:
        return found
    digits = re.sub(r"[^\d+]", "", number)
    return digits if digits.startswith("+") else "+" + digits


def resolve_identity(identity: str, phone: bool = False, telegram: bool = False) -> str:
    """The conversation id (sender_id) of a victim's identity."""
    identity = (identity or "").strip()
    if phone:
        return f"sms:{normalise_phone(identity)}"
    if telegram:
        return f"telegram:{identity}"
    if ":" in identity:
        return identity
    if re.fullmatch(r"[+0][\d .\-()]{7,}", identity):
        return f"sms:{normalise_phone(identity)}"
    if re.fullmatch(r"-?\d+", identity):
        return f"telegram:{identity}"
    return identity


# --- purge -----------------------------------------------------------------------------------------------------------
def _anonymise(
    connection: Connection, sender_id: str, new_id: str, counts: Dict[str, int], event_ids: Optional[List[int]] = None
) -> None:
    """Moves a conversation (or only `event_ids` of it) to `new_id`, with every text redacted."""
    query = select(EVENTS.c.id, EVENTS.c.data).where(EVENTS.c.sender_id == sender_id)
    if event_ids is not None:
        query = query.where(EVENTS.c.id.in_(event_ids))
    rows = list(connection.execute(query))
    for row in rows:
        data = events.redact_event(events.load(row.data), anonymise=True)
        connection.execute(update(EVENTS).where(EVENTS.c.id == row.id).values(sender_id=new_id, data=json.dumps(data)))
    erasure.add(counts, "events", len(rows))
    moved = [r.id for r in rows]
    annotated = select(ANNOTATIONS).where(ANNOTATIONS.c.sender_id == sender_id)
    if event_ids is not None:
        annotated = annotated.where(ANNOTATIONS.c.event_id.in_(moved or [-1]))
    for note in connection.execute(annotated).all():
        connection.execute(
            update(ANNOTATIONS)
            .where(ANNOTATIONS.c.id == note.id)
            .values(sender_id=new_id, text=privacy.redact(note.text))
        )
        erasure.add(counts, "annotations", 1)
    if event_ids is None:  # the whole conversation: everything about it follows
        connection.execute(update(REVIEWS).where(REVIEWS.c.sender_id == sender_id).values(sender_id=new_id))
        connection.execute(update(TAGS).where(TAGS.c.sender_id == sender_id).values(sender_id=new_id))
        _anonymise_requests(connection, sender_id, new_id, counts)
        connection.execute(update(CI).where(CI.c.sender_id == sender_id).values(sender_id=new_id))
    index.rebuild_sender(connection, new_id)


def _requests(sender_id: str, before: Optional[datetime]) -> Tuple[List[Any], List[Any]]:
    """What selects a conversation's handover requests and ratings: all of them, or (with `before`) those older,
    never a request still open."""
    handovers: List[Any] = [HANDOVERS.c.sender_id == sender_id]
    rated: List[Any] = [RATINGS.c.sender_id == sender_id]
    if before is not None:
        handovers += [HANDOVERS.c.requested_at < before, HANDOVERS.c.state.notin_(ACTIVE_STATES)]
        rated.append(RATINGS.c.created_at < before)
    return handovers, rated


def _anonymise_requests(
    connection: Connection, sender_id: str, new_id: str, counts: Dict[str, int], before: Optional[datetime] = None
) -> bool:
    """Moves the conversation's ratings and handover requests (with `before`: the old ones) to `new_id`, redacted."""
    handovers, rated = _requests(sender_id, before)
    moved = False
    for rating in connection.execute(select(RATINGS).where(*rated)).all():
        connection.execute(
            update(RATINGS)
            .where(RATINGS.c.id == rating.id)
            .values(sender_id=new_id, comment=privacy.redact(rating.comment) or None)
        )
        erasure.add(counts, "ratings", 1)
        moved = True
    for item in connection.execute(select(HANDOVERS).where(*handovers)).all():
        connection.execute(
            update(HANDOVERS)
            .where(HANDOVERS.c.id == item.id)
            .values(sender_id=new_id, summary=privacy.redact_value(item.summary))
        )
        erasure.add(counts, "handovers", 1)
        moved = True
        for note in connection.execute(select(NOTES).where(NOTES.c.handover_id == item.id)).all():
            connection.execute(update(NOTES).where(NOTES.c.id == note.id).values(text=privacy.redact(note.text)))
    return moved


def _delete_old_requests(connection: Connection, sender_id: str, before: datetime, counts: Dict[str, int]) -> None:
    handovers, rated = _requests(sender_id, before)
    ids = [r.id for r in connection.execute(select(HANDOVERS.c.id).where(*handovers))]
    if ids:
        erasure.add(counts, "notes", connection.execute(delete(NOTES).where(NOTES.c.handover_id.in_(ids))).rowcount)
        erasure.add(counts, "handovers", connection.execute(delete(HANDOVERS).where(HANDOVERS.c.id.in_(ids))).rowcount)
    erasure.add(counts, "ratings", connection.execute(delete(RATINGS).where(*rated)).rowcount)


def anonymous_id(sender_id: str) -> str:
    """A new random conversation id that keeps the channel (for statistics)."""
    return f"{channel_of(sender_id)}:anonyme-{uuid.uuid4().hex}"


def purge(
    days: Optional[int] = None, anonymise: bool = False, dry_run: bool = False, now: Optional[float] = None
) -> Dict[str, int]:
    """Deletes (or anonymises) what is older than `days`; returns the counts (nothing changes with `dry_run`)."""
    days = settings.current().retention_days if days is None else days
    if days < 1:
        raise ValueError("la durée de conservation doit être d'au moins un jour")
    cutoff = (now or time.time()) - days * 86400
    engine = db.engine()
    index.ensure_schema(engine)
    counts: Dict[str, int] = {}
    connection = engine.connect()
    transaction = connection.begin()
    try:
        if db.has_events(engine):
            old = [
                r.sender_id
                for r in connection.execute(
                    select(EVENTS.c.sender_id)
                    .group_by(EVENTS.c.sender_id)
                    .having(func.max(EVENTS.c.timestamp) < cutoff)
                )
            ]
            touched = {
                r.sender_id
                for r in connection.execute(select(EVENTS.c.sender_id).where(EVENTS.c.timestamp < cutoff).distinct())
            }
            partial = sorted(touched - set(old))
        else:
            old, partial = [], []
        # Handover requests and ratings older than the limit: of conversations that no longer have any event
        # (orphans, e.g. of deleted trackers: everything about them goes) or of conversations still in use (whose
        # old sessions an earlier purge may have deleted already: only the old requests and ratings go).
        dated = {
            r.sender_id
            for r in connection.execute(
                select(HANDOVERS.c.sender_id).where(HANDOVERS.c.requested_at < _as_datetime(cutoff))
            )
        }
        dated |= {
            r.sender_id
            for r in connection.execute(select(RATINGS.c.sender_id).where(RATINGS.c.created_at < _as_datetime(cutoff)))
        }
        alive = set()
        if dated and db.has_events(engine):
            for chunk in erasure.chunks(sorted(dated)):
                alive |= {
                    r.sender_id
                    for r in connection.execute(
                        select(EVENTS.c.sender_id).where(EVENTS.c.sender_id.in_(chunk)).distinct()
                    )
                }
        orphans = dated - alive - set(old)
        in_use = sorted((set(partial) | (dated & alive)) - set(old))
        if anonymise:
            for sender_id in old:
                _anonymise(connection, sender_id, anonymous_id(sender_id), counts)
            erasure.add(counts, "anonymised", len(old))
        else:
            _delete_conversations(connection, old, counts)
        for sender_id in in_use:
            new_id = anonymous_id(sender_id) if anonymise else None
            moved = _purge_old_sessions(connection, sender_id, cutoff, new_id, counts)
            if new_id is None:
                _delete_old_requests(connection, sender_id, _as_datetime(cutoff), counts)
            elif _anonymise_requests(connection, sender_id, new_id, counts, before=_as_datetime(cutoff)) or moved:
                erasure.add(counts, "anonymised", 1)
        if in_use:
            index.compact_search(connection)  # their search entries were rebuilt without the old sessions
        if orphans:
            erasure.erase_app_data(connection, sorted(orphans), counts)
        # The observatory's working rows of those sessions (their counts stay: they name nobody).
        observatory.purge_idle(connection, cutoff)
        observatory.coarsen_departements(connection, observatory.paris_day(cutoff))
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    except BaseException:
        transaction.rollback()
        raise
    finally:
        connection.close()
    if not dry_run:
        erasure.reclaim(engine)  # anonymised rows were rewritten: their old versions go too
        action = "retention_anonymise" if anonymise else "retention_purge"
        auth.audit(None, action, f"plus de {days} jours : {erasure.describe(counts)}"[:255])
    return counts


def _as_datetime(epoch: float) -> datetime:
    """Application tables store naive UTC datetimes."""
    return datetime.fromtimestamp(epoch, timezone.utc).replace(tzinfo=None)


def _purge_old_sessions(
    connection: Connection, sender_id: str, cutoff: float, new_id: Optional[str], counts: Dict[str, int]
) -> bool:
    """A conversation still in use: its sessions that ended before the limit go (to `new_id`, anonymised, when
    given), the current session stays. Returns whether there were any."""
    started = connection.execute(
        select(func.max(EVENTS.c.id)).where(EVENTS.c.sender_id == sender_id, EVENTS.c.type_name == "session_started")
    ).scalar()
    if started is None:
        return False  # a single session that is still going on: nothing ended before the limit
    # Rasa opens a session with the action `action_session_start`, then the `session_started` event.
    opening = connection.execute(
        select(func.max(EVENTS.c.id)).where(
            EVENTS.c.sender_id == sender_id,
            EVENTS.c.type_name == "action",
            EVENTS.c.action_name == "action_session_start",
            EVENTS.c.id < started,
        )
    ).scalar()
    current = opening or started
    old_ids = [
        r.id
        for r in connection.execute(
            select(EVENTS.c.id).where(
                EVENTS.c.sender_id == sender_id, EVENTS.c.id < current, EVENTS.c.timestamp < cutoff
            )
        )
    ]
    if not old_ids:
        return False
    if new_id is not None:
        _anonymise(connection, sender_id, new_id, counts, event_ids=old_ids)
    else:
        for start in range(0, len(old_ids), 500):
            chunk = old_ids[start : start + 500]
            erasure.add(counts, "events", connection.execute(delete(EVENTS).where(EVENTS.c.id.in_(chunk))).rowcount)
            erasure.add(
                counts,
                "annotations",
                connection.execute(delete(ANNOTATIONS).where(ANNOTATIONS.c.event_id.in_(chunk))).rowcount,
            )
    index.rebuild_sender(connection, sender_id)
    return True


# --- redaction of stored texts ---------------------------------------------------------------------------------------
def scrub_originals(
    url: Optional[str] = None,
    budget_seconds: Optional[float] = None,
    grace_minutes: Optional[int] = None,
    now: Optional[float] = None,
) -> int:
    """Redacts the texts of stored events older than the grace period (unless KEEP_ORIGINAL_TEXT); returns how many
    events changed. Progress is kept in the "scrub" cursor, so each event is read once."""
    if settings.current().keep_original_text:
        return 0
    engine = db.engine(url)
    index.ensure_schema(engine)
    if not db.has_events(engine):
        return 0
    grace = settings.current().redact_stored_after_minutes if grace_minutes is None else grace_minutes
    cutoff = (now or time.time()) - grace * 60
    deadline = time.monotonic() + budget_seconds if budget_seconds else None
    changed_total = 0
    while True:
        with engine.begin() as connection:
            state = index.lock_state(connection, "scrub")
            rows = list(
                connection.execute(
                    select(EVENTS.c.id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
                    .where(EVENTS.c.id > state.last_event_id)
                    .order_by(EVENTS.c.id)
                    .limit(SCRUB_BATCH)
                )
            )
            last, reached_recent = state.last_event_id, False
            for row in rows:
                if row.timestamp is not None and row.timestamp >= cutoff:
                    reached_recent = True
                    break
                if row.type_name in ("user", "bot", "slot"):
                    original = events.load(row.data)
                    redacted = events.redact_event(copy.deepcopy(original))
                    if redacted != original:
                        connection.execute(
                            update(EVENTS).where(EVENTS.c.id == row.id).values(data=json.dumps(redacted))
                        )
                        changed_total += 1
                last = row.id
            if last != state.last_event_id:
                connection.execute(update(index.STATE).where(index.STATE.c.name == "scrub").values(last_event_id=last))
        if reached_recent or len(rows) < SCRUB_BATCH or (deadline and time.monotonic() > deadline):
            return changed_total


async def scrub_forever(interval: float) -> None:
    """Redacts the stored texts as they pass the grace period, in the server (started by console/channel.py)."""
    while True:
        await asyncio.sleep(interval)
        if not store.lease("scrub", interval):
            continue  # once per period for the whole deployment (channels/store.py)
        try:
            await asyncio.to_thread(scrub_originals, None, BACKGROUND_SCRUB_BUDGET_SECONDS)
        except Exception:
            logger.exception("redaction of stored texts")


# --- command line ----------------------------------------------------------------------------------------------------
def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m console.retention", description="Conservation et suppression des conversations."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    purge_cmd = commands.add_parser("purge", help="supprimer (ou anonymiser) les conversations anciennes")
    purge_cmd.add_argument("--days", type=int, default=None, help="par défaut RETENTION_DAYS")
    purge_cmd.add_argument("--anonymise", "--anonymize", action="store_true", dest="anonymise")
    purge_cmd.add_argument("--dry-run", action="store_true")
    forget_cmd = commands.add_parser("forget", help="supprimer les données d'une victime à sa demande")
    forget_cmd.add_argument("identity")
    kind = forget_cmd.add_mutually_exclusive_group()
    kind.add_argument("--phone", action="store_true", help="IDENTITY est un numéro de téléphone (SMS)")
    kind.add_argument("--telegram", action="store_true", help="IDENTITY est un identifiant de discussion Telegram")
    commands.add_parser("scrub", help="masquer maintenant les données personnelles des textes conservés")
    args = parser.parse_args(argv)

    db.create_all()
    if args.command == "purge":
        try:
            counts = purge(args.days, args.anonymise, args.dry_run)
        except ValueError as error:
            print(f"Rien n'a été fait : {error}.", file=sys.stderr)
            return 2
        days = settings.current().retention_days if args.days is None else args.days
        verb = "qui seraient traitées" if args.dry_run else ("anonymisées" if args.anonymise else "supprimées")
        print(f"Données de plus de {days} jours {verb} : {erasure.describe(counts)}.")
        if counts.get("training") and not args.dry_run:
            print(erasure.RETRAIN_NOTICE)
    elif args.command == "forget":
        sender_id = resolve_identity(args.identity, args.phone, args.telegram)
        counts = erasure.forget([sender_id])
        if not any(counts.values()):
            print(f"Aucune donnée trouvée pour la conversation {privacy.mask_sender(sender_id)}.", file=sys.stderr)
            return 1
        print(f"Conversation {privacy.mask_sender(sender_id)} supprimée : {erasure.describe(counts)}.")
        if counts.get("training"):
            print(erasure.RETRAIN_NOTICE)
    else:
        if settings.current().keep_original_text:
            print("KEEP_ORIGINAL_TEXT est activé : les textes d'origine sont conservés, rien n'a été masqué.")
            return 0
        print(f"{scrub_originals()} événement(s) masqué(s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
