"""The "vague en cours" notices: what a supervisor approved from an observatory alert, told to the victims it concerns.

A notice names an incident, a title, a short text and the reflex to give, all plain text written by a supervisor
(console/routes/alerts.py) and escaped wherever it is shown. It is current from `starts_at` until `expires_at`
(WAVE_NOTICE_DAYS after approval) or until it is revoked by hand. `matching` picks the notice a victim reads after the
diagnosis (bot/actions/diagnosis.py): same incident and, when the notice has a reference text (the alert's redacted
sample, or the words the supervisor chose), a description close to it in character n-grams; a wave notice without a
reference text concerns every victim of its incident.

The table lives here, not with the alerts in console/, because the action server reads it and bot/ never imports
console/. It holds no conversation id: the reference text is the alert's redacted sample, as edited by the supervisor.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from datetime import datetime, timedelta
from typing import Dict, List, NamedTuple, Optional, Sequence

from sqlalchemy import Column, DateTime, Index, Integer, String, Text, func, insert, select, update
from sqlalchemy.engine import Connection

from bot import db, erasure, settings
from bot.handover import utcnow

TITLE_MAX = 60
TEXT_MAX = 180
REFLEX_MAX = 140
TERMS_MAX = 200
SAMPLE_MAX = 2000
# The character n-grams compared (within words, padded with a space at each end: "bitcoin" gives " bit", "bitc"...).
NGRAM = 4
# The cosine above which a description is a variant of the reference text. Chosen in tests/test_notices.py: pasted
# variants of one extortion e-mail (other amounts, names, wallet, a few words) score 0.65 and more against a redacted
# variant, ordinary descriptions of the same incident in the victims' own words 0.25 and less.
SIMILARITY_THRESHOLD = 0.4
# The tokens of redacted text («nom masqué», «adresse crypto masquée»...) and numbers vary between variants of one
# message and say nothing of it: left out of the comparison.
_MASKED = re.compile(r"«[^»]{0,40}»")
_NOT_LETTERS = re.compile(r"[^a-z]+")


class WaveNotice(db.Base):
    __tablename__ = "wave_notices"
    id = Column(Integer, primary_key=True)
    alert_id = Column(Integer, nullable=True, index=True)  # observatory_alerts.id (a console table: no foreign key)
    incident = Column(String(64), nullable=False, index=True)
    title = Column(String(TITLE_MAX), nullable=False)
    text = Column(String(TEXT_MAX), nullable=False)
    reflex = Column(String(REFLEX_MAX), nullable=False)
    terms = Column(String(TERMS_MAX), nullable=True)  # comma-separated words, any of which makes a description match
    sample = Column(Text, nullable=True)  # the alert's redacted sample, compared in n-grams
    sample_sender_id = Column(String(255), nullable=True)  # the conversation it comes from: erasing it blanks it
    created_by = Column(Integer, nullable=True)  # staff_users.id
    created_at = Column(DateTime, nullable=False, default=utcnow)
    starts_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)
    revoked_at = Column(DateTime, nullable=True)
    revoked_by = Column(Integer, nullable=True)

    __table_args__ = (Index("ix_wave_notices_sample_sender_id", "sample_sender_id"),)


NOTICES = WaveNotice.__table__


def _erase_samples(connection: Connection, sender_ids: Sequence[str], _counts: erasure.Counts) -> None:
    """The notice stays (a supervisor wrote it); the sample of an erased conversation goes, as from its alert."""
    for chunk in erasure.chunks(sender_ids):
        connection.execute(
            update(NOTICES).where(NOTICES.c.sample_sender_id.in_(chunk)).values(sample=None, sample_sender_id=None)
        )


erasure.register(NOTICES.name, _erase_samples, table=NOTICES.name)


class Notice(NamedTuple):
    """A notice as the actions and the public page read it (no session attached)."""

    id: int
    incident: str
    title: str
    text: str
    reflex: str
    starts_at: datetime
    expires_at: datetime


class InvalidNotice(ValueError):
    """A notice that cannot be published as written; the message says why, in French, for the supervisor."""


def plain(value: Optional[str], limit: int, label: str, required: bool = True) -> str:
    """One line of plain text: control characters removed, spaces collapsed, at most `limit` characters."""
    text = "".join(" " if unicodedata.category(char)[0] == "C" else char for char in (value or ""))
    text = " ".join(text.split())
    if required and not text:
        raise InvalidNotice(f"{label} : à remplir.")
    if len(text) > limit:
        raise InvalidNotice(f"{label} : {limit} caractères au plus ({len(text)} saisis).")
    return text


MAX_DAYS = 90


def check_days(days: Optional[int]) -> int:
    """The notice's duration in days: WAVE_NOTICE_DAYS when not given, between 1 and MAX_DAYS."""
    days = settings.current().wave_notice_days if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise InvalidNotice(f"Durée : entre 1 et {MAX_DAYS} jours.")
    return days


def create(
    incident: str,
    title: str,
    text: str,
    reflex: str,
    *,
    terms: Optional[str] = None,
    sample: Optional[str] = None,
    sample_sender_id: Optional[str] = None,
    alert_id: Optional[int] = None,
    created_by: Optional[int] = None,
    days: Optional[int] = None,
    now: Optional[datetime] = None,
    url: Optional[str] = None,
    connection: Optional[Connection] = None,
) -> Notice:
    """Publishes a notice, current from `now` for `days` (WAVE_NOTICE_DAYS by default). `sample` is a REDACTED
    text (an alert's sample), `sample_sender_id` the conversation it was taken from. Within `connection`'s
    transaction when one is given (the approval of an alert), else in its own."""
    now = now or utcnow()
    days = check_days(days)
    values = dict(
        alert_id=alert_id,
        incident=plain(incident, 64, "Type d'incident"),
        title=plain(title, TITLE_MAX, "Titre"),
        text=plain(text, TEXT_MAX, "Texte"),
        reflex=plain(reflex, REFLEX_MAX, "Réflexe"),
        terms=plain(terms, TERMS_MAX, "Mots à reconnaître", required=False) or None,
        sample=(sample or "")[:SAMPLE_MAX] or None,
        sample_sender_id=sample_sender_id if sample else None,
        created_by=created_by,
        created_at=now,
        starts_at=now,
        expires_at=now + timedelta(days=days),
    )
    if connection is None:
        with db.engine(url).begin() as own:
            return _insert(own, values)
    return _insert(connection, values)


