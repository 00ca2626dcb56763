"""The web chat against the real Rasa server and action server: its HTTP API (server-sent events, CORS, bad input)
and the widget in a real browser (Debian's chromium driven by Playwright).

One pair of servers for the whole module; each browser test has its own browser context (its own localStorage, so
its own conversation). The operator is a real staff account using the real console over HTTP.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest
import requests
import sqlalchemy as sa
from playwright.sync_api import expect, sync_playwright

from channels import webchat
from channels.common import EMPTY_REPLY, TRUNCATED_NOTE
from channels.inbound import RATE_LIMIT_REPLY
from channels.webchat import IP_LIMIT_FACTOR, MAX_STREAMS_PER_SESSION
from tests.conftest import ACTION_TOKEN, ROOT, start_action_server, start_rasa_server
from tests.operator import HANDOVER_ENV, NAME, Operator, create_operator

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "var" / "artifacts"
RATE_LIMIT = 12  # messages per session per minute, for this module's server
INCIDENT = "on a piraté mon compte facebook"
DIAGNOSIS = "vous semblez être victime d'un piratage de compte"
XSS = "<img src=x onerror=alert(1)>"


DATABASES: Dict[str, str] = {}  # base URL of a module server -> its database


def server_database(base_url: str) -> str:
    return DATABASES[base_url]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("webchat")
    database_url = f"sqlite:///{tmp / 'webchat.db'}"
    create_operator(database_url)
    env = {**HANDOVER_ENV, "CHANNEL_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT)}
    actions, action_url = start_action_server(tmp, database_url, env)
    # The tests are the reverse proxy: post() gives each session its own client address, so that the per-address
    # limit only bites in the test about it (the browser's requests all come from 127.0.0.1).
    env["TRUSTED_PROXIES"] = "1"
    try:
        rasa, base_url = start_rasa_server(tmp, database_url, action_url, extra_env=env)
    except BaseException:
        actions.stop()
        raise
    DATABASES[base_url] = database_url
    yield base_url
    lingering = stream(base_url, new_session())  # a victim still on the page
    started = time.time()
    rasa.stop()
    stopping = time.time() - started
    lingering.close()
    actions.stop()
    # Open streams must not hold the shutdown until Sanic's graceful timeout (15 s).
    assert stopping < 10, f"the server took {stopping:.1f} s to stop with an open stream"


def new_session() -> str:
    return f"web:{uuid.uuid4()}"


def address_of(session: str) -> str:
    digest = uuid.uuid5(uuid.NAMESPACE_URL, session).bytes
    return f"10.{digest[0]}.{digest[1]}.{digest[2]}"


def post(server: str, session: str, message, client_id: Optional[str] = None, **kwargs) -> requests.Response:
    body = {"session": session, "message": message}
    if client_id:
        body["client_id"] = client_id
    headers = {
        "Content-Type": "text/plain;charset=UTF-8",
        "X-Forwarded-For": address_of(session),
        **kwargs.pop("headers", {}),
    }
    return requests.post(
        f"{server}/webhooks/webchat/webhook", data=json.dumps(body), headers=headers, timeout=60, **kwargs
    )


class EventStream:
    """A server-sent events client, parsing the wire format as a browser does."""

    def __init__(self, url: str, headers: Optional[Dict[str, str]] = None):
        self.response = requests.get(url, headers=headers or {}, stream=True, timeout=30)
        self.lines = self.response.iter_lines(chunk_size=64, decode_unicode=True)

    def next(self) -> Dict[str, str]:
        event: Dict[str, str] = {}
        for line in self.lines:
            if line == "":
                if event:
                    return event
                continue
            if line.startswith(":"):
                event.setdefault("comments", "")
                event["comments"] += line
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            event[field] = event[field] + "\n" + value if field == "data" and field in event else value
        raise EOFError("stream closed")

    def messages_until_synced(self) -> List[dict]:
        messages = []
        while True:
            event = self.next()
            if event.get("event") == "synced":
                return messages
            if "data" in event and event.get("event", "message") == "message":
                message = json.loads(event["data"])
                assert event["id"] == str(message["id"])
                messages.append(message)

    def close(self) -> None:
        self.response.close()


def stream(server: str, session: str, after: Optional[int] = None, last_event_id: Optional[int] = None) -> EventStream:
    url = f"{server}/webhooks/webchat/stream?session={session}"
    if after is not None:
        url += f"&after={after}"
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    return EventStream(url, headers)


def history(server: str, session: str) -> List[dict]:
    events = stream(server, session)
    try:
        return events.messages_until_synced()
    finally:
        events.close()


# --- HTTP ---------------------------------------------------------------------------------------------------------
def test_demo_page_and_widget_files_are_served(server: str):
    page = requests.get(f"{server}/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert '<script src="/webhooks/webchat/static/widget.js" defer></script>' in page.text
    script = requests.get(f"{server}/webhooks/webchat/static/widget.js", timeout=10)
    assert script.status_code == 200
    # A script is decoded in the embedding page's charset unless the server says otherwise.
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert "innerHTML" not in script.text.replace("no innerHTML", "")
    css = requests.get(f"{server}/webhooks/webchat/static/widget.css", timeout=10)
    assert css.status_code == 200 and css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert requests.get(f"{server}/webhooks/webchat/static/index.html", timeout=10).status_code == 404
    assert requests.get(f"{server}/webhooks/webchat/static/..%2Fwebchat.py", timeout=10).status_code == 404


def test_a_message_is_answered_and_its_turn_returned_with_tracker_ids(server: str):
    session = new_session()
    response = post(server, session, INCIDENT, client_id="m1")
    assert response.status_code == 200
    body = response.json()
    assert body["notices"] == []
    victim, *replies = body["messages"]
    assert (victim["who"], victim["text"], victim["client_id"]) == ("victim", INCIDENT, "m1")
    assert DIAGNOSIS in " ".join(r["text"] for r in replies)
    ids = [m["id"] for m in body["messages"]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert any(r.get("buttons") for r in replies)  # the first qualification question
    # the stream (the transcript of record) holds exactly the same messages
    assert history(server, session) == body["messages"]


def test_stream_replays_exactly_what_a_reconnecting_client_missed(server: str):
    session = new_session()
    post(server, session, INCIDENT, client_id="a")
    post(server, session, "/deny", client_id="b")
    everything = history(server, session)
    ids = [m["id"] for m in everything]
    assert len(ids) >= 6 and ids == sorted(set(ids))
    assert next(m for m in everything if m.get("client_id") == "b")["text"] == "Non"  # the button's title
    for cut in (ids[0], ids[2], ids[-2]):
        expected = [m for m in everything if m["id"] > cut]
        for resumed in (stream(server, session, last_event_id=cut), stream(server, session, after=cut)):
            assert resumed.messages_until_synced() == expected
            resumed.close()
    # EventSource's own header wins over the (older) position in the URL it keeps reusing
    both = stream(server, session, after=ids[0], last_event_id=ids[-2])
    assert both.messages_until_synced() == everything[-1:]
    both.close()
    # up to date: nothing is sent again
    assert stream(server, session, last_event_id=ids[-1]).messages_until_synced() == []


def pushed_after(events: "EventStream", count: int):
    """The next `count` messages of the stream, and how long after now they all arrived; closes the stream."""
    answered = time.time()
    pushed = []
    while len(pushed) < count:
        event = events.next()
        if "data" in event:
            pushed.append(json.loads(event["data"]))
    latency = time.time() - answered
    events.close()
    return pushed, latency


def test_stream_pushes_new_messages_as_soon_as_they_are_recorded(server: str):
    session = new_session()
    events = stream(server, session)
    assert events.messages_until_synced() == []  # not started yet: nothing, but the stream waits
    response = post(server, session, INCIDENT, client_id="p1")
    pushed, latency = pushed_after(events, len(response.json()["messages"]))
    assert pushed == response.json()["messages"]
    assert latency < 2, f"pushed {latency:.2f} s after the answer (the periodic re-check is 15 s)"


REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_PREFIX = f"cyberaidetest{uuid.uuid4().hex}"  # test runs sharing the Redis server


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory) -> Iterator[List[str]]:
    """Two Rasa server instances on one database with REDIS_URL, as behind a load balancer."""
    tmp = tmp_path_factory.mktemp("webchat-redis")
    database_url = f"sqlite:///{tmp / 'webchat.db'}"
    env = {**HANDOVER_ENV, "REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": REDIS_PREFIX}
    actions, action_url = start_action_server(tmp, database_url, env)
    started = []
    try:
        for _ in range(2):
            started.append(start_rasa_server(tmp, database_url, action_url, extra_env=env))
        yield [base_url for _, base_url in started]
    finally:
        for rasa, _ in started:
            rasa.stop()
        actions.stop()


def test_a_message_recorded_by_another_server_instance_is_pushed_at_once(two_servers):
    """The victim's stream is held by one instance; the turn (or an operator's message) is handled by another: Redis
    pub/sub wakes the stream, instead of its periodic re-check 15 s later."""
    holder, other = two_servers
    session = new_session()
    events = stream(holder, session)
    assert events.messages_until_synced() == []
    response = post(other, session, INCIDENT, client_id="elsewhere")
    assert response.status_code == 200
    pushed, latency = pushed_after(events, len(response.json()["messages"]))
    assert pushed == response.json()["messages"]
    assert latency < 3, f"pushed {latency:.2f} s after the answer (the periodic re-check is 15 s)"


def test_redis_carries_a_keyed_hash_of_the_session_never_the_session_id(two_servers, monkeypatch):
    """Whoever reads Redis (MONITOR, a shared server, a backup) must not learn the session id, the only key to the
    conversation: the wake-ups name it by its HMAC under the servers' shared secret, and still cross instances."""
    import redis

    holder, other = two_servers
    session = new_session()
    listener = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(f"{REDIS_PREFIX}:webchat:notify")
    try:
        events = stream(holder, session)
        assert events.messages_until_synced() == []
        response = post(other, session, INCIDENT, client_id="hashed")
        pushed, latency = pushed_after(events, len(response.json()["messages"]))
        assert pushed == response.json()["messages"] and latency < 3
        published = []
        deadline = time.time() + 1.0  # get_message also returns None for the subscription's confirmation
        while time.time() < deadline:
            message = listener.get_message(timeout=0.2)
            if message:
                published.append(message["data"].decode())
    finally:
        listener.close()
    assert published
    secret = session.partition(":")[2]
    for form in (secret, secret.replace("-", ""), hashlib.sha256(session.encode()).hexdigest()):
        assert not any(form in data for data in published), form
    monkeypatch.setenv("ACTION_SERVER_TOKEN", ACTION_TOKEN)
    assert {data.split(" ")[1] for data in published} == {webchat.stream_key(session)}


