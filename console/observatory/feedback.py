"""Provider feedback: what the referred providers say they handled, by their signed link or a CSV file staff import.

Each provider of the directory has one link, `/console/retour/<id>/<signature>`: the signature is an HMAC over the
provider's id, its creation time (an id reused after a deletion gets another link) and its link generation, keyed
by OBSERVATORY_FEEDBACK_SECRET (or a key made once under var/). Staff revoke a link by bumping the generation. A
report is counts only: month, incident, public, département, outcome, number of cases — never a victim's name or
any free text. `summary()` gives what the statistics show apart, as "déclaré par les prestataires".

    python -m console.observatory.feedback import FICHIER.csv   # provider reports (all or nothing)
    python -m console.observatory.feedback liens FICHIER.csv    # the directory's export with each provider's link
"""

from __future__ import annotations

import argparse
import base64
import csv
import functools
import hashlib
import hmac
import io
import os
import re
import secrets
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, TextIO, Tuple, Union
from urllib.parse import quote

from sqlalchemy import func, or_, select

from bot import db, geo, settings, vocabulary
from bot.dates import MONTHS, PARIS
from bot.providers import csvio
from bot.providers.models import Provider, utcnow
from bot.taxonomy import INCIDENT_INTENTS
from channels import store
from console.observatory.feedback_models import ProviderFeedbackLink, ProviderReport
from console.review import incident_label
from console.web import PREFIX

LINK_PATH = f"{PREFIX}/retour"
KEY_FILE = "observatory_feedback.key"
SIGNATURE_BYTES = 16  # 128 bits, 22 characters in the URL
_SIGNATURE = re.compile(r"[A-Za-z0-9_-]{22}")
FORM_TOKEN_SECONDS = 2 * 3600  # a form shown is good for this long, once
MAX_COUNT = 500  # cases in one report (one month, incident, public, département, outcome)
MONTHS_BACK = 24  # how old a reported month may be
MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_CSV_ROWS = 50_000

INCIDENTS: Dict[str, str] = {intent: incident_label(intent) for intent in INCIDENT_INTENTS}
PUBLICS: Dict[str, str] = {key: public.label for key, public in vocabulary.PUBLICS.items()}
OUTCOMES: Dict[str, str] = {
    "resolu": "résolu",
    "en_cours": "en cours",
    "oriente": "orienté vers un autre service",
    "sans_suite": "sans suite",
}
# The form's fields, which are also the CSV's columns (with `prestataire` in a file).
FIELDS = ("mois", "incident", "public", "departement", "resultat", "nombre")


# --- the key and the signatures ---------------------------------------------------------------------------------
def _key() -> bytes:
    """OBSERVATORY_FEEDBACK_SECRET, else a random key made once under var/ (every process of this machine then
    signs alike; several machines need the setting)."""
    current = settings.current()
    if current.observatory_feedback_secret:
        return current.observatory_feedback_secret.encode("utf-8")
    return _file_key(current.var_dir / KEY_FILE)


