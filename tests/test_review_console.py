"""The review pages and the rating actions with the real Rasa server, action server and SQL database.

Conversations are real: the victim talks to the bot over the REST channel, Rasa writes the tracker store, the review
pages index and show it.
"""

import json
import os
import re
import time
import uuid

import pytest
import requests
from sqlalchemy import select

import bot.handover  # noqa: F401
import console.models  # noqa: F401
from bot import db, ratings
from bot.db import EVENTS
from bot.privacy import CARD, PASSWORD, PHONE
from console import auth
from console.models import AuditLog, StaffUser
from console.review_models import ConversationIndex, MessageAnnotation
from tests.conftest import ACTION_TOKEN, Bot, start_action_server, start_rasa_server
from tests.databases import temporary_database
from tests.support.victims import DESCRIPTIONS
from tests.test_handover import PASSWORD as STAFF_PASSWORD
from tests.test_handover import Staff


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def servers(request, tmp_path_factory):
    """The real servers on SQLite (the default) and on PostgreSQL (production): the review index, its full-text
    search and the deletions take different paths on each."""
    tmp = tmp_path_factory.mktemp(f"review-{request.param}")
    with temporary_database(request.param, tmp) as database_url:
        yield from _servers(tmp, database_url)


def _servers(tmp, database_url):
    exports = {
        "EXPORT_DIR": str(tmp),
        "REVIEW_NLU_EXPORT_DIR": str(tmp / "nlu"),
        "REVIEW_STORY_EXPORT_DIR": str(tmp / "stories"),
        # the server's background task indexes every second and redacts stored texts right away
        "REVIEW_REFRESH_SECONDS": "1",
        "SCRUB_INTERVAL_SECONDS": "1",
        "REDACT_STORED_AFTER_MINUTES": "0",
    }
    previous = {key: os.environ.get(key) for key in ("DATABASE_URL", *exports)}
    os.environ.update({"DATABASE_URL": database_url, **exports})
    db.create_all()
    for email, role in (
        ("op@example.org", "operator"),
        ("chef@example.org", "supervisor"),
        ("admin@example.org", "admin"),
    ):
        auth.create_user(email, email.split("@")[0], STAFF_PASSWORD, role)
    actions, action_url = start_action_server(tmp, database_url, exports)
    rasa, base_url = start_rasa_server(tmp, database_url, action_url, extra_env=exports)
    bot = Bot(base_url, database_url)
    bot.tmp, bot.action_url = tmp, action_url
    yield bot
    rasa.stop()
    actions.stop()
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def conversation_id(staff: Staff, **filters) -> int:
    """The one conversation the filters select, waiting for the index to catch up: on PostgreSQL new events are
    indexed only once no transaction can still commit a lower id (console/index.py, POSTGRES_SETTLE_SECONDS)."""
    deadline = time.time() + 30
    while True:
        page = staff.http.get(f"{staff.base}/review", params=filters, timeout=30)
        assert page.status_code == 200, page.text[-2000:]
        ids = re.findall(r'href="/console/review/(\d+)"', page.text)
        if ids or time.time() > deadline:
            break
        time.sleep(1)
    assert len(ids) == 1, ids
    return int(ids[0])


def user_id(email: str) -> int:
    with db.session() as s:
        return s.scalar(select(StaffUser.id).where(StaffUser.email == email))


def test_operators_and_strangers_cannot_read_transcripts(servers: Bot):
    base = f"{servers.base_url}/console/review"
    assert requests.get(base, allow_redirects=False, timeout=20).headers["Location"].endswith("/console/login")
    operator = Staff(servers.base_url, "op@example.org")
    assert operator.http.get(f"{operator.base}/review", timeout=20).status_code == 403
    assert operator.http.get(f"{operator.base}/review/1", timeout=20).status_code == 403
    assert operator.post("/review/export-nlu").status_code == 403
    assert operator.post("/review/1/messages/1", intent="greet").status_code == 403
    assert "Transcriptions" not in operator.http.get(f"{operator.base}/", timeout=20).text
    chef = Staff(servers.base_url, "chef@example.org")
    assert "Transcriptions" in chef.http.get(f"{chef.base}/", timeout=20).text
    assert chef.post("/review/1/forget", confirm="oui").status_code == 403  # deleting is for admins