def test_erased_conversation_makes_the_client_start_over(server: str):
    session = new_session()
    post(server, session, "bonjour", client_id="r1")
    everything = history(server, session)
    events = stream(server, session, last_event_id=everything[-1]["id"] + 100)  # more than the transcript holds
    first = events.next()
    while "data" not in first:  # "retry:" and keep-alive comments
        first = events.next()
    assert first["event"] == "reset" and first["id"] == "-1"
    assert events.messages_until_synced() == everything
    events.close()


def test_cors_headers_on_every_answer(server: str):
    origin = {"Origin": "http://journal.example"}
    session = new_session()
    answers = [
        post(server, session, "bonjour", headers=origin),
        requests.post(f"{server}/webhooks/webchat/webhook", data=b"{oops", headers=origin, timeout=20),
        requests.get(f"{server}/webhooks/webchat/static/widget.js", headers=origin, timeout=10),
        requests.get(f"{server}/webhooks/webchat/stream?session=telegram:1", headers=origin, timeout=10),
    ]
    events = requests.get(
        f"{server}/webhooks/webchat/stream?session={session}", headers=origin, stream=True, timeout=10
    )
    answers.append(events)
    for answer in answers:
        values = answer.raw.headers.getlist("Access-Control-Allow-Origin")
        assert values == ["*"], (answer.url, answer.status_code, values)
        assert "Access-Control-Allow-Credentials" not in answer.headers  # no cookies are involved
    assert events.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert events.headers["Cache-Control"] == "no-store"
    events.close()


