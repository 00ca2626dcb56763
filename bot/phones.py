"""Phone numbers as the SMS channel stores them (E.164, "+33612345678"), from however a victim or an admin writes
them, with Google's `phonenumbers` metadata.

French overseas numbers are dialled with a 0 like mainland ones ("0692 12 34 56" is a Réunion mobile, +262 692…),
so a national number is tried against mainland France first, then against each overseas region.
"""

from __future__ import annotations

from typing import Optional

import phonenumbers

# Mainland France, then the overseas départements and collectivités that share the national 0 prefix.
FRENCH_REGIONS = ("FR", "RE", "YT", "GP", "MQ", "GF", "PM", "BL", "MF", "NC", "PF", "WF")


def e164(number: str) -> Optional[str]:
    """ "+262692123456" for "0692 12 34 56"; None when no French (or international) reading is a valid number."""
    text = (number or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    regions = (None,) if text.startswith("+") else FRENCH_REGIONS
    for region in regions:
        try:
            parsed = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return None


# Country codes of the numbers victims write without their "+" ("33612345678", "wa.me/262692…").
BARE_COUNTRY_CODES = (33, 262, 269, 590, 594, 596, 687, 689, 508, 681, 32, 41, 352, 377)


def is_bare_international(digits: str) -> bool:
    """True for a valid number of one of BARE_COUNTRY_CODES written without "+" or "00"."""
    try:
        parsed = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return False
    return parsed.country_code in BARE_COUNTRY_CODES and phonenumbers.is_valid_number(parsed)
