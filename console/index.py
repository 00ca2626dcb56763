"""The review index: one row per conversation in `conversation_index`, maintained incrementally from `events`.

Listing 100,000 conversations with filters cannot scan the tracker store on every page: `refresh()` folds the events
added since the last processed `events.id` into per-conversation rows (channel, first and last activity, incident,
lowest confidence, fallback, handover, rating, redacted searchable text), and `page()` reads them with keyset
pagination on (last_at, id) and indexes that match the filters. Full-text search uses SQLite FTS5
(`conversation_search`) or a PostgreSQL GIN index on `to_tsvector('french', search_text)`.

`refresh()` runs when a review page loads and periodically in the Rasa server (console/review.py); it can run in
several processes at once: the cursor row is locked for the duration of a batch.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import and_, column, delete, func, insert, literal_column, or_, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot import db, erasure, privacy, ratings, settings, vocabulary
from bot.taxonomy import EMERGENCY_INTENT, INCIDENT_INTENTS
from bot.text import fold
from console import event_cursor, events
from console.review_models import ConversationIndex, ConversationReview, ConversationTag, IndexState

CI = ConversationIndex.__table__
STATE = IndexState.__table__
PARIS = ZoneInfo("Europe/Paris")
CHANNELS = tuple(vocabulary.CHANNELS)
BATCH = 2000
PAGE_SIZE = 50
COUNT_LIMIT = 1000  # beyond this the list says "more than 1,000": counting 100,000 filtered rows is not free
MAX_SEARCH_CHARS = 20_000
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = ("action_not_understood",)
HANDOVER_ACTIONS = ("action_request_handover",)
RATE_INTENT = "rate"
# Not what the list shows as the situation a victim described ("bonjour", "oui", "merci").
SMALL_TALK = ("greet", "goodbye", "thank", "affirm", "deny", "dont_know")
POSTGRES_SETTLE_SECONDS = event_cursor.POSTGRES_SETTLE_SECONDS  # why: console/event_cursor.py

_schema_ready: set = set()


# --- schema --------------------------------------------------------------------------------------------------------
def ensure_schema(engine: Engine) -> None:
    """Creates the review tables, the full-text search structure of the dialect, and the cursor rows."""
    key = str(engine.url)
    if key in _schema_ready:
        return
    db.Base.metadata.create_all(engine)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "CREATE VIRTUAL TABLE IF NOT EXISTS conversation_search USING fts5"
                "(body, tokenize='unicode61 remove_diacritics 2')"
            )
        elif engine.dialect.name == "postgresql":
            connection.exec_driver_sql(
                "CREATE INDEX IF NOT EXISTS ix_conversation_index_fts ON conversation_index "
                "USING gin (to_tsvector('french', search_text))"
            )
    for name in ("index", "scrub"):
        try:
            with engine.begin() as connection:
                if connection.execute(select(STATE.c.name).where(STATE.c.name == name)).first() is None:
                    connection.execute(insert(STATE).values(name=name, last_event_id=0, safe_id=0))
        except IntegrityError:  # another process created it at the same time
            pass
    _schema_ready.add(key)


def lock_state(connection: Connection, name: str) -> Any:
    """Locks the cursor row until the end of the transaction (a row lock on PostgreSQL, the write lock on SQLite)."""
    return event_cursor.lock(connection, STATE, name)


# --- folding events into conversation rows -------------------------------------------------------------------------
def _empty(sender_id: str) -> Dict[str, Any]:
    return {
        "id": None,
        "sender_id": sender_id,
        "channel": vocabulary.channel_of(sender_id),
        "first_at": None,
        "last_at": None,
        "user_messages": 0,
        "incident": None,
        "min_confidence": None,
        "fallback": False,
        "handed_over": False,
        "emergency": False,
        "rating": None,
        "reviewed": False,
        "flagged": False,
        "first_message": None,
        "search_text": "",
    }


def _append_search(row: Dict[str, Any], redacted: str) -> None:
    if len(row["search_text"]) < MAX_SEARCH_CHARS:
        row["search_text"] = f"{row['search_text']} {fold(redacted)}".strip()[:MAX_SEARCH_CHARS]


def _fold(row: Dict[str, Any], event: Any) -> None:
    """Adds one `events` row to a conversation row."""
    if event.timestamp is not None:
        row["first_at"] = event.timestamp if row["first_at"] is None else min(row["first_at"], event.timestamp)
        row["last_at"] = event.timestamp if row["last_at"] is None else max(row["last_at"], event.timestamp)
    kind = event.type_name
    if kind == "user":
        data = events.load(event.data)
        message = data.get("text") if isinstance(data.get("text"), str) else ""
        parse = data.get("parse_data") if isinstance(data.get("parse_data"), dict) else {}
        intent = parse.get("intent") if isinstance(parse.get("intent"), dict) else {}
        name = intent.get("name") or event.intent_name
        typed = bool(message) and not message.startswith("/")  # not a button payload
        row["user_messages"] += 1
        if name == FALLBACK_INTENT:
            row["fallback"] = True
        elif name == EMERGENCY_INTENT:
            row["emergency"] = True
        elif name in INCIDENT_INTENTS:
            row["incident"] = name
        elif name == RATE_INTENT:
            for entity in parse.get("entities") or []:
                if isinstance(entity, dict) and entity.get("entity") == "rating":
                    row["rating"] = ratings.normalise(entity.get("value")) or row["rating"]
        confidence = intent.get("confidence")
        if typed and isinstance(confidence, (int, float)):
            row["min_confidence"] = (
                confidence if row["min_confidence"] is None else min(row["min_confidence"], confidence)
            )
        if typed:
            redacted = privacy.redact(message)
            if row["first_message"] is None and name not in SMALL_TALK:
                row["first_message"] = redacted[:300]
            _append_search(row, redacted)
    elif kind == "action":
        if event.action_name in FALLBACK_ACTIONS:
            row["fallback"] = True
        elif event.action_name in HANDOVER_ACTIONS:
            row["handed_over"] = True
    elif kind == "pause":
        row["handed_over"] = True
    elif kind == "slot" and event.action_name == "incident":
        value = events.load(event.data).get("value")
        if value in INCIDENT_INTENTS:
            row["incident"] = value
    elif kind == "bot":
        data = events.load(event.data)
        if events.is_operator_message(data):
            row["handed_over"] = True
            _append_search(row, privacy.redact(data.get("text")))


def _set_search(connection: Connection, row_id: int, body: Optional[str]) -> None:
    """Keeps SQLite's FTS5 table in step (PostgreSQL's GIN index follows the column by itself)."""
    if connection.dialect.name != "sqlite":
        return
    connection.execute(text("DELETE FROM conversation_search WHERE rowid = :id"), {"id": row_id})
    if body is not None:
        connection.execute(
            text("INSERT INTO conversation_search (rowid, body) VALUES (:id, :body)"), {"id": row_id, "body": body}
        )


def _save(connection: Connection, row: Dict[str, Any], previous_text: Optional[str]) -> int:
    values = {k: v for k, v in row.items() if k != "id"}
    if row["id"] is None:
        row["id"] = connection.execute(insert(CI).values(**values)).inserted_primary_key[0]
    else:
        connection.execute(update(CI).where(CI.c.id == row["id"]).values(**values))
    if row["search_text"] != previous_text:
        _set_search(connection, row["id"], row["search_text"])
    return row["id"]


def _chunks(items: List[Any], size: int = 500) -> Iterable[List[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _apply(connection: Connection, rows: List[Any]) -> None:
    by_sender: Dict[str, List[Any]] = {}
    for event in rows:
        by_sender.setdefault(event.sender_id, []).append(event)
    existing: Dict[str, Dict[str, Any]] = {}
    for chunk in _chunks(list(by_sender)):
        for found in connection.execute(select(CI).where(CI.c.sender_id.in_(chunk))):
            existing[found.sender_id] = dict(found._mapping)
    for sender_id, sender_events in by_sender.items():
        row = existing.get(sender_id) or _empty(sender_id)
        previous_text = row["search_text"] if row["id"] is not None else None
        for event in sender_events:
            _fold(row, event)
        if row["first_at"] is None:  # events without timestamps: keep the row sortable
            row["first_at"] = row["last_at"] = time.time()
        _save(connection, row, previous_text)


def refresh(
    url: Optional[str] = None, budget_seconds: Optional[float] = None, settle_seconds: Optional[float] = None
) -> int:
    """Indexes the events added since the last call; returns how many events were processed.

    `budget_seconds` bounds the time spent (a page load must stay fast; the periodic refresh catches up).
    """
    engine = db.engine(url)
    ensure_schema(engine)
    if not db.has_events(engine):
        return 0
    if settle_seconds is None:
        settle_seconds = event_cursor.settle_seconds_of(engine)
    deadline = time.monotonic() + budget_seconds if budget_seconds else None
    total = 0
    while True:
        with engine.begin() as connection:
            state = lock_state(connection, "index")
            target = event_cursor.safe_target(connection, STATE, "index", state, settle_seconds)
            rows = event_cursor.batch(connection, state.last_event_id, target, BATCH)
            if rows:
                _apply(connection, rows)
                connection.execute(update(STATE).where(STATE.c.name == "index").values(last_event_id=rows[-1].id))
        total += len(rows)
        if len(rows) < BATCH or (deadline and time.monotonic() > deadline):
            return total


def _review_flags(connection: Connection, sender_id: str) -> Tuple[bool, bool]:
    review = ConversationReview.__table__
    found = connection.execute(
        select(review.c.reviewed, review.c.flagged).where(review.c.sender_id == sender_id)
    ).first()
    return (bool(found.reviewed), bool(found.flagged)) if found else (False, False)


def rebuild_sender(connection: Connection, sender_id: str) -> Optional[int]:
    """Recomputes one conversation's row from its remaining events (after a purge or an anonymisation)."""
    state = connection.execute(select(STATE).where(STATE.c.name == "index")).first()
    upto = state.last_event_id if state else 0
    existing = connection.execute(select(CI).where(CI.c.sender_id == sender_id)).first()
    remaining = events.of_sender(connection, sender_id, upto)
    if not remaining:
        if existing:
            connection.execute(delete(CI).where(CI.c.id == existing.id))
            _set_search(connection, existing.id, None)
        return None
    row = _empty(sender_id)
    row["id"] = existing.id if existing else None
    for event in remaining:
        _fold(row, event)
    if row["first_at"] is None:
        row["first_at"] = row["last_at"] = time.time()
    row["reviewed"], row["flagged"] = _review_flags(connection, sender_id)
    return _save(connection, row, None)