def test_a_supervisor_reviews_annotates_and_exports_a_real_conversation(servers: Bot):
    sender = f"web:{uuid.uuid4()}"
    assert servers.say(sender, "on a piraté mon compte facebook, mon mot de passe c'est Soleil2024! zorglub")
    assert servers.say(sender, "rappelez moi au 06 12 34 56 78")
    chef = Staff(servers.base_url, "chef@example.org")
    conversation = conversation_id(chef, q="zorglub")

    page = chef.http.get(f"{chef.base}/review/{conversation}", timeout=30)
    assert page.status_code == 200
    assert "Soleil2024" not in page.text and "06 12 34 56 78" not in page.text
    assert PASSWORD in page.text and PHONE in page.text and "Intention prédite" in page.text
    with db.session() as s:
        views = list(s.scalars(select(AuditLog).where(AuditLog.action == "view_transcript")))
    assert any(
        v.user_id == user_id("chef@example.org") and v.target.startswith(f"conversation {conversation} ") for v in views
    )

    with db.engine().connect() as connection:
        event_id = (
            connection.execute(
                select(EVENTS.c.id)
                .where(EVENTS.c.sender_id == sender, EVENTS.c.type_name == "user")
                .order_by(EVENTS.c.id)
            )
            .first()
            .id
        )
    assert f'id="m{event_id}"' in page.text
    forged = chef.http.post(
        f"{chef.base}/review/{conversation}/messages/{event_id}",
        data={"intent": "spam"},
        allow_redirects=False,
        timeout=20,
    )
    assert forged.status_code == 403  # no CSRF token
    bad = chef.post(
        f"/review/{conversation}/messages/{event_id}", intent="piratage_compte", entities="platform=twitter"
    )
    assert bad.status_code == 400 and "ne figure pas" in bad.text
    done = chef.post(
        f"/review/{conversation}/messages/{event_id}",
        intent="piratage_compte",
        entities="platform=facebook=>Facebook",
        action="save",
    )
    assert done.status_code in (302, 303)
    with db.session() as s:
        annotation = s.scalar(select(MessageAnnotation).where(MessageAnnotation.event_id == event_id))
    assert (annotation.intent, annotation.annotated_by) == ("piratage_compte", user_id("chef@example.org"))
    assert "Soleil2024" not in annotation.text

    assert chef.post(f"/review/{conversation}/reviewed", value="1").status_code in (302, 303)
    assert chef.post(f"/review/{conversation}/tags", tag="formation").status_code in (302, 303)
    listed = chef.http.get(f"{chef.base}/review", params={"q": "zorglub", "not_reviewed": "1"}, timeout=30).text
    assert f'href="/console/review/{conversation}"' not in listed
    assert conversation_id(chef, q="zorglub", tag="formation") == conversation

    exported = chef.post("/review/export-nlu")
    assert exported.status_code == 200 and "1 exemple écrit" in exported.text
    (path,) = (servers.tmp / "nlu").glob("review_export_*.yml")
    content = path.read_text(encoding="utf-8")
    assert "- intent: piratage_compte" in content and "Soleil2024" not in content and "[facebook]" in content
    story = chef.post(f"/review/{conversation}/story")
    assert story.status_code in (302, 303)
    assert len(list((servers.tmp / "stories").glob("review_story_web_*.yml"))) == 1
    with db.session() as s:
        actions = {a.action for a in s.scalars(select(AuditLog).where(AuditLog.user_id == user_id("chef@example.org")))}
    assert {"review_list", "view_transcript", "annotate", "review_reviewed", "export_nlu", "export_story"} <= actions


def test_the_server_indexes_new_conversations_and_redacts_stored_texts_by_itself(servers: Bot):
    sender = f"web:{uuid.uuid4()}"
    replies = servers.say(sender, "on m'a débité ma carte 4970 1012 3456 7893 hier soir, je suis perdu")
    assert replies and "4970" not in servers.text(replies)
    deadline = time.time() + 30
    while time.time() < deadline:
        with db.engine().connect() as connection:
            indexed = connection.execute(
                select(ConversationIndex.id).where(ConversationIndex.sender_id == sender)
            ).first()
            stored = [
                r.data
                for r in connection.execute(
                    select(EVENTS.c.data).where(EVENTS.c.sender_id == sender, EVENTS.c.type_name == "user")
                )
            ]
        # The texts, not the whole event: its confidences are long decimals that may hold the digits "4970".
        texts = [t for data in stored for t in (json.loads(data)["text"], json.loads(data)["parse_data"]["text"])]
        if indexed and stored and not any("4970" in t for t in texts):
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"not indexed or not redacted in time: {indexed}, {stored}")
    assert CARD in json.loads(stored[0])["text"]
    assert servers.say(sender, "je peux avoir le récapitulatif ?")  # the conversation goes on, history redacted


def test_an_admin_deletes_a_conversation_at_the_victims_request(servers: Bot):
    sender = f"web:{uuid.uuid4()}"
    assert servers.say(sender, "je reçois des spams tous les jours, signé barnabé")
    admin = Staff(servers.base_url, "admin@example.org")
    conversation = conversation_id(admin, q="barnabe")
    refused = admin.post(f"/review/{conversation}/forget")
    assert refused.status_code == 400 and "confirmation" in refused.text
    assert admin.post(f"/review/{conversation}/forget", confirm="oui").status_code in (302, 303)
    with db.engine().connect() as connection:
        assert connection.execute(select(EVENTS.c.id).where(EVENTS.c.sender_id == sender)).first() is None
    assert admin.http.get(f"{admin.base}/review/{conversation}", timeout=20).status_code == 404
    with db.session() as s:
        assert (
            s.scalar(
                select(AuditLog).where(AuditLog.action == "forget", AuditLog.user_id == user_id("admin@example.org"))
            )
            is not None
        )
    assert servers.say(sender, "bonjour")  # the victim can start again