@functools.lru_cache(maxsize=4)
def _file_key(path: Path) -> bytes:
    """The key of `path`, made there first if need be; read once per process (pages check links on the event
    loop)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        with os.fdopen(os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            handle.write(secrets.token_bytes(32))  # never readable by others, not even for a moment
        try:
            os.link(fresh, path)  # atomic: when two processes start at once, the first key is everyone's
        except FileExistsError:
            pass
        finally:
            fresh.unlink()
    key = path.read_bytes()
    if len(key) < 32:  # a truncated file would sign with a guessable key
        raise RuntimeError(f"{path} : clé des liens des prestataires tronquée ; supprimez le fichier (nouveaux liens)")
    return key


def _mac(key: bytes, *parts: object) -> str:
    message = "\n".join(str(part) for part in parts).encode("utf-8")
    digest = hmac.new(key, message, hashlib.sha256).digest()[:SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def signature(provider_id: int, created_at: datetime, generation: int, key: Optional[bytes] = None) -> str:
    return _mac(key or _key(), "provider-feedback-link", provider_id, created_at.isoformat(), generation)


def link_url(provider_id: int, sig: str) -> str:
    return f"{settings.current().public_base_url}{LINK_PATH}/{provider_id}/{sig}"


@dataclass(frozen=True)
class Holder:
    """The provider a valid link belongs to."""

    provider_id: int
    name: str
    generation: int


def _generation():
    return func.coalesce(ProviderFeedbackLink.generation, 1)


def verify(provider_id: int, given: str) -> Optional[Holder]:
    """The provider of a link, or None: unknown provider, wrong, revoked or another provider's signature alike."""
    if not _SIGNATURE.fullmatch(given or ""):
        return None
    key = _key()
    with db.session() as session:
        row = session.execute(
            select(Provider.id, Provider.name, Provider.created_at, _generation().label("generation"))
            .outerjoin(ProviderFeedbackLink, ProviderFeedbackLink.provider_id == Provider.id)
            .where(Provider.id == provider_id)
        ).first()
    # The same work for an unknown provider: the time taken does not say which ids exist.
    expected = signature(provider_id, row.created_at if row else datetime.min, row.generation if row else 0, key)
    if row is None or not hmac.compare_digest(expected, given):
        return None
    return Holder(row.id, row.name, row.generation)


def revoke(provider_id: int) -> Optional[int]:
    """Revokes the provider's link (a new one replaces it); the new generation, None for an unknown provider."""
    with db.session() as session:
        if session.get(Provider, provider_id) is None:
            return None
        link = session.get(ProviderFeedbackLink, provider_id, with_for_update=True)
        if link is None:
            link = ProviderFeedbackLink(provider_id=provider_id, generation=1)
            session.add(link)
        link.generation = (link.generation or 1) + 1
        link.revoked_at = utcnow()
        return link.generation


# --- the form's one-time token ------------------------------------------------------------------------------------
# The signature in the URL is the credential; the token proves that the form was shown (a robot that only GETs
# never has one) and makes a second submission of the same form (a reload, a double click) record nothing more.
def form_token(holder: Holder, now: Optional[float] = None) -> str:
    issued, nonce = int(now if now is not None else time.time()), secrets.token_urlsafe(12)
    return f"{issued}.{nonce}.{_mac(_key(), 'provider-feedback-form', holder.provider_id, holder.generation, issued, nonce)}"


def _used_forms() -> store.Space:
    return store.space("provider-feedback:forms", 20_000, FORM_TOKEN_SECONDS)


def check_form_token(holder: Holder, token: str, now: Optional[float] = None) -> bool:
    """Whether `token` is a form of this link shown less than FORM_TOKEN_SECONDS ago (used or not)."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or len(token) > 100:
        return False
    issued, nonce, mac = int(parts[0]), parts[1], parts[2]
    now = now if now is not None else time.time()
    expected = _mac(_key(), "provider-feedback-form", holder.provider_id, holder.generation, issued, nonce)
    return hmac.compare_digest(expected, mac) and now - FORM_TOKEN_SECONDS <= issued <= now + 60


def use_form_token(token: str) -> bool:
    """True the first time a (checked) form token is used, False afterwards."""
    return _used_forms().claim(token.split(".")[1])


# --- what a report says -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Report:
    month: date  # the first day
    incident: str
    public: str
    departement: str
    outcome: str
    count: int


def today() -> date:
    """Today in Europe/Paris: a report sent on the 1st at 00:30 is for the new month."""
    return datetime.now(PARIS).date()


def month_label(month: date) -> str:
    return f"{MONTHS[month.month - 1]} {month.year}"


def months_before(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    """The last day of `month`'s month."""
    return date.fromordinal(months_before(month.replace(day=1), -1).toordinal() - 1)


def month_choices(on: Optional[date] = None) -> List[Tuple[str, str]]:
    """The months a report may be for, newest first: ("2026-11", "novembre 2026")."""
    current = (on or today()).replace(day=1)
    months = [months_before(current, back) for back in range(MONTHS_BACK + 1)]
    return [(f"{m:%Y-%m}", month_label(m)) for m in months]


