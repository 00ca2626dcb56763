"""French geography shipped with the project: départements, communes, regional CSIRTs, and where a victim is.

The data files next to this module (`departements.csv`, `communes.csv`, `csirt.yml`) state their public sources.
They are read once per process (`load()`). Everything here is pure Python over about 800 rows: fast enough to run
on every message, and testable without a database.

What a victim types is resolved by `locate()`:
- a postal code ("33000", with Corsica 20xxx, the overseas 97x/98x codes, and the few codes shared across a
  border, listed in `postal_exceptions.csv`);
- an arrondissement ("Paris 15e", "Lyon 3ème", "Marseille 8");
- a département number or name ("dans le 93", "en 2A", "dans le Finistère", "en Gironde");
- a commune ("je suis à Bordeaux", "près de Lille", "st etienne", "Montpelier" with its typo), or a well-known
  place that is no commune ("Marne-la-Vallée").
What is too vague to search from ("en Bretagne", "dans le 20") is told apart by `too_vague()`, so that the bot can
ask the right question.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import yaml

from bot.text import fold

GEO_DIR = Path(__file__).resolve().parent
EARTH_RADIUS_KM = 6371.0088

# Départements whose préfecture is closer than this to the victim's département's préfecture are its
# "neighbours" for the provider search. Adjacent départements' préfectures are 40-160 km apart in mainland France
# (e.g. Bordeaux-La Rochelle 160 km); Ajaccio-Bastia is 100 km. Overseas territories never have neighbours (see
# neighbours()): Basse-Terre-Fort-de-France is about 169 km, but across the sea, so a provider there cannot come
# to the victim; the remote tier serves them instead.
NEIGHBOUR_MAX_KM = 165.0
NEIGHBOUR_MAX_COUNT = 8

# Fuzzy matching of commune names (typos): high enough that "Liège" does not become "Liévin" nor "Montréal"
# "Montreuil", low enough for "Bordeau", "Montpelier", "Toulouze", "Strasbourgh".
FUZZY_CUTOFF = 0.85
MAX_FUZZY_PHRASES = 6


@dataclass(frozen=True)
class Departement:
    code: str  # "01".."95", "2A", "2B", "971".."976", "977", "978", "986", "987", "988"
    name: str
    region: str
    prefecture: str
    lat: float  # reference point: the préfecture
    lon: float


@dataclass(frozen=True)
class Commune:
    name: str
    postal_code: str
    departement: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Csirt:
    name: str
    url: Optional[str]
    phone: Optional[str]
    hours: Optional[str]


@dataclass(frozen=True)
class Location:
    """Where the victim is, as precisely as we could tell, with a reference point for distances."""

    departement: Departement
    lat: float
    lon: float
    commune: Optional[Commune] = None
    postal_code: Optional[str] = None
    arrondissement: Optional[int] = None
    # Other communes of the same name, when nothing in the message told them apart ("Saint-Denis": 93 or 974).
    alternatives: Tuple[Commune, ...] = ()

    @property
    def label(self) -> str:
        """French label for messages: "Bordeaux (Gironde)", "Paris 15e (Paris)", "le Finistère"."""
        dep = self.departement
        if self.commune is not None:
            town = self.commune.name
            if self.arrondissement:
                town = f"{town} {self.arrondissement}{'er' if self.arrondissement == 1 else 'e'}"
            return f"{town} ({dep.name})" if fold(dep.name) != fold(self.commune.name) else town
        if self.postal_code:
            return f"{self.postal_code} ({dep.name})"
        return f"{dep.name} ({dep.code})"


class Geography:
    """The loaded data and its lookup indexes."""

    def __init__(
        self,
        departements: List[Departement],
        communes: List[Commune],
        csirts: Dict[str, Csirt],
        postal_exceptions: Tuple[Commune, ...] = (),
    ):
        self.departements: Dict[str, Departement] = {d.code: d for d in departements}
        # Postal code -> the other départements it also serves (La Poste codes shared across a border).
        self.postal_exceptions: Dict[str, Tuple[str, ...]] = {}
        for commune in postal_exceptions:
            others = self.postal_exceptions.get(commune.postal_code, ())
            if commune.departement not in others:
                self.postal_exceptions[commune.postal_code] = others + (commune.departement,)
        communes = list(communes) + [c for c in postal_exceptions if c not in communes]
        self.communes = communes
        self.csirts = csirts
        # Normalised name -> communes of that name (a few names exist in several départements).
        self.communes_by_key: Dict[str, List[Commune]] = {}
        for commune in communes:
            for key in _name_keys(commune.name):
                bucket = self.communes_by_key.setdefault(key, [])
                if commune not in bucket:
                    bucket.append(commune)
        # "Évry" for Évry-Courcouronnes, "Cherbourg" for Cherbourg-en-Cotentin, "Boulogne" for both Boulognes: the
        # first word of a compound name, consulted only when no full name matches.
        self.communes_by_first_word: Dict[str, List[Commune]] = {}
        for commune in communes:
            words = normalise(commune.name).split()
            if len(words) > 1 and len(words[0]) >= 3 and words[0] not in _GENERIC_FIRST_WORDS:
                self.communes_by_first_word.setdefault(words[0], []).append(commune)
        self.communes_by_initial: Dict[str, List[str]] = {}
        for key in self.communes_by_key:
            self.communes_by_initial.setdefault(key[0], []).append(key)
        self.communes_by_postal_code: Dict[str, List[Commune]] = {}
        for commune in communes:
            self.communes_by_postal_code.setdefault(commune.postal_code, []).append(commune)
        self.departements_by_key: Dict[str, Departement] = {}
        for dep in departements:
            for key in _name_keys(dep.name):
                self.departements_by_key.setdefault(key, dep)
        for alias, code in _DEPARTEMENT_ALIASES.items():
            self.departements_by_key.setdefault(alias, self.departements[code])
        self.max_name_words = max(len(key.split()) for key in self.communes_by_key)
        # Words found inside place names ("Pont-à-Mousson", "Bourg-en-Bresse"): they do not end a name in a sentence.
        self.name_words = {w for key in (*self.communes_by_key, *self.departements_by_key) for w in key.split()}


def _read_csv(path: Path) -> List[Dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


@lru_cache(maxsize=1)
def load() -> Geography:
    departements = [
        Departement(r["code"], r["name"], r["region"], r["prefecture"], float(r["lat"]), float(r["lon"]))
        for r in _read_csv(GEO_DIR / "departements.csv")
    ]
    communes = [
        Commune(r["name"], r["postal_code"], r["departement"], float(r["lat"]), float(r["lon"]))
        for r in _read_csv(GEO_DIR / "communes.csv")
    ]
    with (GEO_DIR / "csirt.yml").open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    csirts = {region: Csirt(v["name"], v.get("url"), v.get("phone"), v.get("hours")) for region, v in raw.items()}
    exceptions = tuple(
        Commune(r["name"], r["postal_code"], r["departement"], float(r["lat"]), float(r["lon"]))
        for r in _read_csv(GEO_DIR / "postal_exceptions.csv")
    )
    return Geography(departements, communes, csirts, exceptions)


# --- names ------------------------------------------------------------------------------------------------------
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "Œ": "oe", "Æ": "ae"})
_NON_WORD = re.compile(r"[^a-z0-9]+")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes", "s": "saint"}
_ARTICLES = ("le ", "la ", "les ", "l ")
# Usual short names of overseas territories ("la Réunion" is already the official name with its article).
_DEPARTEMENT_ALIASES = {
    "reunion": "974",
    "wallis": "986",
    "futuna": "986",
    "tahiti": "987",
    "polynesie": "987",
    "caledonie": "988",
    "saint barth": "977",
    "saint barthelemy": "977",
    "spm": "975",
}
# First words shared by too many compound names to stand for one of them.
_GENERIC_FIRST_WORDS = {
    "saint",
    "sainte",
    "saints",
    "saintes",
    "villeneuve",
    "neuilly",
    "bourg",
    "pont",
    "port",
    "fort",
    "mont",
    "grand",
    "grande",
    "petit",
    "notre",
    "ville",
    "villers",
    "chateau",
    "sous",
    "bar",
}


def normalise(text: str) -> str:
    """Accent-, case-, hyphen- and apostrophe-insensitive form: "St-Étienne" -> "saint etienne"."""
    words = _NON_WORD.sub(" ", fold((text or "").translate(_LIGATURES))).split()
    # "s" alone only stands for "saint" before another word ("S. Denis"), never as the last word.
    return " ".join(_ABBREVIATIONS.get(w, w) if (w != "s" or i < len(words) - 1) else w for i, w in enumerate(words))


def _name_keys(name: str) -> Iterator[str]:
    """The full normalised name, and the name without its article ("Le Havre" is also "havre": "au Havre")."""
    key = normalise(name)
    yield key
    for article in _ARTICLES:
        if key.startswith(article) and len(key) > len(article) + 2:
            yield key[len(article) :]


# --- distances and neighbours -------------------------------------------------------------------------------------
def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def unit_vector(lat: float, lon: float) -> Tuple[float, float, float]:
    """The point on the unit sphere: the straight-line (chord) distance between two such points grows with their
    great-circle distance, so a database can sort by distance with + and * only (bot/providers/matching.py)."""
    phi, lam = math.radians(lat), math.radians(lon)
    return math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)


def chord_to_km(chord: float) -> float:
    """The great-circle distance in km of a chord between two points of the unit sphere."""
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, chord / 2))


@lru_cache(maxsize=None)
def neighbours(code: str) -> Tuple[str, ...]:
    """Départements near `code`, nearest first, by distance between préfectures (no adjacency data is shipped).

    Overseas territories have none (an empty tuple): their nearest other territory is across the sea.
    """
    geography = load()
    origin = geography.departements.get(code)
    if origin is None or len(code) == 3:
        return ()
    scored = sorted(
        (distance_km(origin.lat, origin.lon, d.lat, d.lon), d.code)
        for d in geography.departements.values()
        if d.code != code
    )
    return tuple(c for km, c in scored if km <= NEIGHBOUR_MAX_KM)[:NEIGHBOUR_MAX_COUNT]


# --- codes --------------------------------------------------------------------------------------------------------
# La Poste codes that do not start with their collectivity's number: Saint-Barthélemy and Saint-Martin use codes of
# the Guadeloupe range.
_SPECIAL_POSTAL_CODES = {"97133": "977", "97150": "978"}
_POSTAL_CODE = re.compile(r"\d{5}")


def departement_for_postal_code(postal_code: str) -> Optional[str]:
    """The département code of a French postal code, or None when it is not a valid one.

    Corsica: 20000-20190 is Corse-du-Sud (2A), 20200-20620 Haute-Corse (2B). Overseas codes start with the
    3-digit code (97100 Guadeloupe, 98800 Nouvelle-Calédonie...). Monaco (980xx), the TAAF (984xx) and numbers
    that are no French postal code (00xxx, 96xxx...) give None.
    """
    code = (postal_code or "").strip()
    if not _POSTAL_CODE.fullmatch(code):
        return None
    if code in _SPECIAL_POSTAL_CODES:
        return _SPECIAL_POSTAL_CODES[code]
    number = int(code)
    if code.startswith("20"):
        if 20000 <= number <= 20190:
            return "2A"
        if 20200 <= number <= 20620:
            return "2B"
        return None
    if code.startswith(("97", "98")):
        prefix = code[:3]
        # 977/978 only exist through the special codes above; 975 is Saint-Pierre-et-Miquelon (97500).
        if prefix in {"971", "972", "973", "974", "975", "976", "986", "987", "988"}:
            return prefix
        return None
    if code.startswith("00") or code.startswith("96"):
        return None
    departement = code[:2]
    return departement if departement in load().departements else None


def departements_for_postal_code(postal_code: str) -> Tuple[str, ...]:
    """Every département a postal code serves, the one of its first digits first: ("33", "24") for 33220, whose
    communes include Port-Sainte-Foy-et-Ponchapt in Dordogne (postal_exceptions.csv). Empty when invalid."""
    main = departement_for_postal_code(postal_code)
    if main is None:
        return ()
    return (main,) + load().postal_exceptions.get(postal_code.strip(), ())


def departement(code: str) -> Optional[Departement]:
    """The département of a code as typed: "1", "01", "2a", "971"; None if unknown ("20" is ambiguous)."""
    value = (code or "").strip().upper()
    if value.isdigit() and len(value) == 1:
        value = "0" + value
    return load().departements.get(value)


def csirt_for(departement_code: str) -> Optional[Csirt]:
    """The regional incident-response centre (CSIRT territorial) of a département's region, if there is one."""
    dep = departement(departement_code)
    return load().csirts.get(dep.region) if dep else None


