"""Several instances and workers (issue 17): two Rasa servers, each with two Sanic workers, one action server,
PostgreSQL and Redis, as behind a load balancer. Each request may land on any of the four processes."""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
import requests
import sqlalchemy as sa

from console.conversations import TIMEOUT_MESSAGE
from tests.conftest import start_action_server, start_rasa_server, wait_for_workers
from tests.databases import temporary_database
from tests.operator import NAME, Operator, create_operator
from tests.test_sms import AUTH_TOKEN, sign, twilio_form
from tests.test_webchat import post, pushed_after, stream

WAIT_SECONDS = 3  # HANDOVER_WAIT_SECONDS: the timeout notice comes soon


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scale-out")
    with temporary_database("postgresql", tmp) as database_url:
        create_operator(database_url)
        env = {
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "REDIS_KEY_PREFIX": f"cyberaidetest{uuid.uuid4().hex}",
            "SMS_AUTH_TOKEN": AUTH_TOKEN,  # inline TwiML replies
            "HANDOVER_OPENING_HOURS": "24/7",
            "HANDOVER_WAIT_SECONDS": str(WAIT_SECONDS),
        }
        actions, action_url = start_action_server(tmp, database_url, env)
        env["SANIC_WORKERS"] = "2"  # the Rasa servers' worker processes
        started: list = []
        for name in ("a", "b"):
            (tmp / name / "metrics").mkdir(parents=True)  # PROMETHEUS_MULTIPROC_DIR: one per instance
        try:
            with ThreadPoolExecutor(2) as pool:  # the two instances load the model side by side
                futures = [
                    pool.submit(
                        start_rasa_server,
                        tmp / name,
                        database_url,
                        action_url,
                        {**env, "PROMETHEUS_MULTIPROC_DIR": str(tmp / name / "metrics")},
                        timeout=600,
                    )
                    for name in ("a", "b")
                ]
                for future in futures:
                    started.append(future.result())
            for server, _ in started:
                wait_for_workers(server, 2)
            yield SimpleNamespace(urls=[url for _, url in started], database_url=database_url)
        finally:
            for server, _ in started:
                server.stop()
            actions.stop()


def rest(url: str, sender: str, message: str) -> str:
    answer = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=120)
    assert answer.status_code == 200, answer.text
    return "\n".join(m.get("text") or "" for m in answer.json())


def stored_texts(database_url: str, sender_id: str, kind: str) -> list:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s AND type_name = :k ORDER BY id"),
                {"s": sender_id, "k": kind},
            )
            return [json.loads(row[0]).get("text") for row in rows]
    finally:
        engine.dispose()


def test_a_conversation_alternating_between_instances_keeps_its_order_and_facts(deployment):
    a, b = deployment.urls
    sender = f"alternating-{uuid.uuid4().hex[:8]}"
    said = ["j'ai reçu un sms de chronopost avec un lien pour payer des frais de livraison"]
    replies = [rest(a, sender, said[0])]
    for turn in range(6):  # "oui" to every question, on the other instance each time
        if "à faire tout de suite" in replies[-1].lower():
            break
        said.append("oui")
        replies.append(rest((b, a)[turn % 2], sender, "oui"))
    text = "\n".join(replies)
    assert len(replies) >= 3, "the questions were answered on both instances"
    assert "à faire tout de suite" in replies[-1].lower() and "banque" in replies[-1], replies
    assert "hameçonnage" in text
    victim = stored_texts(deployment.database_url, f"rest:{sender}", "user")
    assert victim == said, "every message recorded once, in the order sent"


def test_two_copies_of_one_sms_sent_to_both_instances_at_once_get_one_answer(deployment):
    number = f"+3361{uuid.uuid4().int % 10**7:07d}"
    form = twilio_form(number, "on m'a piraté mon compte facebook")
    barrier = threading.Barrier(4)

    def deliver(url: str) -> str:
        webhook = f"{url}/webhooks/sms/webhook"
        body, signature = urlencode(form), sign(webhook, form)
        barrier.wait()
        answer = requests.post(
            webhook,
            data=body,
            headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
            timeout=120,
        )
        assert answer.status_code == 200
        return answer.text

    with ThreadPoolExecutor(4) as pool:  # twice to each instance: each instance has two workers
        answers = list(pool.map(deliver, deployment.urls * 2))
    answered = [a for a in answers if "<Message>" in a]
    assert len(answered) == 1, answers
    assert stored_texts(deployment.database_url, f"sms:{number}", "user") == [form["Body"]]


def ask_for_a_person(url: str, session: str) -> None:
    post(url, session, "on a piraté mon compte facebook, je ne peux plus me connecter")
    asked = post(url, session, "je veux parler à un conseiller").json()["messages"]
    payload = next(
        button["payload"]
        for message in asked
        for button in message.get("buttons") or []
        if button["title"].startswith("Oui")
    )
    post(url, session, payload)


def test_an_operator_on_one_instance_reaches_a_stream_held_by_the_other_and_the_timeout_is_told_once(deployment):
    a, b = deployment.urls
    session = f"web:{uuid.uuid4()}"
    ask_for_a_person(a, session)
    # Four processes watch the queue; the request waits past HANDOVER_WAIT_SECONDS: the victim is told once.
    time.sleep(WAIT_SECONDS * 3 + 2)
    bot_texts = stored_texts(deployment.database_url, session, "bot")
    assert bot_texts.count(TIMEOUT_MESSAGE) == 1, bot_texts

    operator = Operator(a)
    handover_id = operator.waiting("web")[-1]
    events = stream(b, session)
    events.messages_until_synced()
    operator.take(handover_id)
    operator.send(handover_id, "Bonjour, je suis là. Avez-vous pu changer votre mot de passe ?")
    pushed, latency = pushed_after(events, 2)
    texts = [m.get("text") or "" for m in pushed]
    assert any(NAME in t for t in texts) and texts[-1].startswith("Bonjour, je suis là"), texts
    assert latency < 5, f"pushed across instances in {latency:.1f} s"