def test_streams_per_conversation_are_limited(server: str):
    session = new_session()
    streams = [stream(server, session) for _ in range(MAX_STREAMS_PER_SESSION)]
    try:
        for events in streams:
            assert events.response.status_code == 200
        refused = requests.get(f"{server}/webhooks/webchat/stream", params={"session": session}, timeout=10)
        assert refused.status_code == 429 and "Trop de fenêtres" in refused.json()["error"]
    finally:
        for events in streams:
            events.close()
    # the server notices the closed connections and serves the conversation again
    deadline = time.time() + 10
    while True:
        probe = requests.get(f"{server}/webhooks/webchat/stream", params={"session": session}, timeout=10, stream=True)
        probe.close()
        if probe.status_code == 200:
            break
        assert time.time() < deadline, "closed streams were never released"
        time.sleep(0.2)


def test_bad_requests_get_clear_french_answers(server: str):
    url = f"{server}/webhooks/webchat/webhook"
    session = new_session()
    for body in (
        b"",
        b"\xff\xfe\x00binaire",
        b"[1, 2]",
        b'{"session": "%s"}' % session.encode(),
        b'{"session": "%s", "message": 42}' % session.encode(),
    ):
        answer = requests.post(url, data=body, timeout=20)
        assert answer.status_code == 400 and "Requête invalide" in answer.json()["error"], body
    for forged in ("telegram:123456", "sms:+33612345678", "web:pas-un-uuid", None):
        answer = requests.post(url, json={"session": forged, "message": "bonjour"}, timeout=20)
        assert answer.status_code == 400 and "Identifiant de conversation invalide" in answer.json()["error"]
        # nobody reads another channel's conversation through the web stream
        read = requests.get(f"{server}/webhooks/webchat/stream", params={"session": forged}, timeout=20)
        assert read.status_code == 400
    huge = post(server, session, "a" * 600_000)
    assert huge.status_code == 413 and "beaucoup trop long" in huge.json()["error"]
    # the server is still fine
    assert post(server, session, "bonjour").status_code == 200


def test_empty_long_and_binary_messages_get_an_answer(server: str):
    session = new_session()
    empty = post(server, session, " \n\t ").json()
    assert empty == {"messages": [], "notices": [{"who": "bot", "text": EMPTY_REPLY}]}
    long = post(server, session, (INCIDENT + ". ") * 200, client_id="long").json()
    assert long["messages"][0]["client_id"] == "long" and len(long["messages"]) > 1
    assert long["notices"] == [{"who": "bot", "text": TRUNCATED_NOTE}]
    binary = post(server, session, "\x00\x01\udcff€\u202e", client_id="bin")
    assert binary.status_code == 200 and (binary.json()["messages"] or binary.json()["notices"])


def test_a_retried_message_is_recorded_and_answered_once(server: str):
    session = new_session()
    first = post(server, session, INCIDENT, client_id="retry-1").json()
    again = post(server, session, INCIDENT, client_id="retry-1").json()
    assert again["duplicate"] is True and again["messages"] == first["messages"] and again["notices"] == []
    victims = [m for m in history(server, session) if m["who"] == "victim"]
    assert [m["client_id"] for m in victims] == ["retry-1"]


def test_too_many_messages_are_refused_with_a_french_answer(server: str):
    session = new_session()
    codes = [post(server, session, "bonjour", client_id=f"flood-{i}").status_code for i in range(RATE_LIMIT + 2)]
    assert codes[:RATE_LIMIT] == [200] * RATE_LIMIT and codes[RATE_LIMIT:] == [429, 429]
    refused = post(server, session, "bonjour", client_id="flood-last")
    assert refused.status_code == 429 and refused.json()["error"] == RATE_LIMIT_REPLY
    assert len([m for m in history(server, session) if m["who"] == "victim"]) == RATE_LIMIT  # refused: not recorded
    assert post(server, new_session(), "bonjour").status_code == 200  # other victims are not affected


