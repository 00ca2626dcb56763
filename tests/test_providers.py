"""The provider directory on SQLite and PostgreSQL: matching, demonstration data, CSV import/export, the action."""

import csv
import io
import json
import random
import re
import subprocess
import sys

import pytest
import requests
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import delete, func, select

from bot import db, geo, knowledge
from bot.actions.providers import ActionFindProviders
from bot.providers import LOCAL, NEIGHBOUR, REMOTE, csvio, find, seed
from bot.providers.__main__ import main as cli
from bot.providers.matching import whole_km
from bot.providers.models import COMPETENCES, PUBLICS, SERVICES, Provider
from tests.conftest import ACTION_TOKEN, PYTHON, ROOT, Server, free_port, server_env, wait_until_up
from tests.databases import temporary_database

RANSOMWARE = list(knowledge.load().sheets["rancongiciel"].competences)
ALL_NEEDS = sorted({c for sheet in knowledge.load().sheets.values() for c in sheet.competences})


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request, tmp_path_factory):
    """A throw-away application database (dropped afterwards), also the default one (DATABASE_URL) meanwhile."""
    with temporary_database(request.param, tmp_path_factory.mktemp(request.param)) as url:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DATABASE_URL", url)
            db.create_all(url)
            yield url


def fill(url, providers):
    with db.session(url) as session:
        session.execute(delete(Provider))
        session.add_all(providers)
    with db.session(url) as session:
        return list(session.scalars(select(Provider).order_by(Provider.id)))


def demo_directory(url):
    """Make sure the directory is exactly the demonstration one (other tests replace it)."""
    with db.session(url) as session:
        total = session.scalar(select(func.count()).select_from(Provider))
        demo = session.scalar(select(func.count()).select_from(Provider).where(Provider.demo.is_(True)))
    if total != demo or total != len(seed.demo_providers()):
        with db.session(url) as session:
            session.execute(delete(Provider))
        seed.seed(url)


def provider(name, place, **fields):
    """A provider in a commune (or at a département's préfecture), qualified for everything unless told otherwise."""
    commune = geo.find_commune(place)
    dep = geo.departement(place) if commune is None else geo.departement(commune.departement)
    values = dict(
        name=name,
        address="1 rue du Test",
        postal_code=commune.postal_code if commune else None,
        commune=commune.name if commune else dep.prefecture,
        departement=dep.code,
        lat=commune.lat if commune and commune.located else dep.lat,
        lon=commune.lon if commune and commune.located else dep.lon,
        publics=list(PUBLICS),
        services=list(SERVICES),
        competences=list(COMPETENCES),
        expertcyber=False,
        phone="01 99 00 00 01",
        email="test@example.org",
        website=None,
        opening_hours=None,
        remote=False,
        active=True,
        demo=False,
    )
    values.update(fields)
    return Provider(**values)


def offered(result):
    return [(offer.tier, offer.provider.name) for offer in result.offers]


# --- vocabulary and demonstration data ------------------------------------------------------------------------------
def test_sheet_competences_use_the_directory_vocabulary():
    used = {c for sheet in knowledge.load().sheets.values() for c in sheet.competences}
    assert used and used <= set(COMPETENCES)


def test_demo_directory_is_obviously_fictional_and_covers_every_departement(database):
    demo_directory(database)
    with db.session(database) as session:
        providers = list(session.scalars(select(Provider)))
    assert {p.departement for p in providers} == set(geo.load().departements)
    phones = [p.phone for p in providers]
    assert len(set(phones)) == len(phones)
    for p in providers:
        assert p.demo and "(démo)" in p.name
        assert re.fullmatch(r"01 99 00 \d\d \d\d", p.phone)  # ARCEP's range for fiction
        assert p.email.endswith("@example.org") and p.website.startswith("https://") and ".example.org" in p.website
        if p.expertcyber:  # the label is only for providers serving professionals, doing all three services
            assert {"entreprise", "collectivite"} & set(p.publics) and set(p.services) == set(SERVICES)


def test_demo_directory_answers_every_public_and_incident_locally_everywhere(database):
    demo_directory(database)
    for dep in geo.load().departements.values():
        location = geo.Location(dep, dep.lat, dep.lon)
        for public in PUBLICS:  # every skill any incident needs at once: then each incident's are there too
            result = find(location, public, ALL_NEEDS, limit=1)
            assert offered(result)[0][0] == LOCAL, (dep.code, public)


def test_seeding_again_replaces_demo_data_and_keeps_real_providers(database):
    fill(database, [provider("Vraie Société", "Brest")])
    assert seed.seed(database) == seed.seed(database) == len(seed.demo_providers())
    with db.session(database) as session:
        names = list(session.scalars(select(Provider.name).where(Provider.demo.is_(False))))
        assert names == ["Vraie Société"]
    assert seed.seed(database, if_empty=True) == 0  # never mixed into an existing directory