def call_action(
    servers: Bot, name: str, sender: str, text: str, intent: str, channel: str = "rest", entities=(), events=()
) -> dict:
    message = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": list(entities)}
    tracker = {
        "sender_id": sender,
        "slots": {},
        "latest_message": message,
        "paused": False,
        "events": list(events) + [{"event": "user", "text": text, "parse_data": message, "input_channel": channel}],
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    response = requests.post(
        servers.action_url,
        params={"token": ACTION_TOKEN},
        json={"next_action": name, "sender_id": sender, "tracker": tracker, "domain": {}, "version": "3.6.2"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_the_victim_rates_the_help_and_says_why(servers: Bot):
    sender = f"web:{uuid.uuid4()}"
    advised = [{"event": "action", "name": "action_give_advice"}]
    not_helped = call_action(
        servers,
        "action_ask_rating",
        sender,
        "merci",
        "thank",
        channel="webchat",
        events=[{"event": "action", "name": "utter_greet"}],
    )
    assert not_helped["responses"] == []  # "bonjour" then "merci": nothing to rate yet
    asked = call_action(servers, "action_ask_rating", sender, "merci", "thank", channel="webchat", events=advised)
    assert [b["payload"] for b in asked["responses"][0]["buttons"]] == [
        f'/rate{{"rating": "{n}"}}' for n in range(1, 6)
    ]
    sms = call_action(servers, "action_ask_rating", "sms:+33600000009", "merci", "thank", channel="sms", events=advised)
    assert [b["title"][0] for b in sms["responses"][0]["buttons"]] == ["👍", "👎"]
    again = call_action(
        servers,
        "action_ask_rating",
        sender,
        "merci",
        "thank",
        events=advised
        + [
            {"event": "action", "name": "action_ask_rating"},
            {
                "event": "bot",
                "text": asked["responses"][0]["text"],
                "data": {"buttons": asked["responses"][0]["buttons"]},
            },
        ],
    )
    assert again["responses"] == []  # once per session

    bad = call_action(
        servers,
        "action_store_rating",
        sender,
        '/rate{"rating": "9"}',
        "rate",
        entities=[{"entity": "rating", "value": "9"}],
    )
    assert "pas compris" in bad["responses"][0]["text"] and ratings.for_sender(sender) == []
    stored = call_action(
        servers,
        "action_store_rating",
        sender,
        '/rate{"rating": "4"}',
        "rate",
        entities=[{"entity": "rating", "value": "4"}],
    )
    assert "Merci pour votre avis" in stored["responses"][0]["text"]
    call_action(
        servers, "action_store_rating_comment", sender, "clair, mais rappelez-moi au 06 12 34 56 78", "nlu_fallback"
    )
    (rating,) = ratings.for_sender(sender)
    assert rating.value == "4" and rating.comment == f"clair, mais rappelez-moi au {PHONE}"
    no_comment = call_action(servers, "action_store_rating_comment", sender, "/deny", "deny")
    assert "Entendu" in no_comment["responses"][0]["text"]
    assert ratings.for_sender(sender)[0].comment == rating.comment


def test_the_rating_is_asked_at_the_end_of_a_real_conversation_and_shown_in_review(servers: Bot):
    """The dialogue itself: advice, "merci", the rating question, a rating button, the "why", then the review list."""
    sender = f"rating-{uuid.uuid4().hex[:8]}"
    assert "Avec plaisir" in servers.text(servers.say(sender, "merci"))  # nothing to rate yet: no question
    replies = servers.say(sender, DESCRIPTIONS["spam"])
    for _ in range(8):  # answer the questions until the advice
        if "Récapitulatif" in servers.text(replies):
            break
        replies = servers.say(
            sender, '/inform{"public":"particulier"}' if "titre personnel" in servers.text(replies) else "non"
        )
    assert "Récapitulatif" in servers.text(replies)
    thanks = servers.say(sender, "merci beaucoup")
    question = next(r for r in thanks if r.get("buttons") and "été utile" in r.get("text", ""))
    assert question["buttons"][3]["payload"] == '/rate{"rating": "4"}'
    assert "Merci pour votre avis" in servers.text(servers.say(sender, '/rate{"rating": "4"}'))
    assert "bien été transmis" in servers.text(servers.say(sender, "c'etait clair, merci, mon tel 06 12 34 56 78"))
    (rating,) = ratings.for_sender(Bot.conversation_id(sender))
    assert rating.value == "4" and "06 12" not in rating.comment and PHONE in rating.comment
    assert "été utile" not in servers.text(servers.say(sender, "merci"))  # asked once per session
    chef = Staff(servers.base_url, "chef@example.org")
    conversation = conversation_id(chef, rated="yes", q="etait clair")
    transcript = chef.http.get(f"{chef.base}/review/{conversation}", timeout=30).text
    assert "4/5" in transcript or "4 / 5" in transcript, transcript[-3000:]
