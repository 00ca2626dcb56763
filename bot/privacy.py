"""Redaction of personal data in what victims (and operators) write, before staff see it or anything is exported.

Victims of fraud paste card numbers, IBANs, passwords and ID numbers into the chat. `redact(text)` replaces them
with plain French tokens such as «carte bancaire masquée». The tokens use guillemets, never square brackets or
braces, which Rasa's YAML training format would read as entity annotations.

What is masked, and how false alarms are avoided:
- e-mail addresses;
- IBANs (any country, with or without spaces) whose ISO 7064 mod-97 check passes, and French RIBs with a valid key;
- French social security numbers (NIR: 13 digits and a 2-digit key, spaced or not, Corsica 2A/2B) whose key is
  right, and any NIR-shaped number (with or without key) written after "sécu", "NIR" or "carte vitale";
- payment card numbers: 13 to 19 digits, whole or in groups of 3+ digits separated by spaces, dashes or dots, that
  pass the Luhn check and start like a card (2 to 6). Dates, amounts, phone numbers and order numbers that fail
  Luhn are kept;
- phone numbers: French (06 12 34 56 78, 06.12.34.56.78, 0612345678, +33 6…, +33 (0)6…, 0033 6…) and international
  (+ or 00 and 8 to 15 digits);
- crypto wallet addresses (Bitcoin legacy and bech32, TRON: checksum checked; Ethereum: 0x and 40 hex digits);
- passport numbers (French format 12AB34567), and ID card or passport numbers written after "carte d'identité",
  "CNI", "passeport", "titre de séjour" or "permis de conduire";
- passwords and codes written after "mot de passe", "mdp", "password", "code" (not "code postal"), "PIN",
  "cryptogramme", "CVV", possibly a few words later ("le mot de passe de mon compte Gmail c'est …", "mdp wifi :
  …"): the word after ":", "=", "c'est", "est" or "était" is masked unless it is an ordinary French word (after ":",
  the next few words too), and anywhere in that clause a word mixing letters with digits or symbols
  ("Soleil2024", "livebox-1234"), or a code of digits.

No detector is perfect: a password made of an ordinary word written without "c'est" or ":" stays visible.

`redact` masks everyone's identifiers alike. Which IBANs, phone numbers, e-mail addresses, websites and wallets are
the offender's (kept as facts of the conversation) and which the victim's is `bot/identifiers.py`'s job.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Any, Callable, Iterable, List, Optional, Tuple

from bot import geo, vocabulary
from bot.phones import is_bare_international
from bot.text import normalise

CARD = "«carte bancaire masquée»"
IBAN = "«IBAN masqué»"
RIB = "«RIB masqué»"
PHONE = "«téléphone masqué»"
EMAIL = "«e-mail masqué»"
PASSWORD = "«mot de passe masqué»"
CODE = "«code masqué»"
NIR = "«numéro de sécurité sociale masqué»"
ID_DOCUMENT = "«numéro de pièce d'identité masqué»"
EXPIRY = "«date d'expiration masquée»"
IDENTIFIER = "«identifiant masqué»"
SEED = "«phrase de récupération masquée»"
WALLET = "«adresse crypto masquée»"
LINK_TOKEN = "«jeton masqué»"
KEY = "«clé masquée»"
ADDRESS = "«adresse masquée»"
NAME = "«nom masqué»"
TOKENS = (
    CARD,
    IBAN,
    RIB,
    PHONE,
    EMAIL,
    PASSWORD,
    CODE,
    NIR,
    ID_DOCUMENT,
    EXPIRY,
    IDENTIFIER,
    SEED,
    WALLET,
    LINK_TOKEN,
    KEY,
    ADDRESS,
    NAME,
)

# Separators people type inside long numbers: space, no-break and narrow no-break spaces, dot, dash.
_SEP = "[ \u00a0\u202f.\\-/_]"

# --- e-mail ----------------------------------------------------------------------------------------------------
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,24}(?![\w-])")


def email_spans(text: str) -> List[Tuple[int, int]]:
    """Where plainly written e-mail addresses are (not the spelt-out forms)."""
    return [m.span() for m in _EMAIL.finditer(text)]


# Written so that robots do not see them: "jean [at] gmail [dot] com", "m.roux @ free . fr", "jean arobase orange
# point fr", "nadia(at)hotmail(point)fr".
_AT = r"(?:\s*@\s*|\s*[\[({]\s*(?:at|arobase|@)\s*[\])}]\s*|\s+(?:arobase|at)\s+)"
_DOT = r"(?:\s*\.\s*|\s*[\[({]\s*(?:dot|point|\.)\s*[\])}]\s*|\s+(?:dot|point)\s+)"
_EMAIL_SPELT = re.compile(
    rf"(?<![\w.+-])[\w+-]+(?:\s?\.\s?[\w+-]+)*{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[A-Za-z]{{2,24}}(?![\w-])",
    re.IGNORECASE,
)
# "leo.marchand2009 sur gmail": the address without its domain.
_EMAIL_ON = re.compile(
    r"(?<![\w.+-])(?=[\w.+-]*\d)(?=[\w.+-]{6})[\w.+-]+(?=\s+(?:sur|chez|at|on)\s+(?:gmail|hotmail|outlook|yahoo|orange|free|sfr|laposte|icloud|live|wanadoo)\b)",
    re.IGNORECASE,
)

# --- IBAN ------------------------------------------------------------------------------------------------------
# Lengths of the IBAN registry (SWIFT); an unknown country code is accepted at any length from 15 to 34.
IBAN_LENGTHS = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BI": 27,
    "BR": 29,
    "BY": 28,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DJ": 27,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FK": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IQ": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LC": 32,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "LY": 25,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MN": 20,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NI": 28,
    "NL": 18,
    "NO": 15,
    "OM": 23,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "RU": 33,
    "SA": 24,
    "SC": 31,
    "SD": 18,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "SO": 23,
    "ST": 25,
    "SV": 28,
    "TL": 23,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VA": 22,
    "VG": 24,
    "XK": 20,
    "YE": 30,
}
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[ \u00a0]?\d{2}")  # "FR76…" and "FR 76 …"


def iban_valid(iban: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters to numbers, remainder 1 modulo 97."""
    iban = iban.upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


_IBAN_SEPARATORS = " \u00a0\u202f-\t."


def _separator_run(text: str, i: int) -> int:
    """Length of the run of separators at `i`, or 0 when it is too long to be inside one number."""
    end = i
    while end < len(text) and text[end] in _IBAN_SEPARATORS:
        end += 1
    return end - i if end - i <= 2 else 0


