"""The observatory's data core on SQLite and PostgreSQL: events folded into journeys and anonymous aggregates, a
journey's contribution moved by later events, never counted twice, erased journeys leaving their counts, the export's
small cells hidden, and the command line.

The `events` rows are written exactly as Rasa's SQLTrackerStore writes them (tests/review_data.py).
"""

import csv
import json
import threading
import time
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bot import db, erasure
from bot.handover import Handover
from console import retention
from console.observatory import journeys, page, publish, refresh, stats
from console.observatory.models import ObservatoryDaily, ObservatoryFact, ObservatoryJourney
from tests import review_data
from tests.review_data import Conversation, diagnosed
from tests.support.cli import observatory
from tests.support.races import erase_while_held

PARIS = journeys.PARIS
DAILY, FACTS, JOURNEYS = ObservatoryDaily.__table__, ObservatoryFact.__table__, ObservatoryJourney.__table__


def noon(days_ago: int = 0) -> float:
    day = datetime.now(PARIS).date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, 12, tzinfo=PARIS).timestamp()


def today(days_ago: int = 0) -> date:
    return datetime.now(PARIS).date() - timedelta(days=days_ago)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, monkeypatch):
    with review_data.review_database(request.param, tmp_path, monkeypatch, supervisor=False) as url:
        yield url


def fold() -> int:
    return refresh.refresh(settle_seconds=0)


def store_rows(url: str, rows: list) -> None:
    with db.engine(url).begin() as connection:
        connection.execute(db.EVENTS.insert(), rows)


def cells() -> dict:
    """observatory_daily as {(incident, public, channel, region, departement): journeys}, days dropped."""
    with db.engine().connect() as connection:
        rows = connection.execute(select(DAILY)).all()
    found: dict = {}
    for r in rows:
        key = (r.incident, r.public, r.channel, r.region, r.departement)
        found[key] = found.get(key, 0) + r.journeys
    return found


def facts() -> dict:
    with db.engine().connect() as connection:
        rows = connection.execute(select(FACTS)).all()
    found: dict = {}
    for r in rows:
        found[(r.incident, r.kind, r.value)] = found.get((r.incident, r.kind, r.value), 0) + r.count
    return found


def journey_rows() -> list:
    with db.engine().connect() as connection:
        return connection.execute(select(JOURNEYS).order_by(JOURNEYS.c.id)).all()


def company_ransomware(sender: str, start: float) -> Conversation:
    """A business in Gironde, ransomware, paid by crypto, a platform named, rated 4."""
    return (
        Conversation(sender, start)
        .victim("nos serveurs sont chiffrés, on nous demande une rançon en bitcoin", "rancongiciel", 0.93)
        .slot("public", "entreprise")
        .slot("payment_means", "crypto")
        .action("action_diagnose")
        .slot("incident", "rancongiciel")
        .victim("nous sommes à Bordeaux, 33000", "inform", 0.9)
        .slot("postal_code", "33000")
        .slot("money_paid", True)
        .slot("platform", ["Microsoft", "TeamViewer"])
        .victim('/rate{"rating": "4"}', "rate", 1.0, entities=[{"entity": "rating", "value": "4"}])
        .listen()
    )