# --- communes -----------------------------------------------------------------------------------------------------
def find_communes(name: str, fuzzy: bool = True) -> List[Commune]:
    """Communes called `name` (exact normalised match first, then the closest spelling), maybe several."""
    key = normalise(name)
    if not key:
        return []
    geography = load()
    exact = geography.communes_by_key.get(key)
    if exact:
        return list(exact)
    close = _close_name(key) if fuzzy else None
    return list(geography.communes_by_key[close]) if close else []


def find_commune(name: str, departement_code: Optional[str] = None) -> Optional[Commune]:
    """One commune called `name`, preferring `departement_code` when the name exists in several départements."""
    candidates = find_communes(name)
    if departement_code:
        in_departement = [c for c in candidates if c.departement == departement_code]
        if in_departement:
            return in_departement[0]
    return candidates[0] if candidates else None


# --- free text ----------------------------------------------------------------------------------------------------
_ARRONDISSEMENTS = {"paris": ("75", 20), "lyon": ("69", 9), "marseille": ("13", 16)}
_ARRONDISSEMENT_RE = re.compile(r"\b(paris|lyon|marseille)\s?(\d{1,2})\s?(?:e|er|eme|ieme|em|arrondissement|arr)?\b")
_ARRONDISSEMENT_BEFORE_RE = re.compile(
    r"\b(\d{1,2})\s?(?:e|er|eme|ieme|em)\s(?:arrondissement\s)?(?:de\s)?(paris|lyon|marseille)\b"
)
# Numbers followed by these are amounts, ages, dates or durations, not places.
_NOT_A_PLACE = (
    r"(?!\s?(?:e|er|eme|ans?|h|heures?|min\w*|jours?|mois|semaines?|fois|euros?|eur|k|balles|dollars?|chf|"
    r"janv\w*|fev\w*|mars|avr\w*|mai|juin|juil\w*|aout|sept\w*|oct\w*|nov\w*|dec\w*|au|a|et|personnes|"
    r"salaries|postes|employes|agents)\b)"
)
_POSTAL_IN_TEXT = re.compile(rf"(?<![\d.,])(\d{{5}})(?![\d.,]){_NOT_A_PLACE}")
# "j'ai payé 15000": an amount, not a postal code.
_MONEY_WORDS = {
    "paye",
    "payes",
    "payee",
    "perdu",
    "perdus",
    "vire",
    "verse",
    "envoye",
    "debite",
    "preleve",
    "depense",
    "coute",
    "montant",
    "somme",
    "rembourse",
    "rancon",
    "de",
    "environ",
}
_DEP_NUMBER_RE = re.compile(
    rf"\b(?:dans le|dans l|departement|departement du|departement de la|departement de l|departement des|dept|dpt|"
    rf"en|le|du)\s(\d{{1,3}}|2a|2b)\b{_NOT_A_PLACE}"
)
# What introduces a place in the message that asks for, or answers about, a provider ("à Bordeaux", "près de Lille",
# "dans le Finistère", "en Gironde", "sur Lyon", "vers Nantes", "j'habite Brest", "mairie de Laval").
_ANCHORS_LATEST = (
    "a",
    "au",
    "aux",
    "sur",
    "vers",
    "pres de",
    "pres d",
    "cote de",
    "cote d",
    "region de",
    "secteur de",
    "ville de",
    "mairie de",
    "mairie d",
    "commune de",
    "commune d",
    "agglomeration de",
    "metropole de",
    "habite",
    "habitons",
    "base",
    "basee",
    "bases",
    "basees",
    "situe",
    "situee",
    "situes",
    "situees",
    "de",
    "d",
    "dans",
    "en",
    "du",
    "proche de",
    "proche d",
    "autour de",
    "autour d",
    "alentours de",
    "environs de",
    "departement",
)
# In older messages only a clear statement of where the victim is counts: "j'ai écrit à Orange" is no place.
_ANCHORS_HISTORY = (
    "je suis a",
    "j habite",
    "j habite a",
    "nous sommes a",
    "on est a",
    "on habite",
    "nous habitons",
    "je vis a",
    "pres de",
    "mairie de",
    "mairie d",
    "commune de",
    "commune d",
    "ville de",
    "basee a",
    "base a",
    "bases a",
    "basees a",
    "situe a",
    "situee a",
    "situes a",
    "situees a",
    "dans le departement",
    "je suis dans le",
    "je suis dans la",
    "je suis en",
    "nous sommes en",
    "nous sommes dans le",
    "nous sommes dans la",
)
_DEPARTEMENT_ANCHORS = {
    "dans",
    "en",
    "du",
    "departement",
    "dans le departement",
    "je suis dans le",
    "je suis dans la",
    "je suis en",
    "nous sommes en",
    "nous sommes dans le",
    "nous sommes dans la",
}


