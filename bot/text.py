"""Text folding shared by the rule-based NLU parts (safety net, entity extraction, language check)."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = re.compile(r"[\u2019\u2018\u02bc`´]")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, strip accents, unify apostrophes and spaces: 'J’ai  été' -> "j'ai ete"."""
    text = _APOSTROPHES.sub("'", text or "")
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _SPACES.sub(" ", text).strip()


_WORD = re.compile(r"[a-zß']+")
_FRENCH = set(
    "le la les l' et est mon ma mes je j' vous tu il elle de des du d' un une pour pas que qui sur avec ai suis "
    "au aux ce c' on ne n' en mais ou dans par plus m' me moi nous ils sont ont a".split()
)
_FOREIGN = set(
    # English
    "the and is my i you was have has been to of hello hi please help what how with it this that are can "
    "for not do don't i'm someone account hacked scam money got from your "
    # Spanish, German, Italian, Portuguese
    "hola el los mi cuenta es por favor ayuda gracias pero tengo estafa robaron hackeado han ich bin mein meine und ist der die das "
    "nicht hilfe ciao sono il mio non che olá obrigado meu minha".split()
)


def looks_foreign(text: str) -> bool:
    """Rough check that a message is not in French (no language-ID model is installable here)."""
    words = _WORD.findall(fold(text))
    foreign = sum(word in _FOREIGN for word in words)
    french = sum(word in _FRENCH for word in words)
    return foreign >= 2 and foreign > french
