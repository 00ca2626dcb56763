"""Import a real directory of providers from CSV (with validation and a French report), and export it.

The file is what staff prepare in a spreadsheet: one provider per row, French column names (see COLUMNS), `;` or
`,` as separator, UTF-8 or Windows-1252 (Excel's "CSV"), lists inside a cell separated by `,` `;` `|` or `/`.
Valid rows are imported in one transaction; every rejected row is listed with its line number and reasons, so
that staff can fix the file and import again. Nothing is written when no row is valid.

Importing is idempotent: a row updates the provider it already is, rather than adding a second copy. A row is the
same provider as the one with its `id` (the column an export writes), or else as the one with the same name and
postal code (or département). An export edited in a spreadsheet and imported back thus updates the directory.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, TextIO, Tuple, Union

from sqlalchemy import delete, func, select

from bot import db, geo
from bot.providers.models import COMPETENCES, PUBLICS, SERVICES, Provider

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000

# Column -> accepted header spellings (compared folded, with spaces and hyphens as underscores).
COLUMNS: Dict[str, Tuple[str, ...]] = {
    "nom": ("nom", "name", "raison_sociale", "entreprise", "prestataire"),
    "adresse": ("adresse", "address", "rue"),
    "code_postal": ("code_postal", "cp", "postal_code", "codepostal"),
    "commune": ("commune", "ville", "city", "localite"),
    "departement": ("departement", "dept", "dep", "departement_code"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng", "long"),
    "publics": ("publics", "public", "publics_servis", "clientele"),
    "services": ("services", "service", "prestations"),
    "competences": ("competences", "competence", "domaines", "specialites"),
    "label_expertcyber": ("label_expertcyber", "expertcyber", "label", "expert_cyber"),
    "telephone": ("telephone", "tel", "phone"),
    "email": ("email", "e_mail", "courriel", "mail", "adresse_electronique"),
    "site_web": ("site_web", "site", "website", "url", "site_internet"),
    "horaires": ("horaires", "horaires_d_ouverture", "opening_hours"),
    "intervention_a_distance": ("intervention_a_distance", "a_distance", "distance", "remote", "teleassistance"),
    "actif": ("actif", "active", "statut_actif"),
    "demonstration": ("demonstration", "demo"),
    "id": ("id", "identifiant"),
}
REQUIRED_COLUMNS = ("nom", "publics", "services", "competences")
# Written by the console's export of the directory with each provider's feedback link
# (console/observatory/feedback.py): a credential of the provider, never read back, so not worth a warning.
FEEDBACK_LINK_COLUMN = "lien_retour"

_VALUE_SYNONYMS = {
    "publics": {
        "particulier": "particulier",
        "particuliers": "particulier",
        "individuel": "particulier",
        "individuels": "particulier",
        "entreprise": "entreprise",
        "entreprises": "entreprise",
        "association": "entreprise",
        "associations": "entreprise",
        "professionnel": "entreprise",
        "professionnels": "entreprise",
        "pro": "entreprise",
        "pros": "entreprise",
        "pme": "entreprise",
        "tpe": "entreprise",
        "entreprises_et_associations": "entreprise",
        "collectivite": "collectivite",
        "collectivites": "collectivite",
        "administration": "collectivite",
        "administrations": "collectivite",
        "collectivites_et_administrations": "collectivite",
        "collectivites_territoriales": "collectivite",
        "mairie": "collectivite",
        "mairies": "collectivite",
    },
    "services": {
        "assistance": "assistance",
        "depannage": "assistance",
        "intervention": "assistance",
        "installation": "installation",
        "maintenance": "maintenance",
    },
    "competences": {
        "poste_de_travail": "poste_de_travail",
        "postes_de_travail": "poste_de_travail",
        "ordinateur": "poste_de_travail",
        "ordinateurs": "poste_de_travail",
        "messagerie": "messagerie",
        "messageries": "messagerie",
        "email": "messagerie",
        "reseau": "reseau",
        "reseaux": "reseau",
        "site_internet": "site_internet",
        "sites_internet": "site_internet",
        "site_web": "site_internet",
        "sites_web": "site_internet",
        "telephonie": "telephonie",
        "rancongiciel": "rancongiciel",
        "rancongiciels": "rancongiciel",
        "ransomware": "rancongiciel",
        "recuperation_donnees": "recuperation_donnees",
        "recuperation_de_donnees": "recuperation_donnees",
        "recuperation_des_donnees": "recuperation_donnees",
        "comptes_en_ligne": "comptes_en_ligne",
        "compte_en_ligne": "comptes_en_ligne",
        "securisation": "securisation",
        "securite": "securisation",
    },
}
_VOCABULARIES = {"publics": PUBLICS, "services": SERVICES, "competences": COMPETENCES}
_TRUE = {"oui", "o", "vrai", "true", "1", "x", "yes", "y"}
_FALSE = {"non", "n", "faux", "false", "0", "no", ""}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)
_WEBSITE = re.compile(r"https?://[a-z0-9.-]+\.[a-z]{2,}(?::\d+)?(?:/\S*)?", re.IGNORECASE)
_LIST_SEPARATORS = re.compile(r"[,;|/]+")


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", geo.normalise(text)).strip("_")


_HEADER_LOOKUP = {spelling: column for column, spellings in COLUMNS.items() for spelling in spellings}


@dataclass
class RejectedRow:
    line: int
    name: str
    errors: List[str]


@dataclass
class ImportReport:
    source: Optional[str]  # the file's name, if any
    imported: int = 0
    rejected: List[RejectedRow] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    fatal: Optional[str] = None  # the file could not be read at all: nothing was imported
    replaced: int = 0  # providers removed by --replace
    updated: int = 0  # of `imported`, providers already in the directory, updated in place
    demo_left: int = 0  # demonstration providers still in the directory next to real ones
    demo_dropped: int = 0  # demonstration providers removed by --drop-demo
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return self.fatal is None and not self.rejected

    def text(self) -> str:
        """The report for staff, in French."""
        title = f"Import de « {self.source} »" if self.source else "Import"
        if self.fatal:
            return f"{title} impossible : {self.fatal}\nL'annuaire n'a pas été modifié."
        verb = "seraient importés" if self.dry_run else "importés"
        lines = [
            f"{title} : {_plural(self.imported, 'prestataire')} {verb}, "
            f"{_plural(len(self.rejected), 'ligne rejetée', 'lignes rejetées')}."
        ]
        if self.dry_run:
            lines.append("Simulation : l'annuaire n'a pas été modifié.")
        elif self.replaced:
            lines.append(f"{_plural(self.replaced, 'ancien prestataire')} remplacés par ce fichier.")
        if self.updated:
            present = _plural(self.updated, "prestataire déjà présent", "prestataires déjà présents")
            lines.append(
                f"Dont {present} (même identifiant, ou même nom et même code postal), mis à jour, et "
                f"{_plural(self.imported - self.updated, 'ajouté')}."
            )
        if self.demo_dropped:
            lines.append(
                f"{_plural(self.demo_dropped, 'prestataire fictif', 'prestataires fictifs')} de "
                "démonstration retirés de l'annuaire."
            )
        if self.demo_left:
            lines.append(
                f"Attention : l'annuaire contient encore "
                f"{_plural(self.demo_left, 'prestataire fictif', 'prestataires fictifs')} de démonstration, "
                "proposés aux victimes avec les vrais. Pour les retirer, importez à nouveau avec "
                "--drop-demo (python -m bot.providers import FICHIER --drop-demo)."
            )
        if self.imported == 0 and not self.dry_run:
            lines.append("Aucune ligne valide : l'annuaire n'a pas été modifié.")
        if self.rejected:
            lines.append("Lignes rejetées (corrigez-les puis importez-les à nouveau) :")
            for row in self.rejected:
                label = f" ({row.name})" if row.name else ""
                lines.append(f"- ligne {row.line}{label} : {' ; '.join(row.errors)}.")
        if self.warnings:
            lines.append("Avertissements (lignes importées quand même) :")
            lines += [f"- {warning}" for warning in self.warnings]
        return "\n".join(lines)


def _plural(count: int, singular: str, plural: Optional[str] = None) -> str:
    if count <= 1:
        return f"{count} {singular}"
    return f"{count} {plural or ' '.join(w + 's' for w in singular.split())}"


def _decode(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise ValueError("ce n'est pas un fichier texte (CSV). Enregistrez le tableau au format CSV.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("encodage du fichier non reconnu : enregistrez-le en CSV UTF-8.")  # pragma: no cover


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _parse_list(raw: str, column: str, errors: List[str]) -> List[str]:
    values: List[str] = []
    unknown: List[str] = []
    for part in _LIST_SEPARATORS.split(raw or ""):
        if not part.strip():
            continue
        value = _VALUE_SYNONYMS[column].get(_key(part))
        if value is None:
            unknown.append(part.strip())
        elif value not in values:
            values.append(value)
    label = {"publics": "public", "services": "service", "competences": "compétence"}[column]
    if unknown:
        known = ", ".join(_VOCABULARIES[column])
        errors.append(
            f"{label} inconnu{'e' if column == 'competences' else ''} "
            f"{', '.join(f'« {u} »' for u in unknown)} (valeurs possibles : {known})"
        )
    elif not values:
        errors.append(f"colonne {column} vide : indiquez au moins un{'e' if column == 'competences' else ''} {label}")
    return values


def _parse_bool(raw: str, column: str, default: bool, errors: List[str]) -> bool:
    value = _key(raw or "")
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    errors.append(f"valeur « {raw.strip()} » non comprise pour {column} : écrivez oui ou non")
    return default


def normalise_phone(raw: str) -> Optional[str]:
    """A French number as "01 23 45 67 89", an international one as "+33 1 23 45 67 89"-like digits; None if invalid."""
    text = (raw or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"\+?[\d\s.\-()]+", text):
        return None
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        return "+" + digits if 8 <= len(digits) <= 15 else None
    if len(digits) == 9 and not digits.startswith("0"):  # Excel drops the leading zero
        digits = "0" + digits
    if len(digits) == 10 and digits.startswith("0"):
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    if 6 <= len(digits) <= 9:  # overseas local numbers (Nouvelle-Calédonie: 6 digits)
        return digits
    return None


def _parse_coordinate(raw: str, column: str, low: float, high: float, errors: List[str]) -> Optional[float]:
    text = (raw or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        errors.append(f"{column} « {raw.strip()} » n'est pas un nombre")
        return None
    if not low <= value <= high:
        errors.append(f"{column} {value} hors des valeurs possibles ({low} à {high})")
        return None
    return value


def _validate(row: Dict[str, str], line: int, warnings: List[str]) -> Tuple[Optional[Provider], List[str]]:
    errors: List[str] = []
    get = lambda column: (row.get(column) or "").strip()  # noqa: E731
    name = get("nom")
    if not name:
        errors.append("le nom est vide")
    elif len(name) > 200:
        errors.append("le nom dépasse 200 caractères")

    # Where: a postal code and/or a département, consistent with each other; coordinates or a known commune.
    postal_code = get("code_postal").replace(" ", "")
    if re.fullmatch(r"\d{4}", postal_code):  # Excel drops the leading zero of 01000-09999
        postal_code = "0" + postal_code
    # A few postal codes serve communes of two départements (33220: Gironde and Dordogne): any of them is right.
    allowed = geo.departements_for_postal_code(postal_code) if postal_code else ()
    dep_from_postal = allowed[0] if allowed else None
    if postal_code and not allowed:
        errors.append(f"code postal « {get('code_postal')} » inconnu")
    dep_code = None
    if get("departement"):
        dep = geo.departement(get("departement"))
        if dep is None:
            errors.append(f"département « {get('departement')} » inconnu")
        else:
            dep_code = dep.code
    if dep_code and allowed and dep_code not in allowed:
        errors.append(f"le code postal {postal_code} est dans le département {' ou '.join(allowed)}, pas {dep_code}")
    if not dep_code and len(allowed) > 1 and get("commune"):
        named = [c for c in geo.find_communes(get("commune"), fuzzy=False) if c.departement in allowed]
        dep_from_postal = named[0].departement if named else dep_from_postal
    dep_code = dep_code or dep_from_postal
    if not postal_code and not get("departement"):
        errors.append("indiquez le code postal ou le département")

    lat = _parse_coordinate(get("latitude"), "latitude", -90, 90, errors)
    lon = _parse_coordinate(get("longitude"), "longitude", -180, 180, errors)
    if (lat is None) != (lon is None) and not errors:
        errors.append("indiquez la latitude et la longitude, ou aucune des deux")
    commune_name = get("commune")
    if dep_code and not errors:
        dep = geo.load().departements[dep_code]
        if lat is not None and lon is not None:
            km = geo.distance_km(lat, lon, dep.lat, dep.lon)
            if km > (300 if len(dep_code) == 2 else 2000):
                errors.append(
                    f"les coordonnées ({lat}, {lon}) sont à {km:.0f} km du département {dep_code} "
                    "(latitude et longitude inversées ?)"
                )
        else:
            commune = geo.find_commune(commune_name, dep_code) if commune_name else None
            if commune is None or commune.departement != dep_code:
                by_code = [
                    c for c in geo.load().communes_by_postal_code.get(postal_code, []) if c.departement == dep_code
                ]
                commune = by_code[0] if by_code else None
            if commune is not None and commune.lat is not None and commune.lon is not None:
                lat, lon = commune.lat, commune.lon
                commune_name = commune_name or commune.name
            else:  # unknown commune, or one without coordinates in bot/geo (collectivités d'outre-mer)
                if commune is not None:
                    commune_name = commune_name or commune.name
                lat, lon = dep.lat, dep.lon
                warnings.append(
                    f"ligne {line} ({name}) : position inconnue, celle de la préfecture "
                    f"({dep.prefecture}) est utilisée ; ajoutez latitude et longitude pour plus de "
                    "précision"
                )

    publics = _parse_list(get("publics"), "publics", errors)
    services = _parse_list(get("services"), "services", errors)
    competences = _parse_list(get("competences"), "competences", errors)
    expertcyber = _parse_bool(get("label_expertcyber"), "label_expertcyber", False, errors)
    if expertcyber and publics and services:
        if not {"entreprise", "collectivite"} & set(publics) or set(services) != set(SERVICES):
            errors.append(
                "le label ExpertCyber n'est délivré qu'aux prestataires qui servent des professionnels "
                "et font installation, maintenance et assistance"
            )

    phone = normalise_phone(get("telephone"))
    if get("telephone") and phone is None:
        errors.append(f"téléphone « {get('telephone')} » invalide")
    email = get("email") or None
    if email and not _EMAIL.fullmatch(email):
        errors.append(f"e-mail « {email} » invalide")
    website = get("site_web") or None
    if website and not website.lower().startswith(("http://", "https://")):
        website = "https://" + website
    if website and not _WEBSITE.fullmatch(website):
        errors.append(f"site web « {get('site_web')} » invalide")
    if not (get("telephone") or email or website):
        errors.append("aucun moyen de contact : indiquez un téléphone, un e-mail ou un site web")
    for column, limit in (("adresse", 300), ("commune", 100), ("horaires", 300)):
        if len(get(column)) > limit:
            errors.append(f"{column} trop long (plus de {limit} caractères)")

    remote = _parse_bool(get("intervention_a_distance"), "intervention_a_distance", False, errors)
    active = _parse_bool(get("actif"), "actif", True, errors)
    demo = _parse_bool(get("demonstration"), "demonstration", False, errors)
    provider_id = None
    if get("id"):
        if get("id").isdigit():
            provider_id = int(get("id"))
        else:
            errors.append(
                f"identifiant « {get('id')} » invalide : laissez la colonne id vide pour un nouveau prestataire"
            )
    if errors:
        return None, errors
    # `id` holds the id read from the file until import_csv() matches it with the directory.
    return Provider(
        id=provider_id,
        name=name,
        address=get("adresse"),
        postal_code=postal_code or None,
        commune=commune_name,
        departement=dep_code,
        lat=lat,
        lon=lon,
        publics=publics,
        services=services,
        competences=competences,
        expertcyber=expertcyber,
        phone=phone,
        email=email,
        website=website,
        opening_hours=get("horaires") or None,
        remote=remote,
        active=active,
        demo=demo,
    ), []


def read(data: bytes, source: Optional[str] = None) -> Tuple[List[Provider], ImportReport]:
    """Validates a CSV file: the valid providers (not saved) and the report."""
    report = ImportReport(source)
    if len(data) > MAX_BYTES:
        report.fatal = f"fichier trop volumineux ({len(data) // 1_000_000} Mo ; maximum {MAX_BYTES // 1_000_000} Mo)"
        return [], report
    try:
        text = _decode(data)
    except ValueError as error:
        report.fatal = str(error)
        return [], report
    if not text.strip():
        report.fatal = "le fichier est vide."
        return [], report
    first_line = text.lstrip().splitlines()[0]
    reader = csv.reader(io.StringIO(text.lstrip()), delimiter=_delimiter(first_line))
    try:
        header = next(reader)
    except csv.Error as error:
        report.fatal = f"en-tête illisible ({error})."
        return [], report
    columns: List[Optional[str]] = []
    ignored: List[str] = []
    for title in header:
        column = _HEADER_LOOKUP.get(_key(title))
        if column in columns:
            column = None
        columns.append(column)
        if column is None and title.strip() and _key(title) != FEEDBACK_LINK_COLUMN:
            ignored.append(title.strip())
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if "code_postal" not in columns and "departement" not in columns:
        missing.append("code_postal (ou departement)")
    if missing:
        report.fatal = (
            f"colonne{'s' if len(missing) > 1 else ''} obligatoire{'s' if len(missing) > 1 else ''} "
            f"absente{'s' if len(missing) > 1 else ''} : {', '.join(missing)}. Colonnes reconnues : "
            f"{', '.join(c for c in COLUMNS if c != 'id')}."
        )
        return [], report
    if ignored:
        report.warnings.append(f"colonnes ignorées : {', '.join(ignored)}")

    providers: List[Provider] = []
    seen: Dict[Tuple[str, str], int] = {}
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(providers) + len(report.rejected) >= MAX_ROWS:
                report.fatal = f"plus de {MAX_ROWS} lignes : découpez le fichier."
                return [], report
            row = {column: value for column, value in zip(columns, values) if column}
            provider, errors = _validate(row, line, report.warnings)
            if provider is not None:
                duplicate = _identity(provider.name, provider.postal_code, provider.departement)
                if duplicate in seen:
                    errors = [f"doublon de la ligne {seen[duplicate]} (même nom, même code postal)"]
                    provider = None
                else:
                    seen[duplicate] = line
            if provider is None:
                report.rejected.append(RejectedRow(line, (row.get("nom") or "").strip()[:80], errors))
            else:
                providers.append(provider)
    except csv.Error as error:
        report.fatal = f"fichier CSV mal formé vers la ligne {reader.line_num} ({error})."
        return [], report
    return providers, report


# Columns an import writes into an existing provider (not its id nor its creation date).
_DATA_COLUMNS = (
    "name",
    "address",
    "postal_code",
    "commune",
    "departement",
    "lat",
    "lon",
    "publics",
    "services",
    "competences",
    "expertcyber",
    "phone",
    "email",
    "website",
    "opening_hours",
    "remote",
    "active",
    "demo",
)


def _identity(name: str, postal_code: Optional[str], departement: str) -> Tuple[str, str]:
    """What makes two rows the same provider when no id says so (also the duplicate check within a file)."""
    return geo.normalise(name), postal_code or departement


def _save(session, providers: List[Provider]) -> int:
    """Updates the providers already in the directory (by id, else by name and postal code), adds the others;
    returns how many were updated."""
    rows = session.execute(select(Provider.id, Provider.name, Provider.postal_code, Provider.departement)).all()
    ids = {row.id for row in rows}
    by_identity = {_identity(row.name, row.postal_code, row.departement): row.id for row in rows}
    done = set()  # two rows of the file never update the same provider
    for provider in providers:
        file_id, provider.id = provider.id, None
        target_id = (
            file_id
            if file_id in ids
            else by_identity.get(_identity(provider.name, provider.postal_code, provider.departement))
        )
        if target_id is None or target_id in done:
            session.add(provider)
            continue
        existing = session.get(Provider, target_id)
        for column in _DATA_COLUMNS:
            setattr(existing, column, getattr(provider, column))
        done.add(target_id)
    return len(done)


def import_csv(
    source: Union[str, Path, bytes],
    replace: bool = False,
    dry_run: bool = False,
    url: Optional[str] = None,
    drop_demo: bool = False,
) -> ImportReport:
    """Imports a CSV directory: adds the valid rows or updates the providers they already are (or, with `replace`,
    replaces the whole directory by them). With `drop_demo`, removes the demonstration providers; otherwise the
    report warns when real providers now sit next to demonstration ones."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as error:
            report = ImportReport(path.name)
            report.fatal = f"fichier illisible ({error.strerror or error})."
            return report
        providers, report = read(data, path.name)
    else:
        providers, report = read(source)
    report.dry_run = dry_run
    report.imported = len(providers)
    if report.fatal or not providers or dry_run:
        report.imported = 0 if report.fatal else report.imported
        return report
    db.create_all(url)
    with db.session(url) as session:
        if replace:
            report.replaced = session.execute(delete(Provider)).rowcount or 0
            for provider in providers:
                provider.id = None
            session.add_all(providers)
        else:
            report.updated = _save(session, providers)
        session.flush()
        is_demo = Provider.demo.is_(True)
        if drop_demo:
            report.demo_dropped = session.execute(delete(Provider).where(is_demo)).rowcount or 0
        elif not all(provider.demo for provider in providers):
            report.demo_left = session.scalar(select(func.count()).select_from(Provider).where(is_demo)) or 0
    return report


