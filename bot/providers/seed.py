"""A clearly fictional demonstration directory covering every département, so that the demo works everywhere.

Every generated provider is marked `demo`, has "(démo)" in its name, an address on "rue de l'Exemple", a telephone
number in the range ARCEP reserves for fiction (01 99 00 xx xx), and e-mail and web addresses under example.org
(reserved by RFC 2606). None of them can be mistaken for, or reach, a real company.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from sqlalchemy import delete, func, select

from bot import db, geo, settings
from bot.providers.models import COMPETENCES, Provider

ALL_COMPETENCES = list(COMPETENCES)

# Four profiles per département: a labelled generalist, a shop for individuals, a firm for organisations that also
# works remotely, and a small firm without ransomware skills that works remotely. Together they cover every public
# and every incident's competences in every département, and show the ranking and the remote tier in the demo.
_PROFILES: List[Dict[str, Any]] = [
    {
        "name": "Exemple Informatique",
        "publics": ["particulier", "entreprise", "collectivite"],
        "services": ["assistance", "installation", "maintenance"],
        "competences": ALL_COMPETENCES,
        "expertcyber": True,
        "remote": False,
    },
    {
        "name": "Atelier Fictif du Numérique",
        "publics": ["particulier"],
        "services": ["assistance", "installation"],
        "competences": [
            "poste_de_travail",
            "messagerie",
            "comptes_en_ligne",
            "recuperation_donnees",
            "securisation",
            "telephonie",
            "reseau",
            "rancongiciel",
        ],
        "expertcyber": False,
        "remote": False,
    },
    {
        "name": "Démo Cyber Conseil",
        "publics": ["entreprise", "collectivite"],
        "services": ["assistance", "maintenance"],
        "competences": [
            "reseau",
            "rancongiciel",
            "securisation",
            "site_internet",
            "messagerie",
            "recuperation_donnees",
            "poste_de_travail",
            "comptes_en_ligne",
        ],
        "expertcyber": False,
        "remote": True,
    },
    {
        "name": "Prestataire Imaginaire",
        "publics": ["particulier", "entreprise"],
        "services": ["assistance", "installation", "maintenance"],
        "competences": [
            "site_internet",
            "comptes_en_ligne",
            "securisation",
            "telephonie",
            "messagerie",
            "poste_de_travail",
            "reseau",
            "recuperation_donnees",
        ],
        "expertcyber": False,
        "remote": True,
    },
]
OPENING_HOURS = "Du lundi au vendredi, 9 h - 18 h (horaires fictifs de démonstration)"


def _slug(text: str) -> str:
    return geo.normalise(text).replace(" ", "-")


def fictional_phone(index: int) -> str:
    """The index-th number of the 01 99 00 00 00 - 01 99 00 99 99 range, reserved for fiction by ARCEP."""
    if not 0 <= index < 10_000:
        raise ValueError("the fiction range holds 10,000 numbers")
    return f"01 99 00 {index // 100:02d} {index % 100:02d}"


def demo_providers() -> List[Provider]:
    """The demonstration directory: four fictional providers in each département, in its communes."""
    geography = geo.load()
    # Each département's biggest communes, those with coordinates first.
    by_departement: Dict[str, List[geo.Commune]] = {}
    for known in sorted(geography.communes, key=lambda c: (not c.located, -c.population, c.insee)):
        by_departement.setdefault(known.departement, []).append(known)
    providers: List[Provider] = []
    for dep in sorted(geography.departements.values(), key=lambda d: d.code):
        communes = by_departement.get(dep.code, [])[: len(_PROFILES)]
        for number, profile in enumerate(_PROFILES):
            commune = communes[number % len(communes)] if communes else None
            town = commune.name if commune else dep.prefecture
            name = f"{profile['name']} {town} (démo)"
            slug = _slug(f"{profile['name']} {town} {dep.code}")
            providers.append(
                Provider(
                    name=name,
                    address=f"{number + 1} rue de l'Exemple",
                    postal_code=commune.postal_code if commune else None,
                    commune=town,
                    departement=dep.code,
                    lat=commune.lat if commune and commune.lat is not None else dep.lat,
                    lon=commune.lon if commune and commune.lon is not None else dep.lon,
                    publics=list(profile["publics"]),
                    services=list(profile["services"]),
                    competences=list(profile["competences"]),
                    expertcyber=profile["expertcyber"],
                    phone=fictional_phone(len(providers)),
                    email=f"{slug}@example.org",
                    website=f"https://{slug}.example.org",
                    opening_hours=OPENING_HOURS,
                    remote=profile["remote"],
                    active=True,
                    demo=True,
                )
            )
    return providers


def seed(url: Optional[str] = None, if_empty: bool = False) -> int:
    """Replaces the demonstration providers (real ones are kept); returns how many were created.

    With `if_empty`, does nothing unless the directory is empty (used at start-up, so an imported real directory
    is never mixed with demonstration data).
    """
    db.create_all(url)
    with db.session(url) as session:
        if if_empty and session.scalar(select(func.count()).select_from(Provider)):
            return 0
        session.execute(delete(Provider).where(Provider.demo.is_(True)))
        providers = demo_providers()
        session.add_all(providers)
    return len(providers)


def at_startup(url: Optional[str] = None) -> int:
    """Creates the tables and, if PROVIDERS_DEMO_SEED allows it, fills an empty directory with the demo providers."""
    db.create_all(url)
    return seed(url, if_empty=True) if settings.current().providers_demo_seed else 0