# --- folding ---------------------------------------------------------------------------------------------------
def test_journeys_are_counted_per_cell_with_their_facts(database):
    review_data.store(
        database,
        [
            diagnosed("web:a", noon(2), "sms chronopost, j'ai payé", "hameconnage"),
            diagnosed("telegram:7", noon(1), "compte instagram piraté", "piratage_compte"),
            company_ransomware("sms:+33611223344", noon(1)),
            Conversation("web:hello", noon(1)).victim("bonjour", "greet").listen(),  # no incident: no journey
        ],
    )
    assert fold() > 0

    assert cells() == {
        ("hameconnage", "", "web", "", ""): 1,
        ("piratage_compte", "", "telegram", "", ""): 1,
        ("rancongiciel", "entreprise", "sms", "Nouvelle-Aquitaine", "33"): 1,
    }
    assert facts() == {
        ("hameconnage", "money_paid", "non"): 1,
        ("piratage_compte", "money_paid", "non"): 1,
        ("rancongiciel", "money_paid", "oui"): 1,
        ("rancongiciel", "payment_means", "crypto"): 1,
        ("rancongiciel", "platform", "Microsoft"): 1,
        ("rancongiciel", "platform", "TeamViewer"): 1,
        ("rancongiciel", "rating", "4"): 1,
    }
    with db.engine().connect() as connection:
        days = {r.incident: r.day for r in connection.execute(select(DAILY))}
    assert days == {"hameconnage": today(2), "piratage_compte": today(1), "rancongiciel": today(1)}
    assert {r.sender_id for r in journey_rows()} == {"web:a", "telegram:7", "sms:+33611223344"}


def test_the_day_is_the_paris_day_of_the_session_start():
    # 23:30 in Paris on 31 December is 22:30 UTC: the journey belongs to the 31st, not to the UTC day after.
    start = datetime(2026, 12, 31, 23, 30, tzinfo=PARIS).timestamp()
    journey = journeys.Journey("web:x", 1, start, incident="spam")
    assert journey.contribution().cell[0] == date(2026, 12, 31)


def test_a_public_given_in_a_later_refresh_moves_the_journey_to_its_cell(database):
    conversation = (
        Conversation("web:late", noon(0))
        .victim("un faux conseiller m'a fait valider un virement", "faux_conseiller_bancaire")
        .slot("incident", "faux_conseiller_bancaire")
        .listen()
    )
    first = conversation.rows()
    store_rows(database, first)
    fold()
    assert cells() == {("faux_conseiller_bancaire", "", "web", "", ""): 1}

    conversation.victim("je suis une association du 69", "inform").slot("public", "entreprise").slot(
        "departement", "69"
    ).pause().bot("Bonjour, ici Camille", operator="Camille")
    store_rows(database, conversation.rows()[len(first) :])
    fold()

    assert cells() == {("faux_conseiller_bancaire", "entreprise", "web", "Auvergne-Rhône-Alpes", "69"): 1}
    assert facts() == {("faux_conseiller_bancaire", "handed_over", "oui"): 1}
    assert len(journey_rows()) == 1


def test_an_incident_corrected_later_moves_the_journey_and_its_facts(database):
    conversation = (
        Conversation("web:fix", noon(0))
        .victim("on m'a volé ma carte", "fraude_carte_bancaire")
        .slot("money_paid", True)
    )
    first = conversation.rows()
    store_rows(database, first)
    fold()
    conversation.slot("incident", "faux_conseiller_bancaire")  # an operator's correction (console/decision.py)
    store_rows(database, conversation.rows()[len(first) :])
    fold()
    assert cells() == {("faux_conseiller_bancaire", "", "web", "", ""): 1}
    assert facts() == {("faux_conseiller_bancaire", "money_paid", "oui"): 1}


def test_small_batches_give_the_same_counts_as_one_batch(database, monkeypatch):
    """A session cut by a batch boundary is read again from its start: facts before the incident still count."""
    conversations = [company_ransomware(f"sms:+336000000{i:02d}", noon(i % 3)) for i in range(6)]
    conversations += [diagnosed(f"web:d{i}", noon(i % 2), "phishing", "hameconnage") for i in range(5)]
    # The place and the public before the incident, in an earlier batch.
    conversations.append(
        Conversation("web:before", noon(0))
        .victim("je suis une mairie du 2A", "inform")
        .slot("public", "collectivite")
        .slot("departement", "2A")
        .victim("nos postes ont un virus", "logiciel_malveillant")
        .listen()
    )
    review_data.store(database, conversations)
    monkeypatch.setattr(refresh, "BATCH", 3)
    while fold() == 3:
        pass
    small = (cells(), facts())
    assert small[0][("logiciel_malveillant", "collectivite", "web", "Corse", "2A")] == 1
    assert sum(small[0].values()) == len(conversations)

    with db.engine().begin() as connection:
        for table in (DAILY, FACTS, JOURNEYS):
            connection.execute(table.delete())
        connection.execute(update(refresh.STATE).values(last_event_id=0))
    monkeypatch.setattr(refresh, "BATCH", 2000)
    fold()
    assert (cells(), facts()) == small


