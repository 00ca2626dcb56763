"""Turning the bot's replies into SMS: GSM-7 or UCS-2 segment counts, pages that never cut a line, numbered choices.

An SMS segment holds 160 GSM-7 characters (153 in a multi-part message), but a single character outside the GSM-7
alphabet switches the whole message to UCS-2: 70 characters (67 per part). French "é è à ù" are GSM-7, while
"ê â î ô û ç œ" and typographic punctuation (’ « » …) are not. Punctuation is therefore transliterated first; the
accents are kept, because correct French matters more than a segment.

The budget is counted in segments of the message's real encoding: MAX_SEGMENTS (3) per message, i.e. 459 characters
when the message is GSM-7 and 201 when one character makes it UCS-2. The texts written for SMS (the `sms` lines of
the advice sheets, the `channel: sms` responses) avoid ê â î ô û ç where another word reads as well, never by
dropping an accent. A turn goes out as up to SMS_MESSAGES_PER_TURN messages, numbered "1/2", "2/2" (handsets may
reorder them); what is left waits for SUITE. Its cost is counted as messages × segments.

`page_turn` lays a turn out (the first SMS of every turn is decided here):
- a question (a form's `utter_ask_*`, or a reply marked `sms: question`) goes in the first message with all its
  choices, after as much of what precedes it as fits: on the first turn, the diagnosis and the first reflex;
- a menu (other buttons) follows the essentials, before the details; if it does not fit in the messages sent now,
  a number answered before it was read shows it again;
- replies marked `sms: detail` come last, and are the first to wait for SUITE;
- choices are numbered once per payload across the turn (two menus offering a person become one choice);
- a line, a header and the line under it, or the list of choices is never cut across messages.
"""

from __future__ import annotations

import math
import re
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

MAX_SEGMENTS = 3  # per message sent; what does not fit waits for SUITE
MESSAGES_PER_TURN = 2  # default of SMS_MESSAGES_PER_TURN

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


# --- numbered choices ---------------------------------------------------------------------------------------------
def _enumeration(count: int) -> str:
    numbers = [str(n) for n in range(1, count + 1)]
    return numbers[0] if count == 1 else ", ".join(numbers[:-1]) + " ou " + numbers[-1]


def chosen_payload(body: str, payloads: Optional[List[str]]) -> Optional[str]:
    """The payload of the numbered choice the victim answered ("2", "2.", " 2) "), if that is what they did."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*[.)]?\s*", body or "")
    if not match or not payloads:
        return None
    number = int(match.group(1))
    return payloads[number - 1] if 1 <= number <= len(payloads) else None


# --- a turn laid out in messages ------------------------------------------------------------------------------------
SUITE_NOTE = "\n(SUITE pour lire la suite)"
# Reserved in a message for its number ("2/3 ") and, from the second message on (or when one message is sent at a
# time), the SUITE note, so that adding them never breaks a budget. The first message of several never carries the
# note: it goes on the last message sent.
_NUMBER = "9/9 "


def _room(page: int, messages_now: int) -> str:
    return _NUMBER + (SUITE_NOTE if page > 0 or messages_now == 1 else "")


class Pages(NamedTuple):
    now: List[str]  # sent at once, numbered when there are several
    later: List[str]  # each SUITE sends the next one
    payloads: List[str]  # of the numbered choices
    choices: Optional[str] = None  # the question or menu with its numbered choices, to show it again

    @property
    def choices_sent(self) -> bool:
        """The choices are in the messages sent now (always for a question; a menu may wait for SUITE)."""
        return bool(self.payloads) and any(has_choices(page) for page in self.now)


def has_choices(page: str) -> bool:
    """Whether this message holds numbered choices ("1. …")."""
    return re.search(r"^(?:\d+/\d+ )?1\. ", page, flags=re.MULTILINE) is not None


def _role(reply: Dict[str, Any]) -> str:
    marked = reply.get("sms")
    if marked in ("question", "menu", "detail"):
        return str(marked)
    if reply.get("buttons") or reply.get("quick_replies"):
        return "question" if str(reply.get("utter_action") or "").startswith("utter_ask_") else "menu"
    return "info"


def _blocks(text: str) -> List[str]:
    """Lines never cut across messages; a header ("… :") stays with the line under it."""
    blocks: List[str] = []
    header = ""
    for line in transliterate(text).split("\n"):
        line = line.strip()
        if not line:
            continue
        if line.endswith(":") and len(line) < 80:
            header = f"{header}\n{line}" if header else line
            continue
        blocks.append(f"{header}\n{line}" if header else line)
        header = ""
    if header:
        blocks.append(header)
    return blocks


def _asks(reply: Dict[str, Any]) -> bool:
    return _role(reply) in ("question", "menu") and bool(reply.get("buttons") or reply.get("quick_replies"))


def _choices(replies: List[Dict[str, Any]]) -> Tuple[Optional[str], List[str], str]:
    """The choice block of the turn (the last question or menu text, then every numbered choice), its payloads and
    its kind. The texts of earlier replies with buttons are laid out with the other texts (see `page_turn`)."""
    asking = [r for r in replies if _asks(r)]
    if not asking:
        return None, [], "none"
    kind = "question" if any(_role(r) == "question" for r in asking) else "menu"
    head = transliterate(str(asking[-1].get("text") or "")).strip()
    lines: List[str] = []
    payloads: List[str] = []
    for reply in asking:
        for button in reply.get("buttons") or reply.get("quick_replies") or []:
            title = transliterate(str(button.get("title") or button.get("payload") or "")).strip()
            payload = str(button.get("payload") or title)
            if not title or payload in payloads:
                continue
            payloads.append(payload)
            lines.append(f"{len(payloads)}. {title}")
    block = "\n".join(([head] if head else []) + lines + [f"Répondez {_enumeration(len(payloads))}."])
    return block, payloads, kind


def _choice_blocks(block: str, room: str, max_segments: int) -> List[str]:
    """The choice block whole, or (when even alone it is too long for a message) the question, then the list."""
    if _fits(block + room, max_segments):
        return [block]
    head, _, rest = block.partition("\n")
    return [head, rest]


def _paginate(blocks: List[str], max_segments: int, messages_now: int, start: int = 0) -> List[str]:
    """Pages filled to the budget, block by block; `start` is the index of the first page among the turn's."""
    pages: List[str] = []
    current = ""
    for block in blocks:
        room = _room(start + len(pages), messages_now)
        candidate = f"{current}\n{block}" if current else block
        if _fits(candidate + room, max_segments):
            current = candidate
            continue
        if current:
            pages.append(current)
            room = _room(start + len(pages), messages_now)
        if _fits(block + room, max_segments):
            current = block
        else:  # a single line longer than a message: cut between words, as a last resort
            *full, current = _cut_words(block.replace("\n", " "), _NUMBER + SUITE_NOTE, max_segments)
            pages.extend(full)
    if current:
        pages.append(current)
    return pages


