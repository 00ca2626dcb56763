"""Exports of reviewed conversations: NLU training examples (Rasa YAML) and test stories.

- `export_nlu()` (Rasa's own NLU reader and writer) writes the confirmed and corrected victim messages not exported yet to a new file
  `review_export_YYYYMMDD_HHMMSS.yml` in bot/data/nlu/ (REVIEW_NLU_EXPORT_DIR), skipping those already in the
  training data (any intent: a different one is reported as a conflict), those in the held-out test sets
  (tests/nlu, tests/nlu_blind: they must stay unseen) and button payloads. Texts are redacted; square brackets and
  braces typed by victims become parentheses, since Rasa reads them as entity annotations.
- `export_story()` writes one conversation as an end-to-end test story in REVIEW_STORY_EXPORT_DIR (var/exports/stories)
  with Rasa's own story writer, up to the moment a human operator took it over, with the corrected intents.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sqlalchemy import select

from bot import db, erasure, identifiers, privacy, settings
from bot.handover import utcnow
from bot.settings import PROJECT_ROOT
from bot.vocabulary import channel_of
from console import events
from console.review_models import MessageAnnotation

NLU_DIR = PROJECT_ROOT / "bot" / "data" / "nlu"
TEST_NLU_DIRS = (PROJECT_ROOT / "tests" / "nlu", PROJECT_ROOT / "tests" / "nlu_blind")
EXPORTABLE = ("confirmed", "corrected")
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
_BRACKETS = str.maketrans("[]{}", "()()")


def clean_text(text: str) -> str:
    """One line of printable text without the characters Rasa's Markdown-like annotations use."""
    text = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in (text or ""))
    return " ".join(text.translate(_BRACKETS).split())


def example_key(text: str) -> str:
    """What makes two examples the same: the text without entity annotations, case, accents and spacing."""
    text = _ANNOTATION.sub(r"\1", text or "")
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("’", "'")
    return " ".join(text.split())


def read_examples(directory: Path) -> Dict[str, str]:
    """example key -> intent, for every NLU example of the YAML files of `directory` (Rasa's own reader)."""
    found: Dict[str, str] = {}
    for path in sorted(directory.glob("*.yml")) if directory.exists() else []:
        for message in load_data(str(path)).intent_examples:
            found.setdefault(example_key(message.get(TEXT)), message.get(INTENT))
    return found


