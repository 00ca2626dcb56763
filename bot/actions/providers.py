"""Referral to qualified providers near the victim (`action_find_providers`), and to the regional CSIRT.

The action asks where the victim is only when no location is known: from the message that triggered it (a button
payload with a postal code, or free text such as "un informaticien près de Lille"), from the location slots, or
from an older message that clearly says where the victim is ("je suis à Lyon"). When it asks, it sets
`provider_location_needed`, and the rules send the answer back to it. It then offers the top 3 providers for the
victim's public and the competences of the diagnosed incident, says honestly when they are not local, points
organisations to their regional CSIRT, and records what it offered in `providers_offered`: a snapshot of each
provider (id, name, phone, postal code, distance, tier), because ids alone do not survive a re-import or a new seed
of the directory, and staff reading the conversation later must see what the victim saw.

On SMS everything fits in one short message: a line per provider, the CSIRT's phone only.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from bot import geo, knowledge, vocabulary
from bot.providers import matching
from bot.providers.matching import LOCAL, NEIGHBOUR, REMOTE, Offer, Result
from bot.vocabulary import ORGANISATIONS

logger = logging.getLogger(__name__)

NEEDED_SLOT = "provider_location_needed"
OFFERED_SLOT = "providers_offered"
MAX_LOCATION_QUESTIONS = 2  # then offer remote providers rather than asking again
PUBLIC_PHRASES = {key: public.phrase for key, public in vocabulary.PUBLICS.items()}
NATIONAL_DIRECTORY = (
    "Vous pouvez aussi trouver un prestataire référencé en faisant le diagnostic sur cybermalveillance.gouv.fr, "
    "ou être orienté sur 17cyber.gouv.fr."
)
LOCATION_QUESTION = (
    "Pour vous proposer des professionnels proches de chez vous, dans quelle commune ou quel département "
    "êtes-vous ? Vous pouvez aussi m'indiquer votre code postal."
)
# The place typed is missing from our list of communes, which is not complete: never suggest it does not exist.
UNKNOWN_PLACE_QUESTION = (
    "Je ne retrouve pas « {place} » dans ma liste de communes, qui n'est pas complète. Pourriez-vous m'indiquer "
    "votre code postal, ou le numéro de votre département (par exemple 33 pour la Gironde) ?"
)
CORSICA_QUESTION = (
    "Êtes-vous en Corse-du-Sud (2A) ou en Haute-Corse (2B) ? Vous pouvez aussi m'indiquer votre code postal."
)
REGION_QUESTION = (
    "Dans quel département de la région {region} êtes-vous ? Vous pouvez aussi m'indiquer votre "
    "commune ou votre code postal."
)
MAX_DEPARTEMENT_BUTTONS = 6  # a region with more départements gets the question without buttons
SKIP_LOCATION_BUTTON = {"title": "Je préfère ne pas le dire", "payload": "/dont_know"}
HUMAN_BUTTON = {"title": "Parler à une personne", "payload": "/ask_human"}
# Utility actions that do not interrupt the exchange about the location.
_NEUTRAL_ACTIONS = {"action_listen", "action_extract_slots", "action_find_providers"}


# --- where the victim is --------------------------------------------------------------------------------------------
def _latest_entity(tracker: Tracker, name: str) -> Optional[str]:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def _from_code(postal_code: Optional[str], departement: Optional[str]) -> Optional[geo.Location]:
    if postal_code and geo.departement_for_postal_code(str(postal_code).strip()):
        location = geo.locate(str(postal_code).strip())
        if location:
            return location
    if departement:
        dep = geo.departement(str(departement))
        if dep:
            return geo.Location(dep, dep.lat, dep.lon)
    return None


def resolve_location(tracker: Tracker) -> Tuple[Optional[geo.Location], bool]:
    """(location, from_this_message): the newest place the victim gave, or None."""
    location = _from_code(_latest_entity(tracker, "postal_code"), _latest_entity(tracker, "departement"))
    text = tracker.latest_message.get("text") or ""
    if location is None and not text.startswith("/"):
        location = geo.locate(text)
    if location is not None:
        return location, True
    slots = tracker.current_slot_values()
    location = _from_code(slots.get("postal_code"), None)
    if location is None and slots.get("city"):
        location = geo.locate(str(slots["city"]))
    if location is None:
        location = _from_code(None, slots.get("departement"))
    if location is None:
        older = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"][:-1]
        for message in reversed(older):
            location = geo.locate(message, anchored_only=True)
            if location:
                break
    return location, False


def questions_in_a_row(tracker: Tracker) -> int:
    """How many times in a row this action has just asked for the location, without anything else in between."""
    count = 0
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "slot" and event.get("name") == NEEDED_SLOT:
            if not event.get("value"):
                break
            count += 1
        elif kind == "action" and event.get("name") not in _NEUTRAL_ACTIONS:
            break
        elif kind in ("session_started", "restart"):
            break
    return count


def location_slots(location: geo.Location) -> List[EventType]:
    """Keeps the location slots consistent with the place used, for the next search and the operator's summary."""
    return [
        SlotSet("postal_code", location.postal_code),
        SlotSet("city", location.commune.name if location.commune else None),
        SlotSet("departement", location.departement.code),
    ]


