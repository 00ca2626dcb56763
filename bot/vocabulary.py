"""The project's words, each defined once: channels, publics, and the facts the advice depends on, with the French
labels victims and staff read.

Intents and incidents are in bot/taxonomy.py (../shared/TAXONOMY.md).
"""

from __future__ import annotations

from typing import Dict, NamedTuple, Optional, Tuple


# --- channels -------------------------------------------------------------------------------------------------------
class Channel(NamedTuple):
    key: str  # in conversation ids (`web:<uuid>`, `sms:+33…`) and in the tables (handovers, review index)
    input_channel: str  # Rasa's input channel name: the connector's URL /webhooks/<input_channel>/ and the tracker's
    label: str  # as staff read it


WEB = Channel("web", "webchat", "Web")
TELEGRAM = Channel("telegram", "telegram", "Telegram")
SMS = Channel("sms", "sms", "SMS")
REST = Channel("rest", "rest", "Autre (API)")
CHANNELS: Dict[str, Channel] = {channel.key: channel for channel in (WEB, TELEGRAM, SMS, REST)}


def channel_of(sender_id: str, input_channel: Optional[str] = None) -> str:
    """The channel key of a conversation, from its id (every connector prefixes its ids); REST otherwise."""
    prefix = sender_id.split(":", 1)[0] if ":" in sender_id else ""
    if prefix in CHANNELS:
        return prefix
    for channel in CHANNELS.values():
        if channel.input_channel == input_channel:
            return channel.key
    return REST.key


def is_channel(input_channel: Optional[str], *channels: Channel) -> bool:
    """Whether Rasa's input channel name (tracker.get_latest_input_channel()) is one of `channels`."""
    return any(input_channel == channel.input_channel for channel in channels)


# --- publics ----------------------------------------------------------------------------------------------------------
class Public(NamedTuple):
    label: str  # "Public : entreprise ou association" in the recap
    plural: str  # the provider directory's categories
    phrase: str  # "… qui aident les entreprises et les associations"


# Order matters: a public's position is its bit in the providers' stored masks (bot/providers/models.py). APPEND ONLY.
PUBLICS: Dict[str, Public] = {
    "particulier": Public("particulier", "particuliers", "les particuliers"),
    "entreprise": Public(
        "entreprise ou association", "entreprises et associations", "les entreprises et les associations"
    ),
    "collectivite": Public(
        "collectivité ou administration", "collectivités et administrations", "les collectivités et les administrations"
    ),
}
PUBLIC_KEYS: Tuple[str, ...] = tuple(PUBLICS)
DEFAULT_PUBLIC = "particulier"  # an unknown public is treated as the most frequent one
ORGANISATIONS = ("entreprise", "collectivite")


# --- facts --------------------------------------------------------------------------------------------------------
# Facts the qualification form may collect. Only these keys may appear in the advice sheets' `when` and `questions`.
FACT_KEYS = (
    "public",  # particulier / entreprise / collectivite
    "money_paid",  # money was paid or debited
    "details_given",  # bank details, codes or passwords were given
    "remote_access",  # remote control was granted (AnyDesk, TeamViewer...)
    "ongoing",  # the attack or the contact is still going on
    "minor_involved",  # a minor is the victim or involved
    "third_party_data",  # personal data of other people (clients, staff, citizens) are concerned
    "lure",  # how the lure arrived, when the victim's words say it (never asked): one of LURES
    "writer",  # who writes, when their words say it (never asked): one of WRITERS
)
# The yes/no facts as the recap and the operators' summary name them.
FACT_LABELS: Dict[str, str] = {
    "money_paid": "Argent payé ou débité",
    "details_given": "Coordonnées bancaires, codes ou mots de passe communiqués",
    "remote_access": "Prise de contrôle à distance accordée",
    "ongoing": "Situation toujours en cours",
    "minor_involved": "Mineur concerné",
    "third_party_data": "Données personnelles de tiers concernées",
}
# The lures some advice is specific to: a fake police or justice summons ("convocation", "amende"), a fake relative
# ("c'est mon nouveau numéro"). An unknown lure matches no `lure` condition: that advice is for those who said so.
LURES = ("convocation", "proche")
# Who writes: the victim, or a parent for their child ("ma fille de 13 ans reçoit des insultes"). Some advice on a
# minor is worded for one or the other: "Parlez-en à un adulte de confiance" is for the child, "Parlez avec votre
# enfant sans le juger" for the parent. An unknown writer is the victim, as most are.
WRITERS = ("victime", "parent")
DEFAULT_WRITER = "victime"
