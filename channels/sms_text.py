"""Turning the bot's replies into SMS: GSM-7 or UCS-2 segment counts, sentence-aware splitting, numbered choices.

An SMS segment holds 160 GSM-7 characters (153 in a multi-part message), but a single character outside the GSM-7
alphabet switches the whole message to UCS-2: 70 characters (67 per part). French "é è à ù" are GSM-7, while
"ê â î ô û ç œ" and typographic punctuation (’ « » …) are not. Punctuation is therefore transliterated first; the
accents are kept, because correct French matters more than a segment.
"""

from __future__ import annotations

import math
import re
from typing import Any, Dict, List, Optional, Tuple

MAX_SEGMENTS = 3  # per message sent; what does not fit waits for SUITE

# GSM 03.38 basic alphabet (1 septet each) and its extension table (escape + character: 2 septets each).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

_TRANSLITERATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2026": "...",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2022": "-",
        "\u25cf": "-",
        "\u25aa": "-",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u2007": " ",
        "\u200b": "",
        "\t": " ",
    }
)

SUITE_MARK = "\n(SUITE pour lire la suite, {index}/{total})"


def transliterate(text: str) -> str:
    """Replaces typographic punctuation with its GSM-7 equivalent (« x » becomes "x")."""
    text = re.sub(r"«\s*", '"', text)
    text = re.sub(r"\s*»", '"', text)
    return text.translate(_TRANSLITERATION)


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def encoding(text: str) -> str:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def length_in_units(text: str) -> int:
    """Septets in GSM-7, or UTF-16 code units in UCS-2 (an emoji takes two)."""
    if is_gsm7(text):
        return sum(2 if char in GSM7_EXTENSION else 1 for char in text)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    units = length_in_units(text)
    single, multi = (160, 153) if is_gsm7(text) else (70, 67)
    if units <= single:
        return 1
    return math.ceil(units / multi)


def _fits(text: str, max_segments: int) -> bool:
    return segments(text) <= max_segments


def _sentences(text: str) -> List[Tuple[str, str]]:
    """(separator, sentence) pairs: separators are the line breaks and spaces that joined them."""
    pieces: List[Tuple[str, str]] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        for index, sentence in enumerate(re.split(r"(?<=[.!?])\s+(?=[^\sa-zà-ÿ])", line)):
            separator = " " if index else "\n"
            pieces.append(("" if not pieces else separator, sentence))
    return pieces


def _cut_words(sentence: str, room: str, max_segments: int) -> List[str]:
    """Cuts a sentence too long for one message between words (inside a word only for a giant URL)."""
    chunks: List[str] = []
    current = ""
    for word in sentence.split(" "):
        candidate = f"{current} {word}" if current else word
        if _fits(candidate + room, max_segments):
            current = candidate
            continue
        if current:
            chunks.append(current)
        current = word
        while not _fits(current + room, max_segments):
            cut = len(current) - 1
            while cut > 1 and not _fits(current[:cut] + room, max_segments):
                cut -= 1
            chunks.append(current[:cut])
            current = current[cut:]
    if current:
        chunks.append(current)
    return chunks


def split_for_sms(text: str, max_segments: int = MAX_SEGMENTS) -> List[str]:
    """Splits a reply into messages of at most `max_segments` segments each, between sentences where possible.

    Every message but the last ends with a note telling the victim to answer SUITE for the next one.
    """
    text = transliterate(text).strip()
    if _fits(text, max_segments):
        return [text] if text else []
    room = SUITE_MARK.format(index=99, total=99)  # reserved at the end of each message for the note
    parts: List[str] = []
    current = ""
    for separator, sentence in _sentences(text):
        candidate = current + separator + sentence if current else sentence
        if _fits(candidate + room, max_segments):
            current = candidate
            continue
        if current:
            parts.append(current)
        if _fits(sentence + room, max_segments):
            current = sentence
        else:
            *full, current = _cut_words(sentence, room, max_segments)
            parts.extend(full)
    if current:
        parts.append(current)
    total = len(parts)
    return [
        part + (SUITE_MARK.format(index=index, total=total) if index < total else "")
        for index, part in enumerate(parts, start=1)
    ]


# --- numbered choices ---------------------------------------------------------------------------------------------
def _enumeration(count: int) -> str:
    numbers = [str(n) for n in range(1, count + 1)]
    return numbers[0] if count == 1 else ", ".join(numbers[:-1]) + " ou " + numbers[-1]


def render_turn(replies: List[Dict[str, Any]]) -> Tuple[str, List[str]]:
    """One SMS text for all the bot's replies of a turn, and the payloads of its numbered choices.

    Buttons are numbered across the whole turn, under the message they belong to, and the victim may answer with
    the number alone.
    """
    lines: List[str] = []
    payloads: List[str] = []
    for reply in replies:
        text = str(reply.get("text") or reply.get("image") or "").strip()
        if text:
            lines.append(text)
        for button in reply.get("buttons") or reply.get("quick_replies") or []:
            title = str(button.get("title") or button.get("payload") or "").strip()
            if not title:
                continue
            payloads.append(str(button.get("payload") or title))
            lines.append(f"{len(payloads)}. {title}")
    if payloads:
        lines.append(f"Répondez {_enumeration(len(payloads))}.")
    return "\n".join(lines), payloads


def chosen_payload(body: str, payloads: Optional[List[str]]) -> Optional[str]:
    """The payload of the numbered choice the victim answered ("2", "2.", " 2) "), if that is what they did."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*[.)]?\s*", body or "")
    if not match or not payloads:
        return None
    number = int(match.group(1))
    return payloads[number - 1] if 1 <= number <= len(payloads) else None