def test_start_up_seeds_an_empty_directory_unless_disabled(database, monkeypatch):
    fill(database, [])
    monkeypatch.setenv("PROVIDERS_DEMO_SEED", "0")
    assert seed.at_startup(database) == 0
    monkeypatch.delenv("PROVIDERS_DEMO_SEED")
    assert seed.at_startup(database) == len(seed.demo_providers())
    assert seed.at_startup(database) == 0  # not twice


# --- matching -------------------------------------------------------------------------------------------------------
def test_filters_public_competences_assistance_and_active(database):
    fill(
        database,
        [
            provider("Bon", "Rennes"),
            provider("Particuliers seulement", "Rennes", publics=["particulier"]),
            provider("Sans rançongiciel", "Rennes", competences=[c for c in COMPETENCES if c != "rancongiciel"]),
            provider("Sans assistance", "Rennes", services=["installation", "maintenance"]),
            provider("Inactif", "Rennes", active=False),
        ],
    )
    result = find(geo.locate("Rennes"), "entreprise", RANSOMWARE)
    assert offered(result) == [(LOCAL, "Bon")]
    assert result.count(NEIGHBOUR) == result.count(REMOTE) == 0
    assert {name for _, name in offered(find(geo.locate("Rennes"), "particulier", ["messagerie"]))} == {
        "Bon",
        "Particuliers seulement",
        "Sans rançongiciel",
    }
    assert [n for _, n in offered(find(geo.locate("Rennes"), None, []))][0] == "Bon"  # unknown public: particulier
    with pytest.raises(ValueError):
        find(geo.locate("Rennes"), "particulier", ["plomberie"])


def test_ranking_by_distance_then_label_then_stable_order(database):
    fill(
        database,
        [
            provider("Loin labellisé", "Saint-Malo", expertcyber=True),
            provider("Même ville A", "Rennes"),
            provider("Même ville labellisé", "Rennes", expertcyber=True),
            provider("Même ville B", "Rennes"),
        ],
    )
    result = find(geo.locate("Rennes"), "particulier", [], limit=4)
    assert offered(result) == [
        (LOCAL, "Même ville labellisé"),
        (LOCAL, "Même ville A"),
        (LOCAL, "Même ville B"),
        (LOCAL, "Loin labellisé"),
    ]
    assert result.offers[0].distance_km == pytest.approx(0, abs=0.01)
    rennes, far = geo.find_commune("Rennes"), geo.find_commune("Saint-Malo")
    assert result.offers[3].distance_km == pytest.approx(
        geo.distance_km(rennes.lat, rennes.lon, far.lat, far.lon), rel=0.02
    )


def test_falls_back_to_neighbouring_departements_then_remote_providers(database):
    fill(
        database,
        [
            provider("Bordelais", "Bordeaux"),
            provider("Landais", "Mont-de-Marsan"),
            provider("Lyonnais à distance", "Lyon", remote=True),
            provider("Lillois à distance", "Lille", remote=True),
            provider("Lyonnais sur place", "Lyon"),
        ],
    )
    result = find(geo.locate("Bordeaux"), "particulier", RANSOMWARE)
    assert offered(result) == [(LOCAL, "Bordelais"), (NEIGHBOUR, "Landais"), (REMOTE, "Lyonnais à distance")]
    # Nothing in the département nor around: only remote help, nearest first.
    result = find(geo.locate("Brest"), "particulier", [])
    assert offered(result) == [(REMOTE, "Lillois à distance"), (REMOTE, "Lyonnais à distance")]
    # No location at all: remote providers only, labelled first, then in a stable order.
    assert [t for t, _ in offered(find(None, "particulier", []))] == [REMOTE, REMOTE]


def test_overseas_and_corsica(database):
    fill(
        database,
        [
            provider("Ajaccien", "Ajaccio"),
            provider("Bastiais", "Bastia"),
            provider("Niçois à distance", "Nice", remote=True),
            provider("Parisien à distance", "Paris", remote=True, expertcyber=True),
            provider("Nouméen à distance", "Nouméa", remote=True),
            provider("Réunionnais", "Le Port"),
        ],
    )
    assert offered(find(geo.locate("20000"), "particulier", [])) == [
        (LOCAL, "Ajaccien"),
        (NEIGHBOUR, "Bastiais"),
        (REMOTE, "Niçois à distance"),
    ]
    # La Réunion has no neighbour: local, then remote providers from the mainland.
    assert [t for t, _ in offered(find(geo.locate("97400"), "particulier", []))] == [LOCAL, REMOTE, REMOTE]
    # Wallis-et-Futuna: Nouméa (2,100 km, across the antimeridian) is nearer than mainland France.
    assert offered(find(geo.locate("Mata-Utu"), "particulier", [], limit=1)) == [(REMOTE, "Nouméen à distance")]