def test_a_script_rotating_session_ids_is_limited_by_its_address(server: str):
    limit = RATE_LIMIT * IP_LIMIT_FACTOR
    # Empty messages are answered without the NLU, so the flood fits well within the one-minute window. The
    # addresses on the left are the client's own claims: only the one our proxy appended (the last) counts.
    codes = [
        post(server, new_session(), "", headers={"X-Forwarded-For": f"192.0.2.{i % 250}, 203.0.113.77"})
        for i in range(limit + 1)
    ]
    assert [c.status_code for c in codes[:limit]] == [200] * limit
    assert codes[limit].status_code == 429 and codes[limit].json()["error"] == RATE_LIMIT_REPLY
    assert post(server, new_session(), "", headers={"X-Forwarded-For": "203.0.113.78"}).status_code == 200


@pytest.mark.parametrize(
    "proxies, forwarded, peer, expected",
    [
        ("", "198.51.100.9", "127.0.0.1", "127.0.0.1"),  # no trusted proxy: the header is anyone's claim
        ("1", "198.51.100.9", "127.0.0.1", "198.51.100.9"),
        ("1", "6.6.6.6, 198.51.100.9", "127.0.0.1", "198.51.100.9"),  # a client's own X-Forwarded-For is not believed
        ("2", "6.6.6.6, 198.51.100.9, 10.0.0.2", "127.0.0.1", "198.51.100.9"),
        ("1", "", "127.0.0.1", "127.0.0.1"),
        ("", None, "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),  # an IPv6 subscriber has a whole /64
        ("", None, "::ffff:192.0.2.1", "192.0.2.1"),
    ],
)
def test_client_address(monkeypatch, proxies, forwarded, peer, expected):
    from types import SimpleNamespace

    from channels.inbound import client_address

    monkeypatch.setenv("TRUSTED_PROXIES", proxies)
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    assert client_address(SimpleNamespace(headers=headers, remote_addr="", ip=peer)) == expected


# --- the widget in a real browser ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (make test does it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    context.set_default_timeout(20_000)
    yield context
    context.close()


def watch(page) -> dict:
    """Records what must never happen: script errors and dialogs (an injected alert())."""
    seen = {"errors": [], "dialogs": []}
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
    return seen


SHADOW = "document.getElementById('cyberaide-webchat').shadowRoot"


def focused(page) -> str:
    """What has the keyboard focus: `widget:<tag>.<class>#<id>` inside the widget, or the page element's tag."""
    return page.evaluate(
        f"""() => {{
            const host = document.getElementById('cyberaide-webchat');
            if (document.activeElement !== host) return document.activeElement.tagName.toLowerCase();
            const el = {SHADOW}.activeElement;
            return el ? `widget:${{el.tagName.toLowerCase()}}.${{el.className}}#${{el.id}}` : 'widget:none';
        }}"""
    )


def shown_messages(page) -> List[tuple]:
    """(id, who, text) of every message on screen, in screen order; id is '' for messages not yet recorded."""
    return page.evaluate(
        f"""() => Array.from({SHADOW}.querySelectorAll('.log .msg')).map(m => [
            m.dataset.id || '', m.className.match(/msg-(\\w+)/)[1], m.querySelector('.text').textContent])"""
    )


def wait_for_text(page, text: str, timeout: float = 20) -> None:
    page.locator(".log .msg .text", has_text=text).first.wait_for(timeout=timeout * 1000)


def assert_no_duplicates(messages: List[tuple]) -> None:
    ids = [int(m[0]) for m in messages if m[0] != ""]
    assert ids == sorted(ids) and len(ids) == len(set(ids)), messages


def test_journey_keyboard_only_with_quick_reply_advice_and_reload(server: str, context):
    page = context.new_page()
    seen = watch(page)
    page.goto(f"{server}/")
    page.locator(".bubble").wait_for()
    bubble = page.locator(".bubble")
    assert bubble.get_attribute("aria-expanded") == "false"
    assert bubble.get_attribute("aria-label") == "Ouvrir la discussion d'aide aux victimes de cybermalveillance"

    # keyboard only: Tab through the page until the bubble, open it with Enter
    for _ in range(60):
        page.keyboard.press("Tab")
        if focused(page).startswith("widget:button.bubble"):
            break
    else:
        pytest.fail("the bubble cannot be reached with the Tab key")
    page.keyboard.press("Enter")
    panel = page.locator(".panel")
    panel.wait_for()
    assert panel.get_attribute("role") == "dialog"
    assert panel.get_attribute("aria-label") == "Discussion avec l'assistant d'aide aux victimes de cybermalveillance"
    assert bubble.get_attribute("aria-expanded") == "true" and bubble.get_attribute("aria-controls") == "cw-panel"
    log = page.locator(".log")
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"
    assert focused(page) == "widget:textarea.#cw-input"
    assert page.locator("label[for=cw-input]").inner_text() == "Votre message"

    # the typing indicator shows while the answer is awaited
    page.evaluate(
        f"""() => {{
            const typing = {SHADOW}.querySelector('.typing');
            window.__typingSeen = false;
            new MutationObserver(() => {{ if (!typing.hidden) window.__typingSeen = true; }})
                .observe(typing, {{attributes: true}});
        }}"""
    )
    page.keyboard.type(INCIDENT)
    page.keyboard.press("Enter")
    wait_for_text(page, DIAGNOSIS)
    choices = page.get_by_role("group", name="Réponses proposées").last
    choices.get_by_role("button", name="Non", exact=True).wait_for()
    assert page.evaluate("() => window.__typingSeen") is True
    page.locator(".typing").wait_for(state="hidden")

    # back from the text box to the quick replies with Shift+Tab, choose "Non" with the keyboard
    for _ in range(6):
        page.keyboard.press("Shift+Tab")
        if page.evaluate(f"() => {SHADOW}.activeElement.textContent") == "Non":
            break
    else:
        pytest.fail("the quick replies cannot be reached with the keyboard")
    page.keyboard.press("Enter")
    wait_for_text(page, "Que souhaitez-vous faire maintenant")
    assert focused(page) == "widget:textarea.#cw-input"  # ready for the next message

    messages = shown_messages(page)
    victims = [text for _, who, text in messages if who == "victim"]
    assert victims == [INCIDENT, "Non"]  # the button's title, not its payload
    texts = " ".join(text for _, _, text in messages)
    assert "À faire tout de suite" in texts and "Preuves à conserver" in texts
    # the advice's official source is a real, safe link
    source = page.locator(".msg-bot a[href^='https://www.cybermalveillance.gouv.fr/']").first
    assert source.get_attribute("rel") == "noopener noreferrer" and source.get_attribute("target") == "_blank"
    # old questions' quick replies are gone, the last question's are there
    assert page.get_by_role("button", name="Je ne sais pas").count() == 0
    assert page.get_by_role("button", name="Revoir le récapitulatif").is_visible()

    # the view stopped at the start of the long answer (read from the top), not at its end
    time.sleep(1)  # smooth scrolling
    top = page.evaluate(
        f"""() => {{ const log = {SHADOW}.querySelector('.log');
                    const answer = Array.from(log.querySelectorAll('.msg-victim')).pop();
                    const box = answer.getBoundingClientRect(), view = log.getBoundingClientRect();
                    return [box.top >= view.top - 1 && box.bottom <= view.bottom + 1,
                            log.scrollTop + log.clientHeight < log.scrollHeight - 50]; }}"""
    )
    assert top == [True, True]  # the victim's "Non" is visible, and there is more to read below

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "webchat.png"))

    # reload: the same conversation, once
    page.reload()
    page.locator(".panel").wait_for()  # it was open in this tab: it stays open
    page.wait_for_function(f"() => {SHADOW}.querySelectorAll('.log .msg').length >= {len(messages)}")
    time.sleep(0.5)  # anything arriving twice would show up now
    assert shown_messages(page) == messages
    assert_no_duplicates(messages)

    # Escape closes, the focus goes back to the bubble
    page.locator("#cw-input").focus()
    page.keyboard.press("Escape")
    assert page.locator(".panel").is_hidden()
    assert focused(page).startswith("widget:button.bubble")
    assert page.locator(".bubble").get_attribute("aria-expanded") == "false"
    assert seen == {"errors": [], "dialogs": []}


