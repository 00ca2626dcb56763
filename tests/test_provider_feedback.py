"""Provider feedback (console/observatory/feedback.py, console/routes/provider_feedback.py): a signed link per provider
that staff can revoke, a counts-only form that a robot previewing the link never submits, the CSV import (all or
nothing), and the staff page for supervisors and admins, audited. Storage on real SQLite and PostgreSQL; the pages
through the real servers."""

from __future__ import annotations

import io
import os
import re
import stat
from dataclasses import fields, replace
from datetime import date, datetime
from typing import Dict, List

import pytest
import requests
from sqlalchemy import delete, func, select

from bot import db, logs, settings
from bot.providers import csvio
from bot.providers.models import Provider
from console import auth
from console.models import AuditLog, StaffUser
from console.observatory import feedback
from console.observatory.feedback_models import ProviderReport
from tests.conftest import Bot, console_servers, shared_database
from tests.databases import temporary_database
from tests.test_handover import PASSWORD, Staff
from tests.test_providers import provider

SECRET = "un secret de test assez long pour signer les liens des prestataires"
ON = date(2026, 12, 3)
GOOD = {
    "mois": "2026-11",
    "incident": "rancongiciel",
    "public": "entreprise",
    "departement": "69",
    "resultat": "resolu",
    "nombre": "3",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, monkeypatch):
    monkeypatch.setenv("CYBERAIDE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("OBSERVATORY_FEEDBACK_SECRET", raising=False)
    with temporary_database(request.param, tmp_path) as url:
        monkeypatch.setenv("DATABASE_URL", url)
        db.create_all(url)
        yield url


def add(*providers: Provider) -> List[int]:
    with db.session() as session:
        session.add_all(providers)
        session.flush()
        return [p.id for p in providers]


def signature_of(provider_id: int) -> str:
    links, _ = feedback.provider_links()
    return next(link.url for link in links if link.id == provider_id).rsplit("/", 1)[1]


def reports() -> List[ProviderReport]:
    with db.session() as session:
        return list(session.scalars(select(ProviderReport).order_by(ProviderReport.id)))


def stored(row: ProviderReport) -> tuple:
    return (row.provider_id, row.month, row.incident, row.public, row.departement, row.outcome, row.count, row.source)


# --- signatures ---------------------------------------------------------------------------------------------------
def test_a_link_verifies_for_its_provider_only_and_not_once_revoked(database):
    alpha, beta = add(provider("Alpha", "Lyon"), provider("Beta", "Nantes"))
    sig_alpha, sig_beta = signature_of(alpha), signature_of(beta)
    assert feedback.verify(alpha, sig_alpha) == feedback.Holder(alpha, "Alpha", 1)
    assert feedback.verify(beta, sig_beta) == feedback.Holder(beta, "Beta", 1)
    tampered = sig_alpha[:-1] + ("A" if sig_alpha[-1] != "A" else "B")
    for provider_id, given in (
        (alpha, sig_beta),  # another provider's signature
        (beta, sig_alpha),
        (alpha, tampered),
        (alpha, sig_alpha[:-1]),
        (alpha, sig_alpha + "A"),
        (alpha, ""),
        (999_999, sig_alpha),  # no such provider
    ):
        assert feedback.verify(provider_id, given) is None
    assert feedback.revoke(alpha) == 2
    assert feedback.verify(alpha, sig_alpha) is None
    renewed = signature_of(alpha)
    assert renewed != sig_alpha and feedback.verify(alpha, renewed) == feedback.Holder(alpha, "Alpha", 2)
    assert feedback.revoke(alpha) == 3 and feedback.verify(alpha, renewed) is None
    assert feedback.verify(beta, sig_beta) is not None  # the others' links are untouched
    assert feedback.revoke(999_999) is None


def test_a_provider_removed_from_the_directory_loses_its_link_and_keeps_its_figures(database):
    (alpha,) = add(provider("Alpha", "Lyon"))
    feedback.revoke(alpha)
    sig = signature_of(alpha)
    feedback.record(alpha, [feedback.parse(GOOD, ON)[0]], "lien")
    with db.session() as session:
        session.execute(delete(Provider).where(Provider.id == alpha))
    assert feedback.verify(alpha, sig) is None
    (only,) = reports()
    assert only.provider_id is None and only.count == 3  # the figure stays, who said it is forgotten
    # A new provider given the same id (SQLite reuses ids) does not inherit the old link.
    add(provider("Autre", "Lille", id=alpha))
    assert feedback.verify(alpha, sig) is None and feedback.verify(alpha, signature_of(alpha)) is not None


def test_the_key_is_made_once_private_and_the_setting_replaces_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CYBERAIDE_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("OBSERVATORY_FEEDBACK_SECRET", raising=False)
    created_at = datetime(2026, 1, 1, 12, 0, 0, 123456)
    first = feedback.signature(7, created_at, 1)
    key_file = tmp_path / feedback.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(key_file.read_bytes()) == 32
    assert feedback.signature(7, created_at, 1) == first  # kept: links stay valid across restarts
    assert feedback.signature(7, created_at, 2) != first and feedback.signature(8, created_at, 1) != first
    assert list(tmp_path.iterdir()) == [key_file]  # no temporary file left behind
    monkeypatch.setenv("OBSERVATORY_FEEDBACK_SECRET", SECRET)
    assert feedback.signature(7, created_at, 1) != first
    with pytest.raises(settings.SettingsError, match="OBSERVATORY_FEEDBACK_SECRET"):
        settings.load({"OBSERVATORY_FEEDBACK_SECRET": "trop court"})
    assert "OBSERVATORY_FEEDBACK_SECRET" in settings.SECRETS


def test_the_feedback_link_is_masked_in_the_logs():
    line = 'GET /console/retour/12/AbCdEfGhIjKlMnOpQrStUv?envoye=1 HTTP/1.1" 200'
    assert logs.mask(line) == 'GET /console/retour/12/…?envoye=1 HTTP/1.1" 200'


# --- what a report may say ----------------------------------------------------------------------------------------
def test_a_report_holds_its_six_fields_and_nothing_else():
    report, errors = feedback.parse({**GOOD, "nom_victime": "Jean Dupont", "commentaire": "texte libre"}, ON)
    assert errors == {}
    assert report == feedback.Report(date(2026, 11, 1), "rancongiciel", "entreprise", "69", "resolu", 3)
    assert [f.name for f in fields(report)] == ["month", "incident", "public", "departement", "outcome", "count"]
    assert set(ProviderReport.__table__.columns.keys()) == {
        "id",
        "provider_id",
        "month",
        "incident",
        "public",
        "departement",
        "outcome",
        "count",
        "source",
        "received_at",
    }
    # Labels, any case and accents, are understood as well as keys; the number defaults to one case.
    report, _ = feedback.parse(
        {
            **GOOD,
            "resultat": "Orienté vers un autre service",
            "public": "Associations",
            "departement": "2a",
            "nombre": "",
        },
        ON,
    )
    assert (report.outcome, report.public, report.departement, report.count) == ("oriente", "entreprise", "2A", 1)
    assert feedback.parse({**GOOD, "mois": "12/2026"}, ON)[0].month == date(2026, 12, 1)  # the current month
    assert feedback.parse({**GOOD, "mois": "2024-12"}, ON)[0].month == date(2024, 12, 1)  # 24 months back
    assert feedback.parse({**GOOD, "nombre": str(feedback.MAX_COUNT)}, ON)[0].count == feedback.MAX_COUNT


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("mois", "2027-01", "janvier 2027 n'est pas encore commencé"),
        ("mois", "2024-11", "trop ancien"),
        ("mois", "novembre", "non compris"),
        ("mois", "2026-13", "non compris"),
        ("mois", "", "indiquez le mois"),
        ("incident", "piratage_voiture", "incident « piratage_voiture » inconnu"),
        ("incident", "", "indiquez l'incident"),
        ("public", "enfants", "public « enfants » inconnu"),
        ("departement", "99", "département « 99 » inconnu"),
        ("departement", "20", "département « 20 » inconnu"),  # Corse: 2A or 2B
        ("resultat", "remboursé", "résultat « remboursé » inconnu"),
        ("nombre", "501", "entre 1 et 500"),
        ("nombre", "0", "entre 1 et 500"),
        ("nombre", "99999999999999", "n'est pas un nombre entier"),
        ("nombre", "-3", "n'est pas un nombre entier"),
        ("nombre", "2.5", "n'est pas un nombre entier"),
    ],
)
def test_a_report_with_a_bad_value_is_refused_with_a_french_reason(field, value, message):
    report, errors = feedback.parse({**GOOD, field: value}, ON)
    assert report is None and list(errors) == [field] and message in errors[field]