def _key_of(raw: str, labels: Mapping[str, str], synonyms: Mapping[str, str] = {}) -> Optional[str]:
    """The key of a closed list written as its key or its French label (any case and accents), else None."""
    wanted = geo.normalise(raw)
    for key, label in labels.items():
        if wanted in (geo.normalise(key), geo.normalise(label)):
            return key
    return synonyms.get(wanted)


_PUBLIC_SYNONYMS = {
    "particuliers": "particulier",
    "entreprise": "entreprise",
    "entreprises": "entreprise",
    "association": "entreprise",
    "associations": "entreprise",
    "collectivite": "collectivite",
    "collectivites": "collectivite",
    "administration": "collectivite",
    "administrations": "collectivite",
}


def parse_month(raw: str, on: date, errors: Dict[str, str]) -> Optional[date]:
    text = raw.strip()
    found = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?", text) or re.fullmatch(r"(\d{1,2})/(\d{4})", text)
    if not text:
        errors["mois"] = "indiquez le mois"
        return None
    if found is None:
        errors["mois"] = f"mois « {text[:20]} » non compris : écrivez-le comme 2026-11 ou 11/2026"
        return None
    year, month = (found[1], found[2]) if "-" in text else (found[2], found[1])
    if not 1 <= int(month) <= 12:
        errors["mois"] = f"mois « {text[:20]} » non compris : écrivez-le comme 2026-11 ou 11/2026"
        return None
    value, current = date(int(year), int(month), 1), on.replace(day=1)
    if value > current:
        errors["mois"] = f"le mois {month_label(value)} n'est pas encore commencé"
    elif value < months_before(current, MONTHS_BACK):
        errors["mois"] = f"le mois {month_label(value)} est trop ancien ({MONTHS_BACK} mois au plus)"
    return None if "mois" in errors else value


def _count(raw: str, errors: Dict[str, str]) -> Optional[int]:
    text = raw.strip() or "1"
    if not re.fullmatch(r"[0-9]{1,9}", text):
        errors["nombre"] = f"le nombre de cas « {text[:20]} » n'est pas un nombre entier"
        return None
    if not 1 <= int(text) <= MAX_COUNT:
        errors["nombre"] = f"le nombre de cas doit être compris entre 1 et {MAX_COUNT}"
        return None
    return int(text)


def parse(values: Mapping[str, str], on: Optional[date] = None) -> Tuple[Optional[Report], Dict[str, str]]:
    """A report from the form's fields (or a CSV row), or the errors by field, in French. Other fields are ignored:
    nothing but these six is ever stored."""
    get = lambda name: str(values.get(name) or "").strip()  # noqa: E731
    errors: Dict[str, str] = {}
    month = parse_month(get("mois"), on or today(), errors)
    chosen: Dict[str, Optional[str]] = {}
    for name, labels, synonyms, word, missing in (
        ("incident", INCIDENTS, {}, "incident", "indiquez l'incident"),
        ("public", PUBLICS, _PUBLIC_SYNONYMS, "public", "indiquez le public"),
        ("resultat", OUTCOMES, {}, "résultat", "indiquez le résultat"),
    ):
        chosen[name] = _key_of(get(name), labels, synonyms) if get(name) else None
        if not get(name):
            errors[name] = missing
        elif chosen[name] is None:
            # The incidents' labels are long: their keys, also accepted, make a readable list.
            possible = ", ".join(labels if name == "incident" else labels.values())
            errors[name] = f"{word} « {get(name)[:40]} » inconnu (valeurs possibles : {possible})"
    departement = geo.departement(get("departement")) if get("departement") else None
    if not get("departement"):
        errors["departement"] = "indiquez le département"
    elif departement is None:
        errors["departement"] = f"département « {get('departement')[:10]} » inconnu"
    count = _count(get("nombre"), errors)
    if errors or month is None or departement is None or count is None:
        return None, errors
    return (
        Report(
            month, chosen["incident"] or "", chosen["public"] or "", departement.code, chosen["resultat"] or "", count
        ),
        {},
    )


