"""The directory of qualified IT-security providers ("prestataires référencés"), in the application database.

Two kinds of derived columns, recomputed on every insert and update, let matching (bot/providers/matching.py) do
its work in SQL, identically on SQLite and PostgreSQL:
- publics, services and competences are closed vocabularies stored as JSON lists (readable in the database and in
  exports) and as integer bit masks: "serves this public and has all these competences" is two `&` comparisons;
- the position is stored as latitude/longitude and as a point on the unit sphere (x, y, z): sorting by the
  straight-line distance to the victim's point, with + and * only, is sorting by great-circle distance.
(benchmarks/bench_providers.py: when the JSON lists were filtered in Python, a search in Paris over a 20,000-provider
directory read 1,800 rows and took 35 ms; it now reads a few dozen index entries, in about 3 ms.)
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, Iterable

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, Index, Integer, String, event

from bot import db, geo, vocabulary

# Vocabulary -> French label, as shown to victims and staff. APPEND ONLY: a key's position is its bit in the stored
# masks (see mask()).
PUBLICS: Dict[str, str] = {key: public.plural for key, public in vocabulary.PUBLICS.items()}
SERVICES: Dict[str, str] = {
    "assistance": "assistance (dépannage après un incident)",
    "installation": "installation",
    "maintenance": "maintenance",
}
# The skills an incident may need: the `competences` of the advice sheets (bot/knowledge/sheets/*.yml) use exactly
# these keys (checked by tests/test_providers.py).
COMPETENCES: Dict[str, str] = {
    "poste_de_travail": "postes de travail (ordinateurs, téléphones, tablettes)",
    "messagerie": "messagerie",
    "reseau": "réseau",
    "site_internet": "site internet",
    "telephonie": "téléphonie",
    "rancongiciel": "rançongiciels",
    "recuperation_donnees": "récupération de données",
    "comptes_en_ligne": "comptes en ligne",
    "securisation": "sécurisation",
}
# A victim needs someone who repairs after an incident: providers without the "assistance" service are not offered.
VICTIM_SERVICE = "assistance"


def mask(values: Iterable[str], vocabulary: Dict[str, str]) -> int:
    """The bit mask of `values` in `vocabulary` (bit n = the n-th key); unknown values are ignored."""
    chosen = set(values or ())
    return sum(1 << position for position, key in enumerate(vocabulary) if key in chosen)


def derived_columns(publics, services, competences, lat: float, lon: float) -> Dict[str, Any]:
    """The search columns derived from a provider's lists and position (also for bulk inserts that bypass the ORM)."""
    x, y, z = geo.unit_vector(lat, lon)
    return {
        "publics_mask": mask(publics, PUBLICS),
        "services_mask": mask(services, SERVICES),
        "competences_mask": mask(competences, COMPETENCES),
        "x": x,
        "y": y,
        "z": z,
    }


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


_SEARCH_COLUMNS = ("active", "publics_mask", "services_mask", "competences_mask", "x", "y", "z", "expertcyber", "id")


class Provider(db.Base):
    __tablename__ = "providers"

    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    address = Column(String(300), nullable=False, default="")
    postal_code = Column(String(5), nullable=True)
    commune = Column(String(100), nullable=False, default="")
    departement = Column(String(3), nullable=False)
    lat = Column(Float, nullable=False)
    lon = Column(Float, nullable=False)
    publics = Column(JSON, nullable=False)  # keys of PUBLICS
    services = Column(JSON, nullable=False)  # keys of SERVICES
    competences = Column(JSON, nullable=False)  # keys of COMPETENCES
    # Derived columns (derived_columns(), on every insert and update). Reassign a list to change it: in-place
    # edits of a JSON list are not tracked.
    publics_mask = Column(Integer, nullable=False, default=0)
    services_mask = Column(Integer, nullable=False, default=0)
    competences_mask = Column(Integer, nullable=False, default=0)
    x = Column(Float, nullable=False, default=0.0)
    y = Column(Float, nullable=False, default=0.0)
    z = Column(Float, nullable=False, default=0.0)
    expertcyber = Column(Boolean, nullable=False, default=False)  # holds the ExpertCyber label
    phone = Column(String(30), nullable=True)
    email = Column(String(254), nullable=True)
    website = Column(String(300), nullable=True)
    opening_hours = Column(String(300), nullable=True)
    remote = Column(Boolean, nullable=False, default=False)  # can help remotely, anywhere
    active = Column(Boolean, nullable=False, default=True)
    demo = Column(Boolean, nullable=False, default=False)  # fictional demonstration data, never a real company
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        # Each index covers every column its searches read, so that the database answers from the index alone:
        # one or a few départements (local and neighbouring tiers), and remote-capable providers anywhere.
        Index("ix_providers_search_departement", "departement", *_SEARCH_COLUMNS),
        Index("ix_providers_search_remote", "remote", "departement", *_SEARCH_COLUMNS),
    )

    def __repr__(self) -> str:
        return f"Provider({self.id}, {self.name!r}, {self.departement})"


@event.listens_for(Provider, "before_insert")
@event.listens_for(Provider, "before_update")
def _derive(_mapper, _connection, provider: Provider) -> None:
    for column, value in derived_columns(
        provider.publics, provider.services, provider.competences, provider.lat, provider.lon
    ).items():
        setattr(provider, column, value)