def location_question(tracker: Tracker, asked: bool) -> Tuple[str, List[Dict[str, str]]]:
    """The question to ask for the location: about the région's départements when the victim named a region ("en
    Bretagne", "dans le 20"), for a postal code when the place typed is unknown, else the plain question."""
    text = (tracker.latest_message.get("text") or "").strip()
    typed = text and not text.startswith("/")
    vague = geo.too_vague(text) if typed else None
    if vague:
        region, departements = vague
        question = CORSICA_QUESTION if region == "Corse" else REGION_QUESTION.format(region=region)
        buttons = (
            [
                {"title": f"{d.name} ({d.code})", "payload": f'/request_provider{{"departement": "{d.code}"}}'}
                for d in departements
            ]
            if len(departements) <= MAX_DEPARTEMENT_BUTTONS
            else []
        )
        return question, buttons + [SKIP_LOCATION_BUTTON]
    if asked and typed:
        return UNKNOWN_PLACE_QUESTION.format(place=_clean(text)), [SKIP_LOCATION_BUTTON]
    return LOCATION_QUESTION, [SKIP_LOCATION_BUTTON]


# --- what to say ----------------------------------------------------------------------------------------------------
def _clean(text: str, limit: int = 60) -> str:
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()
    return text[:limit] + ("…" if len(text) > limit else "")


def place_phrase(location: geo.Location) -> str:
    """ "près de Bordeaux (Gironde)", "près du 33560 (Gironde)", "dans le département 69 (Rhône)"."""
    if location.commune is not None:
        return f"près de {location.label}"
    if location.postal_code:
        return f"près du {location.postal_code} ({location.departement.name})"
    return f"dans le département {location.departement.code} ({location.departement.name})"


def distance_phrase(offer: Offer, location: Optional[geo.Location]) -> str:
    """How far the provider is, as the victim can judge it (coordinates are town centres)."""
    dep = geo.departement(offer.provider.departement)
    if offer.tier == REMOTE:
        return "Peut vous aider à distance."
    # Without the commune's own position (none, or one without coordinates), a distance would be the préfecture's.
    if location is None or not location.precise or offer.distance_km is None:
        return "Dans votre département." if offer.tier == LOCAL else f"Dans un département voisin ({dep.name})."
    km = round(offer.distance_km)
    if km == 0:
        same = geo.normalise(offer.provider.commune or "") == geo.normalise(location.commune.name)
        return "Dans votre commune." if same else "À moins de 1 km."
    return f"À {km} km." if offer.tier == LOCAL else f"À {km} km, dans un département voisin ({dep.name})."