@lru_cache(maxsize=None)
def _iban_of_length(length: int) -> "re.Pattern[str]":
    """An IBAN of exactly `length` characters, with at most two separators between any two of them, ending at a
    group boundary: what the walk below finds, matched in one regex call (a flood of "FR76 " stays fast)."""
    return re.compile(rf"(?:[ \u00a0\u202f\-\t.]{{0,2}}[A-Za-z0-9]){{{length - 4}}}(?![^\W_])")


def iban_spans(text: str) -> List[Tuple[int, int]]:
    spans = []
    for start in _IBAN_START.finditer(text):
        expected = IBAN_LENGTHS.get(start.group()[:2].upper())
        if expected is not None:  # a known country: one candidate, of its length
            found = _iban_of_length(expected).match(text, start.end())
            if found and iban_valid(re.sub(r"[^A-Za-z0-9]", "", text[start.start() : found.end()])):
                spans.append((start.start(), found.end()))
            continue
        # Walk on: letters and digits, with short runs of separators between them (one or two spaces, a dash,
        # a tab); a candidate ends at a group boundary.
        chars: List[str] = []
        ends: List[Tuple[int, int]] = []  # (length so far, end offset) at each group boundary
        i = start.start()
        while i < len(text) and len(chars) < 34:
            c = text[i]
            if c.isascii() and c.isalnum():
                chars.append(c)
                i += 1
                nxt = text[i] if i < len(text) else ""
                if not (nxt.isascii() and nxt.isalnum()):
                    ends.append((len(chars), i))
            elif (
                c in _IBAN_SEPARATORS
                and chars
                and (gap := _separator_run(text, i))
                and i + gap < len(text)
                and text[i + gap].isascii()
                and text[i + gap].isalnum()
            ):
                i += gap
            else:
                break
        expected = IBAN_LENGTHS.get("".join(chars[:2]).upper())
        for length, end in reversed(ends):
            if (expected is None or length == expected) and 15 <= length and iban_valid("".join(chars[:length])):
                if end < len(text) and text[end].isalnum():
                    continue
                spans.append((start.start(), end))
                break
    return spans


# --- French RIB (bank 5, branch 5, account 11 alphanumeric, key 2) -----------------------------------------------
_RIB = re.compile(r"(?<![\w])(\d{5})[ \u00a0\-]?(\d{5})[ \u00a0\-]?([0-9A-Za-z]{11})[ \u00a0\-]?(\d{2})(?![\w])")
_RIB_LETTERS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")


def rib_valid(bank: str, branch: str, account: str, key: str) -> bool:
    account_digits = account.upper().translate(_RIB_LETTERS)
    if not account_digits.isdigit():
        return False
    return (89 * int(bank) + 15 * int(branch) + 3 * int(account_digits) + int(key)) % 97 == 0


# --- NIR (French social security number) -----------------------------------------------------------------------
_NIR = re.compile(
    r"(?<![\w])([1-478])[ .\u00a0]?(\d{2})[ .\u00a0]?(0[1-9]|1[0-2]|[2-9]\d)[ .\u00a0]?(\d{2}|2[ABab])"
    r"[ .\u00a0]?(\d{3})[ .\u00a0]?(\d{3})(?:[ .\u00a0]?(\d{2}))?(?![\w])"
)
_NIR_CONTEXT = re.compile(
    r"(s[ée]cu|s[ée]curit[ée] sociale|\bnir\b|carte vitale|\bn(?:°|um[ée]ro)? ?ss\b)", re.IGNORECASE
)


def nir_valid(number13: str, key: str) -> bool:
    """Key = 97 - (number mod 97); Corsica's départements 2A and 2B count as 19 and 18."""
    number = number13.upper()
    number = number[:5] + {"2A": "19", "2B": "18"}.get(number[5:7], number[5:7]) + number[7:]
    return number.isdigit() and 97 - int(number) % 97 == int(key)


# --- payment cards ---------------------------------------------------------------------------------------------
# Groups of digits separated by one separator, or two (double space, tab, line break: pasted or typed in SMS).
_DIGIT_RUN = re.compile(r"(?<!\d)\d+(?:(?:[ \u00a0\u202f.\-\t/,_]|\r?\n){1,2}\d+)*(?!\d)")
_GROUP = re.compile(r"\d+")


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_valid(digits: str) -> bool:
    """A payment card number: 13-19 digits, a card network's first digit (2-6), and the Luhn check."""
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits) and len(set(digits)) > 1


def card_spans(text: str) -> List[Tuple[int, int]]:
    spans = []
    for run in _DIGIT_RUN.finditer(text):
        groups = [(g.start() + run.start(), g.end() + run.start(), g.group()) for g in _GROUP.finditer(run.group())]
        i = 0
        while i < len(groups):
            if groups[i][2][0] not in "23456":  # no card network starts so: skip at once (long hostile runs)
                i += 1
                continue
            # the longest run of whole groups starting here that is a card number ("4970 1012 3456 7890 12/26")
            found, digits, j = None, "", i
            pairs = False
            while j < len(groups) and len(digits) + len(groups[j][2]) <= 19:
                digits += groups[j][2]
                pairs = pairs or len(groups[j][2]) < 3
                # Cards are written in groups of 4 (or 4-6-5); pairs of digits are phone numbers, unless there
                # are enough of them for a whole card ("dictated two by two").
                if card_valid(digits) and (not pairs or len(digits) >= 15):
                    found = j
                j += 1
            if found is None:
                i += 1
                continue
            spans.append((groups[i][0], groups[found][1]))
            i = found + 1
    return spans


# --- phone numbers ---------------------------------------------------------------------------------------------
_PHONE_FR = re.compile(rf"(?<![\w+])0[1-9](?:{_SEP}?\d){{8}}(?![\w])")
# A country code never starts with 0. One digit per repetition (with an optional separator or parenthesis before it): no nested quantifiers, so a long
# run of digits cannot make the regex backtrack exponentially.
_PHONE_INTL = re.compile(r"(?<![\w+])(?:\+|00)[ \u00a0.\-]?[1-9](?:[ \u00a0.\-]?\(?\d\)?){7,16}(?![\w])")


# Without the leading 0 or the +: "33612345678", "wa.me/33612345678", "6 41 85 23 70"; North American "(438) 555-0142".
_PHONE_BARE = re.compile(
    r"(?<![\d+.,/])[67](?: \d\d){4}(?![\d,.]\d)|\(\d{3}\)[ .\-]?\d{3}[ .\-]\d{4}(?!\d)|(?<![\d,.])\d{3}[ .]\d{3}-\d{4}(?!\d)"
)