def ask_for_an_operator(page, server: str):
    """The victim describes an incident in the widget, asks for a person and consents; returns the operator (a
    real staff account on the console) and the id of the queued request."""
    page.goto(f"{server}/")
    page.locator(".bubble").click()
    page.locator("#cw-input").fill(INCIDENT)
    page.keyboard.press("Enter")
    wait_for_text(page, DIAGNOSIS)
    operator = Operator(server)
    before = set(operator.waiting("web"))
    page.locator("#cw-input").fill("je veux parler à un conseiller")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Oui, je suis d'accord").click()
    wait_for_text(page, "votre demande est transmise à un conseiller")
    handover_id = next(iter(set(operator.waiting("web")) - before))
    return operator, handover_id


def test_operator_messages_are_pushed_escaped_and_survive_a_network_drop(server: str, context):
    page = context.new_page()
    seen = watch(page)
    operator, handover_id = ask_for_an_operator(page, server)

    # the operator takes the conversation: the widget is told at once (the periodic re-check is 15 s)
    operator.take(handover_id)
    taken = time.time()
    wait_for_text(page, f"{NAME}, de l'équipe des conseillers, a rejoint la conversation", timeout=10)
    push_latency = time.time() - taken
    assert push_latency < 5, push_latency

    # an operator message with markup and links: shown as text, only the http(s) link is a link
    operator.send(handover_id, f"{XSS} Voir https://example.org/aide. Pas javascript:alert(2) ni <b>gras</b>")
    wait_for_text(page, XSS)
    message = page.locator(".msg-operator").last
    assert message.locator(".who").inner_text() == f"{NAME}, conseiller"
    assert message.locator(".text").text_content() == (
        f"{XSS} Voir https://example.org/aide (nouvelle fenêtre). Pas javascript:alert(2) ni <b>gras</b>"
    )
    assert page.evaluate(f"() => {SHADOW}.querySelectorAll('img, b, script').length") == 0
    links = message.locator("a")
    assert links.count() == 1 and links.first.get_attribute("href") == "https://example.org/aide"
    assert links.first.get_attribute("rel") == "noopener noreferrer"

    # network drop: the victim writes, the operator writes, then the network comes back
    context.set_offline(True)
    page.locator(".status", has_text="hors connexion").wait_for()
    page.locator("#cw-input").fill("je suis toujours là")
    page.keyboard.press("Enter")
    page.locator(".pending .note", has_text="En attente du réseau").wait_for()
    operator.send(handover_id, "Message écrit pendant la coupure.")
    time.sleep(1)
    context.set_offline(False)
    wait_for_text(page, "Message écrit pendant la coupure.")
    page.locator(".pending").wait_for(state="detached")
    time.sleep(1)  # late or repeated deliveries would show up now
    messages = shown_messages(page)
    assert_no_duplicates(messages)
    texts = [text for _, _, text in messages]
    for text in ("je suis toujours là", "Message écrit pendant la coupure."):
        assert texts.count(text) == 1, messages
    assert all(m[0] != "" for m in messages)  # everything is in the transcript
    session = page.evaluate("() => localStorage.getItem('cyberaide.webchat.session')")
    recorded = [m["text"] for m in history(server, session)]
    assert recorded.count("je suis toujours là") == 1

    # reload: the same conversation, once, operator messages included
    page.reload()
    page.locator(".panel").wait_for()
    page.wait_for_function(f"() => {SHADOW}.querySelectorAll('.log .msg').length >= {len(messages)}")
    time.sleep(0.5)
    assert shown_messages(page) == messages
    assert seen == {"errors": [], "dialogs": []}