def entity_spans(text: str, entities: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Where each annotated entity is in `text` (its first place not taken by another), as Rasa's messages hold them."""
    placed: List[Dict[str, Any]] = []
    for entity in entities:
        span = clean_text(str(entity.get("text") or ""))
        start = text.find(span) if span else -1
        while start >= 0 and any(start < e["end"] and start + len(span) > e["start"] for e in placed):
            start = text.find(span, start + 1)
        if start >= 0:
            value = entity.get("value")
            placed.append(
                {
                    "start": start,
                    "end": start + len(span),
                    "entity": entity["entity"],
                    "value": span if value is None else value,
                }
            )
    return sorted(placed, key=lambda e: e["start"])


@dataclass
class NluExport:
    path: Optional[Path]
    written: int = 0
    duplicates: int = 0
    in_test_set: int = 0
    conflicts: List[Tuple[str, str, str]] = field(default_factory=list)  # (text, corrected, existing intent)
    buttons: int = 0


def _new_path(directory: Path, prefix: str, now: datetime) -> Path:
    stem = f"{prefix}_{now.strftime('%Y%m%d_%H%M%S')}"
    path, number = directory / f"{stem}.yml", 2
    while path.exists():
        path, number = directory / f"{stem}_{number}.yml", number + 1
    return path


def render_nlu(messages: List[Message], comment: str) -> str:
    """A Rasa NLU file (Rasa's own writer), with `comment` on top."""
    return f"# {comment}\n" + TrainingData(messages).nlu_as_yaml()


def export_nlu(out_dir: Optional[Path] = None) -> NluExport:
    """Writes the confirmed and corrected messages not exported yet to a new NLU file (none when nothing is new)."""
    out_dir = out_dir or settings.current().review_nlu_export_dir
    training = read_examples(NLU_DIR)
    if out_dir != NLU_DIR:
        training.update(read_examples(out_dir))
    test_set: Dict[str, str] = {}
    for directory in TEST_NLU_DIRS:
        test_set.update(read_examples(directory))
    now = utcnow()
    result = NluExport(path=None)
    messages: List[Message] = []
    sources: Dict[str, List[str]] = {}  # conversation -> its examples in the file
    outcome: Dict[int, str] = {}
    with db.session() as s:
        pending = list(
            s.scalars(
                select(MessageAnnotation)
                .where(MessageAnnotation.status.in_(EXPORTABLE), MessageAnnotation.exported_at.is_(None))
                .order_by(MessageAnnotation.id)
            )
        )
        seen: Dict[str, str] = {}
        for annotation in pending:
            text = clean_text(privacy.redact(annotation.text))
            key = example_key(text)
            if not text or text.startswith("/"):
                result.buttons += 1
                outcome[annotation.id] = "ignoré : bouton"
            elif key in test_set:
                result.in_test_set += 1
                outcome[annotation.id] = "ignoré : dans le jeu de test"
            elif key in training and training[key] != annotation.intent:
                result.conflicts.append((text, annotation.intent, training[key]))
                outcome[annotation.id] = f"conflit : déjà dans les données comme {training[key]}"
            elif key in training or key in seen:
                result.duplicates += 1
                outcome[annotation.id] = "ignoré : déjà dans les données"
            else:
                seen[key] = annotation.intent
                messages.append(
                    Message.build(text, annotation.intent, entities=entity_spans(text, annotation.entities or []))
                )
                sources.setdefault(annotation.sender_id, []).append(text)
                result.written += 1
                outcome[annotation.id] = ""
        if messages:
            out_dir.mkdir(parents=True, exist_ok=True)
            result.path = _new_path(out_dir, "review_export", now)
            comment = (
                f"Exported from the review console on {now:%Y-%m-%d %H:%M} UTC: {result.written} confirmed or "
                f"corrected victim messages, redacted (console/export.py)."
            )
            result.path.write_text(render_nlu(messages, comment), encoding="utf-8")
            for sender_id, texts in sources.items():
                record(sender_id, result.path, texts)
        for annotation in pending:
            annotation.exported_at = now
            annotation.export_file = outcome[annotation.id] or (result.path.name if result.path else None)
    return result


# --- test stories --------------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def featurized_slots() -> Tuple[str, ...]:
    """Slots that influence the dialogue: the only ones a story needs (`requested_slot` drives the forms)."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8")) or {}
    slots = domain.get("slots") or {}
    return tuple(n for n, s in slots.items() if (s or {}).get("influence_conversation", True)) + ("requested_slot",)


def _relocated(entities: List[Dict[str, Any]], original: str, text: str, annotated: bool) -> List[Dict[str, Any]]:
    """Entities with positions in the redacted text; those whose extract was masked, or overlapping, are dropped."""
    placed: List[Dict[str, Any]] = []
    for entity in entities:
        if annotated:
            span = clean_text(str(entity.get("text") or ""))
        else:
            start, end = entity.get("start"), entity.get("end")
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(original)):
                continue
            span = clean_text(privacy.redact(original[start:end]))
        position = text.find(span) if span else -1
        if position < 0 or any(position < p["end"] and position + len(span) > p["start"] for p in placed):
            continue
        placed.append(
            {
                "entity": entity.get("entity"),
                "value": entity.get("value", span),
                "start": position,
                "end": position + len(span),
            }
        )
    return placed


def story_events(rows: List[Any], notes: Dict[int, MessageAnnotation]) -> List[Any]:
    """Rasa events for a test story, from `events` rows: redacted, corrected, up to the operator's takeover."""
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered

    result: List[Any] = []
    slots = featurized_slots()
    for row in rows:
        if row.type_name == "pause":
            break
        data = events.load(row.data)
        if row.type_name == "user":
            original = data.get("text") if isinstance(data.get("text"), str) else ""
            parse = data.get("parse_data") if isinstance(data.get("parse_data"), dict) else {}
            note = notes.get(row.id)
            intent = (
                note.intent
                if note is not None and note.status in EXPORTABLE
                else ((parse.get("intent") or {}).get("name") or row.intent_name)
            )
            if not intent:
                continue
            # The offender's identifiers are facts of the conversation, not training data: never exported.
            found = [
                e
                for e in parse.get("entities") or []
                if isinstance(e, dict) and e.get("entity") and e.get("entity") != identifiers.ENTITY
            ]
            if original.startswith("/"):  # a button: the story says which intent and entities it carried
                entities = [{"entity": e.get("entity"), "value": e.get("value")} for e in found]
                result.append(UserUttered(None, intent={"name": intent, "confidence": 1.0}, entities=entities))
                continue
            text = clean_text(privacy.redact(original))
            if note is not None and note.status in EXPORTABLE:
                entities = _relocated(note.entities or [], original, text, annotated=True)
            else:
                entities = _relocated(found, original, text, annotated=False)
            result.append(UserUttered(text, intent={"name": intent, "confidence": 1.0}, entities=entities))
        elif row.type_name == "action" and row.action_name and row.action_name != "action_session_start":
            result.append(ActionExecuted(row.action_name))
        elif row.type_name == "slot" and row.action_name in slots:
            result.append(SlotSet(row.action_name, data.get("value")))
        elif row.type_name == "active_loop":
            result.append(ActiveLoop(row.action_name))
    return result


def story_yaml(name: str, story: List[Any]) -> str:
    from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter
    from rasa.shared.core.training_data.structures import Story

    return YAMLStoryWriter().dumps(Story.from_events(story, name).story_steps, is_test_story=True)


def export_story(sender_id: str, out_dir: Optional[Path] = None) -> Optional[Path]:
    """Writes the conversation as a test story; None when it has no victim message."""
    out_dir = out_dir or settings.current().review_story_export_dir
    engine = db.engine()
    if not db.has_events(engine):
        return None
    with engine.connect() as connection:
        rows = events.of_sender(connection, sender_id)
    with db.session() as s:
        notes = {
            a.event_id: a for a in s.scalars(select(MessageAnnotation).where(MessageAnnotation.sender_id == sender_id))
        }
    story = story_events(rows, notes)
    if not any(type(e).__name__ == "UserUttered" for e in story):
        return None
    now = datetime.now(timezone.utc)
    # No identifier of the victim in the file: a keyed hash tells stories apart (and cannot be recomputed from a
    # phone number without the key).
    digest = keyed_name(sender_id)[:12]
    channel = channel_of(sender_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = _new_path(out_dir, f"review_story_{channel}_{digest}", now)
    name = f"conversation relue {channel} {digest} ({now:%Y-%m-%d})"
    path.write_text(
        f"# Exported from the review console on {now:%Y-%m-%d %H:%M} UTC (console/export.py).\n"
        + story_yaml(name, story),
        encoding="utf-8",
    )
    record(sender_id, path)
    return path


# --- manifests: which export files hold a conversation's words, so that erasing the victim erases them too ----------
# One manifest per conversation, named by a keyed hash of its id (the key lives in the export directory, outside
# git): {"files": {"nlu/review_export_….yml": ["<sha256 of an example key>", …], "stories/….yml": []}}. It holds no
# text: an NLU file is rewritten without the examples whose key hashes match; a story file is deleted.
def _export_dir() -> Path:
    return settings.current().export_dir


def _name_key() -> bytes:
    path = _export_dir() / ".name_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path.read_bytes()


def keyed_name(sender_id: str) -> str:
    """A file-name-safe keyed hash of a conversation id: useless without the key, stable with it."""
    return hmac.new(_name_key(), sender_id.encode("utf-8"), hashlib.sha256).hexdigest()[:20]


def _manifest_path(sender_id: str) -> Path:
    return _export_dir() / "manifests" / f"{keyed_name(sender_id)}.json"


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(_export_dir().resolve()))
    except ValueError:
        return str(path.resolve())


def _example_hash(text: str) -> str:
    return hashlib.sha256(example_key(text).encode("utf-8")).hexdigest()


def record(sender_id: str, path: Path, texts: Optional[List[str]] = None) -> None:
    """Notes that `path` holds words of `sender_id` (for an NLU file, the examples `texts`)."""
    manifest = _manifest_path(sender_id)
    manifest.parent.mkdir(parents=True, exist_ok=True)
    content = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {"files": {}}
    hashes = set(content["files"].get(_relative(path), [])) | {_example_hash(t) for t in texts or []}
    content["files"][_relative(path)] = sorted(hashes)
    manifest.write_text(json.dumps(content), encoding="utf-8")


def _file(relative: str) -> Path:
    path = Path(relative)
    return path if path.is_absolute() else _export_dir() / path


def _rewrite_nlu(path: Path, hashes: set) -> int:
    """Rewrites an NLU file without the examples whose key hashes are given; returns how many went."""
    examples = load_data(str(path)).intent_examples
    kept = [m for m in examples if _example_hash(m.get(TEXT)) not in hashes]
    if not kept:
        path.unlink()
    else:
        comment = path.read_text(encoding="utf-8").splitlines()[0].lstrip("# ")
        path.write_text(render_nlu(kept, comment), encoding="utf-8")
    return len(examples) - len(kept)


def erase_exports(_connection: Any, sender_ids: Any, counts: Dict[str, int]) -> None:
    """The eraser of export files (bot.erasure): story files deleted, NLU files rewritten without the examples,
    promoted files in the training data too (the model trained on them is then flagged: bot.erasure)."""
    if not (_export_dir() / ".name_key").exists():
        return  # nothing was ever exported here
    trained = 0
    for sender_id in sender_ids:
        manifest = _manifest_path(sender_id)
        if not manifest.exists():
            continue
        for relative, hashes in json.loads(manifest.read_text(encoding="utf-8"))["files"].items():
            path = _file(relative)
            if not path.exists():
                continue
            training = path.resolve().is_relative_to(NLU_DIR.resolve())
            if hashes:
                removed = _rewrite_nlu(path, set(hashes))
            else:
                path.unlink()
                removed = 0
            if training:
                trained += removed
            erasure.add(counts, "training" if training else "exports", 1)
        manifest.unlink()
    if trained:
        erasure.record_training_erasure(trained)


erasure.register("exports", erase_exports, order=-10)


# --- promotion: a person moves reviewed examples into the training data ---------------------------------------------
class PromotionError(ValueError):
    pass


def promote(path: Path, into: Optional[Path] = None) -> Path:
    """Copies an NLU export into the training data after checking again that the redaction changes none of its
    examples (a newer redaction may catch what the export let through). The manifests of the conversations whose
    examples it holds list the copy too, so that erasing them rewrites it; but once committed to git, these words
    stay in its history: the README says so."""
    into = into or NLU_DIR
    data = load_data(str(path))
    if not data.intent_examples:
        raise PromotionError(f"{path.name} : aucun exemple à promouvoir")
    unsafe = [m.get(TEXT) for m in data.intent_examples if privacy.redact(m.get(TEXT)) != m.get(TEXT)]
    if unsafe:
        raise PromotionError(
            f"{len(unsafe)} exemple(s) contiennent encore des données personnelles : {unsafe[0][:80]!r}"
        )
    target = into / path.name
    if target.exists():
        raise PromotionError(f"{target} existe déjà")
    target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    _record_copy(path, target)
    return target


def _record_copy(source: Path, copy: Path) -> None:
    """Every manifest that lists `source` lists `copy` too, with the same examples."""
    key = _relative(source)
    manifests = _export_dir() / "manifests"
    for manifest in sorted(manifests.glob("*.json")) if manifests.exists() else []:
        content = json.loads(manifest.read_text(encoding="utf-8"))
        if key in content["files"]:
            content["files"][_relative(copy)] = content["files"][key]
            manifest.write_text(json.dumps(content), encoding="utf-8")