def test_summary_counts_what_providers_reported_by_incident_and_outcome(database):
    alpha, beta = add(provider("Alpha", "Lyon"), provider("Beta", "Nantes"))
    report = feedback.parse(GOOD, ON)[0]
    feedback.record(alpha, [report, replace(report, count=2, outcome="en_cours")], "lien")
    feedback.record(beta, [replace(report, departement="44", public="particulier", count=4)], "csv")
    feedback.record(beta, [replace(report, month=date(2026, 9, 1), count=100)], "lien")
    november = (date(2026, 11, 1), date(2026, 11, 30))
    assert feedback.summary(*november) == [
        feedback.Count("rancongiciel", "resolu", 7),
        feedback.Count("rancongiciel", "en_cours", 2),
    ]
    assert feedback.summary(*november, public="particulier") == [feedback.Count("rancongiciel", "resolu", 4)]
    assert feedback.summary(*november, departement="69") == [
        feedback.Count("rancongiciel", "resolu", 3),
        feedback.Count("rancongiciel", "en_cours", 2),
    ]
    # A period's start counts from the first day of its month.
    assert feedback.summary(date(2026, 9, 15), date(2026, 10, 31)) == [feedback.Count("rancongiciel", "resolu", 100)]
    assert feedback.summary(date(2026, 10, 1), date(2026, 10, 31)) == []
    table = feedback.table(feedback.summary(date(2026, 9, 1), date(2026, 11, 30)))
    assert table.rows == [("Rançongiciel (ransomware)", [107, 2, 0, 0], 109)] and table.total == 109