def _anchor_re(anchors) -> "re.Pattern[str]":
    return re.compile(r"\b(" + "|".join(sorted((re.escape(a) for a in anchors), key=len, reverse=True)) + r")\s")


_ANCHOR_LATEST_RE = _anchor_re(_ANCHORS_LATEST)
_ANCHOR_HISTORY_RE = _anchor_re(_ANCHORS_HISTORY)
# Words that end a place name in a sentence ("à Lyon et j'ai...", "à Lille pour ma boîte").
_STOP_WORDS = {
    "et",
    "pour",
    "mais",
    "car",
    "ou",
    "qui",
    "que",
    "je",
    "j",
    "on",
    "nous",
    "il",
    "elle",
    "avec",
    "svp",
    "merci",
    "depuis",
    "c",
    "ca",
    "est",
    "mon",
    "ma",
    "mes",
    "notre",
    "nos",
    "un",
    "une",
    "pouvez",
    "vous",
    "y",
    "s",
    "a",
    "au",
    "en",
    "dans",
    "chez",
    "pres",
    "ici",
    "aussi",
    "donc",
    "alors",
    "please",
    "stp",
}
_LEADING_ARTICLES = {"le", "la", "les", "l"}
# Words that may precede a place name given alone as an answer ("euh Bordeaux", "c'est Lille", "ville : Brest").
_FILLER_RE = re.compile(
    r"^(?:(?:alors|bah|ben|euh|oui|bonjour|bonsoir|merci|ok|moi|nous|on|je|j|suis|sommes|est|habite|habitons|vis|"
    r"vit|c|ca|a|au|aux|en|dans|sur|vers|pres|de|d|du|le|la|les|l|ville|commune|departement|dept|code|postal|cp|"
    r"situe|situee|base|basee|ma|mon|notre)\s)+"
)