def test_a_message_the_server_did_not_get_survives_a_reload_and_leaves_later(server: str, context):
    page = context.new_page()
    seen = watch(page)
    page.goto(f"{server}/")
    page.locator(".bubble").click()
    page.locator("#cw-input").fill("bonjour")
    page.keyboard.press("Enter")
    page.locator(".msg-bot").first.wait_for()
    # the assistant becomes unreachable for sending (a broken proxy, a server restart)
    unreachable = "**/webhooks/webchat/webhook"
    page.route(unreachable, lambda route: route.abort("connectionrefused"))
    page.locator("#cw-input").fill(INCIDENT)
    page.keyboard.press("Enter")
    page.locator(".pending .note", has_text="En attente du réseau").wait_for()
    page.reload()  # the message waits in the outbox, on screen
    page.locator(".pending .text", has_text=INCIDENT).wait_for()
    page.unroute(unreachable)
    wait_for_text(page, DIAGNOSIS, timeout=40)  # sent again by itself, with growing delays
    page.locator(".pending").wait_for(state="detached")
    messages = shown_messages(page)
    assert_no_duplicates(messages)
    assert [text for _, who, text in messages if who == "victim"] == ["bonjour", INCIDENT]
    assert page.evaluate("() => localStorage.getItem('cyberaide.webchat.outbox')") is None
    assert seen == {"errors": [], "dialogs": []}


def test_unread_operator_messages_are_announced_on_the_closed_bubble(server: str, context):
    page = context.new_page()
    operator, handover_id = ask_for_an_operator(page, server)
    page.keyboard.press("Escape")
    operator.take(handover_id)
    operator.send(handover_id, "Bonjour, je suis là.")
    badge = page.locator(".badge")
    expect(badge).to_have_text("2")  # "has joined", then the message
    expect(page.locator(".bubble")).to_have_attribute(
        "aria-label", "Ouvrir la discussion d'aide aux victimes de cybermalveillance (2 nouveaux messages)"
    )
    page.locator(".bubble").click()
    assert badge.is_hidden()


def test_phone_screen_reduced_motion_and_contrast(server: str, browser):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, reduced_motion="reduce", locale="fr-FR"
    )
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        page.goto(f"{server}/")
        page.locator(".bubble").tap()
        page.locator("#cw-input").fill(INCIDENT)
        page.locator(".send").tap()
        wait_for_text(page, DIAGNOSIS)
        page.get_by_role("button", name="Je ne sais pas").wait_for()
        box = page.locator(".panel").bounding_box()
        assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 360, 740)  # full screen
        assert page.locator(".bubble").is_hidden()  # it would cover the text box
        overflow = page.evaluate(
            f"""() => Array.from({SHADOW}.querySelectorAll('.panel, .log, .msg, .composer'))
                .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.className)"""
        )
        assert overflow == []
        for selector in (".icon-button", ".send", ".choices button"):
            target = page.locator(selector).first.bounding_box()
            assert target["height"] >= 40 and target["width"] >= 40, selector
        assert page.evaluate(
            f"() => [getComputedStyle({SHADOW}.querySelector('.panel')).animationName,"
            f" getComputedStyle({SHADOW}.querySelector('.dots span')).animationName]"
        ) == ["none", "none"]

        # WCAG AA: every text of the widget against its actual background
        low = page.evaluate(
            f"""() => {{
                const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
                const lum = ([r, g, b]) => {{
                    const f = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
                    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
                }};
                const background = (el) => {{
                    const up = (e) => e.parentNode instanceof ShadowRoot ? e.parentNode.host : e.parentElement;
                    for (; el && el.nodeType === 1; el = up(el)) {{
                        const c = rgb(getComputedStyle(el).backgroundColor);
                        if (c.length < 4 || c[3] > 0.5) return c;
                    }}
                    return [255, 255, 255];
                }};
                const problems = [];
                const root = {SHADOW};
                for (const el of root.querySelectorAll('h2, p, a, button, textarea, .text, .who')) {{
                    if (!el.getClientRects().length || !el.textContent.trim() && el.tagName !== 'TEXTAREA') continue;
                    const style = getComputedStyle(el);
                    if (style.position === 'absolute' && style.width === '1px') continue;  // screen-reader only
                    const fg = rgb(style.color), bg = background(el);
                    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
                    const ratio = (a + 0.05) / (b + 0.05);
                    if (ratio < 4.5) problems.push(`${{el.tagName}}.${{el.className}} ${{ratio.toFixed(2)}}`);
                }}
                const input = root.querySelector('textarea');
                const ph = lum(rgb(getComputedStyle(input, '::placeholder').color));
                if ((1.05) / (ph + 0.05) < 4.5) problems.push('placeholder');
                return problems;
            }}"""
        )
        assert low == []
        # a shared phone: the victim starts a new conversation, nothing of the first one stays on screen
        first_session = page.evaluate("() => localStorage.getItem('cyberaide.webchat.session')")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Commencer une nouvelle conversation").tap()
        assert shown_messages(page) == []
        assert page.evaluate("() => localStorage.getItem('cyberaide.webchat.session')") is None
        page.locator("#cw-input").fill("bonjour")
        page.locator(".send").tap()
        page.locator(".msg-bot").first.wait_for()
        assert page.evaluate("() => localStorage.getItem('cyberaide.webchat.session')") not in (None, first_session)
        assert DIAGNOSIS not in " ".join(text for _, _, text in shown_messages(page))

        page.get_by_role("button", name="Fermer la discussion").tap()
        assert page.locator(".panel").is_hidden() and page.locator(".bubble").is_visible()
        assert focused(page).startswith("widget:button.bubble")
    finally:
        context.close()


