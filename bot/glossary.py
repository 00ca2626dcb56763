"""Which glossary entry a victim asks about ("c'est quoi PHAROS ?", "le 33700 ?"), from bot/knowledge/glossary.yml."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import List, Optional, Pattern, Tuple

from bot import knowledge
from bot.knowledge.models import GlossaryEntry
from bot.text import fold

# A short message that names a glossary term and reads as a question is a question about that term, whatever the
# classifier says ("le 33700 ?" looks like spam to it).
QUESTION_MAX_WORDS = 8
_QUESTION = re.compile(r"\?|\b(c ?est quoi|c koi|quoi|qu ?est ?ce|ca veut dire|signifie|kesako|cest quoi)\b")


@lru_cache(maxsize=1)
def _patterns() -> List[Tuple[Pattern[str], str]]:
    entries = knowledge.load().glossary
    aliases = [(fold(alias), key) for key, entry in entries.items() for alias in entry.aliases]
    aliases.sort(key=lambda pair: len(pair[0]), reverse=True)  # "double authentification" before "authentification"
    return [(re.compile(rf"(?<![\w]){re.escape(alias)}(?![\w])"), key) for alias, key in aliases]


def find(text: str) -> Optional[GlossaryEntry]:
    """The entry whose term or alias the text names (the longest match), or None."""
    folded = fold(text)
    for pattern, key in _patterns():
        if pattern.search(folded):
            return knowledge.load().glossary[key]
    return None


def asked_about(text: str) -> Optional[GlossaryEntry]:
    """The entry a short question is about, or None when the message is not such a question."""
    folded = fold(text)
    if len(folded.split()) > QUESTION_MAX_WORDS or not _QUESTION.search(folded):
        return None
    return find(text)