def test_an_incident_carried_over_into_a_new_session_is_no_new_journey(database):
    start = noon(1)
    conversation = diagnosed("web:back", start, "sms chronopost", "hameconnage")
    conversation.now = start + 4 * 3600  # the victim comes back after the session expired
    # Rasa's action_session_start: the slots of the previous session are set again, then the victim speaks.
    conversation.session().slot("incident", "hameconnage").slot("public", "particulier")
    conversation.victim("merci beaucoup", "thank").listen()
    conversation.now += 4 * 3600
    conversation.session().slot("incident", "hameconnage").slot("public", "particulier")
    conversation.victim("et maintenant on me fait du chantage à la webcam", "sextorsion").listen()
    review_data.store(database, [conversation])
    fold()
    assert cells() == {("hameconnage", "", "web", "", ""): 1, ("sextorsion", "particulier", "web", "", ""): 1}
    assert len(journey_rows()) == 2


def test_values_outside_the_closed_lists_are_not_counted(database):
    """A REST client may set slots by payload: its text never reaches the aggregates."""
    review_data.store(
        database,
        [
            Conversation("rest:x", noon(0))
            .victim("arnaque", "arnaque_achat")
            .slot("incident", "Jean Dupont 0611223344")
            .slot("public", "Jean Dupont")
            .slot("departement", "Jean Dupont")
            .slot("postal_code", "99999")
            .slot("platform", ["Leboncoin", "chez Jean Dupont"])
            .slot("payment_means", {"nested": "Jean"})
            .slot("money_paid", "Jean Dupont")
            .victim('/rate{"rating": "Jean"}', "rate", entities=[{"entity": "rating", "value": "Jean"}])
            .listen()
        ],
    )
    fold()
    assert cells() == {("arnaque_achat", "", "rest", "", ""): 1}
    assert facts() == {("arnaque_achat", "platform", "Leboncoin"): 1}


def test_the_waiting_time_comes_from_the_handover_an_operator_took(database):
    start = noon(0)
    conversation = (
        Conversation("web:wait", start)
        .victim("mon compte est piraté", "piratage_compte")
        .action("action_request_handover")
        .listen()
    )
    conversation.now += 20 * 60
    conversation.pause()
    requested = datetime.utcfromtimestamp(start + 30)
    with db.session() as s:
        s.add(
            Handover(
                sender_id="web:wait",
                channel="web",
                state="operator",
                requested_at=requested,
                taken_at=requested + timedelta(minutes=17),
            )
        )
    review_data.store(database, [conversation])
    fold()
    assert facts() == {("piratage_compte", "handed_over", "oui"): 1, ("piratage_compte", "wait", "15-60 min"): 1}


@pytest.mark.parametrize(
    "minutes, bucket", [(0, "<5 min"), (4.9, "<5 min"), (5, "5-15 min"), (59, "15-60 min"), (60, ">60 min")]
)
def test_waiting_time_buckets(minutes, bucket):
    assert journeys.wait_bucket(minutes) == bucket


# --- never twice -----------------------------------------------------------------------------------------------
def test_two_refreshes_count_each_journey_once(database):
    review_data.store(database, [diagnosed(f"web:{i}", noon(0), "phishing", "hameconnage") for i in range(4)])
    fold()
    assert fold() == 0
    assert cells() == {("hameconnage", "", "web", "", ""): 4}