def provider_card(number: int, offer: Offer, location: Optional[geo.Location]) -> str:
    """A provider with every way to reach them (web chat, Telegram)."""
    provider = offer.provider
    title = f"{number}. {provider.name}"
    if provider.expertcyber:
        title += " – label ExpertCyber"
    lines = [title]
    town = f"{provider.postal_code or ''} {provider.commune}".strip()
    address = ", ".join(p for p in (provider.address, town) if p)
    if address:
        lines.append(address)
    lines.append(distance_phrase(offer, location))
    if offer.tier != REMOTE and provider.remote:
        lines.append("Intervient aussi à distance.")
    if provider.phone:
        lines.append(f"Tél. : {provider.phone}")
    if provider.email:
        lines.append(f"E-mail : {provider.email}")
    if provider.website:
        lines.append(f"Site : {provider.website}")
    if provider.opening_hours:
        lines.append(f"Horaires : {provider.opening_hours}")
    return "\n".join(lines)


def provider_line(offer: Offer) -> str:
    """A provider in one short line for SMS: name, phone, commune. Not numbered: the SMS channel numbers the
    buttons for replies. The département is named (not numbered) when it is not the victim's."""
    provider = offer.provider
    contact = provider.phone or provider.email or provider.website or ""
    dep = geo.departement(provider.departement)
    town = provider.commune or (dep.name if dep else "")
    if offer.tier == REMOTE:
        town = f"{town} (à distance)" if town else "à distance"
    elif offer.tier == NEIGHBOUR and dep and town != dep.name:
        town = f"{town} ({dep.name})"
    return ", ".join(p for p in (f"- {provider.name}", contact, town) if p)


def sms_introduction(result: Result) -> str:
    """The first line of the SMS: where the providers are, honestly, in a few words."""
    location = result.location
    if location is None:
        return "Professionnels qui peuvent vous aider à distance :"
    local, neighbour, remote = result.count(LOCAL), result.count(NEIGHBOUR), result.count(REMOTE)
    if local == len(result.offers):
        where = location.commune.name if location.commune else location.departement.name
        return f"Professionnels près de {where} :"
    then = (
        "les plus proches et d'autres à distance"
        if neighbour and remote
        else "les plus proches"
        if neighbour
        else "d'autres qui aident à distance"
    )
    if not local:
        return f"Professionnels : aucun dans votre département, voici {then} :"
    return f"Professionnels : {local} dans votre département, puis {then} :"


def sms_notes(
    result: Result, sheet: Any, location: Optional[geo.Location], searched_elsewhere: bool, public_known: bool
) -> List[str]:
    """The notes of the web answer, each in a few words; the CSIRT with its phone only."""
    notes = []
    if any(offer.provider.demo for offer in result.offers):
        notes.append("Prestataires fictifs (démonstration).")
    if sheet is not None and not sheet.competences:
        notes.append("Un informaticien ne récupère pas l'argent perdu, mais peut sécuriser vos appareils.")
    if result.offers:
        notes.append("Interventions payantes : demandez un devis.")
    if result.public in ORGANISATIONS:
        csirt = geo.csirt_for(location.departement.code) if location else None
        if csirt is not None:
            notes.append(
                f"Aide gratuite (CSIRT régional) : {csirt.name}" + (f", {csirt.phone}." if csirt.phone else ".")
            )
        elif location is not None:
            notes.append("Pas de CSIRT régional ici : voyez 17cyber.gouv.fr.")
        else:
            notes.append("Un CSIRT régional peut aider gratuitement votre structure : donnez-moi votre département.")
    if searched_elsewhere and location is not None:
        notes.append(f"Recherche {place_phrase(location)} : ailleurs ? Donnez votre code postal.")
    if not public_known:
        notes.append("Pour une entreprise ou une collectivité, dites-le-moi.")
    if sheet is None:
        notes.append("Décrivez-moi l'incident pour des professionnels plus adaptés.")
    return notes