def forget_rows(connection: Connection, sender_ids: List[str]) -> int:
    """Deletes the index rows (and their search entries) of these conversations."""
    count = 0
    for chunk in _chunks(sender_ids):
        ids = [r.id for r in connection.execute(select(CI.c.id).where(CI.c.sender_id.in_(chunk)))]
        for row_id in ids:
            _set_search(connection, row_id, None)
        connection.execute(delete(CI).where(CI.c.sender_id.in_(chunk)))
        count += len(ids)
    return count


def compact_search(connection: Connection) -> None:
    """SQLite's FTS5 keeps the words of a deleted entry in its index segments until they are merged: merged now, so
    that erased words leave the database file (about 2 s for 100,000 conversations). PostgreSQL's GIN index is
    vacuumed with its table (bot.db.reclaim)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("INSERT INTO conversation_search (conversation_search) VALUES ('optimize')")


def hold(connection: Connection) -> None:
    """Locks the index's cursor row (if there is one yet) until the end of the transaction.

    An erasure takes it first (`_erase`, the first eraser), so whatever copies a conversation's text under it is
    serialised with erasures: a refresh batch (the index row), a detection run (an alert's sample), an approval (the
    notice's sample). On PostgreSQL, without it, a copy read before the erasure could be written after it."""
    connection.execute(update(STATE).where(STATE.c.name == "index").values(locked_at=time.time()))


def _erase(connection: Connection, sender_ids: Sequence[str], _counts: erasure.Counts) -> None:
    """The index rows go, under `hold`: registered first, so that every later eraser runs under it."""
    hold(connection)
    if forget_rows(connection, list(sender_ids)):
        compact_search(connection)


erasure.register("conversation_index", _erase, table=CI.name, order=-20)


def reindex(url: Optional[str] = None) -> int:
    """Drops the index and builds it again from every event (after a change in what is indexed)."""
    engine = db.engine(url)
    ensure_schema(engine)
    with engine.begin() as connection:
        lock_state(connection, "index")
        connection.execute(delete(CI))
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DELETE FROM conversation_search")
        connection.execute(update(STATE).where(STATE.c.name == "index").values(last_event_id=0))
    total = refresh(url, settle_seconds=0)
    review = ConversationReview.__table__
    with engine.begin() as connection:
        for found in connection.execute(select(review)).all():
            connection.execute(
                update(CI)
                .where(CI.c.sender_id == found.sender_id)
                .values(reviewed=found.reviewed, flagged=found.flagged)
            )
    return total


# --- listing -------------------------------------------------------------------------------------------------------
def _bool(value: Optional[str]) -> bool:
    return (value or "").strip().lower() in ("1", "on", "true", "oui", "yes")


FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)