def test_concurrent_refreshes_take_turns_and_count_each_journey_once(database, monkeypatch):
    conversations = [company_ransomware(f"sms:+3361234{i:04d}", noon(i % 4)) for i in range(40)]
    conversations += [diagnosed(f"telegram:{i}", noon(i % 3), "phishing", "hameconnage") for i in range(40)]
    review_data.store(database, conversations)
    monkeypatch.setattr(refresh, "BATCH", 50)  # many transactions, so that the runs interleave
    errors: list = []

    def run() -> None:
        try:
            while fold():
                pass
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    totals = cells()
    assert totals[("hameconnage", "", "telegram", "", "")] == 40
    assert totals[("rancongiciel", "entreprise", "sms", "Nouvelle-Aquitaine", "33")] == 40
    assert facts()[("rancongiciel", "platform", "Microsoft")] == 40
    assert len(journey_rows()) == 80


def test_on_postgresql_events_are_read_only_once_settled(tmp_path, monkeypatch):
    with review_data.review_database("postgresql", tmp_path, monkeypatch, supervisor=False) as url:
        review_data.store(url, [diagnosed("web:s", noon(0), "phishing", "hameconnage")])
        assert refresh.refresh(settle_seconds=0.5) == 0  # seen, not yet settled
        time.sleep(0.6)
        assert refresh.refresh(settle_seconds=0.5) > 0
        assert cells() == {("hameconnage", "", "web", "", ""): 1}


# --- erasure and retention -------------------------------------------------------------------------------------
def _in(prefix: str, count: int, postal_code: str, start: float) -> list:
    return [
        Conversation(f"web:{prefix}{i}", start).victim("un sms chronopost", "hameconnage").slot("postal_code", postal_code)
        .listen()
        for i in range(count)
    ]  # fmt: skip


def test_past_retention_a_small_departement_cell_is_added_to_its_region(database):
    """Gironde 6 stays named; Landes 2 joins Nouvelle-Aquitaine's row once the conversations are gone. A recent day
    keeps its small départements (the staff page needs them; the export folds them anyway)."""
    now = time.time()
    old = now - 200 * 86400
    review_data.store(
        database,
        _in("g", 6, "33000", old) + _in("l", 2, "40000", old) + _in("recent", 2, "40000", now - 86400),
    )
    fold()
    old_day, recent_day = journeys.paris_day(old), journeys.paris_day(now - 86400)
    with db.engine().connect() as connection:
        before = {(r.day, r.departement): r.journeys for r in connection.execute(select(DAILY))}
    assert before == {(old_day, "33"): 6, (old_day, "40"): 2, (recent_day, "40"): 2}

    retention.purge(days=180, now=now)

    with db.engine().connect() as connection:
        after = {(r.day, r.region, r.departement): r.journeys for r in connection.execute(select(DAILY))}
    assert after == {
        (old_day, "Nouvelle-Aquitaine", "33"): 6,
        (old_day, "Nouvelle-Aquitaine", ""): 2,
        (recent_day, "Nouvelle-Aquitaine", "40"): 2,
    }
    with db.engine().connect() as connection:
        assert stats.total(connection, stats.Filters(old_day, recent_day)) == 10  # the rollups are untouched


def test_erasure_removes_the_journeys_and_keeps_the_counts(database):
    review_data.store(
        database,
        [company_ransomware("sms:+33600000001", noon(0)), diagnosed("web:other", noon(0), "phishing", "hameconnage")],
    )
    fold()
    before = (cells(), facts())

    erasure.forget(["sms:+33600000001"])

    assert [r.sender_id for r in journey_rows()] == ["web:other"]
    assert (cells(), facts()) == before
    fold()
    assert (cells(), facts()) == before


@pytest.mark.parametrize("anonymise", [False, True])
def test_retention_removes_idle_journeys_and_keeps_the_counts(database, anonymise):
    now = time.time()
    review_data.store(
        database,
        [
            diagnosed("telegram:old", now - 200 * 86400, "phishing", "hameconnage"),
            diagnosed("telegram:recent", now - 86400, "phishing", "spam"),
        ],
    )
    fold()
    before = cells()

    retention.purge(days=180, anonymise=anonymise, now=now)

    assert [r.sender_id for r in journey_rows()] == ["telegram:recent"]
    assert cells() == before
    fold()  # anonymised events keep their ids: already folded, not counted again
    assert cells() == before