# --- CSV import ---------------------------------------------------------------------------------------------------
def csv_text(alpha: int, beta: int) -> str:
    return (
        "Prestataire;Mois;Incident;Public;Département;Résultat;Nombre\n"
        f"{alpha};2026-11;rancongiciel;entreprise;69;résolu;3\n"
        f"{beta};10/2026;Piratage de compte;particuliers;44;sans suite;\n"
    )


def test_a_valid_csv_file_is_imported_whole(database, tmp_path):
    alpha, beta = add(provider("Alpha", "Lyon"), provider("Beta", "Nantes"))
    path = tmp_path / "retours.csv"
    path.write_bytes(csv_text(alpha, beta).encode("cp1252"))  # Excel's CSV on Windows
    result = feedback.import_csv(path, on=ON)
    assert result.ok and (result.imported, result.cases) == (2, 4), result.text()
    assert result.text() == "Import de « retours.csv » : 2 déclarations enregistrées (4 cas)."
    assert [stored(row) for row in reports()] == [
        (alpha, date(2026, 11, 1), "rancongiciel", "entreprise", "69", "resolu", 3, "csv"),
        (beta, date(2026, 10, 1), "piratage_compte", "particulier", "44", "sans_suite", 1, "csv"),
    ]


def test_a_csv_file_with_one_bad_row_imports_nothing_and_says_which_lines(database, tmp_path, capsys):
    alpha, beta = add(provider("Alpha", "Lyon"), provider("Beta", "Nantes"))
    text = (
        csv_text(alpha, beta)
        + f"{alpha};2099-01;spam;particulier;75;résolu;1\n{beta};2026-11;spam;particulier;75;résolu;10000\n"
    )
    result = feedback.import_csv(text, on=ON)
    assert not result.ok and result.imported == 0
    assert [error.split(" : ")[0] for error in result.errors] == ["ligne 4", "ligne 5"]
    assert "pas encore commencé" in result.errors[0] and "entre 1 et 500" in result.errors[1]
    assert "rien n'a été enregistré" in result.text()
    unknown = feedback.import_csv(csv_text(alpha, 424_242), on=ON)
    assert unknown.errors == ["prestataire 424242 absent de l'annuaire (colonne id de python -m bot.providers export)"]
    missing = feedback.import_csv("prestataire;mois;incident\n1;2026-11;spam\n", on=ON)
    assert missing.errors[0].startswith("ligne 1 : colonnes absentes : public, departement, resultat")
    assert feedback.import_csv(b"\x00\x01binary", on=ON).errors[0].startswith("ce n'est pas un fichier texte")
    assert reports() == []
    # The command line says the same, and fails.
    path = tmp_path / "retours.csv"
    path.write_text(text, encoding="utf-8")
    assert feedback.main(["import", str(path)]) == 2
    assert "ligne 4" in capsys.readouterr().out and reports() == []