def test_empty_directory_offers_nothing(database):
    fill(database, [])
    assert find(geo.locate("Lyon"), "particulier", []).offers == ()
    assert find(None, "collectivite", RANSOMWARE).offers == ()


def reference(providers, location, public, competences, limit=3):
    """What matching must return, computed naively over every provider."""
    public = public if public in PUBLICS else "particulier"
    ok = [
        p
        for p in providers
        if p.active and "assistance" in p.services and public in p.publics and set(competences) <= set(p.competences)
    ]
    if location is None:
        return [(REMOTE, p.id) for p in sorted((p for p in ok if p.remote), key=lambda p: (not p.expertcyber, p.id))][
            :limit
        ]
    km = lambda p: geo.distance_km(location.lat, location.lon, p.lat, p.lon)  # noqa: E731
    key = lambda p: (whole_km(km(p)), not p.expertcyber, p.id)  # noqa: E731
    code, near = location.departement.code, geo.neighbours(location.departement.code)
    tiers = [
        (LOCAL, [p for p in ok if p.departement == code]),
        (NEIGHBOUR, [p for p in ok if p.departement in near]),
        (REMOTE, [p for p in ok if p.remote and p.departement != code and p.departement not in near]),
    ]
    chosen = []
    for tier, candidates in tiers:
        chosen += [(tier, p.id) for p in sorted(candidates, key=key)][: limit - len(chosen)]
    return chosen


def test_matching_equals_a_naive_search_over_a_random_directory(database):
    rng = random.Random(7)
    communes = [c for c in geo.load().communes if c.located]
    providers = []
    for number in range(1200):
        commune = rng.choice(communes)
        providers.append(
            provider(
                f"P{number}",
                commune.name,
                departement=commune.departement,
                postal_code=commune.postal_code,
                lat=commune.lat + rng.uniform(-0.05, 0.05),
                lon=commune.lon + rng.uniform(-0.05, 0.05),
                publics=[p for p in PUBLICS if rng.random() < 0.5] or ["entreprise"],
                services=[s for s in SERVICES if rng.random() < 0.7] or ["maintenance"],
                competences=rng.sample(list(COMPETENCES), rng.randint(1, len(COMPETENCES))),
                expertcyber=rng.random() < 0.2,
                remote=rng.random() < 0.15,
                active=rng.random() < 0.9,
            )
        )
    stored = fill(database, providers)
    needs = [list(sheet.competences) for sheet in knowledge.load().sheets.values()]
    for _ in range(150):
        draw = rng.random()
        if draw < 0.1:
            location = None
        elif draw < 0.3:
            dep = rng.choice(list(geo.load().departements.values()))
            location = geo.Location(dep, dep.lat, dep.lon)
        else:
            commune = rng.choice(communes)
            location = geo.Location(geo.departement(commune.departement), commune.lat, commune.lon, commune)
        public, competences = rng.choice([*PUBLICS, None]), rng.choice(needs)
        result = find(location, public, competences)
        assert [(o.tier, o.provider.id) for o in result.offers] == reference(stored, location, public, competences)


# --- CSV import and export ------------------------------------------------------------------------------------------
GOOD_AND_BAD = """\
Nom;Adresse;Code postal;Commune;Publics;Services;Compétences;Label ExpertCyber;Téléphone;E-mail;Site web;Horaires;Intervention à distance;Actif
Informatique Armor;2 rue de Brest;29200;Brest;Particuliers, Entreprises;Assistance, Installation;Poste de travail, Rançongiciel, Récupération de données, réseau, sécurisation;non;0298000000;contact@armor.example.org;armor.example.org;lun-ven 9h-18h;oui;oui
Sans Nom Ici;;99999;;particuliers;assistance;messagerie;non;0102030405;;;;non;oui
;;29200;Brest;particuliers;assistance;messagerie;;0102030405;;;;;
Plombier Breton;;29200;Brest;particuliers;assistance;plomberie, messagerie;non;0102030405;;;;non;oui
Label Douteux;;35000;Rennes;particuliers;assistance;messagerie;oui;0102030405;;;;non;oui
Muet;;35000;Rennes;entreprises;assistance;messagerie;non;;;;;non;oui
Mauvais Mail;;35000;Rennes;entreprises;assistance;messagerie;non;;pas-un-mail;;;non;oui
Peut-être;;35000;Rennes;entreprises;assistance;messagerie;non;0102030405;;;;peut-être;oui
Cyber Ain;;1000;Bourg-en-Bresse;collectivités;assistance, maintenance, installation;messagerie;oui;01 99 00 00 02;;;;non;oui
Informatique Armor;;29200;Brest;particuliers;assistance;messagerie;non;0102030405;;;;non;oui
Village Inconnu;;29999;Trifouilly;particuliers;assistance;messagerie;non;0102030405;;;;non;oui
"""


