"""Property-based tests of the redaction (hypothesis): card numbers, phone numbers, IBANs and e-mail addresses
generated in the forms victims write them, inside French sentences, never survive."""

import re
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.phones import e164
from bot.privacy import redact

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BEFORE = st.sampled_from(["", "ma carte ", "voila le numero ", "jai donné ", "CB", "carte:", "Bonjour, ", "n° "])
AFTER = st.sampled_from(["", " svp", " et depuis plus rien", ". Que faire ?", " (ma mère)", "\nmerci"])
SEPARATORS = st.sampled_from([" ", "", "-", ".", "/", ",", "_", "\u00a0", "\u202f", "\u200b", "  "])


def luhn_complete(prefix: str, length: int, draw_digits: str) -> str:
    body = (prefix + draw_digits)[: length - 1]
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char)
        if index % 2 == 0:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return body + str((10 - total % 10) % 10)


@st.composite
def cards(draw):
    prefix = draw(st.sampled_from(["4", "51", "52", "53", "55", "2221", "34", "37", "6011"]))
    length = 15 if prefix in ("34", "37") else 16
    digits = luhn_complete(prefix, length, draw(st.text(string.digits, min_size=20, max_size=20)))
    separator = draw(SEPARATORS)
    grouping = [4, 6, 5] if length == 15 else [4, 4, 4, 4]
    parts, start = [], 0
    for size in grouping:
        parts.append(digits[start : start + size])
        start += size
    written = separator.join(parts)
    if draw(st.booleans()):
        written = written.translate(str.maketrans(string.digits, "０１２３４５６７８９"))  # full-width
    return digits, written


@given(cards(), BEFORE, AFTER)
@PROFILE
def test_card_numbers_never_survive(card, before, after):
    digits, written = card
    shown = redact(f"{before}{written}{after}")
    assert digits not in re.sub(r"\D", "", shown), shown


FRENCH_PHONES = st.tuples(
    st.sampled_from(["06", "07", "01", "09", "0692", "0690", "0694", "0696", "0639"]),
    st.text(string.digits, min_size=8, max_size=8),
)


@st.composite
def phones(draw):
    start, rest = draw(FRENCH_PHONES)
    national = (start + rest)[:10]
    number = e164(national)
    if number is None:  # not a valid number for any French region: nothing to check
        national, number = "0612345678", "+33612345678"
    separator = draw(st.sampled_from([" ", ".", "-", "/", "", "\u00a0"]))
    pairs = [national[i : i + 2] for i in range(0, 10, 2)]
    form = draw(st.sampled_from(["national", "plus", "bare", "wa"]))
    if form == "national":
        written = separator.join(pairs)
    elif form == "plus":
        written = number[:3] + " " + " ".join(number[3 + i : 5 + i] for i in range(0, len(number) - 3, 2))
    elif form == "bare":
        written = number[1:]
    else:
        written = f"wa.me/{number[1:]}"
    return number, written


@given(phones(), st.sampled_from(["mon numéro ", "le numéro qui m'a appelé c'est le ", "rappelez moi au ", ""]))
@PROFILE
def test_phone_numbers_never_survive(phone, before):
    number, written = phone
    shown = redact(f"{before}{written} svp")
    assert number[-8:] not in re.sub(r"\D", "", shown), shown


def iban_with_check(country: str, bban: str) -> str:
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


@given(
    st.sampled_from([("FR", 23), ("BE", 12), ("CH", 17), ("MC", 23), ("DE", 18)]).flatmap(
        lambda spec: st.tuples(st.just(spec[0]), st.text(string.digits, min_size=spec[1], max_size=spec[1]))
    ),
    st.sampled_from([" ", "", ".", "-"]),
    st.booleans(),
)
@PROFILE
def test_ibans_never_survive(account, separator, lower):
    country, bban = account
    iban = iban_with_check(country, bban)
    written = separator.join(iban[i : i + 4] for i in range(0, len(iban), 4))
    shown = redact(f"IBAN du faux conseiller : {written.lower() if lower else written}, virement de 900 €")
    assert iban[4:] not in re.sub(r"[^0-9]", "", shown) and "900 €" in shown, shown


@given(
    st.from_regex(r"[a-z]{2,8}(\.[a-z]{2,8})?[0-9]{0,2}", fullmatch=True),
    st.sampled_from(["gmail", "orange", "free", "laposte", "hotmail"]),
    st.sampled_from(["fr", "com", "net"]),
    st.sampled_from(
        [
            "{u}@{d}.{t}",
            "{u} [at] {d} [dot] {t}",
            "{u} arobase {d} point {t}",
            "{u} @ {d} . {t}",
            "{u}(at){d}(point){t}",
        ]
    ),
)
@PROFILE
def test_email_addresses_never_survive(user, domain, tld, form):
    written = form.format(u=user, d=domain, t=tld)
    shown = redact(f"mon adresse mail c'est {written} et ils l'ont piratée")
    assert re.search(rf"(?<![\w.]){re.escape(user)}(?![\w.])", shown) is None, shown
