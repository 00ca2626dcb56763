"""Campaigns: many victims pasting variants of the same message, found among the first messages of the last hours.

The first message of each conversation (console/index.py keeps it in `conversation_index.first_message`, REDACTED)
is folded (lower case, no accents), its numbers, masks («nom masqué»…) and spaces made alike (the amounts, names and
addresses of a campaign vary), cut into character 5-grams and summarised by a MinHash of 64 values; banded
locality-sensitive hashing (16 bands of 4) finds the pairs worth comparing, and two messages whose estimated Jaccard
similarity reaches OBSERVATORY_CAMPAIGN_SIMILARITY are one campaign (union-find). Only messages of at least
MIN_CHARS characters count: "on m'a piraté mon compte" said by a hundred victims is no campaign.

Victims who cite the same offender identifier (bot/identifiers.py: the `offender_identifier` entities of their
messages, in the events) are of one campaign too. These values are never stored: each is replaced at once by an
HMAC under a key drawn when the process starts, and only counts per kind reach the alert.

A cluster of at least OBSERVATORY_CAMPAIGN_MIN_VICTIMS conversations is a campaign: its incident is the cluster's
most frequent, its sample the redacted message of its earliest victim.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Connection

from bot import identifiers
from bot.db import EVENTS
from bot.text import fold
from console import events
from console.review_models import ConversationIndex

INDEX = ConversationIndex.__table__
SHINGLE = 5
HASHES, BANDS = 64, 16
ROWS = HASHES // BANDS
MIN_CHARS = 80
MAX_MESSAGES = 20_000  # the window's newest first messages, at most
_KEY = secrets.token_bytes(32)  # the indicators' HMAC key: in this process's memory only, never stored
_rng = np.random.default_rng(20261217)  # fixed: the same message has the same signature in every process
_A = _rng.integers(1, 2**63 - 1, HASHES, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**63 - 1, HASHES, dtype=np.uint64)
_MASK = re.compile(r"«[^»]{0,40}»")
_DIGITS = re.compile(r"\d+(?:[.,\s]\d+)*")
_NOISE = re.compile(r"[^\w#]+")


def normalise(text: str) -> str:
    """What two variants of one pasted message share: masks, numbers and punctuation made alike."""
    text = _MASK.sub(" # ", text or "")
    text = _DIGITS.sub("0", fold(text))
    return _NOISE.sub(" ", text).strip()


def shingles(text: str) -> Set[str]:
    text = normalise(text)
    return {text[i : i + SHINGLE] for i in range(max(len(text) - SHINGLE + 1, 1))}


def signature(text: str) -> np.ndarray:
    """MinHash of the message's 5-grams: 64 minima of multiply-shift hashes (uint64 arithmetic wraps on purpose)."""
    values = np.array(
        [int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little") for s in shingles(text)],
        dtype=np.uint64,
    )
    with np.errstate(over="ignore"):
        hashed = (values[None, :] * _A[:, None] + _B[:, None]) >> np.uint64(1)
    return hashed.min(axis=1)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float((a == b).mean())


def keyed(kind: str, value: str) -> str:
    """An indicator's stand-in: equal for equal values within this process, useless to anyone reading it."""
    return hmac.new(_KEY, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()


@dataclass
class Message:
    sender_id: str
    first_at: float
    incident: str
    text: str  # redacted
    indicators: Set[Tuple[str, str]] = field(default_factory=set)  # (kind, keyed value)


@dataclass
class Campaign:
    incident: str
    members: List[Message]  # by first_at
    indicators: Dict[str, int]  # kind -> victims citing an indicator of that kind that another victim cites

    @property
    def first(self) -> Message:
        return self.members[0]

    @property
    def signatures(self) -> List[np.ndarray]:
        return [signature(m.text) for m in self.members]


class _Union:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def messages(connection: Connection, since: float, until: float) -> List[Message]:
    """The first messages of the conversations begun in the window, with their offender indicators (keyed)."""
    rows = connection.execute(
        select(INDEX.c.sender_id, INDEX.c.first_at, INDEX.c.incident, INDEX.c.first_message)
        .where(INDEX.c.first_at >= since, INDEX.c.first_at <= until, INDEX.c.first_message.isnot(None))
        .order_by(INDEX.c.first_at.desc())
        .limit(MAX_MESSAGES)
    ).all()
    found = [Message(r.sender_id, r.first_at, r.incident or "", r.first_message or "") for r in rows]
    by_sender = {m.sender_id: m for m in found}
    for chunk in _chunks(list(by_sender)):
        user_events = connection.execute(
            select(EVENTS.c.sender_id, EVENTS.c.data).where(
                EVENTS.c.sender_id.in_(chunk), EVENTS.c.type_name == "user", EVENTS.c.timestamp >= since
            )
        )
        for sender_id, data in user_events:
            by_sender[sender_id].indicators |= set(indicators_of(events.load(data)))
    found.sort(key=lambda m: m.first_at)
    return found


def indicators_of(data: Dict[str, Any]) -> Iterable[Tuple[str, str]]:
    """The offender identifiers the extractor kept in a victim message, keyed; masked or malformed values dropped."""
    parse = data.get("parse_data")
    for entity in (parse.get("entities") if isinstance(parse, dict) else None) or []:
        if not isinstance(entity, dict) or entity.get("entity") != identifiers.ENTITY:
            continue
        kind, value = entity.get("role"), entity.get("value")
        if identifiers.well_formed(kind, value):
            yield str(kind), keyed(str(kind), str(value))


def _chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def cluster(found: Sequence[Message], threshold: float, min_victims: int) -> List[Campaign]:
    """Near-duplicate first messages (MinHash LSH) and shared indicators, grouped; clusters of min_victims or more."""
    union = _Union(len(found))
    long_enough = [n for n, m in enumerate(found) if len(m.text) >= MIN_CHARS]
    signatures = {n: signature(found[n].text) for n in long_enough}
    buckets: Dict[Tuple[int, bytes], List[int]] = {}
    for n, sig in signatures.items():
        for band in range(BANDS):
            buckets.setdefault((band, sig[band * ROWS : (band + 1) * ROWS].tobytes()), []).append(n)
    checked: Set[Tuple[int, int]] = set()
    for members in buckets.values():
        if len(members) < 2:
            continue
        head = members[0]
        for other in members[1:]:  # against the bucket's first and its own root: enough for a union
            for a in {head, union.find(head)}:
                pair = (min(a, other), max(a, other))
                if a == other or pair in checked or a not in signatures:
                    continue
                checked.add(pair)
                if similarity(signatures[a], signatures[other]) >= threshold:
                    union.join(a, other)
    cited: Dict[Tuple[str, str], List[int]] = {}
    for n, message in enumerate(found):
        for indicator in message.indicators:
            cited.setdefault(indicator, []).append(n)
    for members in cited.values():
        for other in members[1:]:
            union.join(members[0], other)
    groups: Dict[int, List[int]] = {}
    for n in range(len(found)):
        groups.setdefault(union.find(n), []).append(n)
    campaigns = []
    for members in groups.values():
        victims = {found[n].sender_id for n in members}
        if len(victims) < min_victims:
            continue
        chosen = sorted((found[n] for n in members), key=lambda m: m.first_at)
        incidents = Counter(m.incident for m in chosen if m.incident)
        shared: Counter = Counter()
        for indicator, citing in cited.items():
            if len(citing) >= 2 and set(citing) <= set(members):
                shared.update({indicator[0]: len(citing)})
        campaigns.append(
            Campaign(incidents.most_common(1)[0][0] if incidents else "", _with_sample(chosen), dict(shared))
        )
    return campaigns


def _with_sample(members: List[Message]) -> List[Message]:
    """The earliest member whose message is long enough comes first (the alert's sample)."""
    for n, message in enumerate(members):
        if len(message.text) >= MIN_CHARS:
            return [message, *members[:n], *members[n + 1 :]]
    return members


def find(
    connection: Connection, now: float, hours: int, threshold: float, min_victims: int
) -> Tuple[List[Campaign], List[Message]]:
    found = messages(connection, now - hours * 3600, now)
    return cluster(found, threshold, min_victims), found


def matches(campaign: Campaign, sample: str, sample_sender_id: Optional[str], threshold: float) -> bool:
    """Is this campaign the one an alert already describes (its sample's conversation, or its sample's text)?"""
    if sample_sender_id and any(m.sender_id == sample_sender_id for m in campaign.members):
        return True
    if len(sample) < MIN_CHARS:
        return False
    known = signature(sample)
    return any(similarity(known, s) >= threshold for s in campaign.signatures[:50])