def test_journeys_rows_hold_the_only_conversation_ids_of_the_observatory():
    names = {c.name for table in (DAILY, FACTS) for c in table.columns}
    assert names.isdisjoint({"sender_id", "id", "text", "started_at", "last_at", "hour"})
    assert JOURNEYS.name in erasure.covered_tables()


# --- statistics ------------------------------------------------------------------------------------------------
def test_the_statistics_queries_filter_and_break_down(database):
    review_data.store(
        database,
        [company_ransomware(f"sms:+3360000{i:04d}", noon(i % 2)) for i in range(3)]
        + [diagnosed(f"web:{i}", noon(0), "phishing", "hameconnage") for i in range(2)],
    )
    fold()
    week = stats.Filters.last_days(7)
    with db.engine().connect() as connection:
        assert stats.total(connection, week) == 5
        assert stats.shares(connection, week) == [("rancongiciel", 3, 0.6), ("hameconnage", 2, 0.4)]
        assert stats.shares(connection, week, by="public") == [("entreprise", 3, 0.6), ("unknown", 2, 0.4)]
        assert stats.series(connection, week) == [
            (today(1), "rancongiciel", 1),
            (today(0), "hameconnage", 2),
            (today(0), "rancongiciel", 2),
        ]
        companies = stats.Filters.last_days(7, public="entreprise", region="Nouvelle-Aquitaine")
        assert stats.total(connection, companies) == 3
        assert stats.total(connection, stats.Filters.last_days(7, public="unknown")) == 2
        assert stats.total(connection, stats.Filters.last_days(7, channel="telegram")) == 0
        assert stats.top_facts(connection, week, "platform") == [("Microsoft", 3, 0.6), ("TeamViewer", 3, 0.6)]
        assert stats.rating_counts(connection, week)[3] == ("4", 3)
        assert [n for _, n in stats.wait_buckets(connection, week)] == [0, 0, 0, 0]
        assert stats.fact_counts(connection, week, "money_paid") == {"oui": 3, "non": 2}
        for filters in (week, companies):  # the page's one query for every kind gives what each kind's query gives
            every = stats.all_facts(connection, filters)
            assert every == {kind: stats.fact_counts(connection, filters, kind) for kind in journeys.KINDS}
        figures = page.read(connection, week)
        assert page._shares(figures.by_incident) == stats.shares(connection, week)
        assert page._shares(figures.by_public) == stats.shares(connection, week, by="public")
        with pytest.raises(ValueError):
            stats.series(connection, week, by="sender_id")
        with pytest.raises(ValueError):
            stats.fact_counts(connection, week, "text")


def test_filters_from_outside_keep_only_known_values():
    filters = stats.Filters(today(), today(), public="x'; DROP", channel="fax", incident="nope", region="r" * 100)
    valid = filters.valid()
    assert (valid.public, valid.channel, valid.incident, len(valid.region)) == ("", "", "", 64)


# --- publication -----------------------------------------------------------------------------------------------
def _phishing(prefix: str, count: int, postal_code: str) -> list:
    return [
        Conversation(f"web:{prefix}{i}", noon(0))
        .victim("un sms chronopost", "hameconnage")
        .slot("postal_code", postal_code)
        .slot("money_paid", i % 2 == 0)
        .listen()
        for i in range(count)
    ]


