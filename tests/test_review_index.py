"""The review index, its filters and keyset pagination, and transcripts, on SQLite and PostgreSQL.

The `events` table is created by Rasa's SQLTrackerStore and filled with rows exactly as Rasa writes them
(tests/review_data.py).
"""

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import db
from bot.privacy import CARD, PHONE
from console import annotations, auth, index, transcripts
from console.models import StaffUser
from console.review_models import ConversationIndex
from tests import review_data
from tests.review_data import Conversation, diagnosed
from tests.support.races import erase_while_held

PARIS = ZoneInfo("Europe/Paris")
NOW = time.time()
DAY = 86400


def noon(days_ago: int) -> float:
    """Noon (Paris time) `days_ago` days ago: the date filters work on whole days."""
    day = datetime.now(PARIS).date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, 12, tzinfo=PARIS).timestamp()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, monkeypatch):
    with review_data.review_database(request.param, tmp_path, monkeypatch, supervisor=False) as url:
        yield url


@pytest.fixture
def supervisor(database):
    auth.create_user("chef@example.org", "Chef", "un mot de passe très long", "supervisor")
    with db.session() as s:
        return s.scalar(select(StaffUser).where(StaffUser.email == "chef@example.org"))


def refresh() -> int:
    return index.refresh(settle_seconds=0)


def listed(**args) -> list:
    filters, errors = index.Filters.from_args({k: str(v) for k, v in args.items()})
    assert errors == []
    with db.engine().connect() as connection:
        return [row.sender_id for row in index.page(connection, filters, size=500).rows]


def sample(url: str) -> None:
    review_data.store(
        url,
        [
            diagnosed("web:phishing", noon(3), "j'ai reçu un sms chronopost et j'ai payé", "hameconnage", 0.97),
            diagnosed("telegram:4242", noon(2), "on a piraté mon compte Instagram", "piratage_compte", 0.41),
            diagnosed("sms:+33612345678", noon(1), "mes fichiers sont chiffrés, rançon demandée", "rancongiciel", 0.88),
            Conversation("api-client-7", noon(10))
            .victim("blabla incompréhensible", "nlu_fallback", 0.12)
            .action("action_not_understood")
            .bot("Je n'ai pas bien compris.")
            .listen(),
            Conversation("web:handover", noon(5))
            .victim("je veux parler à quelqu'un", "ask_human", 0.99)
            .action("action_request_handover")
            .bot("C'est noté…")
            .listen()
            .pause()
            .bot("Bonjour, ici Camille", operator="Camille")
            .victim("merci", "thank", 0.9)
            .resume(),
            Conversation("web:rated", noon(4))
            .victim('/rate{"rating": "2"}', "rate", 1.0, entities=[{"entity": "rating", "value": "2"}])
            .action("action_store_rating")
            .listen(),
        ],
    )


def test_filters(database, supervisor):
    sample(database)
    assert refresh() > 0
    assert listed() == [
        "sms:+33612345678",
        "telegram:4242",
        "web:phishing",
        "web:rated",
        "web:handover",
        "api-client-7",
    ]  # most recent activity first
    assert listed(channel="telegram") == ["telegram:4242"]
    assert listed(channel="rest") == ["api-client-7"]
    assert listed(incident="rancongiciel") == ["sms:+33612345678"]
    assert listed(low_confidence=1) == ["telegram:4242", "api-client-7"]  # default threshold 0.5
    assert listed(low_confidence=1, threshold="0,9") == ["sms:+33612345678", "telegram:4242", "api-client-7"]
    assert listed(fallback=1) == ["api-client-7"]
    assert listed(handed_over=1) == ["web:handover"]
    assert listed(rated="yes") == ["web:rated"] == listed(rated="negative")
    assert "web:rated" not in listed(rated="no")
    since = (datetime.now(PARIS).date() - timedelta(days=3)).isoformat()
    until = (datetime.now(PARIS).date() - timedelta(days=2)).isoformat()
    assert listed(since=since, until=until) == ["telegram:4242", "web:phishing"]  # last activity in range
    assert listed(since=until) == ["sms:+33612345678", "telegram:4242"]

    annotations.set_reviewed(supervisor, "telegram:4242", True)
    annotations.set_flagged(supervisor, "web:phishing", True, "exemple parfait")
    annotations.add_tag(supervisor, "web:phishing", "  Exemple  Formation ")
    assert "telegram:4242" not in listed(not_reviewed=1) and len(listed(not_reviewed=1)) == 5
    assert listed(flagged=1) == ["web:phishing"] == listed(tag="exemple formation")
    assert listed(incident="piratage_compte", not_reviewed=1) == []


def test_full_text_search_is_accent_insensitive_by_prefix_and_never_finds_personal_data(database):
    sample(database)
    review_data.store(
        database,
        [
            Conversation("web:card", NOW).victim(
                "ma carte 4970 1012 3456 7893 a été débitée, rappelez-moi au 06 12 34 56 78", "fraude_carte_bancaire"
            )
        ],
    )
    refresh()
    assert listed(q="RANÇON") == ["sms:+33612345678"]
    assert listed(q="chiffres rancon") == ["sms:+33612345678"]  # every word, accents ignored
    assert listed(q="pirat") == ["telegram:4242"]  # prefix
    assert listed(q="camille") == ["web:handover"]  # operator messages are searchable too
    assert listed(q="4970") == [] and listed(q="0612345678") == [] and listed(q="06 12 34") == []
    assert listed(q="carte masquée") == ["web:card"]
    assert listed(q="chronopost", channel="telegram") == []
    assert listed(q="*** ( ) \" '") == listed()  # nothing searchable: no filter, no error


