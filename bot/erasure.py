"""Erasing a victim: every package that stores victim data registers how to delete it, and `forget` runs them all.

Callers: SMS "STOP" (channels/sms.py), the console's "Supprimer" (console/routes/review.py) and
`python -m console.retention forget` / `purge`. A table that holds a `sender_id` and registers no eraser fails
tests/test_erasure.py, so a new table cannot be forgotten by accident.

Erasers run inside one transaction, in ascending `order` (an eraser that finds its rows through another table's
rows, like handover notes through handovers, runs before it). Rasa's `events` rows are deleted first, here. After
the commit, the store's files are cleaned of the deleted rows (`reclaim`: SQLite checkpoint, PostgreSQL VACUUM)
and the recorders (the console's audit log) are told what was deleted, counts only.

Words erased from the training data (examples promoted into bot/data/nlu) are still in the model trained on them:
`record_training_erasure` notes when and how many in var/erasures.json, and `make train` / `make retrain` warn
until the model in service is newer.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence

from sqlalchemy import Table, delete, select
from sqlalchemy.engine import Connection

from bot import db, settings

Counts = Dict[str, int]
Eraser = Callable[[Connection, Sequence[str], Counts], None]
Recorder = Callable[[Sequence[str], Counts, Any], None]

# What `describe` says about each count, in the order it says it (shown to staff and written to the audit log).
LABELS = (
    ("conversations", "conversation(s)"),
    ("events", "événement(s)"),
    ("annotations", "annotation(s)"),
    ("tags", "étiquette(s)"),
    ("reviews", "relecture(s)"),
    ("ratings", "avis"),
    ("dossier_links", "lien(s) vers le dossier"),
    ("handovers", "demande(s) de conseiller"),
    ("notes", "note(s) interne(s)"),
    ("exports", "fichier(s) d'export"),
    ("training", "fichier(s) d'entraînement"),
    ("anonymised", "conversation(s) anonymisée(s)"),
)


class _Registered(NamedTuple):
    order: int
    name: str
    erase: Eraser
    table: Optional[str]


_erasers: Dict[str, _Registered] = {}
_recorders: List[Recorder] = []
_tables_ready: set = set()


def register(name: str, erase: Eraser, *, table: Optional[str] = None, order: int = 0) -> None:
    """Registers (or replaces, on a module reload) the eraser `name`; `table` is the table it empties."""
    _erasers[name] = _Registered(order, name, erase, table)


def on_forgotten(record: Recorder) -> None:
    """`record(sender_ids, counts, actor)` runs after every `forget`."""
    if record not in _recorders:
        _recorders.append(record)


def register_rows(table: Table, count: str) -> None:
    """Registers the eraser of a table whose rows carry the conversation id in `sender_id`; what it deletes is
    counted under `count` (a key of LABELS)."""

    def erase(connection: Connection, sender_ids: Sequence[str], counts: Counts) -> None:
        for chunk in chunks(sender_ids):
            add(counts, count, connection.execute(delete(table).where(table.c.sender_id.in_(chunk))).rowcount)

    register(table.name, erase, table=table.name)


def covered_tables() -> set:
    return {e.table for e in _erasers.values() if e.table}


def chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def add(counts: Counts, key: str, value: Optional[int]) -> None:
    counts[key] = counts.get(key, 0) + max(value or 0, 0)


def describe(counts: Counts) -> str:
    parts = [f"{counts[key]} {label}" for key, label in LABELS if counts.get(key)]
    return ", ".join(parts) or "rien"


def reclaim(engine: Any) -> None:
    """After a deletion: Rasa's events and every table an eraser empties are cleaned of the deleted rows."""
    db.reclaim(engine, [db.EVENTS.name, *sorted(covered_tables())])


def erase_app_data(connection: Connection, sender_ids: Sequence[str], counts: Counts) -> None:
    """Everything the application keeps about these conversations, besides Rasa's events."""
    for registered in sorted(_erasers.values()):
        registered.erase(connection, sender_ids, counts)


def delete_events(connection: Connection, sender_ids: Sequence[str], counts: Counts) -> None:
    for chunk in chunks(sender_ids):
        add(counts, "events", connection.execute(delete(db.EVENTS).where(db.EVENTS.c.sender_id.in_(chunk))).rowcount)


def forget(sender_ids: Sequence[str], actor: Any = None) -> Counts:
    """Deletes these conversations entirely (events and application data) and tells the recorders.

    Outside a turn only: the callers that run inside the server delete the tracker under its lock first
    (bot.trackers.delete)."""
    sender_ids = list(dict.fromkeys(sender_ids))
    engine = db.engine()
    if str(engine.url) not in _tables_ready:  # a table no process created yet is simply empty
        db.create_all()
        _tables_ready.add(str(engine.url))
    counts: Counts = {}
    with engine.begin() as connection:
        if db.has_events(engine):
            existing = set()
            for chunk in chunks(sender_ids):
                rows = connection.execute(
                    select(db.EVENTS.c.sender_id).where(db.EVENTS.c.sender_id.in_(chunk)).distinct()
                )
                existing |= {r.sender_id for r in rows}
            delete_events(connection, sender_ids, counts)
            if existing:
                counts["conversations"] = len(existing)
        erase_app_data(connection, sender_ids, counts)
    reclaim(engine)  # also when the server deleted the events already (bot.trackers.delete)
    for record in _recorders:
        record(sender_ids, counts, actor)
    return counts


# --- erased training text: the model in service must be retrained ----------------------------------------------------
# What staff are told when an erasure reached the training data (count "training").
RETRAIN_NOTICE = (
    "Le modèle en service contient encore les exemples retirés de bot/data/nlu : commitez le fichier, "
    "réentraînez (make train) et redémarrez les serveurs."
)


def _training_marker() -> Path:
    return settings.current().var_dir / "erasures.json"


def record_training_erasure(examples: int) -> None:
    """Notes that `examples` training examples were erased (when and how many, no identifier)."""
    path = _training_marker()
    content = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"training_text_erased": []}
    at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    content["training_text_erased"].append({"at": at, "examples": examples})
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(content, indent=1), encoding="utf-8")
    os.replace(partial, path)  # never a half-written marker


def training_erasures(since: float) -> List[Dict[str, Any]]:
    """The erasures of training text after `since` (a POSIX time, e.g. the model's modification time)."""
    path = _training_marker()
    if not path.exists():
        return []
    entries = json.loads(path.read_text(encoding="utf-8")).get("training_text_erased", [])
    return [e for e in entries if datetime.fromisoformat(e["at"]).timestamp() > since]