@dataclass
class Filters:
    since: Optional[date] = None
    until: Optional[date] = None
    channel: str = ""
    incident: str = ""
    low_confidence: bool = False
    threshold: float = field(default_factory=lambda: settings.current().review_low_confidence)
    fallback: bool = False
    handed_over: bool = False
    rated: str = ""  # "", "yes", "negative", "no"
    not_reviewed: bool = False
    flagged: bool = False
    tag: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, Optional[str]]) -> Tuple["Filters", List[str]]:
        """Filters from a query string; what cannot be understood is ignored and explained (in French)."""
        filters, errors = cls(), []
        for name, label in (("since", "date de début"), ("until", "date de fin")):
            value = (args.get(name) or "").strip()
            if value:
                try:
                    day = date.fromisoformat(value)
                    if not FIRST_DAY <= day <= LAST_DAY:  # past these, the day's bounds in seconds overflow
                        raise ValueError
                    setattr(filters, name, day)
                except ValueError:
                    errors.append(f"La {label} « {value[:20]} » n'est pas une date valide (AAAA-MM-JJ).")
        channel = (args.get("channel") or "").strip()
        if channel in CHANNELS:
            filters.channel = channel
        incident = (args.get("incident") or "").strip()
        if incident in INCIDENT_INTENTS:
            filters.incident = incident
        threshold = (args.get("threshold") or "").strip().replace(",", ".")
        if threshold:
            try:
                value = float(threshold)
                if not 0 < value <= 1:
                    raise ValueError
                filters.threshold = value
            except ValueError:
                errors.append("Le seuil de confiance doit être un nombre entre 0 et 1 (par exemple 0,5).")
        filters.low_confidence = _bool(args.get("low_confidence"))
        filters.fallback = _bool(args.get("fallback"))
        filters.handed_over = _bool(args.get("handed_over"))
        filters.not_reviewed = _bool(args.get("not_reviewed"))
        filters.flagged = _bool(args.get("flagged"))
        rated = (args.get("rated") or "").strip()
        filters.rated = rated if rated in ("yes", "negative", "no") else ""
        filters.tag = (args.get("tag") or "").strip()[:50]
        filters.q = (args.get("q") or "").strip()[:200]
        return filters, errors

    def as_args(self) -> Dict[str, str]:
        """The query-string form, for pagination links."""
        values: Dict[str, str] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "threshold":
                if value != settings.current().review_low_confidence:
                    values["threshold"] = str(value)
            elif isinstance(value, bool):
                if value:
                    values[item.name] = "1"
            elif value:
                values[item.name] = value.isoformat() if isinstance(value, date) else str(value)
        return values