def page_turn(
    replies: List[Dict[str, Any]], messages_now: int = MESSAGES_PER_TURN, max_segments: int = MAX_SEGMENTS
) -> Pages:
    """The messages of a turn: `now` (at most `messages_now`, the choices among them) and `later` (for SUITE)."""
    messages_now = max(1, messages_now)
    choices, payloads, kind = _choices(replies)
    last_asking = max((i for i, reply in enumerate(replies) if _asks(reply)), default=None)
    info: List[str] = []
    details: List[str] = []
    for index, reply in enumerate(replies):
        if index == last_asking:  # its text heads the choice block
            continue
        text = str(reply.get("text") or reply.get("image") or "")
        (details if _role(reply) == "detail" else info).extend(_blocks(text))
    if choices is None:
        pages = _paginate(info + details, max_segments, messages_now)
    elif kind == "question":
        # The question and all its choices in the first message, after what precedes it as far as it fits.
        first_room = _room(0, messages_now)
        asked = _choice_blocks(choices, first_room, max_segments)
        first: List[str] = []
        rest: List[str] = []
        for block in info:
            fits = not rest and _fits("\n".join(first + [block, asked[0]]) + first_room, max_segments)
            (first if fits else rest).append(block)
        pages = _paginate(first + asked, max_segments, messages_now)
        pages += _paginate(rest + details, max_segments, messages_now, start=len(pages))
    else:
        # A menu follows the essentials, before the details: the essentials come first, even if the menu then waits
        # for SUITE (a number answered before it was read shows it again: channels/sms.py).
        pages = _paginate(
            info + _choice_blocks(choices, _NUMBER + SUITE_NOTE, max_segments) + details, max_segments, messages_now
        )
    now, later = pages[:messages_now], pages[messages_now:]
    if later:
        now[-1] += SUITE_NOTE
        later = [page + SUITE_NOTE for page in later[:-1]] + later[-1:]
    if len(now) > 1:
        now = [f"{index}/{len(now)} {page}" for index, page in enumerate(now, start=1)]
    return Pages(now, later, payloads, choices)


def one_message(text: str) -> str:
    """A reply that goes out alone (STOP, AIDE, a notice, the safety reply) in its SMS form. These texts are written
    to fit one message of MAX_SEGMENTS; tests/test_sms.py checks every fixed one."""
    return transliterate(text).strip()