def _strip_articles(words: List[str]) -> List[str]:
    while words and words[0] in _LEADING_ARTICLES:
        words = words[1:]
    return words


def _phrases(text: str, anchors: "re.Pattern[str]") -> Iterator[Tuple[List[str], str]]:
    """(words, anchor) pairs: the words after each anchor that may be a place name (matched by longest prefix)."""
    geography = load()
    for match in anchors.finditer(text):
        words: List[str] = []
        for word in _strip_articles(text[match.end() :].split()):
            if word.isdigit() or (word in _STOP_WORDS and word not in geography.name_words):
                break
            words.append(word)
            if len(words) >= geography.max_name_words:
                break
        if words:
            yield words, match.group(1)


def _match_place(words: List[str], fuzzy: bool) -> List[Commune]:
    """The communes named by the longest prefix of `words`: exact names, else first words of compound names, else
    (with `fuzzy`) the closest spelling."""
    geography = load()
    sizes = range(min(len(words), geography.max_name_words), 0, -1)
    for size in sizes:
        communes = geography.communes_by_key.get(" ".join(words[:size]))
        if communes:
            return communes
    if words and words[0] in geography.communes_by_first_word:
        return geography.communes_by_first_word[words[0]]
    if fuzzy:
        for size in sizes:
            key = _close_name(" ".join(words[:size]))
            if key:
                return geography.communes_by_key[key]
    return []