EXPORT_COLUMNS = [c for c in COLUMNS]


def _export_row(provider: Provider) -> List[str]:
    yes_no = lambda value: "oui" if value else "non"  # noqa: E731
    return [
        provider.name,
        provider.address or "",
        provider.postal_code or "",
        provider.commune or "",
        provider.departement,
        f"{provider.lat:.5f}",
        f"{provider.lon:.5f}",
        ",".join(provider.publics),
        ",".join(provider.services),
        ",".join(provider.competences),
        yes_no(provider.expertcyber),
        provider.phone or "",
        provider.email or "",
        provider.website or "",
        provider.opening_hours or "",
        yes_no(provider.remote),
        yes_no(provider.active),
        yes_no(provider.demo),
        str(provider.id),
    ]


def export_rows(url: Optional[str] = None) -> Iterable[List[str]]:
    yield EXPORT_COLUMNS
    with db.session(url) as session:
        for provider in session.scalars(select(Provider).order_by(Provider.id).execution_options(yield_per=500)):
            yield _export_row(provider)


def export_csv(destination: Union[str, Path, io.TextIOBase, TextIO], url: Optional[str] = None) -> int:
    """Writes the whole directory as CSV (`;`, UTF-8 with BOM: opens as is in a French spreadsheet); returns the
    number of providers. Imported back, each row updates the provider of its `id`."""
    db.create_all(url)
    if isinstance(destination, (str, Path)):
        with open(destination, "w", encoding="utf-8-sig", newline="") as handle:
            return export_csv(handle, url)
    writer = csv.writer(destination, delimiter=";")
    count = -1
    for count, row in enumerate(export_rows(url)):  # noqa: B007  (the count is the result)
        writer.writerow(row)
    return count
