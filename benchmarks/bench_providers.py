"""Provider matching speed over a directory of 20,000 providers (target: p95 under 50 ms).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_providers.py [--providers 20000] [--matches 1000]
        [--postgresql postgresql://postgres@127.0.0.1:5432/test | --no-postgresql]

Runs on SQLite, then on PostgreSQL when the server answers (by default the development one, 127.0.0.1:5432,
database `test`), and prints p50/p95 for both. Each run uses a throw-away place: a SQLite file in a temporary
directory; on PostgreSQL a dedicated schema (bench_providers_<random>), created and dropped afterwards, so that
nothing else in the database is touched and tests running at the same time do not clash. It fills it with random
providers — spread over the communes of every département ("uniform"), then 90% of them in ten big cities
("concentrated", which sends most searches to the neighbouring-département and remote tiers) — then times
`bot.providers.find`, the whole call the action makes (SQL queries, filtering, ranking, loading the 3 providers
offered), from random French locations (communes, postal codes, départements alone) for random publics and
incidents' competences.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, Optional, Tuple

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import db, geo, knowledge  # noqa: E402
from bot.providers import find  # noqa: E402
from bot.providers.models import COMPETENCES, PUBLICS, SERVICES, Provider, derived_columns  # noqa: E402

# Ten big cities: the "concentrated" directory puts 90% of its providers there, so that most départements have few
# or no local providers and searches go through the neighbouring-département and remote tiers.
BIG_CITIES = ["Paris", "Lyon", "Marseille", "Toulouse", "Bordeaux", "Lille", "Nantes", "Strasbourg", "Rennes", "Nice"]


def random_providers(count: int, rng: random.Random, shape: str):
    communes = [c for c in geo.load().communes if c.located]
    cities = [geo.find_commune(name) for name in BIG_CITIES]
    for number in range(count):
        commune = rng.choice(cities if shape == "concentrated" and rng.random() < 0.9 else communes)
        publics = [p for p in PUBLICS if rng.random() < 0.6] or [rng.choice(list(PUBLICS))]
        services = [s for s in SERVICES if rng.random() < (0.85 if s == "assistance" else 0.5)] or ["installation"]
        competences = rng.sample(list(COMPETENCES), rng.randint(2, len(COMPETENCES)))
        lat, lon = commune.lat + rng.uniform(-0.15, 0.15), commune.lon + rng.uniform(-0.15, 0.15)
        yield {
            "name": f"Bench {number}",
            "address": f"{number} rue du Banc d'essai",
            "postal_code": commune.postal_code,
            "commune": commune.name,
            "departement": commune.departement,
            "lat": lat,
            "lon": lon,
            "publics": publics,
            "services": services,
            "competences": competences,
            "expertcyber": rng.random() < 0.1,
            "phone": "01 99 00 00 00",
            "email": "banc@example.org",
            "website": "https://banc.example.org",
            "opening_hours": "9 h - 18 h",
            "remote": rng.random() < 0.3,
            "active": rng.random() < 0.95,
            "demo": True,
            **derived_columns(publics, services, competences, lat, lon),
        }


def random_location(rng: random.Random) -> geo.Location:
    geography = geo.load()
    draw = rng.random()
    if draw < 0.7:
        return geo.locate(rng.choice(geography.communes).name)
    if draw < 0.85:
        return geo.locate(rng.choice(geography.communes).postal_code)
    dep = rng.choice(list(geography.departements.values()))
    return geo.Location(dep, dep.lat, dep.lon)


def run(url: str, providers: int, matches: int, seed: int, shape: str) -> Tuple[float, float]:
    rng = random.Random(seed)
    db.create_all(url)
    with db.engine(url).begin() as connection:
        connection.execute(sa.delete(Provider))
    started = time.perf_counter()
    rows = list(random_providers(providers, rng, shape))
    with db.engine(url).begin() as connection:  # Core insert: derived columns computed above, as the model does
        for start in range(0, len(rows), 2000):
            connection.execute(sa.insert(Provider), rows[start : start + 2000])
    print(
        f"{url.split(':')[0]}, {shape} directory: {providers} providers written in "
        f"{time.perf_counter() - started:.1f} s"
    )

    needs = [list(sheet.competences) for sheet in knowledge.load().sheets.values()]
    cases = [(random_location(rng), rng.choice(list(PUBLICS)), rng.choice(needs)) for _ in range(matches)]
    for location, public, competences in cases[:20]:  # warm-up: connection pool, caches
        find(location, public, competences, url=url)
    timings, tiers, empty = [], {"local": 0, "neighbour": 0, "remote": 0}, 0
    for location, public, competences in cases:
        started = time.perf_counter()
        result = find(location, public, competences, url=url)
        timings.append((time.perf_counter() - started) * 1000)
        for offer in result.offers:
            tiers[offer.tier] += 1
        empty += not result.offers
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(0.95 * len(timings)) - 1]
    print(
        f"  {matches} matches: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms "
        f"(target: p95 < 50 ms) {'OK' if p95 < 50 else 'TOO SLOW'}"
    )
    print(f"  offers by tier: {tiers}; searches without any offer: {empty}")
    return p50, p95


def postgresql_schema_url(server_url: str) -> Optional[Tuple[sa.engine.Engine, str, str]]:
    """(admin engine, schema, URL whose connections use only that schema), or None when the server does not
    answer. The schema is the first in the search path: tables and indexes are created there."""
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", future=True)
    schema = f"bench_providers_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as error:
        print(f"PostgreSQL not available at {server_url}: skipped ({str(error.orig).strip().splitlines()[0]})")
        admin.dispose()
        return None
    url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
    return admin, schema, url.render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--providers", type=int, default=20_000)
    parser.add_argument("--matches", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--postgresql",
        metavar="SERVER_URL",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="PostgreSQL database to run in, in a throw-away schema (default: %(default)s)",
    )
    parser.add_argument("--no-postgresql", action="store_true", help="SQLite only")
    args = parser.parse_args()
    figures: Dict[Tuple[str, str], Tuple[float, float]] = {}

    def both_shapes(backend: str, url: str) -> None:
        for shape in ("uniform", "concentrated"):
            figures[backend, shape] = run(url, args.providers, args.matches, args.seed, shape)

    with tempfile.TemporaryDirectory() as tmp:
        both_shapes("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}")
    target = None if args.no_postgresql else postgresql_schema_url(args.postgresql)
    if target:
        admin, schema, url = target
        try:
            both_shapes("PostgreSQL", url)
        finally:
            db.engine(url).dispose()
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()

    print(f"\nSummary ({args.providers} providers, {args.matches} matches each; target p95 < 50 ms):")
    for (backend, shape), (p50, p95) in figures.items():
        print(f"  {backend:<10} {shape:<12} p50 {p50:5.1f} ms   p95 {p95:5.1f} ms")


if __name__ == "__main__":
    main()