def offered_snapshot(result: Result) -> List[Dict[str, Any]]:
    """What the victim was offered, as they saw it: ids are not enough, the directory may be re-imported."""
    return [
        {
            "id": offer.provider.id,
            "name": offer.provider.name,
            "phone": offer.provider.phone,
            "postal_code": offer.provider.postal_code,
            "distance_km": None if offer.distance_km is None else round(offer.distance_km, 1),
            "tier": offer.tier,
        }
        for offer in result.offers
    ]


def introduction(result: Result, location_given: bool) -> str:
    location = result.location
    public = PUBLIC_PHRASES[result.public]
    count = len(result.offers)
    local, neighbour, remote = result.count(LOCAL), result.count(NEIGHBOUR), result.count(REMOTE)
    people = f"{'professionnel qui accompagne' if count == 1 else 'professionnels qui accompagnent'} {public}"
    few = count < matching.DEFAULT_LIMIT
    found = f"je n'ai trouvé {'qu un' if count == 1 else f'que {count}'} {people}".replace("qu un", "qu'un")
    if location is None:
        reason = "Sans localisation précise" if location_given else "Sans connaître votre commune"
        can = "peut" if count == 1 else "peuvent"
        return f"{reason}, {found if few else f'voici {count} {people}'} et {can} vous aider à distance :"
    where = place_phrase(location)
    if local == count:
        if few:
            return f"{where[0].upper()}{where[1:]}, {found}, et aucun autre qui puisse vous aider à distance :"
        return f"Voici {count} {people}, {where} :"
    in_dep = f"dans votre département ({location.departement.name})"
    first = (
        f"Je n'ai trouvé qu'un professionnel adapté {in_dep}"
        if local == 1
        else f"Je n'ai trouvé que {local} professionnels adaptés {in_dep}"
        if local
        else f"Je n'ai trouvé aucun professionnel adapté {in_dep}"
    )
    if neighbour and remote:
        then = (
            "j'ajoute les plus proches des départements voisins, et des professionnels qui peuvent vous aider à "
            "distance"
        )
    elif neighbour:
        then = "j'ajoute les plus proches, dans les départements voisins"
    else:
        then = (
            "personne n'est assez proche dans les départements voisins : j'ajoute des professionnels qui "
            "peuvent vous aider à distance"
        )
    return f"{first} : {then}. Ils accompagnent {public} :"


def csirt_message(location: Optional[geo.Location]) -> str:
    if location is None:
        return (
            "Les entreprises, associations et collectivités peuvent aussi être aidées gratuitement par le centre "
            "régional de réponse aux incidents cyber (CSIRT) : indiquez-moi votre département et je vous "
            "donnerai ses coordonnées."
        )
    csirt = geo.csirt_for(location.departement.code)
    region = location.departement.region
    if csirt is None:
        return (
            f"Il n'y a pas de centre régional de réponse aux incidents cyber (CSIRT) {geo.in_region(region)} : "
            "17cyber.gouv.fr vous orientera vers la bonne aide."
        )
    details = " – ".join(d for d in (csirt.phone and f"tél. {csirt.phone}", csirt.url, csirt.hours) if d)
    return (
        f"Votre structure peut aussi être aidée gratuitement par le centre de réponse aux incidents cyber de "
        f"votre région ({region}) : {csirt.name}" + (f", {details}." if details else ".")
    )