_BARE_INTERNATIONAL = re.compile(r"(?<![\w+])[1-9]\d{10,12}(?!\d)")


def _phone_intl_ok(match: "re.Match[str]") -> bool:
    digits = re.sub(r"\D", "", match.group())
    if match.group().startswith("00"):
        digits = digits[2:]
    return 8 <= len(digits) <= 15


# What every match of the four patterns above contains (8 digits or more, from the first to the last, with only
# separators and parentheses between them): text without it has no phone number. Keep it in step with them.
_PHONE_CLUE = re.compile(r"\d[\d \u00a0\u202f.\-/_()]{6,}\d")


def mask_phones(text: str) -> str:
    """`text` with its phone numbers (French, international, bare) replaced by PHONE: the phone step of `redact`,
    alone for the log lines (bot.logs), which run it on every record."""
    if not _PHONE_CLUE.search(text):
        return text
    text = _sub(_PHONE_FR, PHONE, text)
    text = _sub(_PHONE_INTL, PHONE, text, _phone_intl_ok)
    text = _sub(_PHONE_BARE, PHONE, text)
    return _sub(_BARE_INTERNATIONAL, PHONE, text, lambda m: is_bare_international(m.group()))


def phone_spans(text: str) -> List[Tuple[int, int]]:
    """Where `redact` sees phone numbers in `text` (the same patterns, read on the same text), sorted."""
    found: List[Tuple[int, int]] = []
    for pattern, accept in (
        (_PHONE_FR, None),
        (_PHONE_INTL, _phone_intl_ok),
        (_PHONE_BARE, None),
        (_BARE_INTERNATIONAL, lambda m: is_bare_international(m.group())),
    ):
        found += [m.span() for m in pattern.finditer(text) if accept is None or accept(m)]
    spans: List[Tuple[int, int]] = []
    for start, end in sorted(found, key=lambda span: (span[0], -span[1])):  # "+225 07 48…" whole, not "07 48…"
        if not spans or start >= spans[-1][1]:
            spans.append((start, end))
    return spans


# --- crypto wallet addresses: Bitcoin (legacy and bech32), Ethereum and its kin, TRON --------------------------
# Only addresses whose checksum passes (Base58Check, BIP-173/350); Ethereum addresses have none that is cheap to
# check (EIP-55 needs Keccak-256, which hashlib lacks), so any 0x and 40 hex digits counts.
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_WALLET = re.compile(
    r"(?<![A-Za-z0-9])(?:[13][1-9A-HJ-NP-Za-km-z]{25,34}|T[1-9A-HJ-NP-Za-km-z]{33}"
    r"|(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{8,87}|0x[0-9a-fA-F]{40})(?![A-Za-z0-9])"
)


def _base58check(address: str) -> Optional[bytes]:
    """The payload of a Base58Check string (version byte first), or None when its checksum fails."""
    number = 0
    for char in address:
        number = number * 58 + _BASE58.index(char)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    raw = b"\0" * (len(address) - len(address.lstrip("1"))) + raw
    payload, check = raw[:-4], raw[-4:]
    return payload if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] == check else None