class NewsSite:
    """Another site embedding the widget: its own origin, a Latin-1 page, a plain HTTP server of its own."""

    def __init__(self, assistant: str):
        page = (
            "<!doctype html><html lang='fr'><head><meta charset='iso-8859-1'><title>Journal</title></head><body>"
            "<h1>Un autre site, en Latin-1 : é à ç</h1>"
            f"<script src='{assistant}/webhooks/webchat/static/widget.js' defer></script></body></html>"
        ).encode("latin-1")

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=iso-8859-1")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        # "localhost" and another port: another origin than the assistant's 127.0.0.1 (both on loopback, which
        # Chromium's Private Network Access rules require of a plain-HTTP page loading a loopback script).
        self.url = f"http://localhost:{self.http.server_address[1]}/"

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


def test_widget_embedded_on_another_site(server: str, context):
    site = NewsSite(server)
    try:
        page = context.new_page()
        seen = watch(page)
        # Pages served over plain HTTP from a public address have no crypto.randomUUID: the widget must not need it.
        page.add_init_script("delete Crypto.prototype.randomUUID")
        page.goto(site.url)
        assert page.evaluate("() => typeof crypto.randomUUID") == "undefined"
        page.locator(".bubble").click()
        # the widget's French text survives a Latin-1 page
        assert page.locator(".panel h2").inner_text() == "Aide aux victimes de cybermalveillance"
        page.locator("#cw-input").fill(INCIDENT)
        page.keyboard.press("Enter")
        wait_for_text(page, DIAGNOSIS)
        session = page.evaluate("() => localStorage.getItem('cyberaide.webchat.session')")
        assert re.fullmatch(r"web:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", session)
        messages = shown_messages(page)
        page.reload()
        wait_for_text(page, DIAGNOSIS)
        page.wait_for_function(f"() => {SHADOW}.querySelectorAll('.log .msg').length >= {len(messages)}")
        time.sleep(0.5)
        assert shown_messages(page) == messages
        assert_no_duplicates(messages)
        assert seen == {"errors": [], "dialogs": []}
    finally:
        site.close()


