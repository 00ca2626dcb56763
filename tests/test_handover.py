"""Human handover and the operators' console, with the real Rasa server, action server and SQL database."""

import json
import re
import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, select, text

import bot.handover  # noqa: F401
import bot.ratings
import console.models  # noqa: F401
from bot import db
from bot.db import EVENTS
from console import auth
from console.conversations import BACK_TO_BOT_MESSAGE, CLOSED_MESSAGE, TIMEOUT_MESSAGE
from tests.conftest import Bot, console_servers, shared_database
from tests.operator import sign_in

PASSWORD = "un mot de passe très long"
WEBCHAT_URL = "https://www.example.fr/aide"
ENV = {"HANDOVER_OPENING_HOURS": "24/7", "HANDOVER_WAIT_SECONDS": "4", "WEBCHAT_URL": WEBCHAT_URL}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("handover")
    # The test process creates the staff accounts in the servers' database.
    with shared_database(tmp, "handover.db") as database_url:
        for email, role in (
            ("op1@example.org", "operator"),
            ("op2@example.org", "operator"),
            ("chef@example.org", "supervisor"),
            ("admin@example.org", "admin"),
        ):
            auth.create_user(email, email.split("@")[0], PASSWORD, role)
        env = {**ENV, "EXPORT_DIR": str(tmp / "exports")}  # the review's exports, outside the project's var/
        with console_servers(tmp, database_url, env) as (rasa, served):
            served.exports = tmp / "exports"
            served.log = rasa.log
            yield served


class Staff:
    """A signed-in staff member's browser session."""

    def __init__(self, base_url: str, email: str, password: str = PASSWORD):
        self.base = f"{base_url}/console"
        self.http = requests.Session()
        response = sign_in(self.http, self.base, email, password)
        self.status = response.status_code
        self.csrf = None
        if response.status_code in (302, 303):
            page = self.http.get(f"{self.base}/", timeout=20).text
            self.csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)

    def queue(self):
        return self.http.get(f"{self.base}/api/queue", timeout=20).json()

    def post(self, path: str, **data):
        return self.http.post(f"{self.base}{path}", data={"csrf": self.csrf, **data}, allow_redirects=False, timeout=20)

    def send(self, handover_id: int, text: str):
        return self.http.post(
            f"{self.base}/handovers/{handover_id}/send",
            json={"text": text},
            headers={"X-CSRF-Token": self.csrf},
            timeout=20,
        )

    def messages(self, handover_id: int):
        return self.http.get(f"{self.base}/api/handovers/{handover_id}/messages", timeout=20).json()["messages"]


def victim() -> str:
    return f"web:{uuid.uuid4()}"


def request_handover(bot: Bot, sender: str) -> str:
    bot.say(sender, "on a piraté mon compte facebook, je ne peux plus me connecter")
    consent = bot.say(sender, "je veux parler à un conseiller")
    assert "Êtes-vous d'accord" in bot.text(consent)
    return bot.text(bot.press(sender, consent, "Oui"))


def waiting_id(staff: Staff, before: set) -> int:
    for _ in range(20):
        ids = {h["id"] for h in staff.queue()["waiting"]} - before
        if ids:
            return ids.pop()
        time.sleep(0.2)
    pytest.fail("the request never reached the queue")


def test_console_refuses_unauthenticated_requests(servers: Bot):
    base = f"{servers.base_url}/console"
    assert requests.get(f"{base}/", allow_redirects=False, timeout=20).headers["Location"].endswith("/console/login")
    assert requests.get(f"{base}/api/queue", timeout=20).status_code == 401
    assert requests.post(f"{base}/handovers/1/take", allow_redirects=False, timeout=20).status_code in (302, 303)
    assert Staff(servers.base_url, "op1@example.org", "mauvais mot de passe!").status == 401
    time.sleep(2.1)  # after a failure, a first sign-in from the same address waits 2 s (console/login_guard.py)