# Words shared by many names: a typo test on the whole name would accept "Sainte-Maxime" for "Sainte-Marie".
_COMMON_NAME_WORDS = {
    "saint",
    "sainte",
    "saints",
    "saintes",
    "le",
    "la",
    "les",
    "l",
    "sur",
    "sous",
    "en",
    "de",
    "d",
    "du",
    "des",
    "et",
    "lez",
    "aux",
    "au",
}


def _core(key: str) -> str:
    return " ".join(w for w in key.split() if w not in _COMMON_NAME_WORDS)


@lru_cache(maxsize=4096)
def _close_name(phrase: str) -> Optional[str]:
    """The commune name `phrase` is a misspelling of, if any: close as a whole and in its distinctive words."""
    if len(phrase) < 5:
        return None
    # Typos rarely touch the first letter: comparing with the names that share it is ten times faster.
    keys = load().communes_by_initial.get(phrase[0], ())
    for candidate in difflib.get_close_matches(phrase, keys, n=3, cutoff=FUZZY_CUTOFF):
        core, candidate_core = _core(phrase), _core(candidate)
        if core and difflib.SequenceMatcher(None, core, candidate_core).ratio() >= FUZZY_CUTOFF:
            return candidate
    return None


def _match_departement_name(words: List[str]) -> Optional[Departement]:
    geography = load()
    for size in range(min(len(words), 5), 0, -1):
        dep = geography.departements_by_key.get(" ".join(words[:size]))
        if dep:
            return dep
    return None