# --- privacy: the page, and "Effacer mes données" ---------------------------------------------------------------------
def test_the_privacy_page_is_served_in_french(server: str):
    page = requests.get(f"{server}/confidentialite", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "Vos données et cette conversation" in page.text and "jours après votre dernier message" in page.text
    notice = requests.get(f"{server}/webhooks/webchat/notice", timeout=10)
    assert notice.headers["Access-Control-Allow-Origin"] == "*"
    assert notice.json()["url"] == f"{server}/confidentialite" and "Effacer mes données" in notice.json()["text"]


def test_effacer_mes_donnees_asks_then_erases_and_tells_the_widget(server: str):
    session = new_session()
    post(server, session, "mon compte instagram a été piraté, mon mot de passe était Soleil75")
    asked = post(server, session, "/request_erasure").json()
    question = next(m for m in asked["messages"] if m.get("buttons"))
    assert [m["text"] for m in asked["messages"] if m["who"] == "victim"] == ["Effacer mes données"]
    assert [b["title"] for b in question["buttons"]] == ["Oui, tout effacer", "Non, garder"]
    assert len(history(server, session)) > 4, "nothing is erased before the confirmation"
    events = stream(server, session)
    events.messages_until_synced()
    done = post(server, session, "/confirm_erasure").json()
    assert done["erased"] is True and done["messages"] == []
    assert "effacés" in done["notices"][0]["text"]
    event = events.next()
    while "data" not in event:
        event = events.next()
    assert event["event"] == "reset", "open tabs of the conversation drop what they show"
    events.close()
    assert history(server, session) == []


def test_a_confirmation_nobody_was_asked_for_erases_nothing(server: str):
    session = new_session()
    post(server, session, "j'ai reçu un mail de la caf qui me demande ma carte")
    before = history(server, session)
    forged = post(server, session, "/confirm_erasure").json()
    assert "erased" not in forged
    assert history(server, session)[: len(before)] == before


def test_typed_yes_confirms_and_typed_no_keeps(server: str):
    kept, erased = new_session(), new_session()
    for session in (kept, erased):
        post(server, session, "un faux conseiller m'a appelé")
        post(server, session, "effacez mes données svp")
    assert "n'efface rien" in json.dumps(post(server, kept, "non").json(), ensure_ascii=False)
    assert history(server, kept)
    assert post(server, erased, "oui").json().get("erased") is True
    assert history(server, erased) == []


def test_the_widget_erases_after_confirmation_and_forgets_its_session(server: str, context):
    page = context.new_page()
    seen = watch(page)
    page.goto(f"{server}/")
    page.locator(".bubble").click()
    # The notice as the server words it: how long conversations are kept, a link to the privacy page.
    notice = page.locator(".intro .notice")
    expect(notice).to_contain_text("180 jours")
    assert notice.locator("a").first.get_attribute("href") == f"{server}/confidentialite"
    erase = page.get_by_role("button", name="Effacer mes données")
    erase.click()
    wait_for_text(page, "Rien n'est enregistré")
    page.locator("#cw-input").fill("on a piraté mon compte facebook")
    page.keyboard.press("Enter")
    wait_for_text(page, DIAGNOSIS)
    session = page.evaluate("() => localStorage.getItem('cyberaide.webchat.session')")
    assert session and session.startswith("web:")
    erase.click()
    page.locator(".choices button", has_text="Oui, tout effacer").click()
    wait_for_text(page, "sont effacés")
    assert page.evaluate("() => localStorage.getItem('cyberaide.webchat.session')") is None
    assert not any(DIAGNOSIS in m[2] for m in shown_messages(page)), "the erased conversation is not shown"
    assert history(server, session) == []
    page.reload()
    page.locator(".bubble").click()
    assert not any(DIAGNOSIS in m[2] for m in shown_messages(page))
    assert seen == {"errors": [], "dialogs": []}


# --- the dossier as a file in the widget ------------------------------------------------------------------------
FAKE_ADVISER = (
    "hier un faux conseiller de ma banque m'a appelé du 06 12 34 56 78 et m'a fait valider un virement de 2 400 €"
)


def test_the_widget_downloads_the_dossier_as_a_pdf_file_until_its_link_expires(server: str, context, tmp_path):
    page = context.new_page()
    seen = watch(page)
    page.goto(f"{server}/")
    page.locator(".bubble").click()
    page.locator("#cw-input").fill(FAKE_ADVISER)
    page.keyboard.press("Enter")
    wait_for_text(page, "faux conseiller bancaire")
    page.locator("#cw-input").fill("je veux mon dossier pour porter plainte")
    page.keyboard.press("Enter")
    wait_for_text(page, "Votre dossier pour porter plainte est prêt")
    button = page.get_by_role("button", name="Télécharger mon dossier (PDF)")
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == "dossier-plainte-cyberaide.pdf"
    saved = tmp_path / "dossier.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    text = " ".join(
        subprocess.run(["pdftotext", str(saved), "-"], capture_output=True, text=True, check=True).stdout.split()
    )
    for expected in ["2 400 €", "virement", "+33612345678"]:
        assert expected in text, (expected, text)
    wait_for_text(page, "Dossier téléchargé")

    # The victim writes on: the button stays (unlike quick replies), and works while the link is valid.
    page.locator("#cw-input").fill("merci")
    page.keyboard.press("Enter")
    page.wait_for_timeout(1500)
    assert button.is_visible()
    engine = sa.create_engine(server_database(server))
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE dossier_links SET expires_at = '2000-01-01 00:00:00'"))
    button.click()
    wait_for_text(page, "Ce dossier n'est plus disponible")
    assert seen == {"errors": [], "dialogs": []}


def test_the_dossier_route_serves_only_a_web_session_that_was_given_a_dossier(server: str):
    url = f"{server}/webhooks/webchat/dossier"
    for body in ("", "{}", json.dumps({"session": "telegram:12345"}), json.dumps({"session": "sms:+33612345678"})):
        refused = requests.post(url, data=body, headers={"Content-Type": "text/plain"}, timeout=10)
        assert refused.status_code == 400 and "Identifiant de conversation invalide" in refused.json()["error"]
    session = new_session()
    post(server, session, FAKE_ADVISER)  # an incident, but no dossier asked for: nothing to download
    missing = requests.post(url, data=json.dumps({"session": session}), timeout=10)
    assert missing.status_code == 404 and missing.headers["Access-Control-Allow-Origin"] == "*"
    assert "plus disponible" in missing.json()["error"]
    post(server, session, "mon dossier")
    pdf = requests.post(url, data=json.dumps({"session": session}), timeout=60)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Cache-Control"] == "no-store" and pdf.headers["Access-Control-Allow-Origin"] == "*"
    assert requests.post(url, data=json.dumps({"session": new_session()}), timeout=10).status_code == 404