def record(provider_id: Optional[int], reports: Iterable[Report], source: str, url: Optional[str] = None) -> int:
    """Stores reports (one transaction); how many."""
    rows = [ProviderReport(provider_id=provider_id, source=source, **asdict(report)) for report in reports]
    with db.session(url) as session:
        session.add_all(rows)
    return len(rows)


# --- what providers reported --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Count:
    incident: str
    outcome: str
    count: int


def summary(
    start: date,
    end: date,
    public: Optional[str] = None,
    departement: Optional[str] = None,
    url: Optional[str] = None,
) -> List[Count]:
    """Cases reported by providers for the months from `start`'s to `end`'s, by incident and outcome, most first.
    Exact counts, for staff: what is published hides small cells like every other figure."""
    query = (
        select(ProviderReport.incident, ProviderReport.outcome, func.sum(ProviderReport.count).label("count"))
        .where(ProviderReport.month >= start.replace(day=1), ProviderReport.month <= end)
        .group_by(ProviderReport.incident, ProviderReport.outcome)
    )
    if public:
        query = query.where(ProviderReport.public == public)
    if departement:
        query = query.where(ProviderReport.departement == departement)
    with db.session(url) as session:
        rows = [Count(row.incident, row.outcome, int(row.count)) for row in session.execute(query)]
    return sorted(rows, key=lambda row: (-row.count, row.incident, row.outcome))


@dataclass
class Table:
    """`summary` as incidents × outcomes, for the staff page."""

    outcomes: List[Tuple[str, str]]  # (key, label)
    rows: List[Tuple[str, List[int], int]]  # (incident label, counts in the order of outcomes, total)
    totals: List[int]
    total: int


def table(counts: List[Count]) -> Table:
    cells: Dict[str, Dict[str, int]] = {}
    for item in counts:
        cells.setdefault(item.incident, {})[item.outcome] = item.count
    outcomes = list(OUTCOMES.items())
    rows = []
    for incident in sorted(cells, key=lambda i: (-sum(cells[i].values()), i)):
        values = [cells[incident].get(key, 0) for key, _ in outcomes]
        rows.append((INCIDENTS.get(incident, incident), values, sum(values)))
    totals = [sum(row[1][i] for row in rows) for i in range(len(outcomes))]
    return Table(outcomes, rows, totals, sum(totals))


# --- the directory with its links ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProviderLink:
    id: int
    name: str
    departement: str
    email: Optional[str]
    active: bool
    demo: bool
    generation: int
    url: str

    @property
    def mailto(self) -> Optional[str]:
        if not self.email:
            return None
        subject = "Cyberaide : votre lien pour déclarer les cas traités"
        body = (
            "Bonjour,\n\nVoici votre lien personnel pour nous dire, chaque mois, combien de victimes orientées vers "
            "vous par Cyberaide vous avez aidées (type d'incident, public, département, résultat ; aucune donnée sur "
            f"les victimes) :\n\n{self.url}\n\nCe lien vous est propre : ne le transmettez pas. S'il a circulé, "
            "dites-le-nous et nous le remplacerons.\n\nMerci pour votre aide."
        )
        return f"mailto:{quote(self.email, safe='@')}?subject={quote(subject)}&body={quote(body)}"


def _link_rows(session, query) -> List[ProviderLink]:
    key = _key()
    return [
        ProviderLink(
            row.id,
            row.name,
            row.departement,
            row.email,
            row.active,
            row.demo,
            row.generation,
            link_url(row.id, signature(row.id, row.created_at, row.generation, key)),
        )
        for row in session.execute(query)
    ]