# Well-known places that are no commune, typed as if they were: name -> (département, commune used as reference
# point). Marne-la-Vallée, the new town east of Paris, lies mostly in Seine-et-Marne (Torcy is its central
# sous-préfecture); without this its "Marne" would be read as the département of the Marne (51).
_PLACE_ALIASES = {"marne la vallee": ("77", "Torcy")}


def _match_alias(words: List[str]) -> Optional[Location]:
    for size in range(min(len(words), 3), 1, -1):
        alias = _PLACE_ALIASES.get(" ".join(words[:size]))
        if alias:
            dep = load().departements[alias[0]]
            reference = find_commune(alias[1], dep.code) or dep
            return Location(dep, reference.lat, reference.lon)
    return None


def _from_commune(
    commune: Commune,
    postal_code: Optional[str] = None,
    arrondissement: Optional[int] = None,
    alternatives: Tuple[Commune, ...] = (),
) -> Location:
    dep = load().departements[commune.departement]
    return Location(
        dep, commune.lat, commune.lon, commune, postal_code or commune.postal_code, arrondissement, alternatives
    )


def _from_postal_code(code: str, named: List[Commune]) -> Optional[Location]:
    dep_code = departement_for_postal_code(code)
    if dep_code is None:
        return None
    geography = load()
    # Paris 750xx (and 75116), Lyon 6900x, Marseille 130xx: the arrondissement is in the code.
    for city, (prefix, count) in _ARRONDISSEMENTS.items():
        number = int(code[2:]) if code.startswith(prefix + "0") else 16 if code == "75116" and city == "paris" else 0
        if 1 <= number <= count:
            commune = find_commune(city, prefix)
            if commune:
                return _from_commune(commune, code, number)
    # A code shared across a border (33220) stands for its own département, unless the commune named with it is
    # one of those across the border ("33220 Port-Sainte-Foy-et-Ponchapt" is in Dordogne).
    allowed = departements_for_postal_code(code)
    communes = [c for c in geography.communes_by_postal_code.get(code, []) if c.departement == dep_code]
    communes = [c for c in named if c.departement in allowed] or communes
    if communes:
        return _from_commune(communes[0], code)
    dep = geography.departements[dep_code]
    return Location(dep, dep.lat, dep.lon, None, code)