def test_roles_and_csrf_are_enforced(servers: Bot):
    operator, admin = Staff(servers.base_url, "op1@example.org"), Staff(servers.base_url, "admin@example.org")
    assert operator.http.get(f"{operator.base}/users", timeout=20).status_code == 403
    assert operator.post("/users", email="x@example.org", name="X", password=PASSWORD).status_code == 403
    assert admin.http.get(f"{admin.base}/users", timeout=20).status_code == 200
    no_csrf = operator.http.post(f"{operator.base}/handovers/1/take", allow_redirects=False, timeout=20)
    assert no_csrf.status_code == 403


def test_full_handover_on_the_victims_channel(servers: Bot):
    op = Staff(servers.base_url, "op1@example.org")
    before = {h["id"] for h in op.queue()["waiting"]}
    sender = victim()
    assert "votre demande est transmise à un conseiller" in request_handover(servers, sender)
    handover_id = waiting_id(op, before)
    waiting = next(h for h in op.queue()["waiting"] if h["id"] == handover_id)
    assert waiting["title"] == "Piratage de compte" and waiting["channel"] == "web"

    # while waiting, the victim can still talk to the bot, and the operator sees it
    assert servers.say(sender, "bonjour")
    assert op.post(f"/handovers/{handover_id}/take").status_code in (302, 303)

    # the operator owns the conversation: the bot is silent, the victim's message is recorded
    assert servers.say(sender, "vous êtes là ? j'ai peur") == []
    assert op.send(handover_id, "Bonjour, je suis là. Avez-vous pu changer votre mot de passe ?").status_code == 200
    transcript = op.messages(handover_id)
    whos = [(m["who"], m["text"]) for m in transcript]
    assert ("victim", "vous êtes là ? j'ai peur") in whos
    assert ("operator", "Bonjour, je suis là. Avez-vous pu changer votre mot de passe ?") in whos
    assert any(m["who"] == "operator" and m["operator"] == "op1" for m in transcript)

    # hand back: the bot answers again, with the context of before
    assert op.post(f"/handovers/{handover_id}/handback").status_code in (302, 303)
    assert any(
        m["text"] == BACK_TO_BOT_MESSAGE for m in Staff(servers.base_url, "chef@example.org").messages(handover_id)
    )
    assert bot_text(servers, sender, "vous pouvez me renvoyer le récapitulatif ?").startswith(
        "Récapitulatif – Piratage de compte"
    )


def bot_text(bot: Bot, sender: str, message: str) -> str:
    return bot.text(bot.say(sender, message))