def _bech32_valid(address: str) -> bool:
    """BIP-173 (witness version 0, bech32) and BIP-350 (versions 1-16, bech32m) checksums and program length."""
    if address != address.lower() and address != address.upper():
        return False
    address = address.lower()
    hrp, data = address[:2], [_BECH32.index(c) for c in address[3:]]
    check = 1
    for value in [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + data:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
            check ^= generator if (top >> i) & 1 else 0
    if len(data) < 7 or data[0] > 16 or check != (1 if data[0] == 0 else 0x2BC830A3):
        return False
    length = (len(data) - 7) * 5 // 8  # the witness program, in bytes
    return 2 <= length <= 40 and (data[0] != 0 or length in (20, 32))


def wallet_address(address: str) -> Optional[str]:
    """The address as wallets compare it (bech32 and Ethereum in lower case), or None when it is not a valid one."""
    if address.startswith("0x"):
        return address.lower()
    if address[:3].lower() == "bc1":
        return address.lower() if _bech32_valid(address) else None
    payload = _base58check(address)
    version = {"1": 0x00, "3": 0x05, "T": 0x41}[address[0]]
    return address if payload is not None and len(payload) == 21 and payload[0] == version else None


def wallet_spans(text: str) -> List[Tuple[int, int]]:
    return [m.span() for m in _WALLET.finditer(text) if wallet_address(m.group())]


# --- the card's security code and expiry date ------------------------------------------------------------------
_CARD_CODE = re.compile(
    r"(?:\bcrypto(?:gramme)?(?![^\W\d_])|\bcvv2?(?![^\W\d_])|\bcvc2?(?![^\W\d_])|code\s+de\s+s[ée]curit[ée]|(?:les\s+)?(?:3|trois)\s+chiffres|"
    r"code\s+(?:au\s+dos|derri[èe]re|[àa]\s+l['’]endos))"
    r"(?P<gap>[^\d.!?\n]{0,45}?)(?P<code>(?<!\d)\d(?: ?\d){2,3})(?!\d|\s?(?:€|euros?\b|eur\b|\$|chf\b|%))",
    re.IGNORECASE,
)
_EXPIRY = re.compile(
    r"(?P<lead>\b(?:exp\w*|date\s+d['’]\s?exp\w*|validit[ée]|valable\s+jusqu['’]?\s?(?:au|à|a)?|date)\s*(?:[:=]|le|au)?\s*)"
    r"(?P<date>(?:0[1-9]|1[0-2])\s?[/.\-]\s?(?:\d{4}|\d{2})|(?:0[1-9]|1[0-2])\d{2})(?![\d/])",
    re.IGNORECASE,
)


# A card number given in two halves: "les 8 premiers chiffres : 4975 6344", then "la suite : 1190 3916".
_CARD_HALF = re.compile(
    r"(?P<lead>(?:\b(?:\d{1,2}|huit|quatre|six)\s+(?:premiers|derniers)\s+chiffres|\bla\s+suite|\bla\s+fin)[^\d\n]{0,25}?)"
    r"(?P<digits>(?<!\d)\d{4}(?:\s?\d{4}){0,2})(?!\d)",
    re.IGNORECASE,
)


def _card_details(text: str) -> str:
    text = _CARD_HALF.sub(lambda m: m.group("lead") + CARD, text)
    text = _CARD_CODE.sub(lambda m: m.group()[: m.start("code") - m.start()] + CODE, text)
    return _EXPIRY.sub(lambda m: m.group("lead") + EXPIRY, text)


# --- one-time codes: "2FA : 553201", "code reçu par sms 48 29 17", "double authentification 904 112" -----------
_OTP = re.compile(
    r"(?:\b2\s?fa\b|\botp\b|double\s+authentification|authentification\s+forte|code\s+(?:de\s+)?(?:validation|"
    r"confirmation|v[ée]rification|s[ée]curit[ée]|connexion|activation|d['’]\s?identification|d['’]\s?acc[èe]s)|code\s+re[çc]u|code\s+(?:par\s+)?(?:sms|texto)|"
    r"\bcode\b[^\d.!?\n]{0,20}par\s+paires|\bcodes?\b[^\d.!?\n]{0,30}?(?:par|en)\s+(?:sms|texto))"
    r"(?P<gap>[^\d.!?\n]{0,40}?)(?P<code>(?<!\d)(?:\d(?: \d){3,7}|\d{2,4}(?:\s?[-–]?\s?\d{2,4}){0,3}))(?!\d)"
    r"(?!\s?(?:€|euros?\b|eur\b|\$|chf\b|%))(?P<more>(?:\s*(?:,|puis|et|ou|/)\s*\d{2,4}(?:\s?\d{2,4}){0,2}(?!\d))*)",
    re.IGNORECASE,
)


# Codes written in the message the service sent ("G-384291 est votre code de validation Google").
_SENT_CODE = re.compile(r"(?<![\w-])G-\d{6}(?!\d)")
# Prepaid coupons and recovery codes, often several in one sentence: every number of 4+ digits of that sentence.
_CODE_LIST = re.compile(
    r"(?:transcash|neosurf|paysafecard|\bpcs\b|coupons?|recharges?|cartes?[\s-]+cadeaux?|codes?\s+de\s+secours|"
    r"codes?\s+de\s+r[ée]cup[ée]ration)[^.!?\n]*",
    re.IGNORECASE,
)
_LONG_NUMBER = re.compile(
    r"(?<![\w,.])\d{4}(?:[ -]?\d{4})*(?![\w,]|[.]\d|\s?(?:€|euros?\b|eur\b|\$|chf\b|%))|(?<![\w])[A-Z0-9]{4}(?:-[A-Z0-9]{4}){2,}(?![\w])"
)


def _code_lists(text: str) -> str:
    return _CODE_LIST.sub(lambda m: _LONG_NUMBER.sub(CODE, m.group()), text)


def _otp(text: str) -> str:
    def replace(match: "re.Match[str]") -> str:
        digits = re.sub(r"\D", "", match.group("code"))
        if not 4 <= len(digits) <= 8:
            return match.group()
        more = re.sub(r"\d{2,4}(?:\s?\d{2,4}){0,2}", CODE, match.group("more"))
        return match.group()[: match.start("code") - match.start()] + CODE + more

    return _SENT_CODE.sub(CODE, _OTP.sub(replace, text))


# --- identity documents ----------------------------------------------------------------------------------------
_PASSPORT = re.compile(r"(?<![\w])\d{2} ?[A-Za-z]{2} ?\d{5}(?![\w])")
# The machine-readable lines at the bottom of a passport or an identity card: capitals, digits and "<<".
_MRZ = re.compile(r"(?m)^[ \t]*[A-Z0-9<]{25,44}[ \t]*$")
# A number written after what it is, in France, Belgium, Switzerland or Québec: the number is capitals and digits,
# in groups separated by a space, a dot or a dash ("1206 751 04582", "592-3458721-36", "T8HJ2K4L9").
_NUMBER_CONTEXT = re.compile(
    r"(?P<lead>(?P<what>carte\s+(?:nationale\s+)?d['’]\s?identit[ée]|\bcni\b|\beid\b|passeport|"
    r"pi[èe]ce\s+d['’]\s?identit[ée]|titre\s+de\s+s[ée]jour|permis(?:\s+de\s+conduire)?|num[ée]ro\s+[ée]tranger|"
    r"num[ée]ro\s+du\s+document|carte\s+d['’]\s?assurance\s+maladie|"
    r"(?P<social>s[ée]cu(?:rit[ée]\s+sociale)?|\bnir\b|\bavs\b|\bnas\b|registre\s+national|carte\s+vitale))"
    r"(?:\s+(?:suisse|belge|canadien(?:ne)?|fran[çc]ais(?:e)?|du\s+qu[ée]bec|biom[ée]trique))?(?:\s*\([^)\n]{0,40}\))?"
    r"(?:\s*(?:n°|no\.?|num[ée]ro|num)\b|\s*n°)?\s*(?:est|c['’]est|:|=)?\s*)"
    r"(?P<number>(?-i:(?=[A-Z0-9 .\-]*\d)[A-Z0-9]+(?:[ .\-][A-Z0-9]+){0,5}))(?![\w])",
    re.IGNORECASE,
)


def _numbers_in_context(text: str) -> str:
    def replace(match: "re.Match[str]") -> str:
        number = match.group("number")
        if not 6 <= len(re.sub(r"\W", "", number)) <= 20:
            return match.group()
        return match.group("lead") + (NIR if match.group("social") else ID_DOCUMENT)

    return _NUMBER_CONTEXT.sub(replace, _MRZ.sub(ID_DOCUMENT, text))


_ID_CONTEXT = re.compile(
    r"(?:carte\s+(?:nationale\s+)?d['’]\s?identit[ée]|\bcni\b|passeport|pi[èe]ce\s+d['’]\s?identit[ée]|"
    r"titre\s+de\s+s[ée]jour|permis\s+de\s+conduire)"
    r"(?:\s+(?:n°|no\.?|num[ée]ro|num)\b|\s*n°)?\s*(?:est|c['’]est|:|=)?\s*"
    r"(?P<id>(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{9,12})(?![\w])",
    re.IGNORECASE,
)

# --- passwords and codes ---------------------------------------------------------------------------------------
# The keyword, then the rest of its clause is read word by word (see `_secret_spans`): victims write "le mot de
# passe de mon compte Gmail c'est Soleil2024", "mdp wifi : livebox-1234", "mon mdp c marseille13".
_KEYWORD = re.compile(
    r"\bmots?\s+de\s+passe\b|\bmdp\b|\bpass(?:word|wd)?\b|\bpwd\b|\bcryptogramme\b|\bcvv\b|\bcvc\b|"
    r"\bcl[ée]\s+(?:wifi|wi-fi|wpa2?|wep|de\s+s[ée]curit[ée]\s+r[ée]seau)\b|\bnip\b|\bcode(?:s)?\b(?!\s+(?:postal|ape|naf|insee|promo|client|article|produit))(?:\s+(?:secret|pin|cb|sms|otp|confidentiel|bancaire|re[çc]u|"
    r"par\s+(?:sms|texto|mail|e-mail|courriel)|[àa]\s+usage\s+unique|de\s+la\s+carte(?:\s+bleue)?))*|\bpin\b",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"«[^»\n]{1,64}»|\"[^\"\n]{1,64}\"|“[^”\n]{1,64}”|=>|->|[:=,;\n]|[.!?](?=\s|$)|[^\s«»\"“”,;:=]+")
_LINK_VERBS = frozenset("c'est c’est c'était c’était cest c est était etait is was".split())
_CLAUSE_END = frozenset(";.!?\n")
MAX_QUALIFIER_WORDS = 5  # "le mot de passe [de mon compte facebook] c'est …"
MAX_SECRET_WORDS = 4  # "mot de passe : 1234 5678"
# Words that follow "mon mot de passe est …" without being the password.
_ORDINARY = frozenset(
    """le la les l un une des du de d mon ma mes ton ta tes son sa ses notre votre nos vos leur leurs ce cet cette
    ces celui celle ceux pas plus trop tres très si aussi toujours encore deja déjà jamais souvent bien mal peut
    faible simple facile court long longue nul bon mauvais fort forte sur sûr valide invalide incorrect correct
    faux vrai ancien nouveau nouvelle vieux personnel perso secret confidentiel identique pareil meme même
    different différent dans en chez avec sans pour par a à et ou mais donc que qui quoi ca ça cela ceci ici la là
    tout rien maintenant hier aujourd demain fini expire expiré obsolete obsolète oublie oublié enregistre
    enregistré compromis vole volé pirate piraté change changé bloque bloqué perdu connu fiable sécurisé securise
    utile obligatoire necessaire nécessaire important grave normal possible comment pourquoi combien quoi""".split()
)
_PARTICIPLE = re.compile(r"(?:é|ée|és|ées|ait|aient)$")
_POSSESSIVE = re.compile(r"\b(?:mon|ma|mes|le|son|sa|ses|notre|votre|leur|nouveau|ancien|my)\s+$", re.IGNORECASE)


def _looks_secret(word: str) -> bool:
    """Digits or symbols: "Soleil2024", "p@ss", "a.b!c" (an apostrophe or a hyphen is French spelling)."""
    return bool(re.search(r"\d|[^\w'’\-]", word))


def _mixed(word: str) -> bool:
    """Letters with digits or symbols ("Soleil2024", "livebox-1234", "p@ssw0rd"): a secret wherever it stands in
    the clause of "mot de passe". Web addresses ("facebook.com") and dates ("12/03") are not."""
    return len(word) >= 4 and bool(re.search(r"[^\W\d_]", word)) and bool(re.search(r"\d|[^\w'’\-./]", word))


def _code_like(word: str, strict: bool) -> bool:
    """A code: digits, or letters and digits ("482913", "A7X2"); `strict` (a word away from "code"): 4+ digits."""
    if "/" in word or re.search(r"[€$£]", word):
        return False  # a date, an amount
    alnum = re.sub(r"\W", "", word)
    digits = sum(c.isdigit() for c in alnum)
    return digits >= 4 if strict else (len(alnum) >= 3 and digits > 0)


def _secret_spans(text: str, keyword: "re.Match[str]") -> List[Tuple[int, int, str]]:
    """The secrets in the clause after `keyword`, as (start, end, token) to replace."""
    word = keyword.group().lower()
    is_code = not re.search(r"passe|mdp|pass|pwd|cl[ée]", word)
    weak = word == "pass"  # also "pass Navigo", "pass culture": only what looks like a secret
    token = CODE if is_code else PASSWORD
    tokens = list(_TOKEN.finditer(text, keyword.end(), min(len(text), keyword.end() + 200)))
    possessive = bool(_POSSESSIVE.search(text[max(0, keyword.start() - 20) : keyword.start()]))

    def span(match: "re.Match[str]") -> Tuple[int, int, str]:
        value = match.group()
        if value[0] in '«"“':
            return (match.start(), match.end(), token)
        # A final "!" or "?" may belong to the password ("Soleil2024!"); a full stop or a comma does not.
        return (match.start(), match.start() + len(value.rstrip(".,;:)")), token)

    def secret(match: "re.Match[str]", link: str, first: bool) -> bool:
        value = match.group()
        if value[0] in '«"“':
            return value.strip('«»"“” ').rstrip(".!?") not in TOKENS and bool(value.strip('«»"“” '))
        value = value.rstrip(".,!?;:)")
        folded = value.lower().strip("'’")
        if not value or value in TOKENS:
            return False
        if is_code:
            if re.match(r"\s?(?:€|euros?\b|eur\b|\$|chf\b|%)", text[match.end() :], re.IGNORECASE):
                return False  # "code … 2500 €": an amount
            return _code_like(value, strict=False)
        if weak:
            return _looks_secret(value) and folded not in _ORDINARY
        if link == "colon":  # "Mdp : Toto Tata", up to MAX_SECRET_WORDS
            return folded not in _ORDINARY
        if link == "verb":
            return _looks_secret(value) or (possessive and folded not in _ORDINARY and not _PARTICIPLE.search(folded))
        return _looks_secret(value)  # "mot de passe Soleil2024!" without any verb

    qualifiers, link = 0, ""
    found: List[Any] = []
    for position, match in enumerate(tokens):
        value = match.group()
        folded = value.lower()
        if link:  # the secret: one word, or a few after ":" ("1234 5678", "Toto Tata")
            if value == "\n" and link == "colon" and not found:
                continue  # "Mot de passe :" then the password on the next line
            if value in _CLAUSE_END or value == "," or not secret(match, link, first=not found):
                break
            found.append(span(match))
            if link != "colon" or len(found) >= MAX_SECRET_WORDS or value[-1] in ".!?;":
                break
            continue
        if value in _CLAUSE_END or _KEYWORD.fullmatch(value):
            break
        if value == ",":
            following = tokens[position + 1].group().lower() if position + 1 < len(tokens) else ""
            if position == 0 or following in _LINK_VERBS:
                continue  # "mon mot de passe, c'est chaton", "le code du wifi, c'est …"
            break
        if value in (":", "=", "->", "=>") or (value.endswith(":") and len(value) > 1):
            link = "colon"
        elif folded in _LINK_VERBS or (folded == "c" and not is_code):
            link = "verb"
        elif position == 0 and secret(match, "", first=True):
            return [span(match)]  # "mot de passe Marseille13", "code 482913"
        elif not weak and (_code_like(value, strict=True) if is_code else _mixed(value.rstrip(".,!?;:)"))):
            return [span(match)]  # "le mot de passe de mon compte Gmail Soleil2024"
        else:
            qualifiers += 1
            if qualifiers > MAX_QUALIFIER_WORDS:
                break
    return found


# --- the redaction ---------------------------------------------------------------------------------------------
# Official reporting addresses victims quote: kept, like the official phone numbers.
OFFICIAL_EMAILS = frozenset({"suspect@safeonweb.be", "phishing@cert.ch", "abuse@signal-spam.fr"})


def _email(match: "re.Match[str]") -> str:
    return match.group() if match.group().lower() in OFFICIAL_EMAILS else EMAIL


# RIB written piece by piece: "code banque 30004 code guichet 00823 numéro de compte 08001234567 clé RIB 69".
_RIB_PART = re.compile(
    r"(?P<lead>\b(?:code\s+banque|code\s+guichet|n(?:°|um[ée]ro)\s+de\s+compte|cl[ée]\s+rib|cl[ée])\s*(?:[:=]|est)?\s*)"
    r"(?P<part>(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{2,11})(?![\w])",
    re.IGNORECASE,
)


def _rib_parts(text: str) -> str:
    return _RIB_PART.sub(lambda m: m.group("lead") + RIB, text)


def _replace_spans(text: str, spans: Iterable[Tuple[int, int]], token: str) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + token + text[end:]
    return text


def _sub(
    pattern: "re.Pattern[str]", token: str, text: str, accept: Optional[Callable[["re.Match[str]"], bool]] = None
) -> str:
    return pattern.sub(lambda m: token if accept is None or accept(m) else m.group(), text)


def nir_spans(text: str) -> List[Tuple[int, int]]:
    """Social security numbers: a valid key, or (without its key, or with a mistyped one) said to be one."""
    spans = []
    for match in _NIR.finditer(text):
        number13 = "".join(match.group(i) for i in range(1, 7))
        key = match.group(7)
        if (key is not None and nir_valid(number13, key)) or _NIR_CONTEXT.search(
            text[max(0, match.start() - 60) : match.start()]
        ):
            spans.append(match.span())
    return spans


def _nir(text: str) -> str:
    return _replace_spans(text, nir_spans(text), NIR)


def _rib(text: str) -> str:
    return _RIB.sub(lambda m: RIB if rib_valid(*m.groups()) else m.group(), text)


def _secrets(text: str) -> str:
    spans: List[Tuple[int, int, str]] = []
    for keyword in _KEYWORD.finditer(text):
        if spans and keyword.start() < spans[-1][1]:
            continue  # inside a secret already found ("mot de passe : pass123")
        spans.extend(_secret_spans(text, keyword))
    merged: List[Tuple[int, int, str]] = []
    for start, end, token in sorted(spans):
        if merged and merged[-1][2] == token and not text[merged[-1][1] : start].strip():
            merged[-1] = (merged[-1][0], end, token)  # "1234 5678" is one password, not two
        else:
            merged.append((start, end, token))
    for start, end, token in reversed(merged):
        text = text[:start] + token + text[end:]
    return text


# --- logins and what the victim says was their password --------------------------------------------------------
_LOGIN_PAIR = re.compile(
    r"(?P<lead>\bidentifiants?\s*(?:sont|:|=|c['’]est)\s*)(?P<login>[^\s/]+)(?P<mid>\s*/\s*)(?P<password>\S+?)(?=[\s,;]|$)",
    re.IGNORECASE,
)
_LOGIN = re.compile(
    r"(?P<lead>\b(?:login|identifiant|username|user(?:name)?|nom\s+d['’]utilisateur)\s*(?:[:=]|c['’]est|est)?\s*)"
    r"(?P<login>(?!(?:et|de|du|mot|mdp|pass)\b)(?=[\w.@+-]*[\d._@])[\w.@+-]+)",
    re.IGNORECASE,
)
_AS_PASSWORD = re.compile(
    r"(?P<lead>\b(?:mis|mets|mettais|utilis[ée]\w*|choisi|tap[ée]\w*|donn[ée]\w*)\s+)(?P<secret>\S+)"
    r"(?=\s+(?:comme|en)\s+(?:mot\s+de\s+passe|mdp|code))",
    re.IGNORECASE,
)


def _logins(text: str) -> str:
    text = _LOGIN_PAIR.sub(lambda m: m.group("lead") + IDENTIFIER + m.group("mid") + PASSWORD, text)
    text = _LOGIN.sub(lambda m: m.group("lead") + IDENTIFIER, text)
    return _AS_PASSWORD.sub(lambda m: m.group("lead") + PASSWORD, text)


# --- wallet recovery phrases ------------------------------------------------------------------------------------
_SEED = re.compile(
    r"(?P<lead>(?:phrase\s+(?:de\s+(?:r[ée]cup[ée]ration|passe)|secr[èe]te|mn[ée]monique|seed)|seed(?:\s+phrase)?|"
    r"recovery\s+phrase|mots?\s+(?:de\s+r[ée]cup[ée]ration|secrets?)|(?:mes|les|ses)\s+(?:12|24|douze|vingt-quatre)\s+mots|"
    r"(?:mes|les)\s+mots)[^:\n]{0,80}?(?:[:=]|c['’]est|sont)\s*)"
    r"(?P<words>(?:[a-zà-ÿ]+(?:[ ,\t]+|\s*\n\s*|\s*\d{1,2}[.)]\s*)){11,23}[a-zà-ÿ]+)",
    re.IGNORECASE,
)


_WORD_RUN = re.compile(
    r"(?:\b\d{1,2}[.)]\s*)?(?<![A-Za-zÀ-ÿ])[A-Za-zÀ-ÿ]+(?:(?:[ ,\t]+|\s*\n\s*)(?:\d{1,2}[.)]\s*)?[A-Za-zÀ-ÿ]+){11,}"
)


@lru_cache(maxsize=1)
def _bip39_words() -> frozenset:
    """The BIP-39 word lists wallets draw recovery phrases from (English and French, from `mnemonic`)."""
    from mnemonic import Mnemonic

    return frozenset(word for language in ("english", "french") for word in Mnemonic(language).wordlist)


def _seeds(text: str) -> str:
    text = _SEED.sub(lambda m: m.group("lead") + SEED, text)

    def phrase(match: "re.Match[str]") -> str:
        words = re.findall(r"[A-Za-zÀ-ÿ]+", match.group())
        # 12 words or more, every one of them a BIP-39 word: a recovery phrase, whatever surrounds it.
        run: List[str] = []
        for word in words:
            if word.lower() in _bip39_words():
                run.append(word)
            else:
                run = []
            if len(run) >= 12:
                return SEED if len(run) == len(words) else _mask_words(match.group(), words)
        return match.group()

    return _WORD_RUN.sub(phrase, text)


def _mask_words(text: str, words: List[str]) -> str:
    """The longest run of 12+ BIP-39 words of `text` replaced by SEED (the words around it stay)."""
    best: Tuple[int, int] = (0, 0)
    start = None
    positions = [m for m in re.finditer(r"[A-Za-zÀ-ÿ]+", text)]
    for index, match in enumerate(positions):
        if match.group().lower() in _bip39_words():
            start = index if start is None else start
            if index - start + 1 > best[1] - best[0]:
                best = (start, index + 1)
        else:
            start = None
    if best[1] - best[0] < 12:
        return text
    return text[: positions[best[0]].start()] + SEED + text[positions[best[1] - 1].end() :]


# --- secrets in links: reset tokens, magic links, codes in the query ----------------------------------------------
_URL = re.compile(
    r"\b[a-z][a-z0-9+.\-]{1,15}://[^\s<>\"«»]+|www\.[^\s<>\"«»]+|(?:(?<![\w.\-])[\w-]+(?:\.[\w-]+)+|\.\.\.|…)/[^\s<>\"«»]+",
    re.IGNORECASE,
)
# Keys pasted alone: payment API keys ("sk_live_…"), wallet private keys (64 hex digits, WIF), long random tokens.
_KEY = re.compile(r"(?<![\w\-])[\w\-]{24,}(?![\w\-])")


def _key(match: "re.Match[str]") -> str:
    """Mixed case with digits (checked here, not by lookaheads that rescan a long word at every step)."""
    word = match.group()
    if re.match(r"(?:sk|pk|rk)_(?:live|test)_", word) or re.fullmatch(r"(?:0x)?[0-9a-fA-F]{64}", word):
        return KEY
    digits = sum(c.isdigit() for c in word)
    if digits >= 2 and any(c.islower() for c in word) and any(c.isupper() for c in word) and len(word) <= 200:
        return KEY
    return word


_QUERY_VALUE = re.compile(r"(?P<key>[?&#;][\w.\-\[\]]+=)(?P<value>[^&#\s]{4,})")
_LONG_SEGMENT = re.compile(r"(?<=/)(?=[\w\-]*\d)(?=[\w\-]*[A-Za-z])[\w\-]{12,}(?=[/?#]|$)")


def _link_tokens(text: str) -> str:
    def clean(match: "re.Match[str]") -> str:
        url = match.group()
        url = _QUERY_VALUE.sub(lambda q: q.group("key") + LINK_TOKEN, url)
        return _LONG_SEGMENT.sub(LINK_TOKEN, url)

    return _KEY.sub(_key, _URL.sub(clean, text))


# --- spaced single digits after "code": "le code 7 2 9 0 1 8" ------------------------------------------------------
_SPELT_CODE = re.compile(r"(?P<lead>\bcodes?\b[^\d.!?\n]{0,20}?)(?P<code>(?<!\d)\d(?: \d){3,7})(?!\d)", re.IGNORECASE)


# --- street addresses (the commune and its postal code stay: operators need them) -----------------------------
_STREET_TYPES = (
    r"rue|avenue|av\.?|boulevard|bd|chemin|ch\.|all[ée]e|impasse|imp\.?|place|pl\.|route|rte|quai|cours|square|"
    r"passage|r[ée]sidence|lotissement|hameau|cit[ée]|faubourg|voie|sentier|rond-point|esplanade|parvis|chauss[ée]e|"
    r"promenade|mont[ée]e|rang|ruelle|traverse|villa"
)
_ADDRESS = re.compile(
    # "3 bis avenue Jean Jaurès", "4520, rue Saint-Denis", "7 CHEMIN DES VIGNES", then the rest of the street name
    rf"(?<![\w])\d{{1,5}}(?:\s?(?:bis|ter|quater|[A-Da-d])\b)?,?\s+(?:{_STREET_TYPES})\b[^,\n\d()]{{1,60}}?"
    r"(?=\s*(?:,|\n|\(|\d{5}|$|\.\s|\.$)|\s+(?:à|a|au|en|sur|pr[èe]s)\s)"
    # Belgium, Switzerland: "Chaussée de Waterloo 1024", "Route de Lausanne 15", "Rue du Midi 8"
    rf"|(?<![\w])(?=(?-i:[A-ZÉ]))(?:{_STREET_TYPES})\s+(?:d[eu']\s?|des\s+|de\s+la\s+|l['’])?[^,\n\d]{{2,40}}?\s\d{{1,4}}[a-z]?(?![\w.,]\d)"
    # "lieu-dit La Borie Haute", "BP 42", "appartement 24", "bâtiment C", "app. 3"
    r"|\blieu[- ]dit\s+[^,\n]{2,40}|\b(?-i:BP|CS)\s?\d{1,5}\b"
    r"|\b(?:appartement|appt?\.|b[âa]timent|b[âa]t\.?)\s*(?-i:[A-Z0-9]{1,4})\b"
    r"|\b(?:r[ée]sidence|lotissement|domaine)\s+(?:les?\s+|la\s+|du\s+|des\s+)?(?-i:[A-ZÉ])[\w'’-]+(?:\s+(?-i:[A-ZÉ])[\w'’-]+)?",
    re.IGNORECASE,
)


def _addresses(text: str) -> str:
    return _ADDRESS.sub(ADDRESS, text)


# --- names of persons --------------------------------------------------------------------------------------------
# spaCy's French NER finds the names; it reads at most this much of a message (beyond, only the patterns below).
MAX_NER_CHARS = 5000
# Services and platforms victims name, which the NER may take for people.
NOT_PEOPLE = frozenset(
    "perceval pharos thesee thésée ricardo anibis leboncoin vinted cybermalveillance escroqueries itsme twint "
    "bancontact lydia paylib wero interac ameli belfius colissimo chronopost tiktok snapchat instagram facebook "
    "whatsapp telegram signal messenger paypal revolut binance ledger metamask apple google microsoft amazon".split()
)
_TITLE = re.compile(
    r"(?P<lead>\b(?:m\.|mme\.?|mlle\.?|monsieur|madame|mademoiselle|ma[iî]tre|(?-i:Me)|dr\.?|docteur|pr\.?)\s+)"
    r"(?P<name>(?-i:[A-ZÉÈ][\w'’-]+(?:\s+(?:de\s+|du\s+|le\s+|la\s+)?[A-ZÉÈ][\w'’-]+){0,3}))",
    re.IGNORECASE,
)
_CALLED = re.compile(
    r"(?P<lead>\b(?:je\s+m['’]appelle|il\s+s['’]appel(?:le|ait)|elle\s+s['’]appel(?:le|ait)|un\s+certain|une\s+certaine|"
    r"(?:pr[ée])?nom\s*:|nom\s+de\s+famille\s*:)\s*)"
    r"(?P<name>(?-i:[A-ZÉÈ][\w'’-]+(?:\s+[A-ZÉÈ][\w'’-]+){0,3}))",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _ner() -> Any:
    """spaCy's French pipeline with only its entity recogniser (loaded once per process, a few seconds)."""
    import spacy

    return spacy.load(
        "fr_core_news_md", exclude=["tagger", "parser", "lemmatizer", "attribute_ruler", "morphologizer", "senter"]
    )


_NOT_FIRST = frozenset(
    "le la les l un une des ce cet cette ces mon ma mes ton ta tes son sa ses notre votre nos vos leur leurs "
    "monsieur madame mademoiselle m mme mlle docteur maître sieur dame".split()
)
_PARTICLES = frozenset("de du des le la d' d’ van von der den di da dos".split())


def _person_spans(text: str) -> List[Tuple[int, int]]:
    if len(text) > MAX_NER_CHARS or not re.search(r"[A-ZÉÈ][a-zà-ÿ]", text):
        return []
    spans = []
    for entity in _ner()(text).ents:
        words = entity.text.split()
        if entity.label_ != "PER" or re.search(r"\d|«|»", entity.text) or not words:
            continue
        if entity.text.lower() in NOT_PEOPLE or words[0].lower() in ("bonjour", "bonsoir", "salut", "coucou"):
            continue
        if geo.find_communes(entity.text, fuzzy=False):
            continue  # "Lévis", "Trois-Rivières": the place stays, operators need it
        # A person's name is capitalised words (with "de", "du", "le"… inside), never a determiner first ("Ma
        # Sécurité", "Ce Monsieur") nor a title alone: "le monsieur", "ma blonde", "Amzn Mktp" are not names.
        if (
            words[0].lower() in _NOT_FIRST
            or not all(w[0].isupper() or w.lower() in _PARTICLES for w in words)
            or not any(c.islower() for w in words for c in w[1:])
        ):
            continue
        start, end = entity.start_char, entity.end_char
        if len(words) == 1:
            # One word alone is a person only next to a surname in capitals ("DUPUIS Marie-Claude"); first names
            # alone are caught through a full name elsewhere in the message, or after "je m'appelle", "Mme"…
            if sum(c.isupper() for c in text) > sum(c.islower() for c in text):
                continue  # A MESSAGE IN CAPITALS: every word is next to capitals
            before = re.search(r"(?-i:\b[A-ZÉÈ]{2,}[A-ZÉÈ'’-]*)\s+$", text[:start])
            after = re.match(r"\s+(?-i:[A-ZÉÈ]{2,}[A-ZÉÈ'’-]*)\b", text[end:])
            if not before and not after:
                continue
            start = before.start() if before else start
            end = end + after.end() if after else end
        spans.append((start, end))
    return spans


def _names(text: str) -> str:
    named = [m.group("name") for pattern in (_TITLE, _CALLED) for m in pattern.finditer(text)]
    text = _TITLE.sub(lambda m: m.group("lead") + NAME, text)
    text = _CALLED.sub(lambda m: m.group("lead") + NAME, text)
    spans = _person_spans(text)
    named += [text[start:end] for start, end in spans]
    # A first name or surname alone, elsewhere in the message ("Kevin Martin … Kevin"), is the same person.
    parts = {word for name in named for word in name.split() if len(word) > 2 and word[0].isupper()}
    text = _replace_spans(text, spans, NAME)
    for part in sorted(parts, key=len, reverse=True):
        text = re.sub(rf"(?<![\w«]){re.escape(part)}(?![\w»])", NAME, text)
    return text


def _id_documents(text: str) -> str:
    text = _numbers_in_context(text)
    text = _ID_CONTEXT.sub(lambda m: m.group()[: m.start("id") - m.start()] + ID_DOCUMENT, text)
    return _PASSPORT.sub(ID_DOCUMENT, text)


def redact(text: Any, phones: bool = True) -> str:
    """`text` with its personal data replaced by French tokens; `phones=False` keeps phone numbers (the
    assistant's own messages quote official numbers)."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    text = normalise(text)
    if not text:
        return text
    text = _replace_spans(text, wallet_spans(text), WALLET)
    text = _link_tokens(text)
    text = _EMAIL.sub(_email, text)
    text = _EMAIL_SPELT.sub(_email, text)
    text = _EMAIL_ON.sub(EMAIL, text)
    text = _replace_spans(text, iban_spans(text), IBAN)
    text = _rib(text)
    text = _rib_parts(text)
    text = _nir(text)
    text = _replace_spans(text, card_spans(text), CARD)
    text = _card_details(text)
    text = _otp(text)
    text = _code_lists(text)
    if phones:
        text = mask_phones(text)
    text = _id_documents(text)
    text = _seeds(text)
    text = _logins(text)
    text = _SPELT_CODE.sub(lambda m: m.group("lead") + CODE, text)
    text = _secrets(text)
    text = _addresses(text)
    text = _names(text)
    return text


def redact_value(value: Any, phones: bool = True) -> Any:
    """Redacts every string inside a JSON-like value (slot values, entities, summaries)."""
    if isinstance(value, str):
        return redact(value, phones)
    if isinstance(value, list):
        return [redact_value(v, phones) for v in value]
    if isinstance(value, dict):
        return {k: redact_value(v, phones) for k, v in value.items()}
    return value


def mask_sender(sender_id: str) -> str:
    """A conversation id as staff (and log lines) may see it: SMS numbers and Telegram chat ids are personal
    identifiers, and a web chat session id is the only key to its conversation (whoever has it reads the stream and
    writes as the victim). The last characters are left: enough to tell two conversations apart on one screen, far
    too few to guess the rest (a session id has 122 random bits)."""
    channel, sep, rest = (sender_id or "").partition(":")
    if sep and channel in (vocabulary.SMS.key, vocabulary.TELEGRAM.key) and rest:
        return f"{channel}:…{rest[-2:]}"
    if sep and channel == vocabulary.WEB.key:
        return f"{channel}:…{rest[-4:]}"
    return redact(sender_id)