class ActionFindProviders(Action):
    def name(self) -> Text:
        return "action_find_providers"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        asked = questions_in_a_row(tracker) > 0  # this message answers our question about the location
        if asked and intent == "deny":
            dispatcher.utter_message(text="Entendu. Vous pourrez me demander un professionnel à tout moment.")
            return [SlotSet(NEEDED_SLOT, False)]

        location, from_message = resolve_location(tracker)
        declined = asked and intent == "dont_know"
        if location is None and not declined and questions_in_a_row(tracker) < MAX_LOCATION_QUESTIONS:
            question, buttons = location_question(tracker, asked)
            dispatcher.utter_message(text=question, buttons=buttons)
            return [SlotSet(NEEDED_SLOT, True)]
        return self.offer(dispatcher, tracker, location, from_message, location_given=not declined)

    def offer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        location: Optional[geo.Location],
        from_message: bool,
        location_given: bool,
    ) -> List[EventType]:
        slots = tracker.current_slot_values()
        incident = slots.get("incident")
        sheet = knowledge.load().sheets.get(incident) if incident else None
        competences = list(sheet.competences) if sheet else []
        events: List[EventType] = [SlotSet(NEEDED_SLOT, False)]
        if location is not None:
            events += location_slots(location)
        try:
            result = matching.find(location, slots.get("public"), competences, limit=matching.DEFAULT_LIMIT)
        except SQLAlchemyError:
            logger.exception("provider directory unavailable")
            dispatcher.utter_message(
                text="Je ne peux pas consulter l'annuaire des professionnels pour le moment, veuillez m'excuser. "
                + NATIONAL_DIRECTORY,
                buttons=[HUMAN_BUTTON],
            )
            return events

        buttons = [
            {
                "title": f"Je suis à {c.name} ({geo.departement(c.departement).name})",
                "payload": f'/request_provider{{"postal_code": "{c.postal_code}"}}',
            }
            for c in (location.alternatives if location else ())
        ] + [HUMAN_BUTTON]
        events.append(SlotSet(OFFERED_SLOT, offered_snapshot(result)))
        if vocabulary.is_channel(tracker.get_latest_input_channel(), vocabulary.SMS) and result.offers:
            lines = [sms_introduction(result)] + [provider_line(offer) for offer in result.offers]
            lines += sms_notes(
                result,
                sheet,
                location,
                location is not None and not from_message,
                slots.get("public") in PUBLIC_PHRASES,
            )
            dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
            return events
        if result.offers:
            dispatcher.utter_message(text=introduction(result, location_given))
            for number, offer in enumerate(result.offers, 1):
                dispatcher.utter_message(text=provider_card(number, offer, location))
        else:
            where = place_phrase(location) if location else "pour votre situation"
            dispatcher.utter_message(
                text=f"Je n'ai trouvé aucun professionnel adapté {where}, ni qui puisse vous aider à distance. "
                + NATIONAL_DIRECTORY
            )

        notes = []
        if any(offer.provider.demo for offer in result.offers):
            notes.append("Attention : ce sont des prestataires fictifs, pour la démonstration ; ils n'existent pas.")
        if sheet is not None and not sheet.competences:
            notes.append(
                "Un professionnel de l'informatique ne peut pas récupérer l'argent perdu ni faire cesser "
                "une escroquerie ; il peut en revanche vérifier et sécuriser vos appareils et vos comptes."
            )
        if result.offers:
            notes.append(
                "Ces professionnels sont indépendants et leurs interventions sont payantes : demandez un "
                "devis avant de vous engager."
                if len(result.offers) > 1
                else "Ce professionnel est indépendant et ses interventions sont payantes : demandez un devis "
                "avant de vous engager."
            )
        if result.public in ORGANISATIONS:
            notes.append(csirt_message(location))
        if location is not None and not from_message:
            notes.append(
                f"J'ai cherché {place_phrase(location)}. Si vous êtes ailleurs, indiquez-moi votre commune "
                "ou votre code postal."
            )
        if slots.get("public") not in PUBLIC_PHRASES:
            notes.append(
                "Si vous écrivez pour une entreprise, une association ou une collectivité, dites-le-moi : "
                "je chercherai des professionnels qui les accompagnent."
            )
        if sheet is None:
            notes.append(
                "Si vous me décrivez ce qui s'est passé, je choisirai des professionnels qui ont les "
                "compétences adaptées."
            )
        notes = notes or ["Que souhaitez-vous faire maintenant ?"]
        dispatcher.utter_message(text="\n\n".join(notes), buttons=buttons)
        return events