def _choose(communes: List[Commune], text: str, dep_hint: Optional[str]) -> Location:
    """One of several communes of the same name: the one whose département or region the text names, if any."""
    if len(communes) > 1:
        geography = load()
        for commune in communes:
            dep = geography.departements[commune.departement]
            names = {normalise(dep.name), normalise(dep.region)} | set(_name_keys(dep.name)) - {"paris"}
            if commune.departement == dep_hint or any(re.search(rf"\b{re.escape(n)}\b", text) for n in names):
                return _from_commune(commune)
        return _from_commune(communes[0], alternatives=tuple(communes[1:]))
    return _from_commune(communes[0])


def locate(text: str, anchored_only: bool = False) -> Optional[Location]:
    """Where the victim says they are, from a free-text message; None when no French place is recognised.

    By default (the message that asks for a provider, or answers "where are you?") a place introduced by a
    preposition ("à Lyon", "près de Lille", "dans le 93", "en Gironde"), a postal code, or a message that is only a
    place name ("Bordeaux", "93", "st etienne") counts. `anchored_only` is for older messages: only a clear
    statement ("je suis à Lyon", "j'habite Brest", "mairie de Laval"); "j'ai écrit à Orange" is no place.
    """
    t = normalise((text or "")[:1000])
    if not t:
        return None
    geography = load()

    # 1. Arrondissements of Paris, Lyon and Marseille.
    for rx, city_group, number_group in ((_ARRONDISSEMENT_RE, 1, 2), (_ARRONDISSEMENT_BEFORE_RE, 2, 1)):
        match = rx.search(t)
        if match:
            city, number = match.group(city_group), int(match.group(number_group))
            prefix, count = _ARRONDISSEMENTS[city]
            commune = find_commune(city, prefix)
            if 1 <= number <= count and commune:
                return _from_commune(commune, f"{prefix}0{number:02d}", number)

    dep_hint: Optional[str] = None
    if not anchored_only:
        # 2. A postal code, maybe next to its commune's name ("33000 Bordeaux", "Saint-Pierre 97410").
        for match in _POSTAL_IN_TEXT.finditer(t):
            after, before = t[match.end() :].split(), t[: match.start()].split()
            if before and before[-1] in _MONEY_WORDS:
                continue
            named = _match_place(after, fuzzy=False) or next(
                (c for i in range(max(0, len(before) - 4), len(before)) if (c := _match_place(before[i:], False))), []
            )
            location = _from_postal_code(match.group(1), named)
            if location:
                return location
        # 3. A département number: "dans le 93", "du 2A", or a message that is only a number ("93").
        numbers = [m.group(1) for m in _DEP_NUMBER_RE.finditer(t)]
        bare = _FILLER_RE.sub("", t + " ").strip()
        if re.fullmatch(r"\d{1,3}|2a|2b", bare):
            numbers.append(bare)
        for code in numbers:
            dep = departement(code)
            if dep:
                dep_hint = dep.code
                break

    # 4. Commune or département names: the whole message if it is short (a bare answer: "Bordeaux"), then what
    # follows each anchor. Exact names everywhere first, so that "Châlons-en-Champagne" is not read as a misspelt
    # "Champagnole" after its "en".
    phrases: List[Tuple[List[str], str]] = []
    if not anchored_only:
        bare = _FILLER_RE.sub("", t + " ")
        bare_words = _strip_articles(bare.split())
        if bare_words and len(bare_words) <= geography.max_name_words:
            lead = set(t[: len(t) - len(bare.strip())].split())
            phrases.append((bare_words, "dans" if lead & _DEPARTEMENT_ANCHORS else ""))
    phrases += list(_phrases(t, _ANCHOR_HISTORY_RE if anchored_only else _ANCHOR_LATEST_RE))
    phrases = list({(tuple(words), anchor): (words, anchor) for words, anchor in phrases}.values())
    for fuzzy in (False, True):
        # Spelling mistakes are looked for in the first few phrases only: a long story has dozens of "de" and "à".
        for words, anchor in phrases[:MAX_FUZZY_PHRASES] if fuzzy else phrases:
            alias = None if fuzzy else _match_alias(words)
            if alias:
                return alias
            dep = None if fuzzy else _match_departement_name(words)
            communes = _match_place(words, fuzzy)
            if communes and dep:
                # "dans la Vienne" or "en Savoie" name a département; "à Vienne" or "Paris" a commune.
                same_place = any(c.departement == dep.code for c in communes)
                if anchor in _DEPARTEMENT_ANCHORS and not same_place:
                    return Location(dep, dep.lat, dep.lon)
            if communes:
                return _choose(communes, t, dep_hint)
            if dep:
                return Location(dep, dep.lat, dep.lon)

    if dep_hint:
        dep = geography.departements[dep_hint]
        return Location(dep, dep.lat, dep.lon)
    return None


