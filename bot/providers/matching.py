"""Which providers to offer a victim: qualified for the victim's public and incident, nearest first.

A provider qualifies when it is active, offers assistance, serves the victim's public and has every competence the
incident needs (the `competences` of its advice sheet). Qualified providers are then taken in three tiers, and each
offer says which tier it comes from so that the victim is told honestly how far help is:

1. `local`: in the victim's département;
2. `neighbour`: in the neighbouring départements (préfectures within bot.geo.NEIGHBOUR_MAX_KM), when the first
   tier has fewer than `limit` providers;
3. `remote`: providers that can help remotely, anywhere, when the first two tiers are still short.

Within a tier: distance (whole kilometres: coordinates are town centres, finer is noise), then the ExpertCyber label,
then the provider id (a stable order). Without a location only remote-capable providers are offered, label first.

Each tier is one SQL query: the filters are bit-mask comparisons and the database sorts by the chord between unit
vectors (exactly the great-circle order, see models.py), answering from a covering index; only the nearest
candidates reach Python, where they are ranked exactly. benchmarks/bench_providers.py measures it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session

from bot import db, geo
from bot.providers.models import COMPETENCES, PUBLICS, SERVICES, VICTIM_SERVICE, Provider, mask
from bot.vocabulary import DEFAULT_PUBLIC

LOCAL, NEIGHBOUR, REMOTE = "local", "neighbour", "remote"
DEFAULT_LIMIT = 3  # providers offered at once: enough to choose, few enough for an SMS
_CANDIDATES = 50  # nearest rows read per tier; more only when they end within 1 km of the last one offered

# Only what ranking needs: the lists and contact details are loaded for the few providers offered.
_COLUMNS = (Provider.id, Provider.x, Provider.y, Provider.z, Provider.expertcyber)


@dataclass(frozen=True)
class Offer:
    provider: Provider
    tier: str  # LOCAL, NEIGHBOUR or REMOTE
    distance_km: Optional[float]  # None when the victim's location is unknown


@dataclass(frozen=True)
class Result:
    location: Optional[geo.Location]
    public: str
    competences: Tuple[str, ...]
    offers: Tuple[Offer, ...]

    def count(self, tier: str) -> int:
        return sum(1 for offer in self.offers if offer.tier == tier)

    @property
    def provider_ids(self) -> List[int]:
        return [offer.provider.id for offer in self.offers]


def normalise_public(public: Optional[str]) -> str:
    return public if public in PUBLICS else DEFAULT_PUBLIC


def whole_km(km: float) -> int:
    """Kilometres rounded half up (monotonic, unlike Python's round-half-even): the distance used for ranking."""
    return int(km + 0.5)


def qualified(public: str, competences: Iterable[str]) -> list:
    """SQL conditions: active, offers assistance, serves `public`, has every one of `competences`."""
    needed = set(competences)
    unknown = needed - set(COMPETENCES)
    if unknown:
        raise ValueError(f"unknown competences {sorted(unknown)}")
    need = mask(needed, COMPETENCES)
    return [
        Provider.active.is_(True),
        Provider.services_mask.op("&")(mask([VICTIM_SERVICE], SERVICES)) != 0,
        Provider.publics_mask.op("&")(mask([public], PUBLICS)) != 0,
        Provider.competences_mask.op("&")(need) == need,
    ]


def _rank(rows: Iterable[Row], point: Tuple[float, float, float]) -> List[Tuple[float, Row]]:
    x, y, z = point
    scored = [(geo.chord_to_km(math.sqrt((r.x - x) ** 2 + (r.y - y) ** 2 + (r.z - z) ** 2)), r) for r in rows]
    scored.sort(key=lambda item: (whole_km(item[0]), not item[1].expertcyber, item[1].id))
    return scored


def _nearest(
    connection: Connection, where: list, point: Tuple[float, float, float], wanted: int
) -> List[Tuple[float, Row]]:
    """The `wanted` best-ranked providers matching `where`: the database sorts by distance, Python ranks exactly.

    Rows not read are at least as far as the last one read; when that one is 1 km or more beyond the last provider
    kept, none of them can rank before it (same rounded distance at best), so the answer is exact. Otherwise (a
    crowd at the same distance) the whole tier is read.
    """
    x, y, z = point
    chord2 = (
        (Provider.x - x) * (Provider.x - x) + (Provider.y - y) * (Provider.y - y) + (Provider.z - z) * (Provider.z - z)
    )
    query = select(*_COLUMNS).where(*where).order_by(chord2)
    rows = connection.execute(query.limit(_CANDIDATES)).all()
    ranked = _rank(rows, point)
    if len(rows) == _CANDIDATES and len(ranked) >= wanted:
        farthest = max(km for km, _ in ranked)
        if farthest < ranked[wanted - 1][0] + 1:
            ranked = _rank(connection.execute(query), point)
    return ranked[:wanted]


def find(
    location: Optional[geo.Location],
    public: Optional[str],
    competences: Iterable[str],
    limit: int = DEFAULT_LIMIT,
    url: Optional[str] = None,
) -> Result:
    """The `limit` best providers for a victim at `location` (None: unknown) of `public` needing `competences`."""
    public = normalise_public(public)
    needed = tuple(sorted(set(competences)))
    conditions = qualified(public, needed)
    picked: List[Tuple[str, Optional[float], int]] = []  # (tier, distance, provider id)
    with db.engine(url).connect() as connection:
        if location is None:
            query = (
                select(Provider.id)
                .where(Provider.remote.is_(True), *conditions)
                .order_by(Provider.expertcyber.desc(), Provider.id)
                .limit(limit)
            )
            picked = [(REMOTE, None, provider_id) for provider_id in connection.scalars(query)]
        else:
            point = geo.unit_vector(location.lat, location.lon)
            code = location.departement.code
            near = list(geo.neighbours(code))
            tiers = (
                (LOCAL, [Provider.departement == code]),
                (NEIGHBOUR, [Provider.departement.in_(near)] if near else None),
                (REMOTE, [Provider.remote.is_(True), Provider.departement.notin_([code, *near])]),
            )
            for tier, where in tiers:
                if len(picked) < limit and where is not None:
                    ranked = _nearest(connection, where + conditions, point, limit - len(picked))
                    picked += [(tier, km, row.id) for km, row in ranked]
        providers = _load(connection, [provider_id for _, _, provider_id in picked])
    offers = tuple(Offer(providers[pid], tier, km) for tier, km, pid in picked if pid in providers)
    return Result(location, public, needed, offers)


def _load(connection: Connection, ids: Sequence[int]) -> Dict[int, Provider]:
    """The providers offered, every column loaded, detached from the session."""
    if not ids:
        return {}
    with Session(bind=connection, future=True) as session:
        return {p.id: p for p in session.scalars(select(Provider).where(Provider.id.in_(list(ids))))}