def _epoch(day: date, end: bool = False) -> float:
    moment = datetime.combine(day + timedelta(days=1) if end else day, dtime(0), tzinfo=PARIS)
    return moment.timestamp()


def search_terms(query: str) -> List[str]:
    return [t for t in re.findall(r"[a-z0-9]+", fold(query)) if len(t) >= 2][:8]


def _text_condition(connection: Connection, terms: List[str]) -> Any:
    if connection.dialect.name == "sqlite":
        match = " ".join(f'"{t}"*' for t in terms)
        return CI.c.id.in_(
            text("SELECT rowid FROM conversation_search WHERE conversation_search MATCH :fts")
            .bindparams(fts=match)
            .columns(column("rowid"))
        )
    if connection.dialect.name == "postgresql":
        # Same expression as the GIN index ix_conversation_index_fts, so that the index is used.
        vector = func.to_tsvector(literal_column("'french'"), CI.c.search_text)
        query = func.to_tsquery(literal_column("'french'"), " & ".join(f"{t}:*" for t in terms))
        return vector.op("@@")(query)
    return and_(*(CI.c.search_text.like(f"%{t}%") for t in terms))


def conditions(connection: Connection, filters: Filters) -> List[Any]:
    where: List[Any] = []
    # Dates select the last activity (the list's order), a range the (last_at, id) index serves directly.
    if filters.since:
        where.append(CI.c.last_at >= _epoch(filters.since))
    if filters.until:
        where.append(CI.c.last_at < _epoch(filters.until, end=True))
    if filters.channel:
        where.append(CI.c.channel == filters.channel)
    if filters.incident:
        where.append(CI.c.incident == filters.incident)
    if filters.low_confidence:
        where.append(CI.c.min_confidence < filters.threshold)
    if filters.fallback:
        where.append(CI.c.fallback.is_(True))
    if filters.handed_over:
        where.append(CI.c.handed_over.is_(True))
    if filters.rated == "yes":
        where.append(CI.c.rating.isnot(None))
    elif filters.rated == "negative":
        where.append(CI.c.rating.in_(ratings.NEGATIVE))
    elif filters.rated == "no":
        where.append(CI.c.rating.is_(None))
    if filters.not_reviewed:
        where.append(CI.c.reviewed.is_(False))
    if filters.flagged:
        where.append(CI.c.flagged.is_(True))
    if filters.tag:
        tags = ConversationTag.__table__
        where.append(CI.c.sender_id.in_(select(tags.c.sender_id).where(tags.c.tag == filters.tag.lower())))
    terms = search_terms(filters.q)
    if terms:
        where.append(_text_condition(connection, terms))
    return where