def test_import_reports_rejected_rows_in_french_and_imports_the_others(database):
    fill(database, [])
    report = csvio.import_csv(GOOD_AND_BAD.encode("cp1252"), url=database)  # Excel's "CSV (séparateur: ;)"
    text = report.text()
    assert report.imported == 3 and len(report.rejected) == 8, text
    assert "3 prestataires importés, 8 lignes rejetées" in text
    for expected in [
        "ligne 3 (Sans Nom Ici) : code postal « 99999 » inconnu",
        "ligne 4 : le nom est vide",
        "ligne 5 (Plombier Breton) : compétence inconnue « plomberie »",
        "ligne 6 (Label Douteux) : le label ExpertCyber n'est délivré qu'aux prestataires qui servent des professionnels",
        "ligne 7 (Muet) : aucun moyen de contact",
        "ligne 8 (Mauvais Mail) : e-mail « pas-un-mail » invalide",
        "ligne 9 (Peut-être) : valeur « peut-être » non comprise pour intervention_a_distance : écrivez oui ou non",
        "ligne 11 (Informatique Armor) : doublon de la ligne 2",
        "ligne 12 (Village Inconnu) : position inconnue, celle de la préfecture (Quimper) est utilisée",
    ]:
        assert expected in text, text
    with db.session(database) as session:
        stored = {p.name: p for p in session.scalars(select(Provider))}
    assert set(stored) == {"Informatique Armor", "Cyber Ain", "Village Inconnu"}
    armor = stored["Informatique Armor"]
    assert (armor.departement, armor.commune, armor.phone, armor.website) == (
        "29",
        "Brest",
        "02 98 00 00 00",
        "https://armor.example.org",
    )
    assert armor.publics == ["particulier", "entreprise"] and armor.remote and not armor.demo
    assert set(armor.competences) == {
        "poste_de_travail",
        "rancongiciel",
        "recuperation_donnees",
        "reseau",
        "securisation",
    }
    assert (armor.lat, armor.lon) == (geo.find_commune("Brest").lat, geo.find_commune("Brest").lon)
    assert stored["Cyber Ain"].postal_code == "01000" and stored["Cyber Ain"].departement == "01"  # Excel's 1000
    # Imported providers are found by the matching.
    assert offered(find(geo.locate("Brest"), "entreprise", RANSOMWARE))[0] == (LOCAL, "Informatique Armor")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "le fichier est vide"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "ce n'est pas un fichier texte"),
        (b"nom,ville\nDupont,Brest\n", "colonnes obligatoires absentes : publics, services, competences, code_postal"),
        (b"nom;code_postal;publics;services;competences;telephone\n;;;;;\nX;00000;a;b;c;d\n", "Aucune ligne valide"),
    ],
)
def test_unreadable_files_change_nothing(database, content, message):
    demo_directory(database)
    report = csvio.import_csv(content, replace=True, url=database)
    assert message in report.text()
    assert "L'annuaire n'a pas été modifié" in report.text() or "Aucune ligne valide" in report.text()
    with db.session(database) as session:
        assert session.scalar(select(func.count()).select_from(Provider)) == len(seed.demo_providers())


def test_dry_run_and_replace(database):
    demo_directory(database)
    data = GOOD_AND_BAD.encode("utf-8")
    assert csvio.import_csv(data, dry_run=True, url=database).imported == 3
    with db.session(database) as session:
        assert session.scalar(select(func.count()).select_from(Provider)) == len(seed.demo_providers())
    report = csvio.import_csv(data, replace=True, url=database)
    assert report.replaced == len(seed.demo_providers()) and report.imported == 3
    with db.session(database) as session:
        assert session.scalar(select(func.count()).select_from(Provider)) == 3


def test_export_then_import_gives_the_same_directory(database, tmp_path):
    demo_directory(database)
    path = tmp_path / "annuaire.csv"
    assert csvio.export_csv(path, url=database) == len(seed.demo_providers())
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: opens as is in a spreadsheet
    fields = [
        "name",
        "address",
        "postal_code",
        "commune",
        "departement",
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
    ]

    def snapshot():
        with db.session(database) as session:
            return sorted(
                tuple(str(getattr(p, f)) for f in fields) + (round(p.lat, 4), round(p.lon, 4))
                for p in session.scalars(select(Provider))
            )

    before = snapshot()
    report = csvio.import_csv(path, replace=True, url=database)
    assert report.ok and report.imported == len(before), report.text()
    assert snapshot() == before


SHARED_POSTAL_CODES = """nom;code_postal;commune;departement;publics;services;competences;telephone
Info Foy;33220;Port-Sainte-Foy-et-Ponchapt;24;particuliers;assistance;messagerie;05 53 00 00 00
Info Claret;05110;Claret;;particuliers;assistance;messagerie;04 92 00 00 00
Info Foy Gironde;33220;;33;particuliers;assistance;messagerie;05 57 00 00 00
Faux;33220;;75;particuliers;assistance;messagerie;01 00 00 00 00
"""