def _links_query():
    return select(
        Provider.id,
        Provider.name,
        Provider.departement,
        Provider.email,
        Provider.active,
        Provider.demo,
        Provider.created_at,
        _generation().label("generation"),
    ).outerjoin(ProviderFeedbackLink, ProviderFeedbackLink.provider_id == Provider.id)


def provider_links(search: str = "", offset: int = 0, limit: int = 100) -> Tuple[List[ProviderLink], int]:
    """One page of the directory with each provider's link, by name (`search` in the name or the département)."""
    query, counted = _links_query(), select(func.count()).select_from(Provider)
    if search.strip():
        pattern = f"%{search.strip()[:100]}%"
        condition = or_(Provider.name.ilike(pattern), Provider.departement == search.strip().upper())
        query, counted = query.where(condition), counted.where(condition)
    with db.session() as session:
        total = session.scalar(counted) or 0
        return _link_rows(session, query.order_by(Provider.name, Provider.id).offset(offset).limit(limit)), total


def export_directory(destination: Union[str, Path, TextIO], url: Optional[str] = None) -> int:
    """The directory's CSV export (bot/providers/csvio.py) with a last column `lien_retour`, each provider's link;
    imported back with `python -m bot.providers import`, the column is ignored. Returns the number of providers."""
    if isinstance(destination, (str, Path)):
        # Every link in it is a provider's credential: readable by its owner only.
        descriptor = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # an existing file keeps its mode otherwise
        with open(descriptor, "w", encoding="utf-8-sig", newline="") as handle:
            return export_directory(handle, url)
    db.create_all(url)
    with db.session(url) as session:
        links = {link.id: link.url for link in _link_rows(session, _links_query())}
    writer = csv.writer(destination, delimiter=";")
    count = 0
    for number, row in enumerate(csvio.export_rows(url)):
        if number == 0:
            writer.writerow([*row, csvio.FEEDBACK_LINK_COLUMN])
            continue
        writer.writerow([*row, links.get(int(row[-1]), "")])
        count += 1
    return count


# --- CSV import -------------------------------------------------------------------------------------------------
COLUMNS: Dict[str, Tuple[str, ...]] = {
    "prestataire": ("prestataire", "id_prestataire", "prestataire_id", "identifiant_prestataire", "id"),
    "mois": ("mois", "month", "periode"),
    "incident": ("incident", "type_incident", "type_d_incident"),
    "public": ("public", "type_de_public"),
    "departement": ("departement", "dept", "dep", "code_departement"),
    "resultat": ("resultat", "issue", "suite", "outcome"),
    "nombre": ("nombre", "nb", "cas", "nombre_de_cas", "count"),
}
_HEADERS = {spelling: column for column, spellings in COLUMNS.items() for spelling in spellings}


@dataclass
class ImportResult:
    source: Optional[str]
    imported: int = 0  # reports stored (0 whenever there is an error: all or nothing)
    cases: int = 0
    errors: List[str] = field(default_factory=list)  # "ligne 3 : …"

    @property
    def ok(self) -> bool:
        return not self.errors

    def text(self) -> str:
        title = f"Import de « {self.source} »" if self.source else "Import"
        if self.errors:
            shown = self.errors[:50]
            more = [f"… et {len(self.errors) - len(shown)} autres erreurs."] if len(self.errors) > len(shown) else []
            return "\n".join(
                [f"{title} refusé : rien n'a été enregistré. Corrigez le fichier puis importez-le à nouveau :"]
                + [f"- {error}" for error in shown]
                + more
            )
        reports = f"{self.imported} déclaration{'s' if self.imported > 1 else ''} enregistrée{'s' if self.imported > 1 else ''}"
        return f"{title} : {reports} ({self.cases} cas)."


