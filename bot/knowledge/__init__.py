"""The advice knowledge base: one sheet per incident intent, the reporting services, the prevention kit, the glossary.

Everything is loaded and validated once (`load()`); the action server calls it at start-up so that a broken sheet
stops the server and fails the tests instead of failing in front of a victim.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple

import yaml

from bot.knowledge.models import Advice, GlossaryEntry, Prevention, Service, Sheet
from bot.taxonomy import INCIDENT_INTENTS
from bot.vocabulary import DEFAULT_PUBLIC, DEFAULT_WRITER

KNOWLEDGE_DIR = Path(__file__).resolve().parent


class KnowledgeBase(NamedTuple):
    sheets: Dict[str, Sheet]
    services: Dict[str, Service]
    prevention: Dict[str, Any]  # prevention.yml validated by models.Prevention, as plain dicts and lists
    glossary: Dict[str, GlossaryEntry]  # glossary.yml: the words and services the advice names


class KnowledgeError(ValueError):
    pass


def _read(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@lru_cache(maxsize=1)
def load() -> KnowledgeBase:
    services = {key: Service(**value) for key, value in _read(KNOWLEDGE_DIR / "services.yml").items()}
    sheets: Dict[str, Sheet] = {}
    for path in sorted((KNOWLEDGE_DIR / "sheets").glob("*.yml")):
        try:
            sheet = Sheet(**_read(path))
        except Exception as error:  # pydantic's message names the field; add the file
            raise KnowledgeError(f"{path.name}: {error}") from error
        if sheet.intent != path.stem:
            raise KnowledgeError(f"{path.name}: intent {sheet.intent!r} does not match the file name")
        for advice in all_advice(sheet):
            if advice.service and advice.service not in services:
                raise KnowledgeError(f"{path.name}: unknown service {advice.service!r}")
        sheets[sheet.intent] = sheet
    missing = set(INCIDENT_INTENTS) - set(sheets)
    if missing:
        raise KnowledgeError(f"no advice sheet for {sorted(missing)}")
    try:
        prevention = Prevention(**_read(KNOWLEDGE_DIR / "prevention.yml"))
    except Exception as error:
        raise KnowledgeError(f"prevention.yml: {error}") from error
    try:
        glossary = {key: GlossaryEntry(**value) for key, value in _read(KNOWLEDGE_DIR / "glossary.yml").items()}
    except Exception as error:
        raise KnowledgeError(f"glossary.yml: {error}") from error
    aliases = [alias for entry in glossary.values() for alias in entry.aliases]
    duplicated = sorted({alias for alias in aliases if aliases.count(alias) > 1})
    if duplicated:
        raise KnowledgeError(f"glossary.yml: aliases used by two entries: {duplicated}")
    return KnowledgeBase(sheets, services, prevention.model_dump(), glossary)


def all_advice(sheet: Sheet) -> Iterable[Advice]:
    for section in (sheet.urgent, sheet.evidence, sheet.report, sheet.complaint, sheet.prevention):
        yield from section


# Conditions whose unknown value stands for the most frequent one: they are never a fact left to state.
DEFAULTS = {"public": DEFAULT_PUBLIC, "writer": DEFAULT_WRITER}


def matches(when: Mapping[Any, Any], facts: Mapping[str, Any]) -> bool:
    """True when the collected facts satisfy every condition of `when`.

    An unknown yes/no fact (skipped, "je ne sais pas") satisfies `true` and not `false`: when in doubt, the victim
    gets the precaution. An unknown public counts as `particulier`, by far the most frequent one. An unknown means
    of payment matches every `payment_means` list.
    """
    for key, expected in when.items():
        value = facts.get(key)
        if key in DEFAULTS:
            if (value or DEFAULTS[key]) not in expected:
                return False
        elif key == "lure":
            if value not in expected:
                return False
        elif key == "payment_means":
            if value is not None and value not in expected:
                return False
        elif value is None:
            if expected is not True:
                return False
        elif bool(value) != expected:
            return False
    return True


def select(items: Iterable[Advice], facts: Mapping[str, Any]) -> List[Advice]:
    return [item for item in items if matches(item.when, facts)]
