"""Text folding shared by the rule-based NLU parts (safety net, entity extraction), and the language check."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

_APOSTROPHES = re.compile(r"[\u2019\u2018\u02bc`´]")
_SPACES = re.compile(r"\s+")


# Format characters victims paste without seeing them (zero-width space, joiners, bidi marks, soft hyphen): they
# split a card number or a keyword in two for every pattern. Unicode spaces (no-break, narrow, ideographic…) become
# plain spaces; line breaks stay.
_FORMAT = re.compile(r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
_UNICODE_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\f\v]")


def normalise(text: str) -> str:
    """NFKC (full-width digits "４９７０" become "4970", ligatures split), format characters dropped, Unicode spaces
    made plain: what every pattern of the redaction and the NLU reads."""
    text = unicodedata.normalize("NFKC", text or "")
    return _UNICODE_SPACES.sub(" ", _FORMAT.sub("", text))


def fold(text: str) -> str:
    """Lower-case, strip accents, unify apostrophes and spaces: 'J’ai  été' -> "j'ai ete"."""
    text = _APOSTROPHES.sub("'", text or "")
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _SPACES.sub(" ", text).strip()


# Messages that acknowledge without saying yes or no: the NLU reads them as `affirm`, which they are after advice,
# but to a yes/no question ("Un mineur est-il concerné ?") "ok" may mean "I see" as well as "yes".
ACKNOWLEDGEMENTS = frozenset(
    {"ok", "okay", "oki", "okk", "ok ok", "d'accord", "daccord", "d accord", "dac", "d'acc", "entendu", "ca marche", "compris",
     "bien recu", "tres bien", "ok merci", "ah ok", "bon", "bah ok", "vu"}
)  # fmt: skip


def acknowledgement(text: object) -> bool:
    """Whether a message only acknowledges ("Ok !", "D'accord.") without answering yes or no."""
    words = "".join(c if c.isalnum() or c == "'" else " " for c in fold(text if isinstance(text, str) else ""))
    return " ".join(words.split()) in ACKNOWLEDGEMENTS


# The languages a victim writing to a French service most likely uses instead of French (lingua-language-detector,
# restricted to them: faster, and no exotic guess on a two-word French message).
OTHER_LANGUAGES = (
    Language.ENGLISH,
    Language.SPANISH,
    Language.PORTUGUESE,
    Language.ITALIAN,
    Language.GERMAN,
    Language.DUTCH,
    Language.ARABIC,
)
# A message is foreign only when another language is clearly ahead and French clearly out: short or misspelt
# French ("jai recu un sms", "slt") must never be answered "I do not speak your language".
FOREIGN_MIN_CONFIDENCE = 0.6
FRENCH_MAX_CONFIDENCE = 0.1
_LETTERS = re.compile(r"[^\W\d_]{2,}")


@lru_cache(maxsize=1)
def language_detector() -> LanguageDetector:
    """Built once per process (about 2 s and 200 MB with the models loaded): the action server builds it at
    start-up, not on a victim's message."""
    return (
        LanguageDetectorBuilder.from_languages(Language.FRENCH, *OTHER_LANGUAGES)
        .with_preloaded_language_models()
        .build()
    )


def looks_foreign(text: str) -> bool:
    """True when the message is clearly written in another language than French (at least two words)."""
    if len(_LETTERS.findall(text or "")) < 2:
        return False
    confidences = {c.language: c.value for c in language_detector().compute_language_confidence_values(text)}
    best = max(OTHER_LANGUAGES, key=lambda language: confidences.get(language, 0.0))
    return (
        confidences.get(best, 0.0) >= FOREIGN_MIN_CONFIDENCE
        and confidences.get(Language.FRENCH, 0.0) <= FRENCH_MAX_CONFIDENCE
    )


def money(amount: float, currency: str = "EUR") -> str:
    """An amount as French readers write it: 2400 -> "2 400 €", 1.99 -> "1,99 €", 50 USD -> "50 USD"."""
    shown = f"{float(amount):,.2f}".replace(",", " ").replace(".", ",").removesuffix(",00")
    return f"{shown} {'€' if currency == 'EUR' else currency}"