def test_import_accepts_postal_codes_shared_across_a_border(database):
    fill(database, [])
    report = csvio.import_csv(SHARED_POSTAL_CODES.encode(), url=database)
    assert report.imported == 3 and len(report.rejected) == 1, report.text()
    assert "ligne 5 (Faux) : le code postal 33220 est dans le département 33 ou 24, pas 75" in report.text()
    with db.session(database) as session:
        stored = {p.name: (p.departement, p.commune, round(p.lat, 2)) for p in session.scalars(select(Provider))}
    foy = geo.find_commune("Port-Sainte-Foy-et-Ponchapt")
    assert stored["Info Foy"] == ("24", "Port-Sainte-Foy-et-Ponchapt", round(foy.lat, 2))
    assert stored["Info Claret"] == ("04", "Claret", 44.37)  # département from the commune named
    assert stored["Info Foy Gironde"][0] == "33" and stored["Info Foy Gironde"][1] != "Port-Sainte-Foy-et-Ponchapt"


def count(url, *where):
    with db.session(url) as session:
        return session.scalar(select(func.count()).select_from(Provider).where(*where))


def test_importing_an_export_again_updates_instead_of_doubling(database, tmp_path):
    demo_directory(database)
    path = tmp_path / "annuaire.csv"
    total = csvio.export_csv(path, url=database)
    report = csvio.import_csv(path, url=database)  # no --replace
    assert report.ok and report.updated == total and count(database) == total, report.text()
    assert f"Dont {total} prestataires déjà présents" in report.text()
    assert report.demo_left == 0 and "Attention" not in report.text()  # only demonstration rows: no warning
    # An edited export: the row keeps its id, so a renamed provider is updated, not added.
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    rows[1][0] = "Nouveau Nom (démo)"
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows[:2])
    report = csvio.import_csv(buffer.getvalue().encode(), url=database)
    assert report.updated == 1 and count(database) == total, report.text()
    with db.session(database) as session:
        assert session.get(Provider, int(rows[1][-1])).name == "Nouveau Nom (démo)"


def test_without_ids_rows_are_matched_by_name_and_postal_code(database):
    fill(database, [])
    data = GOOD_AND_BAD.encode("utf-8")
    csvio.import_csv(data, url=database)
    report = csvio.import_csv(data.replace(b"0298000000", b"0298111111"), url=database)
    assert report.imported == 3 and report.updated == 3 and count(database) == 3, report.text()
    with db.session(database) as session:
        armor = session.scalar(select(Provider).where(Provider.name == "Informatique Armor"))
    assert armor.phone == "02 98 11 11 11"


def test_real_providers_next_to_demo_ones_are_warned_about_or_dropped(database, capsys, tmp_path):
    demo_directory(database)
    data = GOOD_AND_BAD.encode("utf-8")
    report = csvio.import_csv(data, url=database)
    demo = len(seed.demo_providers())
    assert report.demo_left == demo
    assert (
        f"Attention : l'annuaire contient encore {demo} prestataires fictifs de démonstration, proposés aux "
        "victimes avec les vrais. Pour les retirer, importez à nouveau avec --drop-demo"
    ) in report.text()
    path = tmp_path / "reel.csv"
    path.write_bytes(data)
    assert cli(["import", str(path), "--drop-demo"]) == 2  # rows rejected, the valid ones imported
    out = capsys.readouterr().out
    assert f"{demo} prestataires fictifs de démonstration retirés" in out and "Attention" not in out
    assert count(database, Provider.demo.is_(True)) == 0 and count(database) == 3


def test_command_line(database, tmp_path, capsys):
    demo_directory(database)
    assert cli(["export", str(tmp_path / "out.csv")]) == 0
    assert f"{len(seed.demo_providers())} prestataires exportés" in capsys.readouterr().out
    bad = tmp_path / "annuaire.csv"
    bad.write_bytes(GOOD_AND_BAD.encode("utf-8"))
    assert cli(["import", str(bad)]) == 2  # some rows rejected
    assert "8 lignes rejetées" in capsys.readouterr().out
    assert cli(["import", str(tmp_path / "absent.csv")]) == 1
    assert "fichier illisible" in capsys.readouterr().out
    assert cli(["seed"]) == 0
    assert "prestataires fictifs de démonstration créés" in capsys.readouterr().out