def test_the_export_hides_small_cells_and_folds_small_departements(database):
    # Gironde 6 (named), Landes 2 and Dordogne 2 (folded into Nouvelle-Aquitaine: 4, hidden), Rhône 4 (hidden).
    review_data.store(
        database,
        _phishing("g", 6, "33000")
        + _phishing("l", 2, "40000")
        + _phishing("d", 2, "24000")
        + _phishing("r", 4, "69001"),
    )
    fold()
    with db.engine().connect() as connection:
        published = publish.rows(connection)
    journeys_rows = [(r["region"], r["departement"], r["count"]) for r in published if r["measure"] == "journeys"]
    assert journeys_rows == [("Nouvelle-Aquitaine", "33", 6)]
    fact_rows = [(r["region"], r["measure"], r["value"], r["count"]) for r in published if r["measure"] != "journeys"]
    # Facts carry no département: Nouvelle-Aquitaine has 3 + 1 + 1 of each answer; the Rhône's 2 and 2 stay hidden.
    assert fact_rows == [("Nouvelle-Aquitaine", "money_paid", "non", 5), ("Nouvelle-Aquitaine", "money_paid", "oui", 5)]
    assert all(r["count"] >= publish.MIN_CELL for r in published)


def test_small_departements_add_up_to_a_published_region_row(database):
    review_data.store(database, _phishing("l", 3, "40000") + _phishing("d", 3, "24000"))
    fold()
    with db.engine().connect() as connection:
        published = [r for r in publish.rows(connection) if r["measure"] == "journeys"]
    assert [(r["region"], r["departement"], r["count"]) for r in published] == [("Nouvelle-Aquitaine", "", 6)]


def test_write_csv_refuses_a_small_cell(tmp_path):
    cell = dict.fromkeys(publish.COLUMNS, "")
    cell["count"] = publish.MIN_CELL - 1
    with pytest.raises(ValueError):
        publish.write_csv([cell], tmp_path / "out.csv")


