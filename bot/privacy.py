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
- passport numbers (French format 12AB34567), and ID card or passport numbers written after "carte d'identité",
  "CNI", "passeport", "titre de séjour" or "permis de conduire";
- passwords and codes written after "mot de passe", "mdp", "password", "code" (not "code postal"), "PIN",
  "cryptogramme", "CVV", possibly a few words later ("le mot de passe de mon compte Gmail c'est …", "mdp wifi :
  …"): the word after ":", "=", "c'est", "est" or "était" is masked unless it is an ordinary French word (after ":",
  the next few words too), and anywhere in that clause a word mixing letters with digits or symbols
  ("Soleil2024", "livebox-1234"), or a code of digits.

No detector is perfect: a password made of an ordinary word written without "c'est" or ":" stays visible.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, List, Optional, Tuple

from bot import vocabulary

CARD = "«carte bancaire masquée»"
IBAN = "«IBAN masqué»"
RIB = "«RIB masqué»"
PHONE = "«téléphone masqué»"
EMAIL = "«e-mail masqué»"
PASSWORD = "«mot de passe masqué»"
CODE = "«code masqué»"
NIR = "«numéro de sécurité sociale masqué»"
ID_DOCUMENT = "«numéro de pièce d'identité masqué»"
TOKENS = (CARD, IBAN, RIB, PHONE, EMAIL, PASSWORD, CODE, NIR, ID_DOCUMENT)

# Separators people type inside long numbers: space, no-break and narrow no-break spaces, dot, dash.
_SEP = "[ \u00a0\u202f.\\-]"

# --- e-mail ----------------------------------------------------------------------------------------------------
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,24}(?![\w-])")

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


_IBAN_SEPARATORS = " \u00a0\u202f-\t"


def _separator_run(text: str, i: int) -> int:
    """Length of the run of separators at `i`, or 0 when it is too long to be inside one number."""
    end = i
    while end < len(text) and text[end] in _IBAN_SEPARATORS:
        end += 1
    return end - i if end - i <= 2 else 0


def _iban_spans(text: str) -> List[Tuple[int, int]]:
    spans = []
    for start in _IBAN_START.finditer(text):
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
_DIGIT_RUN = re.compile(r"(?<![\w])\d+(?:(?:[ \u00a0\u202f.\-\t]|\r?\n){1,2}\d+)*(?![\w])")
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


def _card_spans(text: str) -> List[Tuple[int, int]]:
    spans = []
    for run in _DIGIT_RUN.finditer(text):
        groups = [(g.start() + run.start(), g.end() + run.start(), g.group()) for g in _GROUP.finditer(run.group())]
        i = 0
        while i < len(groups):
            # the longest run of whole groups starting here that is a card number ("4970 1012 3456 7890 12/26")
            found, digits, j = None, "", i
            while j < len(groups) and len(digits) + len(groups[j][2]) <= 19:
                digits += groups[j][2]
                if card_valid(digits):
                    found = j
                if len(groups[j][2]) < 3:
                    break  # cards are written in groups of 4 (or 4-6-5); pairs of digits are phone numbers
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


def _phone_intl_ok(match: "re.Match[str]") -> bool:
    digits = re.sub(r"\D", "", match.group())
    if match.group().startswith("00"):
        digits = digits[2:]
    return 8 <= len(digits) <= 15


# --- identity documents ----------------------------------------------------------------------------------------
_PASSPORT = re.compile(r"(?<![\w])\d{2}[A-Za-z]{2}\d{5}(?![\w])")
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
    r"\bcode(?:s)?\b(?!\s+postal)(?:\s+(?:secret|pin|cb|sms|otp|confidentiel|bancaire|re[çc]u|"
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
    if "/" in word:
        return False  # a date
    alnum = re.sub(r"\W", "", word)
    digits = sum(c.isdigit() for c in alnum)
    return digits >= 4 if strict else (len(alnum) >= 3 and digits > 0)


def _secret_spans(text: str, keyword: "re.Match[str]") -> List[Tuple[int, int, str]]:
    """The secrets in the clause after `keyword`, as (start, end, token) to replace."""
    word = keyword.group().lower()
    is_code = not re.search(r"passe|mdp|pass|pwd", word)
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
            if value in _CLAUSE_END or value == "," or not secret(match, link, first=not found):
                break
            found.append(span(match))
            if link != "colon" or len(found) >= MAX_SECRET_WORDS or value[-1] in ".!?;":
                break
            continue
        if value in _CLAUSE_END or _KEYWORD.fullmatch(value):
            break
        if value == ",":
            if position == 0:
                continue  # "mon mot de passe, c'est chaton"
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
def _replace_spans(text: str, spans: Iterable[Tuple[int, int]], token: str) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + token + text[end:]
    return text


def _sub(
    pattern: "re.Pattern[str]", token: str, text: str, accept: Optional[Callable[["re.Match[str]"], bool]] = None
) -> str:
    return pattern.sub(lambda m: token if accept is None or accept(m) else m.group(), text)


def _nir(text: str) -> str:
    def replace(match: "re.Match[str]") -> str:
        number13 = "".join(match.group(i) for i in range(1, 7))
        key = match.group(7)
        if key is not None and nir_valid(number13, key):
            return NIR
        # Without its key, or with a mistyped one, only when the victim says what it is.
        if _NIR_CONTEXT.search(text[max(0, match.start() - 60) : match.start()]):
            return NIR
        return match.group()

    return _NIR.sub(replace, text)


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


def _id_documents(text: str) -> str:
    text = _ID_CONTEXT.sub(lambda m: m.group()[: m.start("id") - m.start()] + ID_DOCUMENT, text)
    return _PASSPORT.sub(ID_DOCUMENT, text)


def redact(text: Any, phones: bool = True) -> str:
    """`text` with its personal data replaced by French tokens; `phones=False` keeps phone numbers (the
    assistant's own messages quote official numbers)."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    if not text:
        return text
    text = _EMAIL.sub(EMAIL, text)
    text = _replace_spans(text, _iban_spans(text), IBAN)
    text = _rib(text)
    text = _nir(text)
    text = _replace_spans(text, _card_spans(text), CARD)
    if phones:
        text = _sub(_PHONE_FR, PHONE, text)
        text = _sub(_PHONE_INTL, PHONE, text, _phone_intl_ok)
    text = _id_documents(text)
    text = _secrets(text)
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
    """A conversation id as staff may see it: SMS numbers and Telegram chat ids are personal identifiers."""
    channel, sep, rest = (sender_id or "").partition(":")
    if sep and channel in (vocabulary.SMS.key, vocabulary.TELEGRAM.key) and rest:
        return f"{channel}:…{rest[-2:]}"
    return redact(sender_id)