def test_module_entry_point(database):
    demo_directory(database)
    done = subprocess.run(
        [sys.executable, "-m", "bot.providers", "export", "-"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=server_env(database),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["nom", "adresse", "code_postal"] and len(rows) == len(seed.demo_providers()) + 1


# --- the action -----------------------------------------------------------------------------------------------------
def tracker(text, intent="request_provider", slots=None, events=None, entities=None, channel="rest"):
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []}
    user = {"event": "user", "text": text, "parse_data": latest, "input_channel": channel}
    return Tracker("victim", slots or {}, latest, list(events or []) + [user], False, None, {}, "action_listen")


def run(t):
    dispatcher = CollectingDispatcher()
    events = ActionFindProviders().run(dispatcher, t, {})
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def texts(messages):
    return "\n".join(m.get("text") or "" for m in messages)


ASKED = [
    {"event": "action", "name": "action_find_providers"},
    {"event": "slot", "name": "provider_location_needed", "value": True},
]


def test_asks_for_the_location_only_when_it_is_missing(database):
    demo_directory(database)
    messages, slots = run(tracker("je cherche un informaticien"))
    assert "dans quelle commune ou quel département êtes-vous" in texts(messages)
    assert messages[-1]["buttons"] == [{"title": "Je préfère ne pas le dire", "payload": "/dont_know"}]
    assert slots == {"provider_location_needed": True}

    messages, slots = run(
        tracker("un informaticien près de Bordeaux svp", slots={"incident": "rancongiciel", "public": "particulier"})
    )
    result = find(geo.locate("Bordeaux"), "particulier", RANSOMWARE)
    assert [o["id"] for o in slots["providers_offered"]] == result.provider_ids and len(result.provider_ids) == 3
    assert (slots["postal_code"], slots["city"], slots["departement"], slots["provider_location_needed"]) == (
        "33000",
        "Bordeaux",
        "33",
        False,
    )
    assert "quelle commune" not in texts(messages)
    assert texts(messages).count("Tél. : 01 99 00") == 3 and "E-mail :" in texts(messages)
    assert "dans votre département (Gironde)" in texts(messages)  # honest about the neighbouring départements
    assert "prestataires fictifs, pour la démonstration" in texts(messages)
    assert "payantes" in texts(messages) and "CSIRT" not in texts(messages)
    with db.session(database) as session:  # every provider offered has every skill the incident needs
        for snapshot in slots["providers_offered"]:
            assert set(RANSOMWARE) <= set(session.get(Provider, snapshot["id"]).competences)


def test_location_from_slots_button_payloads_and_older_messages(database):
    demo_directory(database)
    messages, slots = run(tracker("/request_provider", slots={"postal_code": "35000", "public": "particulier"}))
    assert "J'ai cherché près de Rennes (Ille-et-Vilaine)" in texts(messages)
    assert slots["departement"] == "35"
    messages, slots = run(tracker("/request_provider", entities=[{"entity": "departement", "value": "2B"}]))
    assert slots["departement"] == "2B" and "J'ai cherché" not in texts(messages)
    older = [{"event": "user", "text": "je suis à Lyon et on a un rançongiciel sur nos serveurs"}]
    messages, slots = run(tracker("/request_provider", events=older))
    assert slots["city"] == "Lyon" and "J'ai cherché près de Lyon (Rhône)" in texts(messages)


def test_unrecognised_answers_are_asked_again_then_remote_help_is_offered(database):
    demo_directory(database)
    messages, slots = run(tracker("Liège", intent="nlu_fallback", events=ASKED))
    # Kind, and never implying that the place does not exist: our list of communes is not complete.
    assert texts(messages) == (
        "Je ne retrouve pas « Liège » dans ma liste de communes, qui n'est pas complète. Pourriez-vous m'indiquer "
        "votre code postal, ou le numéro de votre département (par exemple 33 pour la Gironde) ?"
    )
    assert "reconnu" not in texts(messages) and "française" not in texts(messages)
    assert slots == {"provider_location_needed": True}
    twice = ASKED + [{"event": "user", "text": "zzz"}] + ASKED
    messages, slots = run(tracker("Liège", intent="nlu_fallback", events=twice))
    assert "Sans localisation précise" in texts(messages) and "aider à distance" in texts(messages)
    assert len(slots["providers_offered"]) == 3 and slots["provider_location_needed"] is False
    # Anything else between two questions starts the count again.
    reset = ASKED + [{"event": "action", "name": "action_diagnose"}] + ASKED
    assert run(tracker("Liège", intent="nlu_fallback", events=reset))[1] == {"provider_location_needed": True}


def test_declining_to_give_the_location(database):
    demo_directory(database)
    messages, slots = run(tracker("/dont_know", intent="dont_know", events=ASKED, slots={"public": "entreprise"}))
    assert "Sans connaître votre commune" in texts(messages) and len(slots["providers_offered"]) == 3
    assert "indiquez-moi votre département et je vous donnerai ses coordonnées" in texts(messages)
    messages, slots = run(tracker("non merci", intent="deny", events=ASKED))
    assert texts(messages).startswith("Entendu") and slots == {"provider_location_needed": False}


def test_organisations_are_pointed_to_their_regional_csirt(database):
    demo_directory(database)
    messages, _ = run(tracker("la mairie est à Rennes", slots={"public": "collectivite", "incident": "rancongiciel"}))
    assert "Breizh Cyber" in texts(messages) and "0 800 200 008" in texts(messages)
    assert "collectivités et les administrations" in texts(messages)
    messages, _ = run(tracker("à Lyon", slots={"public": "entreprise", "incident": "rancongiciel"}))
    assert "pas de centre régional de réponse aux incidents cyber (CSIRT) en Auvergne-Rhône-Alpes" in texts(messages)


def test_incidents_without_it_skills_and_unknown_incidents_are_explained(database):
    demo_directory(database)
    messages, slots = run(tracker("à Brest", slots={"incident": "arnaque_achat", "public": "particulier"}))
    assert "ne peut pas récupérer l'argent perdu" in texts(messages) and len(slots["providers_offered"]) == 3
    messages, _ = run(tracker("à Brest"))
    assert "Si vous me décrivez ce qui s'est passé" in texts(messages)
    assert "Si vous écrivez pour une entreprise" in texts(messages)


def test_sms_gets_short_text(database):
    from channels.sms_text import page_turn

    demo_directory(database)
    messages, _ = run(
        tracker(
            "Bordeaux",
            intent="inform",
            events=ASKED,
            channel="sms",
            slots={"incident": "piratage_compte", "public": "particulier"},
        )
    )
    assert len(messages) == 1  # one message: the channel sends it as one SMS
    lines = messages[0]["text"].splitlines()
    assert lines[0] == "Professionnels près de Bordeaux :"
    offers = lines[1:4]
    assert [line[:2] for line in offers] == ["- ", "- ", "- "]  # numbers are for the channel's numbered choices
    # name, phone, commune: "- Exemple Informatique Bordeaux (démo), 01 99 00 01 32, Bordeaux"
    assert all(re.fullmatch(r"- [^,]+, 01 99 00 \d\d \d\d, [^,]+", line) for line in offers), offers
    assert offers[0].endswith(", Bordeaux")
    assert "E-mail :" not in texts(messages) and "km" not in texts(messages)
    assert len(page_turn(messages, messages_now=1).now + page_turn(messages, messages_now=1).later) == 1

    # An organisation in Nantes (4 SMS and more before): the CSIRT with its phone only, no "(0 km)", no bare
    # département numbers.
    messages, slots = run(
        tracker(
            "Nantes",
            intent="inform",
            events=ASKED,
            channel="sms",
            slots={"incident": "rancongiciel", "public": "entreprise"},
        )
    )
    text = texts(messages)
    assert "Pays de la Loire Cyber Assistance, 0 800 100 200." in text and "http" not in text
    assert not re.search(r"(?<![\d,])0 km", text) and not re.search(r"\(\d\d\)", text)
    assert "Challans (Vendée)" in text  # a neighbouring département, by its name
    assert text.splitlines()[0] == "Professionnels : 2 dans votre département, puis les plus proches :"
    # An accented name ("Châteaubriant") switches the SMS to UCS-2 (70 characters a segment): still no more than 3 SMS.
    pages = page_turn(messages, messages_now=1)
    assert len(pages.now + pages.later) <= 3
    assert [o["tier"] for o in slots["providers_offered"]] == [LOCAL, LOCAL, NEIGHBOUR]


def test_web_output_never_says_0_km(database):
    demo_directory(database)
    messages, _ = run(tracker("à Nantes", slots={"incident": "rancongiciel", "public": "entreprise"}))
    assert not re.search(r"(?<![\d,])0 km", texts(messages)) and "Dans votre commune." in texts(messages)


def test_providers_offered_is_a_snapshot_that_survives_a_new_seed(database):
    demo_directory(database)
    _, slots = run(tracker("à Bordeaux", slots={"incident": "rancongiciel", "public": "particulier"}))
    offered_before = slots["providers_offered"]
    first = offered_before[0]
    assert set(first) == {"id", "name", "phone", "postal_code", "distance_km", "tier"}
    assert (first["name"], first["postal_code"], first["distance_km"], first["tier"]) == (
        "Exemple Informatique Bordeaux (démo)",
        "33000",
        0.0,
        LOCAL,
    )
    assert re.fullmatch(r"01 99 00 \d\d \d\d", first["phone"])
    assert offered_before[1]["distance_km"] > 0
    fill(database, [provider("Autre Annuaire", "Bordeaux")])  # as an import --replace does: ids are reassigned
    with db.session(database) as session:
        again = session.get(Provider, first["id"])
        assert again is None or again.name != first["name"]
    # The conversation still says what the victim was offered.
    assert json.loads(json.dumps(offered_before)) == offered_before


@pytest.mark.parametrize(
    "text, question, titles",
    [
        (
            "dans le 20",
            "Êtes-vous en Corse-du-Sud (2A) ou en Haute-Corse (2B) ?",
            ["Corse-du-Sud (2A)", "Haute-Corse (2B)"],
        ),
        ("je suis en Corse", "Corse-du-Sud (2A) ou en Haute-Corse (2B) ?", ["Corse-du-Sud (2A)", "Haute-Corse (2B)"]),
        (
            "en Bretagne",
            "Dans quel département de la région Bretagne êtes-vous ?",
            ["Côtes-d'Armor (22)", "Finistère (29)", "Ille-et-Vilaine (35)", "Morbihan (56)"],
        ),
    ],
)
def test_regions_get_a_question_about_their_departements(database, text, question, titles):
    messages, slots = run(tracker(text, intent="inform", events=ASKED))
    assert question in texts(messages) and slots == {"provider_location_needed": True}
    buttons = messages[-1]["buttons"]
    assert [b["title"] for b in buttons] == titles + ["Je préfère ne pas le dire"]
    # The buttons answer with the département, which the next search uses.
    code = re.search(r"\((\w+)\)$", titles[0]).group(1)
    assert buttons[0]["payload"] == f'/request_provider{{"departement": "{code}"}}'
    demo_directory(database)
    _, slots = run(tracker(buttons[0]["payload"], entities=[{"entity": "departement", "value": code}]))
    assert slots["departement"] == code and len(slots["providers_offered"]) == 3


def test_marne_la_vallee_is_searched_in_seine_et_marne(database):
    demo_directory(database)
    _, slots = run(tracker("je suis à Marne-la-Vallée", slots={"incident": "rancongiciel"}))
    assert slots["departement"] == "77"


def test_overseas_victims_get_no_in_person_provider_across_the_sea(database):
    # Guadeloupe and Martinique are about 169 km apart by sea: a provider in one is no neighbour of the other.
    fill(database, [provider("Gwada Info", "Pointe-à-Pitre"), provider("Gwada Remote", "Pointe-à-Pitre", remote=True)])
    result = find(geo.locate("Fort-de-France"), "particulier", RANSOMWARE)
    assert offered(result) == [(REMOTE, "Gwada Remote")]


def test_homonyms_are_offered_as_buttons(database):
    demo_directory(database)
    messages, slots = run(tracker("Saint-Denis", intent="inform", events=ASKED))
    assert slots["departement"] == "93"
    button = messages[-1]["buttons"][0]
    assert button == {
        "title": "Je suis à Saint-Denis (La Réunion)",
        "payload": '/request_provider{"postal_code": "97400"}',
    }
    messages, slots = run(tracker(button["payload"], entities=[{"entity": "postal_code", "value": "97400"}]))
    assert slots["departement"] == "974" and "près de Saint-Denis (La Réunion)" in texts(messages)


@pytest.mark.parametrize("text", ["", "\x00\x01\x02\xff", "é" * 100_000, '/request_provider{"postal_code": 3}'])
def test_bad_input_gets_the_question(database, text):
    messages, slots = run(tracker(text, intent="inform", entities=[{"entity": "postal_code", "value": "3"}]))
    assert "quelle commune" in texts(messages) and slots == {"provider_location_needed": True}


def test_database_down_gets_a_french_answer(database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nothing")
    messages, slots = run(tracker("à Lyon"))
    assert "Je ne peux pas consulter l'annuaire" in texts(messages) and "cybermalveillance.gouv.fr" in texts(messages)
    assert "providers_offered" not in slots


# --- the real action server -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def action_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("provider-actions")
    url = f"sqlite:///{tmp / 'actions.db'}"
    seed.seed(url)
    port = free_port()
    server = Server(
        [PYTHON, "-m", "bot.action_server", "--actions", "bot.actions.providers", "--port", str(port)],
        server_env(url),
        tmp / "actions.log",
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", server.process, server.log)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        server.stop()


def test_action_over_the_action_server_protocol(action_server):
    latest = {
        "text": "je suis à Ajaccio, il me faut un dépanneur",
        "intent": {"name": "request_provider"},
        "entities": [],
    }
    body = {
        "next_action": "action_find_providers",
        "sender_id": "victim",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "victim",
            "slots": {"incident": "logiciel_malveillant", "public": "particulier"},
            "latest_message": latest,
            "events": [{"event": "user", "text": latest["text"], "parse_data": latest, "input_channel": "rest"}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }
    response = requests.post(action_server, params={"token": ACTION_TOKEN}, data=json.dumps(body), timeout=30)
    assert response.status_code == 200, response.text
    answer = response.json()
    slots = {e["name"]: e["value"] for e in answer["events"] if e["event"] == "slot"}
    assert slots["departement"] == "2A" and len(slots["providers_offered"]) == 3
    assert "Ajaccio" in "\n".join(r.get("text") or "" for r in answer["responses"])