# --- command line ----------------------------------------------------------------------------------------------
def test_the_command_line_refreshes_reports_and_exports(database, tmp_path):
    review_data.store(
        database,
        _phishing("g", 6, "33000") + [company_ransomware("telegram:1", noon(1))],
    )
    done = observatory(database, "refresh")
    assert done.returncode == 0, done.stderr
    assert "événement(s) lu(s)" in done.stdout

    done = observatory(database, "stats", "--days", "7", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {"days", "since", "until", "refreshed_at", "total", "incidents", "rows"}
    assert report["days"] == 7 and report["since"] == today(6).isoformat() and report["until"] == today().isoformat()
    assert report["total"] == 7 and report["incidents"] == {"hameconnage": 6, "rancongiciel": 1}
    assert report["rows"] == [
        {
            "day": today(1).isoformat(),
            "incident": "rancongiciel",
            "journeys": 1,
            "by_public": {"entreprise": 1},
            "by_channel": {"telegram": 1},
        },
        {
            "day": today(0).isoformat(),
            "incident": "hameconnage",
            "journeys": 6,
            "by_public": {"unknown": 6},
            "by_channel": {"web": 6},
        },
    ]
    assert report["refreshed_at"] is not None

    text_report = observatory(database, "stats", "--days", "1")
    assert text_report.returncode == 0 and "hameconnage" in text_report.stdout
    assert "rancongiciel" not in text_report.stdout  # yesterday

    target = tmp_path / "open" / "observatoire.csv"
    done = observatory(database, "export", "--csv", str(target))
    assert done.returncode == 0, done.stderr
    with target.open(encoding="utf-8") as handle:
        exported = list(csv.DictReader(handle))
    assert list(exported[0]) == list(publish.COLUMNS)
    assert [(r["departement"], r["measure"], r["count"]) for r in exported] == [("33", "journeys", "6")]
    assert "telegram" not in target.read_text(encoding="utf-8")  # the single ransomware journey stays hidden


@pytest.mark.parametrize("days", ["0", "-3", "abc", "100000"])
def test_the_command_line_refuses_a_bad_number_of_days(database, days):
    done = observatory(database, "stats", "--days", days)
    assert done.returncode == 2
    assert "jours" in done.stderr


def test_the_command_line_reports_nothing_before_any_conversation(tmp_path):
    done = observatory(f"sqlite:///{tmp_path / 'empty.db'}", "stats", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["total"], report["rows"], report["refreshed_at"]) == (0, [], None)


def test_the_journeys_table_is_erasable_by_the_registered_eraser(database):
    review_data.store(database, [diagnosed("web:z", noon(0), "phishing", "hameconnage")])
    fold()
    with db.engine().begin() as connection:
        erasure.erase_app_data(connection, ["web:z"], {})
        assert connection.execute(select(func.count()).select_from(JOURNEYS)).scalar() == 0


def test_the_rollups_agree_with_the_base_tables_whatever_the_filters(database, monkeypatch):
    """The statistics read the rollups; the export reads the base tables: both must say the same."""
    conversations = [company_ransomware(f"sms:+3360100{i:04d}", noon(i % 3)) for i in range(4)]
    conversations += _phishing("g", 5, "33000") + _phishing("r", 3, "69001") + _phishing("x", 2, "75011")
    conversations += [diagnosed(f"telegram:{i}", noon(i % 2), "phishing", "hameconnage") for i in range(3)]
    review_data.store(database, conversations)
    monkeypatch.setattr(refresh, "BATCH", 7)  # journeys moved between cells across batches
    while fold() == 7:
        pass
    # A journey that leaves its cell: the rollups follow.
    review_data.store(
        database, [Conversation("web:g0", noon(0)).victim("en fait", "inform").slot("public", "entreprise")]
    )
    fold()
    with db.engine().connect() as connection:
        base = connection.execute(select(DAILY)).all()
        base_facts = connection.execute(select(FACTS)).all()
        for public in ("", "particulier", "entreprise", "unknown"):
            for channel in ("", "web", "sms", "telegram"):
                for region in ("", "Nouvelle-Aquitaine", "unknown"):
                    filters = stats.Filters.last_days(7, public=public, channel=channel, region=region)

                    def keep(row, public=public, channel=channel, region=region) -> bool:
                        return (
                            (not public or row.public == stats._stored(public))
                            and (not channel or row.channel == channel)
                            and (not region or row.region == stats._stored(region))
                        )

                    expected: dict = {}
                    for row in base:
                        if keep(row):
                            expected[row.incident] = expected.get(row.incident, 0) + row.journeys
                    got = {key: n for key, n, _ in stats.shares(connection, filters)}
                    assert got == expected, filters
                    for by in ("public", "channel", "region"):
                        assert sum(n for _, n, _ in stats.shares(connection, filters, by)) == sum(expected.values())
                    paid = {}
                    for row in base_facts:
                        if keep(row) and row.kind == "money_paid":
                            paid[row.value] = paid.get(row.value, 0) + row.count
                    assert stats.fact_counts(connection, filters, "money_paid") == paid, filters
                    for incident in ("hameconnage", "rancongiciel"):
                        one = stats.Filters.last_days(
                            7, public=public, channel=channel, region=region, incident=incident
                        )
                        assert stats.total(connection, one) == expected.get(incident, 0), one
                        assert sum(stats.fact_counts(connection, one, "money_paid").values()) == sum(
                            row.count
                            for row in base_facts
                            if keep(row) and row.kind == "money_paid" and row.incident == incident
                        )


def test_the_privacy_page_says_the_anonymous_statistics_outlive_the_conversations():
    from channels import privacy_notice

    page = " ".join(privacy_notice.page().split())
    assert "Les statistiques anonymes" in page and "sont conservées au-delà" in page


def test_an_erasure_waits_for_a_refresh_batch_that_read_the_victims_events(tmp_path, monkeypatch):
    """PostgreSQL: a batch that read the events before the erasure deleted them must not write its journey row
    after the erasure (it would hold the erased victim's conversation id)."""
    with review_data.review_database("postgresql", tmp_path, monkeypatch, supervisor=False) as url:
        review_data.store(url, [diagnosed("sms:+33600000009", noon(0), "phishing", "hameconnage")])
        refresh.ensure_schema(db.engine(url))
        erase_while_held(monkeypatch, journeys, "apply", fold, ["sms:+33600000009"])
        assert journey_rows() == []
        assert cells() == {("hameconnage", "", "sms", "", ""): 1}