def test_the_directory_export_with_links_imports_back_into_the_directory(database, tmp_path):
    alpha, beta = add(provider("Alpha", "Lyon"), provider("Beta", "Nantes", email=None))
    buffer = io.StringIO()
    assert feedback.export_directory(buffer) == 2
    rows = [line.split(";") for line in buffer.getvalue().splitlines()]
    assert rows[0] == [*csvio.EXPORT_COLUMNS, "lien_retour"]
    for row in rows[1:]:
        provider_id, sig = re.fullmatch(r"http://localhost:5005/console/retour/(\d+)/([\w-]+)", row[-1]).groups()
        assert int(provider_id) == int(row[-2]) and feedback.verify(int(provider_id), sig) is not None
    report = csvio.import_csv(buffer.getvalue().encode("utf-8"))
    assert report.ok and report.updated == 2 and report.warnings == [], report.text()
    # The command line's file holds every provider's credential: its owner only reads it.
    path = tmp_path / "liens.csv"
    path.write_text("")
    path.chmod(0o644)
    assert feedback.main(["liens", str(path)]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_bytes().decode("utf-8-sig") == buffer.getvalue()


# --- the pages, through the real servers -------------------------------------------------------------------------
# The servers' tests run on today's clock: last month is always a month a provider may report.
LAST_MONTH = feedback.months_before(feedback.today().replace(day=1), 1)
NOW = {**GOOD, "mois": f"{LAST_MONTH:%Y-%m}"}
ACCOUNTS = {"chef@example.org": "supervisor", "admin@example.org": "admin", "op@example.org": "operator"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("feedback")
    previous = {name: os.environ.get(name) for name in ("OBSERVATORY_FEEDBACK_SECRET", "CYBERAIDE_VAR_DIR")}
    os.environ.update({"OBSERVATORY_FEEDBACK_SECRET": SECRET, "CYBERAIDE_VAR_DIR": str(tmp / "var")})
    try:
        with shared_database(tmp, "feedback.db") as database_url:  # the test process reads and writes it too
            for email, role in ACCOUNTS.items():
                auth.create_user(email, email.split("@")[0], PASSWORD, role)
            ids = add(
                provider("Alpha Informatique", "Lyon", email="alpha@example.org"),
                provider("Beta Réseaux", "Nantes", email=None),
                provider("Gamma Sécurité", "Lille"),
            )
            env = {"OBSERVATORY_FEEDBACK_SECRET": SECRET, "TRUSTED_PROXIES": "1", "CYBERAIDE_VAR_DIR": str(tmp / "var")}
            with console_servers(tmp, database_url, env) as (_, bot):
                bot.providers = ids
                yield bot
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class Visitor:
    """A provider's browser, from an address of its own (the rate limit counts per address)."""

    def __init__(self, served: Bot, address: str):
        self.served = served
        self.http = requests.Session()
        self.http.headers["X-Forwarded-For"] = address

    def url(self, provider_id: int, sig: str = "") -> str:
        return f"{self.served.base_url}{feedback.LINK_PATH}/{provider_id}/{sig or signature_of(provider_id)}"

    def get(self, provider_id: int, sig: str = "") -> requests.Response:
        return self.http.get(self.url(provider_id, sig), timeout=20)

    def token(self, provider_id: int) -> str:
        return re.search(r'name="jeton" value="([^"]+)"', self.get(provider_id).text)[1]

    def post(self, provider_id: int, data: Dict[str, str], **headers: str) -> requests.Response:
        return self.http.post(self.url(provider_id), data=data, headers=headers, allow_redirects=False, timeout=20)


def count_reports() -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(ProviderReport)) or 0


def test_the_link_shows_a_form_that_no_robot_preview_submits(served: Bot):
    alpha = served.providers[0]
    visitor = Visitor(served, "198.51.100.1")
    before = count_reports()
    page = visitor.get(alpha)
    assert page.status_code == 200 and "Alpha Informatique" in page.text
    assert "Déclarer les cas traités" in page.text and "<textarea" not in page.text
    assert set(re.findall(r'name="([^"]+)"', page.text)) == {"robots", "viewport", "jeton", *feedback.FIELDS}
    assert page.headers["Cache-Control"] == "no-store" and "noindex" in page.headers["X-Robots-Tag"]
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Referrer-Policy"] == "no-referrer"
    assert visitor.http.head(visitor.url(alpha), timeout=20).status_code == 200
    assert count_reports() == before  # showing the form never records anything


def test_a_wrong_revoked_or_other_providers_signature_gets_the_same_404(served: Bot):
    alpha, beta, gamma = served.providers
    visitor = Visitor(served, "198.51.100.2")
    old = signature_of(gamma)
    assert visitor.get(gamma, old).status_code == 200
    feedback.revoke(gamma)
    refused = [
        visitor.get(gamma, old),  # revoked
        visitor.get(alpha, signature_of(beta)),  # another provider's
        visitor.get(alpha, signature_of(alpha)[:-2] + "xx"),  # tampered
        visitor.get(999_999, signature_of(alpha)),  # no such provider
        visitor.get(alpha, "court"),
        visitor.http.get(f"{served.base_url}{feedback.LINK_PATH}/99999999999/{signature_of(alpha)}", timeout=20),
    ]
    assert [answer.status_code for answer in refused] == [404] * 6
    bodies = {re.sub(r'nonce="[^"]+"', "", answer.text) for answer in refused[:5]}
    assert len(bodies) == 1 and "Ce lien n&#39;existe pas ou a été remplacé" in bodies.pop()
    posted = visitor.http.post(visitor.url(gamma, old), data={**NOW, "jeton": "x"}, timeout=20)
    assert posted.status_code == 404
    assert visitor.get(gamma).status_code == 200  # the new link works


def test_a_report_is_recorded_once_with_its_six_fields_only(served: Bot):
    alpha, beta, _ = served.providers
    visitor = Visitor(served, "198.51.100.3")
    before = count_reports()
    token = visitor.token(alpha)
    extras = {"nom_victime": "Jean Dupont", "commentaire": "texte libre", "source": "csv", "provider_id": str(beta)}
    sent = visitor.post(alpha, {**NOW, **extras, "jeton": token})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("?envoye=1")
    assert count_reports() == before + 1
    row = reports()[-1]
    assert stored(row) == (alpha, LAST_MONTH, "rancongiciel", "entreprise", "69", "resolu", 3, "lien")
    assert visitor.post(alpha, {**NOW, "jeton": token}).status_code == 303  # a reload of the same form
    assert count_reports() == before + 1
    thanks = visitor.http.get(f"{served.base_url}{sent.headers['Location']}", timeout=20)
    assert thanks.status_code == 200 and "Merci, votre déclaration est enregistrée" in thanks.text


def test_a_post_without_the_forms_token_or_from_another_site_records_nothing(served: Bot):
    alpha, beta, _ = served.providers
    visitor = Visitor(served, "198.51.100.4")
    before = count_reports()
    assert visitor.post(alpha, NOW).status_code == 400  # a robot that never saw the form
    assert visitor.post(alpha, {**NOW, "jeton": "1.2.3"}).status_code == 400
    assert visitor.post(alpha, {**NOW, "jeton": visitor.token(beta)}).status_code == 400  # another link's form
    cross = visitor.post(alpha, {**NOW, "jeton": visitor.token(alpha)}, **{"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    assert count_reports() == before


def test_a_bad_report_is_shown_again_with_its_reasons_in_french(served: Bot):
    alpha = served.providers[0]
    visitor = Visitor(served, "198.51.100.5")
    before = count_reports()
    bad = {**NOW, "mois": "2099-01", "incident": "inconnu", "nombre": "100000", "jeton": visitor.token(alpha)}
    page = visitor.post(alpha, bad)
    assert page.status_code == 400 and "La déclaration n'a pas été enregistrée" in page.text
    assert "n&#39;est pas encore commencé" in page.text and "entre 1 et 500" in page.text
    assert "Incident « inconnu » inconnu" in page.text
    assert count_reports() == before


def test_the_providers_page_is_rate_limited_per_address(served: Bot):
    alpha = served.providers[0]
    visitor = Visitor(served, "198.51.100.6")
    answers = [visitor.get(alpha).status_code for _ in range(31)]
    assert answers[:30] == [200] * 30 and answers[30] == 429
    assert Visitor(served, "198.51.100.7").get(alpha).status_code == 200  # another address is served


# --- the staff page -----------------------------------------------------------------------------------------------
def staff_page(served: Bot) -> str:
    return f"{served.base_url}/console/prestataires"


def audited(action: str) -> list:
    with db.session() as session:
        rows = session.execute(
            select(StaffUser.email, AuditLog.target).join(StaffUser).where(AuditLog.action == action)
        ).all()
        return [tuple(row) for row in rows]


def test_the_staff_page_refuses_anonymous_visitors_and_operators(served: Bot):
    gamma = served.providers[2]
    anonymous = requests.Session()
    for path in ("", "/liens.csv"):
        answer = anonymous.get(staff_page(served) + path, allow_redirects=False, timeout=20)
        assert answer.status_code == 302 and answer.headers["Location"] == "/console/login"
    assert (
        anonymous.post(f"{staff_page(served)}/{gamma}/revoquer", allow_redirects=False, timeout=20).status_code == 302
    )
    operator = Staff(served.base_url, "op@example.org")
    assert operator.http.get(staff_page(served), timeout=20).status_code == 403
    assert operator.http.get(staff_page(served) + "/liens.csv", timeout=20).status_code == 403
    sig = signature_of(gamma)
    assert operator.post(f"/prestataires/{gamma}/revoquer").status_code == 403
    assert (
        operator.http.post(
            f"{staff_page(served)}/import", data={"csrf": operator.csrf}, files={"fichier": ("a.csv", b"x")}, timeout=20
        ).status_code
        == 403
    )
    assert feedback.verify(gamma, sig) is not None  # nothing was revoked


def test_a_supervisor_sends_and_revokes_a_link_and_it_is_audited(served: Bot):
    alpha = served.providers[0]
    chef = Staff(served.base_url, "chef@example.org")
    old = signature_of(alpha)
    page = chef.http.get(staff_page(served), params={"q": "Alpha"}, timeout=20)
    assert page.status_code == 200 and "déclarés par les prestataires" in page.text
    assert f"{feedback.LINK_PATH}/{alpha}/{old}" in page.text and "mailto:alpha@example.org?subject=" in page.text
    assert ("chef@example.org", "q=Alpha page=1") in audited("view_feedback_links")
    # Without the session's CSRF token, nothing happens.
    forged = chef.http.post(f"{staff_page(served)}/{alpha}/revoquer", data={}, allow_redirects=False, timeout=20)
    assert forged.status_code == 403 and feedback.verify(alpha, old) is not None
    revoked = chef.post(f"/prestataires/{alpha}/revoquer")
    assert revoked.status_code == 303 and feedback.verify(alpha, old) is None
    assert ("chef@example.org", f"prestataire {alpha}") in audited("revoke_feedback_link")
    assert Visitor(served, "198.51.100.8").get(alpha, old).status_code == 404
    assert Visitor(served, "198.51.100.8").get(alpha).status_code == 200
    assert chef.post("/prestataires/999999/revoquer").status_code == 404
    download = chef.http.get(staff_page(served) + "/liens.csv", timeout=20)
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"
    assert download.text.lstrip("\ufeff").splitlines()[0].endswith(";id;lien_retour")
    assert f"/retour/{alpha}/{signature_of(alpha)}" in download.text
    assert [who for who, _ in audited("export_feedback_links")] == ["chef@example.org"]


def test_an_admin_imports_a_csv_file_and_sees_the_counts(served: Bot):
    alpha, beta, _ = served.providers
    admin = Staff(served.base_url, "admin@example.org")
    before = count_reports()
    month = feedback.today().replace(day=1)
    text = (
        "prestataire;mois;incident;public;departement;resultat;nombre\n"
        f"{alpha};{month:%Y-%m};defiguration;collectivite;59;orienté vers un autre service;7\n"
        f"{beta};{month:%Y-%m};defiguration;collectivite;59;en cours;2\n"
    )

    def upload(content: str) -> requests.Response:
        files = {"fichier": ("retours.csv", content.encode("utf-8"), "text/csv")}
        return admin.http.post(f"{staff_page(served)}/import", data={"csrf": admin.csrf}, files=files, timeout=20)

    refused = upload(text + f"{alpha};{month:%Y-%m};defiguration;collectivite;59;résolu;9999\n")
    assert refused.status_code == 400 and "ligne 4" in refused.text and count_reports() == before
    imported = upload(text)
    assert imported.status_code == 200 and "2 déclarations enregistrées (9 cas)" in imported.text
    assert count_reports() == before + 2 and {r.source for r in reports()[-2:]} == {"csv"}
    assert re.search(
        r"<th scope=\"row\">Défiguration de site internet</th><td>0</td><td>2</td><td>7</td>", imported.text
    )
    assert [target for _, target in audited("import_provider_reports")] == [
        "retours.csv : refusé",
        "retours.csv : 2 déclarations, 9 cas",
    ]