def _header_key(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", geo.normalise(title)).strip("_")


def _text_of(source: Union[str, Path, bytes]) -> Tuple[str, Optional[str]]:
    """The file's text and name; a `str` with a line break is the text itself."""
    if isinstance(source, str) and "\n" in source:
        return source, None
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ValueError(f"fichier illisible ({error.strerror or error})") from None
        return _decode(data), path.name
    return _decode(source), None


def _decode(data: bytes) -> str:
    if len(data) > MAX_CSV_BYTES:
        raise ValueError(f"fichier trop volumineux (maximum {MAX_CSV_BYTES // 1_000_000} Mo)")
    if b"\x00" in data[:4096]:
        raise ValueError("ce n'est pas un fichier texte (CSV) : enregistrez le tableau au format CSV")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows


def read(text: str, on: Optional[date] = None) -> Tuple[List[Tuple[int, Report]], List[str]]:
    """The file's reports with their provider ids, and its errors ("ligne N : …"); reads no database."""
    text = text.lstrip("\ufeff").lstrip()
    if not text:
        return [], ["le fichier est vide"]
    first = text.splitlines()[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        columns = [_HEADERS.get(_header_key(title)) for title in next(reader)]
    except csv.Error as error:
        return [], [f"ligne 1 : en-tête illisible ({error})"]
    missing = [column for column in COLUMNS if column != "nombre" and column not in columns]
    if missing:
        return [], [f"ligne 1 : colonnes absentes : {', '.join(missing)} (colonnes attendues : {', '.join(COLUMNS)})"]
    reports: List[Tuple[int, Report]] = []
    errors: List[str] = []
    on = on or today()
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            line = reader.line_num
            if len(reports) + len(errors) >= MAX_CSV_ROWS:
                return [], [f"plus de {MAX_CSV_ROWS} lignes : découpez le fichier"]
            row = {column: value for column, value in zip(columns, values) if column}
            report, problems = parse(row, on)
            provider = row.get("prestataire", "").strip()
            if not re.fullmatch(r"[0-9]{1,9}", provider):
                problems["prestataire"] = f"identifiant de prestataire « {provider[:20]} » invalide"
            if problems:
                errors.append(f"ligne {line} : {' ; '.join(problems.values())}")
            elif report is not None:
                reports.append((int(provider), report))
    except csv.Error as error:
        return [], [f"ligne {reader.line_num} : fichier CSV mal formé ({error})"]
    if not reports and not errors:
        errors.append("aucune déclaration dans le fichier")
    return reports, errors


def import_csv(source: Union[str, Path, bytes], url: Optional[str] = None, on: Optional[date] = None) -> ImportResult:
    """Imports provider reports from a CSV file (a path, its bytes, or its text): every row valid and every
    provider in the directory, or nothing is stored."""
    try:
        text, name = _text_of(source)
    except ValueError as error:
        return ImportResult(source if isinstance(source, str) and "\n" not in source else None, errors=[str(error)])
    result = ImportResult(name)
    reports, result.errors = read(text, on)
    if result.errors:
        return result
    db.create_all(url)
    wanted = {provider_id for provider_id, _ in reports}
    with db.session(url) as session:
        known = set(session.scalars(select(Provider.id).where(Provider.id.in_(wanted))))
        unknown = sorted(wanted - known)
        if unknown:
            result.errors = [
                f"prestataire {provider_id} absent de l'annuaire (colonne id de python -m bot.providers export)"
                for provider_id in unknown
            ]
            return result
        session.add_all(
            ProviderReport(provider_id=provider_id, source="csv", **asdict(report)) for provider_id, report in reports
        )
    result.imported, result.cases = len(reports), sum(report.count for _, report in reports)
    return result


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m console.observatory.feedback", description="Retours des prestataires (observatoire)."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("import", help="importe les déclarations d'un fichier CSV").add_argument("file")
    commands.add_parser("liens", help="exporte l'annuaire avec le lien de chaque prestataire").add_argument("file")
    args = parser.parse_args(argv)
    db.create_all()
    if args.command == "import":
        result = import_csv(Path(args.file))
        print(result.text())
        return 0 if result.ok else 2
    count = export_directory(sys.stdout if args.file == "-" else args.file)
    if args.file != "-":
        print(f"{count} prestataires exportés avec leur lien dans {args.file} : ce fichier donne accès aux liens.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