def _insert(connection: Connection, values: Dict) -> Notice:
    notice_id = connection.execute(insert(NOTICES).values(**values)).inserted_primary_key[0]
    return Notice(notice_id, *(values[k] for k in ("incident", "title", "text", "reflex", "starts_at", "expires_at")))


def revoke(notice_id: int, by: Optional[int] = None, now: Optional[datetime] = None, url: Optional[str] = None) -> bool:
    """Ends a notice now; False when it was not current (unknown, expired or already ended)."""
    now = now or utcnow()
    with db.session(url) as session:
        row = session.get(WaveNotice, notice_id)
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return False
        row.revoked_at, row.revoked_by = now, by
        return True


def _current(now: datetime):
    return (
        WaveNotice.revoked_at.is_(None),
        WaveNotice.starts_at <= now,
        WaveNotice.expires_at > now,
    )


def current(now: Optional[datetime] = None, url: Optional[str] = None) -> List[Notice]:
    """Every notice in force, newest first (the public page, the console)."""
    now = now or utcnow()
    with db.session(url) as session:
        rows = session.scalars(select(WaveNotice).where(*_current(now)).order_by(WaveNotice.starts_at.desc()))
        return [_notice(row) for row in rows]


def last_change(now: Optional[datetime] = None, url: Optional[str] = None) -> Optional[datetime]:
    """When the list of notices in force last changed (one started, was ended or expired): the feed's `updated`."""
    now = now or utcnow()
    with db.session(url) as session:
        times = [
            session.scalar(select(func.max(column)).where(column <= now))
            for column in (WaveNotice.starts_at, WaveNotice.revoked_at, WaveNotice.expires_at)
        ]
    found = [value for value in times if value is not None]
    return max(found) if found else None


def recent(limit: int = 50, url: Optional[str] = None) -> List[WaveNotice]:
    """The latest notices, current or not, for the console's list."""
    with db.session(url) as session:
        return list(session.scalars(select(WaveNotice).order_by(WaveNotice.id.desc()).limit(limit)))


def matching(incident: Optional[str], text: Optional[str], now: Optional[datetime] = None) -> Optional[Notice]:
    """The notice a victim whose description is `text`, diagnosed `incident`, should read, else None."""
    if not incident:
        return None
    now = now or utcnow()
    with db.session() as session:
        rows = list(
            session.scalars(
                select(WaveNotice)
                .where(WaveNotice.incident == incident, *_current(now))
                .order_by(WaveNotice.starts_at.desc())
            )
        )
    if not rows:
        return None
    grams = ngrams(text or "")
    for row in rows:
        if concerns(row, text or "", grams):
            return _notice(row)
    return None


def concerns(row: WaveNotice, text: str, grams: Optional[Dict[str, int]] = None) -> bool:
    """Whether a victim's description is one the notice speaks of (its incident is checked by the caller)."""
    terms = [normalise(term) for term in (row.terms or "").split(",")]
    terms = [term for term in terms if term]
    if not terms and not row.sample:
        return True  # a wave of the incident as a whole
    flat = f" {normalise(text)} "
    if any(f" {term} " in flat for term in terms):
        return True
    return bool(row.sample) and similarity(grams if grams is not None else ngrams(text), ngrams(row.sample)) >= (
        SIMILARITY_THRESHOLD
    )


def normalise(text: str) -> str:
    """Lower case letters without accents, redaction tokens and numbers removed, words separated by one space."""
    text = _MASKED.sub(" ", text or "")
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(char for char in text if not unicodedata.combining(char))
    return _NOT_LETTERS.sub(" ", text).strip()


def ngrams(text: str) -> Dict[str, int]:
    counts: Counter = Counter()
    for word in normalise(text).split():
        padded = f" {word} "
        if len(padded) <= NGRAM:
            counts[padded] += 1
            continue
        counts.update(padded[i : i + NGRAM] for i in range(len(padded) - NGRAM + 1))
    return dict(counts)


def similarity(a: Dict[str, int], b: Dict[str, int]) -> float:
    """The cosine of two n-gram count vectors (0 when either is empty)."""
    if not a or not b:
        return 0.0
    dot = sum(count * b.get(gram, 0) for gram, count in a.items())
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))


def _notice(row: WaveNotice) -> Notice:
    return Notice(row.id, row.incident, row.title, row.text, row.reflex, row.starts_at, row.expires_at)


def shown_in(events: Sequence[Dict]) -> set:
    """The ids of the notices a conversation has already been shown (marked on the bot's messages)."""
    return {
        (event.get("metadata") or {}).get(METADATA_KEY)
        for event in events
        if event.get("event") == "bot" and (event.get("metadata") or {}).get(METADATA_KEY) is not None
    }


# The key, on the bot message that tells a notice, of the notice's id: how a conversation knows it was told.
METADATA_KEY = "wave_notice"


def lines(notice: Notice) -> str:
    """What the victim reads."""
    title = notice.title.rstrip(" .:;!")
    return f"Vague en cours : {title}. {notice.text}\nLe réflexe : {notice.reflex}"