def test_bad_filter_values_are_explained_and_ignored(database):
    filters, errors = index.Filters.from_args(
        {"since": "hier", "threshold": "beaucoup", "channel": "fax", "incident": "DROP TABLE", "rated": "x"}
    )
    assert len(errors) == 2 and "date" in errors[0] and "seuil" in errors[1]
    assert filters == index.Filters()


def test_keyset_pagination_walks_every_conversation_once_in_both_directions(database):
    # 130 conversations, some sharing exactly the same last activity (ties are broken by id)
    review_data.store(
        database, [Conversation(f"web:{n:03d}", NOW - (n // 3) * 60).victim("bonjour", "greet") for n in range(130)]
    )
    refresh()
    engine, seen, pages = db.engine(), [], []
    with engine.connect() as connection:
        found = index.page(connection, index.Filters(), size=25)
        assert found.newer is None and found.count == 130
        while True:
            seen += [row.id for row in found.rows]
            pages.append(found)
            if not found.older:
                break
            found = index.page(connection, index.Filters(), after=found.older, size=25)
        assert len(seen) == len(set(seen)) == 130 and len(pages) == 6
        keys = [(r.last_at, r.id) for p in pages for r in p.rows]
        assert keys == sorted(keys, reverse=True)
        # back from the last page with the "newer" cursors
        back = pages[-1]
        for expected in reversed(pages[:-1]):
            back = index.page(connection, index.Filters(), before=back.newer, size=25)
            assert [r.id for r in back.rows] == [r.id for r in expected.rows]
        assert back.newer is None
        assert index.page(connection, index.Filters(), after="n'importe quoi").rows[0].id == seen[0]


def test_refresh_is_incremental(database):
    conversation = Conversation("web:later", NOW - 100).victim("bonjour", "greet", 0.99)
    review_data.store(database, [conversation])
    first = refresh()
    assert first == len(conversation.events) and refresh() == 0
    more = Conversation("web:later", NOW - 50)
    more.events = []
    more.victim("je ne comprends rien à ce qui arrive", "nlu_fallback", 0.1).action("action_not_understood")
    review_data.store(database, [more])
    assert refresh() == 2
    with db.session() as s:
        rows = list(s.scalars(select(ConversationIndex)))
    assert len(rows) == 1
    row = rows[0]
    assert (row.user_messages, row.fallback, row.min_confidence) == (2, True, 0.1)
    assert row.first_message == "je ne comprends rien à ce qui arrive"  # "bonjour" is no description
    assert "comprends" in row.search_text
    before = row.search_text
    assert index.reindex() > 0
    with db.session() as s:
        assert s.scalar(select(ConversationIndex.search_text)) == before


def test_events_are_indexed_only_once_their_id_has_settled(database):
    review_data.store(database, [Conversation("web:x", NOW).victim("bonjour", "greet")])
    assert index.refresh(settle_seconds=0.3) == 0  # just observed
    time.sleep(0.35)
    assert index.refresh(settle_seconds=0.3) > 0


def test_transcript_shows_who_wrote_what_with_predictions_and_redaction(database):
    review_data.store(
        database,
        [
            Conversation("web:t", NOW - 60)
            .victim(
                "ma carte 4970 1012 3456 7893 a été débitée sur amazon",
                "fraude_carte_bancaire",
                0.83,
                entities=[{"entity": "platform", "value": "Amazon", "start": 47, "end": 53}],
            )
            .action("action_diagnose")
            .bot("Au regard de vos éléments… AMF : 01 53 45 62 00")
            .slot("incident", "fraude_carte_bancaire")
            .listen()
            .pause()
            .bot("Bonjour, je suis Camille. Mon numéro : 06 12 34 56 78", operator="Camille")
            .bot("Camille, conseiller, a rejoint la conversation.", system="handover")
            .resume()
        ],
    )
    transcript = transcripts.build("web:t")
    messages = [i for i in transcript.items if i["kind"] == "message"]
    assert [m["who"] for m in messages] == ["victim", "bot", "operator", "system"]
    victim = messages[0]
    assert victim["text"] == f"ma carte {CARD} a été débitée sur amazon"
    assert (victim["intent"], victim["confidence"]) == ("fraude_carte_bancaire", 0.83)
    assert victim["entities"] == [{"entity": "platform", "value": "Amazon", "span": "amazon"}]
    assert messages[1]["text"].endswith("01 53 45 62 00")  # the assistant's official numbers stay
    assert messages[2]["text"] == f"Bonjour, je suis Camille. Mon numéro : {PHONE}"
    assert messages[2]["operator"] == "Camille"
    assert {"kind": "action", "name": "action_diagnose"} in [
        {k: i[k] for k in ("kind", "name")} for i in transcript.items if i["kind"] == "action"
    ]
    assert any(i["kind"] == "slot" and i["name"] == "incident" for i in transcript.items)
    markers = [i["text"] for i in transcript.items if i["kind"] == "marker"]
    assert any("pause" in m for m in markers) and any("rendue" in m for m in markers)


def test_an_erasure_waits_for_a_refresh_batch_that_read_the_victims_events(tmp_path, monkeypatch):
    """PostgreSQL: a batch that read the events before the erasure deleted them must not write the conversation's
    index row (its first message and search text) after the erasure."""
    with review_data.review_database("postgresql", tmp_path, monkeypatch, supervisor=False) as url:
        review_data.store(url, [diagnosed("sms:+33600000009", noon(0), "mon compte est piraté", "piratage_compte")])
        index.ensure_schema(db.engine(url))
        erase_while_held(monkeypatch, index, "_apply", refresh, ["sms:+33600000009"])
        with db.engine(url).connect() as connection:
            assert connection.execute(select(ConversationIndex.sender_id)).all() == []