def test_two_operators_racing_for_the_same_conversation(servers: Bot):
    op1, op2 = Staff(servers.base_url, "op1@example.org"), Staff(servers.base_url, "op2@example.org")
    before = {h["id"] for h in op1.queue()["waiting"]}
    request_handover(servers, victim())
    handover_id = waiting_id(op1, before)
    results = {}

    def take(name, staff):
        results[name] = staff.post(f"/handovers/{handover_id}/take").status_code

    threads = [threading.Thread(target=take, args=(n, s)) for n, s in (("op1", op1), ("op2", op2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == [303, 409] or sorted(results.values()) == [302, 409]
    loser = op2 if results["op2"] == 409 else op1
    assert loser.send(handover_id, "je prends aussi").status_code == 403


def test_closing_gives_the_conversation_back_with_its_context(servers: Bot):
    op = Staff(servers.base_url, "op2@example.org")
    before = {h["id"] for h in op.queue()["waiting"]}
    sender = victim()
    request_handover(servers, sender)
    handover_id = waiting_id(op, before)
    op.post(f"/handovers/{handover_id}/take")
    assert op.post(f"/handovers/{handover_id}/close", outcome="complaint_appointment").status_code in (302, 303)
    with db.session() as s:
        item = s.get(bot.handover.Handover, handover_id)
        assert (item.state, item.outcome) == ("closed", "complaint_appointment")
    messages = Staff(servers.base_url, "chef@example.org").messages(handover_id)
    assert any(m["text"] == CLOSED_MESSAGE for m in messages)
    assert messages[-1]["text"].startswith("Une dernière chose")  # the victim may rate the operator's help
    assert "Merci pour votre avis" in bot_text(servers, sender, '/rate{"rating": "5"}')  # the button offered
    assert "bien été transmis" in bot_text(servers, sender, "très rassurant, merci")
    with db.session() as s:
        (rating,) = s.scalars(select(bot.ratings.Rating).where(bot.ratings.Rating.sender_id == sender)).all()
    assert (rating.value, rating.comment) == ("5", "très rassurant, merci")
    assert "Avec plaisir" in bot_text(servers, sender, "merci beaucoup")


def test_nobody_takes_it_in_time_the_victim_is_told_and_stays_queued(servers: Bot):
    chef = Staff(servers.base_url, "chef@example.org")
    before = {h["id"] for h in chef.queue()["waiting"]}
    request_handover(servers, victim())
    handover_id = waiting_id(chef, before)
    deadline = time.time() + 20
    while time.time() < deadline:
        if any(m["text"] == TIMEOUT_MESSAGE for m in chef.messages(handover_id)):
            break
        time.sleep(0.5)
    else:
        pytest.fail("the victim was never told that nobody was available")
    assert handover_id in {h["id"] for h in chef.queue()["waiting"]}


def test_staff_never_see_card_numbers_and_closed_conversations_are_read_by_supervisors_only(servers: Bot):
    op1, op2 = Staff(servers.base_url, "op1@example.org"), Staff(servers.base_url, "op2@example.org")
    before = {h["id"] for h in op1.queue()["waiting"]}
    sender = victim()
    request_handover(servers, sender)
    handover_id = waiting_id(op1, before)
    servers.say(sender, "il a débité ma carte 4970 1012 3456 7893 avec le code 482913")
    page = op1.http.get(f"{op1.base}/handovers/{handover_id}", timeout=20).text  # waiting: any operator reads it
    assert "4970 1012" not in page and "482913" not in page and "carte bancaire masquée" in page
    assert "en attente depuis" in page and "Piratage de compte" in page
    assert all("4970" not in m["text"] for m in op1.messages(handover_id))

    op2.post(f"/handovers/{handover_id}/take")
    op2.post(f"/handovers/{handover_id}/note", text="rappeler au 06 12 34 56 78")
    assert "06 12 34 56 78" not in op2.http.get(f"{op2.base}/handovers/{handover_id}", timeout=20).text
    assert op2.http.get(f"{op2.base}/api/handovers/{handover_id}/messages", timeout=20).status_code == 200
    assert op2.post(f"/handovers/{handover_id}/close", outcome="advice_given").status_code in (302, 303)
    # closed: no operator browses it any more, not even the one who held it; supervisors do
    for operator in (op1, op2):
        refused = operator.http.get(f"{operator.base}/handovers/{handover_id}", timeout=20)
        assert refused.status_code == 403 and "seuls les superviseurs" in refused.text
        assert operator.http.get(f"{operator.base}/api/handovers/{handover_id}/messages", timeout=20).status_code == 403
    chef = Staff(servers.base_url, "chef@example.org")
    assert chef.http.get(f"{chef.base}/handovers/{handover_id}", timeout=20).status_code == 200
    assert any("carte bancaire masquée" in m["text"] for m in chef.messages(handover_id))


def test_the_audit_log_never_holds_a_victims_phone_number(servers: Bot):
    from console.models import AuditLog

    op = Staff(servers.base_url, "op1@example.org")
    before = {h["id"] for h in op.queue()["waiting"]}
    # A REST integrator that uses phone numbers as sender ids (a request queued before REST conversations stopped
    # being handed over: an operator may still read it, not take it).
    bot.handover.request("rest:+33612345678", "rest", "asked", None)
    handover_id = waiting_id(op, before)
    op.http.get(f"{op.base}/handovers/{handover_id}", timeout=20)
    with db.session() as s:
        targets = [a.target or "" for a in s.scalars(select(AuditLog))]
    assert any(f"handover {handover_id}" in t for t in targets)
    assert not any("612345678" in t for t in targets)
    # admins read the log; operators and supervisors cannot
    admin = Staff(servers.base_url, "admin@example.org")
    page = admin.http.get(f"{admin.base}/audit", params={"action": "view_conversation"}, timeout=20)
    assert page.status_code == 200 and f"handover {handover_id}" in page.text and "op1" in page.text
    assert "<td>take</td>" not in page.text  # the filter
    assert op.http.get(f"{op.base}/audit", timeout=20).status_code == 403
    assert Staff(servers.base_url, "chef@example.org").http.get(f"{op.base}/audit", timeout=20).status_code == 403


def test_an_operator_reads_only_the_conversation_of_the_handover_they_hold(servers: Bot):
    op, chef = Staff(servers.base_url, "op1@example.org"), Staff(servers.base_url, "chef@example.org")
    sender = victim()
    before = {h["id"] for h in op.queue()["waiting"]}
    request_handover(servers, sender)
    first = waiting_id(op, before)
    op.post(f"/handovers/{first}/take")
    servers.say(sender, "ma voisine a vu l'escroc devant chez moi")
    assert any("voisine" in m["text"] for m in op.messages(first))
    assert op.post(f"/handovers/{first}/handback").status_code in (302, 303)
    # handed back: the operator who held it reads it no more, page or API
    assert op.http.get(f"{op.base}/handovers/{first}", timeout=20).status_code == 403
    assert op.http.get(f"{op.base}/api/handovers/{first}/messages", timeout=20).status_code == 403
    servers.say(sender, "j'ai aussi reçu un SMS bizarre de la banque ce matin")

    # the victim asks again: the same operator reads the new request from the first handover's end only, before
    # and after taking it (the bot part that led to it, not the first handover nor what came before)
    before = {h["id"] for h in op.queue()["waiting"]}
    servers.press(sender, servers.say(sender, "je veux parler à un conseiller"), "Oui")
    second = waiting_id(op, before)

    def shows_only_the_new_conversation() -> None:
        shown = " ".join(m["text"] for m in op.messages(second))
        page = op.http.get(f"{op.base}/handovers/{second}", timeout=20).text
        assert "un SMS bizarre" in shown and "un SMS bizarre" in page
        assert "voisine" not in shown and "voisine" not in page
        assert "piraté mon compte facebook" not in shown and "piraté mon compte facebook" not in page

    shows_only_the_new_conversation()
    assert op.post(f"/handovers/{second}/take").status_code in (302, 303)
    shows_only_the_new_conversation()
    # a supervisor reads the whole history, the first handover included
    assert any("voisine" in m["text"] for m in chef.messages(first))
    assert any("voisine" in m["text"] for m in chef.messages(second))


def test_message_reads_are_audited_once_per_reader_and_masked(servers: Bot):
    from console.models import AuditLog, StaffUser

    op, chef = Staff(servers.base_url, "op2@example.org"), Staff(servers.base_url, "chef@example.org")
    before = {h["id"] for h in op.queue()["waiting"]}
    sender = victim()
    request_handover(servers, sender)
    handover_id = waiting_id(op, before)
    for _ in range(3):  # the page polls: not one entry per poll
        op.messages(handover_id)
    chef.messages(handover_id)
    with db.session() as s:
        reads = [
            (a.user_id, a.target)
            for a in s.scalars(select(AuditLog).where(AuditLog.action == "read_messages"))
            if (a.target or "").startswith(f"handover {handover_id} ")
        ]
        ids = {
            s.scalar(select(StaffUser.id).where(StaffUser.email == e)) for e in ("op2@example.org", "chef@example.org")
        }
    assert sorted(user for user, _ in reads) == sorted(ids)
    session = sender.partition(":")[2]
    assert all(target == f"handover {handover_id} (web:…{session[-4:]})" for _, target in reads)


def test_no_staff_page_api_log_or_export_holds_a_web_chat_session_id(servers: Bot):
    """The session id is the only key to a web conversation: whoever has it reads the stream and writes as the
    victim. Every page and API the staff reach along a handover, the review and the audit log, show it masked."""
    from console.models import AuditLog
    from console.review_models import ConversationIndex

    op, chef = Staff(servers.base_url, "op1@example.org"), Staff(servers.base_url, "chef@example.org")
    admin = Staff(servers.base_url, "admin@example.org")
    sender = victim()
    session = sender.partition(":")[2]
    seen = []

    def crawl(staff: Staff, *paths: str) -> None:
        for path in paths:
            response = staff.http.get(f"{staff.base}{path}", timeout=30)
            seen.append((path, response.text + str(response.headers)))

    def act(staff: Staff, path: str, **data) -> None:
        response = staff.post(path, **data)
        assert response.status_code in (302, 303), (path, response.status_code)
        seen.append((path, response.text + str(response.headers)))
        crawl(staff, response.headers["Location"].removeprefix("/console"))

    before = {h["id"] for h in op.queue()["waiting"]}
    request_handover(servers, sender)
    handover_id = waiting_id(op, before)
    pages = ("/", "/api/queue", f"/handovers/{handover_id}", f"/api/handovers/{handover_id}/messages")
    crawl(op, *pages)
    act(op, f"/handovers/{handover_id}/take")
    assert op.send(handover_id, "Bonjour, je suis là.").status_code == 200
    servers.say(sender, "merci, ma carte 4970 1012 3456 7893 a été débitée")
    act(op, f"/handovers/{handover_id}/note", text="victime rassurée")
    crawl(op, *pages)
    act(op, f"/handovers/{handover_id}/close", outcome="advice_given")
    crawl(op, *pages)
    crawl(chef, *pages, "/review")
    with db.session() as s:
        conversation = s.scalar(select(ConversationIndex.id).where(ConversationIndex.sender_id == sender))
    assert conversation is not None
    crawl(chef, f"/review/{conversation}")
    act(chef, f"/review/{conversation}/story")
    export = chef.post("/review/export-nlu")
    seen.append(("/review/export-nlu", export.text))
    crawl(admin, "/audit", "/audit?action=view_conversation", "/audit?action=read_messages")

    leaks = [path for path, text in seen if session in text]
    assert leaks == [], f"the session id appears on {leaks}"
    masked = f"web:…{session[-4:]}"  # how staff tell the conversation apart
    assert any(masked in text for path, text in seen if path == f"/handovers/{handover_id}")
    assert any(masked in text for path, text in seen if path == "/audit")
    with db.session() as s:
        assert not any(session in (a.target or "") for a in s.scalars(select(AuditLog)))
    stories = list((servers.exports / "stories").glob("*.yml"))
    assert stories and not any(session in story.read_text() for story in stories)


# --- no silent handover ---------------------------------------------------------------------------------------------
def handovers_of(sender_id: str) -> list:
    with db.session() as s:
        return list(s.scalars(select(bot.handover.Handover).where(bot.handover.Handover.sender_id == sender_id)))


def stored_events(database_url: str, sender_id: str) -> list:
    with create_engine(database_url).connect() as connection:
        return [
            row.type_name
            for row in connection.execute(
                select(EVENTS.c.type_name).where(EVENTS.c.sender_id == sender_id).order_by(EVENTS.c.id)
            )
        ]


def last_mark(database_url: str, sender_id: str) -> str:
    """The latest of the conversation's pauses and resumptions."""
    return [kind for kind in stored_events(database_url, sender_id) if kind in ("pause", "resume")][-1]


def pause_directly(database_url: str, sender_id: str) -> None:
    """Rasa's ConversationPaused, written as the console writes it, with no handover behind it."""
    now = time.time()
    with create_engine(database_url).begin() as connection:
        connection.execute(
            EVENTS.insert().values(
                sender_id=sender_id,
                type_name="pause",
                timestamp=now,
                data=json.dumps({"event": "pause", "timestamp": now}),
            )
        )


def test_a_rest_caller_who_asks_for_a_person_gets_the_alternatives_and_no_request_is_queued(servers: Bot):
    sender = f"rest-{uuid.uuid4().hex[:8]}"
    told = request_handover(servers, sender)
    assert "nos conseillers ne peuvent pas vous écrire" in told and "votre demande est transmise" not in told
    assert WEBCHAT_URL in told and "17cyber.gouv.fr" in told and "0 805 805 817" in told and "17 ou 112" in told
    assert handovers_of(f"rest:{sender}") == []
    assert servers.say(sender, "bonjour"), "the bot still answers"


def test_the_console_refuses_to_take_a_conversation_its_channel_cannot_deliver_to(servers: Bot):
    op = Staff(servers.base_url, "op1@example.org")
    sender_id = f"rest:queued-before-{uuid.uuid4().hex[:8]}"
    servers.say(sender_id.split(":", 1)[1], "bonjour")
    item = bot.handover.request(sender_id, "rest", "asked", None)  # e.g. queued before the bot refused them
    refused = op.post(f"/handovers/{item.id}/take")
    assert refused.status_code == 409
    assert "vos messages ne parviendraient pas à la victime" in refused.text and "Autre (API)" in refused.text
    assert [h.state for h in handovers_of(sender_id)] == ["waiting"]
    assert "pause" not in stored_events(servers.database_url, sender_id), "the bot keeps answering"


def test_closing_gives_the_bot_back_before_the_handover_is_closed(servers: Bot):
    op = Staff(servers.base_url, "op2@example.org")
    before = {h["id"] for h in op.queue()["waiting"]}
    sender = victim()
    request_handover(servers, sender)
    handover_id = waiting_id(op, before)
    op.post(f"/handovers/{handover_id}/take")
    engine = create_engine(servers.database_url)
    with engine.begin() as connection:  # the tracker store refuses to store this conversation's resumption
        connection.execute(
            text(
                f"CREATE TRIGGER refuse_resume BEFORE INSERT ON events WHEN NEW.sender_id = '{sender}' "
                "AND NEW.type_name = 'resume' BEGIN SELECT RAISE(ABORT, 'resume refused by the test'); END"
            )
        )
    try:
        failed = op.post(f"/handovers/{handover_id}/close", outcome="advice_given")
    finally:
        with engine.begin() as connection:
            connection.execute(text("DROP TRIGGER refuse_resume"))
    assert failed.status_code == 503 and "reste ouverte" in failed.text
    assert [h.state for h in handovers_of(sender)] == ["operator"], "not closed over a paused bot"
    assert servers.say(sender, "vous êtes toujours là ?") == [], "the operator still holds it"
    # once the store is back, the operator closes it again: the bot answers again
    assert op.post(f"/handovers/{handover_id}/close", outcome="advice_given").status_code in (302, 303)
    assert [h.state for h in handovers_of(sender)] == ["closed"]
    assert stored_events(servers.database_url, sender).count("resume") == 1
    assert servers.say(sender, "merci beaucoup")


def test_a_paused_conversation_that_no_operator_holds_is_given_back_to_the_bot(servers: Bot):
    op = Staff(servers.base_url, "op1@example.org")
    before = {h["id"] for h in op.queue()["waiting"]}
    held = victim()
    request_handover(servers, held)
    op.post(f"/handovers/{waiting_id(op, before)}/take")
    orphan = victim()
    assert servers.say(orphan, "bonjour")
    pause_directly(servers.database_url, orphan)  # e.g. a crash between the tracker and the handover's state
    assert servers.say(orphan, "il y a quelqu'un ?") == [], "paused: the bot is silent"
    deadline = time.time() + 30  # the watcher looks every 5 s here (HANDOVER_WAIT_SECONDS=4)
    while last_mark(servers.database_url, orphan) != "resume":
        assert time.time() < deadline, "the paused conversation was never given back to the bot"
        time.sleep(0.5)
    assert servers.say(orphan, "bonjour, vous êtes là ?"), "the bot answers again"
    assert last_mark(servers.database_url, held) == "pause", "a conversation an operator holds stays paused"
    logged = [line for line in servers.log.read_text().splitlines() if "left paused without an operator" in line]
    assert logged and re.search(r"Resumed \d+ conversation", logged[-1])
    assert not any(orphan.split(":", 1)[1] in line for line in logged), "no conversation id in the log"


def test_the_operator_corrects_the_qualification_and_ticks_the_checklist_in_a_real_browser(servers: Bot):
    from playwright.sync_api import sync_playwright

    from console.models import AuditLog
    from tests.test_webchat import CHROMIUM, CHROMIUM_ARGS

    op = Staff(servers.base_url, "op2@example.org")
    before = {h["id"] for h in op.queue()["waiting"]}
    sender = victim()
    request_handover(servers, sender)  # diagnosed as a hacked account
    handover_id = waiting_id(op, before)
    assert op.post(f"/handovers/{handover_id}/take").status_code in (302, 303)
    # The operator learns it is in fact a blackmail with intimate images, and that the victim paid.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="fr-FR")
            page.set_default_timeout(20_000)
            page.context.add_cookies(
                [{"name": c.name, "value": c.value, "url": servers.base_url} for c in op.http.cookies]
            )
            page.goto(f"{servers.base_url}/console/handovers/{handover_id}")
            assert page.locator("#incident").input_value() == "piratage_compte"
            assert page.locator("#checklist li").count() >= 3
            page.select_option("#incident", "sextorsion")
            page.select_option("#public", "particulier")
            page.select_option("#fact-money_paid", "oui")
            page.click("#correction button")
            page.wait_for_selector("text=Corrigée par op2")
            assert page.locator("#incident").input_value() == "sextorsion"
            assert "Chantage à la webcam" in page.inner_text("aside")
            steps = page.locator("#checklist li")
            labels = [steps.nth(i).inner_text() for i in range(steps.count())]
            assert any(label.strip().startswith("Banque") for label in labels), labels  # money paid: the bank step
            page.check("#checklist input[value=evidence]")
            page.click("#checklist form:first-of-type button")
            page.wait_for_load_state()
            assert page.locator("#checklist input[value=evidence]").is_checked()
            assert not page.locator("#checklist input[value=contain]").is_checked()
        finally:
            browser.close()
    # A forged value is refused; another operator cannot correct it.
    assert op.post(f"/handovers/{handover_id}/qualification", incident="rien").status_code == 400
    other = Staff(servers.base_url, "op1@example.org")
    assert other.post(f"/handovers/{handover_id}/qualification", incident="spam").status_code == 403
    with db.session() as s:
        actions = [(a.action, a.target or "") for a in s.scalars(select(AuditLog))]
    assert any(a == "correct_qualification" and "piratage_compte -> sextorsion" in t for a, t in actions)
    assert any(a == "checklist" and "evidence" in t for a, t in actions)
    # After hand-back, the bot's recap follows the correction.
    assert op.post(f"/handovers/{handover_id}/handback").status_code in (302, 303)
    assert bot_text(servers, sender, "vous pouvez me renvoyer le récapitulatif ?").startswith(
        "Récapitulatif – Chantage à la webcam"
    )