# --- places too vague to search from --------------------------------------------------------------------------------
# Other names of regions, as victims write them.
_REGION_ALIASES = {"paca": "Provence-Alpes-Côte d'Azur", "region parisienne": "Île-de-France", "idf": "Île-de-France"}
# How French says "in <region>" when it is not "en": "à La Réunion", "dans les Hauts-de-France".
_REGION_PREPOSITIONS = {
    "Grand Est": "dans le",
    "Hauts-de-France": "dans les",
    "Pays de la Loire": "dans les",
    "La Réunion": "à",
    "Mayotte": "à",
    "Saint-Barthélemy": "à",
    "Saint-Martin": "à",
    "Saint-Pierre-et-Miquelon": "à",
    "Wallis-et-Futuna": "à",
}


def in_region(region: str) -> str:
    """ "en Bretagne", "dans les Hauts-de-France", "à La Réunion"."""
    return f"{_REGION_PREPOSITIONS.get(region, 'en')} {region}"


def too_vague(text: str) -> Optional[Tuple[str, Tuple[Departement, ...]]]:
    """(region, its départements) when the message names a place that locate() cannot place precisely: a region of
    several départements ("en Bretagne", "PACA") or the number 20 (Corsica, split into 2A and 2B since 1976).

    Meant for messages where locate() found nothing: "je suis en Corse-du-Sud" is a département, not vague.
    """
    t = normalise((text or "")[:1000])
    if not t:
        return None
    by_region: Dict[str, List[Departement]] = {}
    for dep in sorted(load().departements.values(), key=lambda d: d.code):
        by_region.setdefault(dep.region, []).append(dep)
    numbers = [m.group(1) for m in _DEP_NUMBER_RE.finditer(t)] + [_FILLER_RE.sub("", t + " ").strip()]
    if "20" in numbers:
        return "Corse", tuple(by_region["Corse"])
    names = {normalise(region): region for region, deps in by_region.items() if len(deps) > 1}
    names.update(_REGION_ALIASES)
    for key, region in names.items():
        # "Grande-Bretagne" is no French region.
        if re.search(rf"(?<!grande )\b{re.escape(key)}\b", t):
            return region, tuple(by_region[region])
    return None