def encode_cursor(row: Any) -> str:
    return f"{row.last_at!r}_{row.id}"


# What encode_cursor writes: a float's repr, "_", a row id an INTEGER column holds (anything else is refused: 400).
CURSOR = re.compile(r"(-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?)_([0-9]{1,9})")


def decode_cursor(value: Optional[str]) -> Optional[Tuple[float, int]]:
    match = CURSOR.fullmatch(value or "")
    if match is None or not math.isfinite(float(match[1])):
        return None
    return float(match[1]), int(match[2])


@dataclass
class Page:
    rows: List[Any]
    newer: Optional[str]  # cursor for the page of more recent conversations, if any
    older: Optional[str]
    count: int  # capped at COUNT_LIMIT + 1


def page(
    connection: Connection,
    filters: Filters,
    after: Optional[str] = None,
    before: Optional[str] = None,
    size: int = PAGE_SIZE,
) -> Page:
    """One page of conversations, most recent activity first. `after`/`before` are cursors from a previous page."""
    where = conditions(connection, filters)
    after_key, before_key = decode_cursor(after), decode_cursor(before)
    query = select(CI).where(*where)
    if before_key and not after_key:
        last_at, row_id = before_key
        # "last_at >= x" first: a bound the (last_at, id) index can seek to, on SQLite and PostgreSQL alike
        query = query.where(CI.c.last_at >= last_at, or_(CI.c.last_at > last_at, CI.c.id > row_id))
        rows = list(connection.execute(query.order_by(CI.c.last_at.asc(), CI.c.id.asc()).limit(size + 1)))
        more_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        newer = encode_cursor(rows[0]) if rows and more_newer else None
        older = encode_cursor(rows[-1]) if rows else None
    else:
        if after_key:
            last_at, row_id = after_key
            query = query.where(CI.c.last_at <= last_at, or_(CI.c.last_at < last_at, CI.c.id < row_id))
        rows = list(connection.execute(query.order_by(CI.c.last_at.desc(), CI.c.id.desc()).limit(size + 1)))
        more_older = len(rows) > size
        rows = rows[:size]
        newer = encode_cursor(rows[0]) if rows and after_key else None
        older = encode_cursor(rows[-1]) if rows and more_older else None
    counted = select(CI.c.id).where(*where).limit(COUNT_LIMIT + 1).subquery()
    count = connection.execute(select(func.count()).select_from(counted)).scalar() or 0
    return Page(rows, newer, older, count)
