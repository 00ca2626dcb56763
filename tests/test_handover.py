"""Human handover and the operators' console, with the real Rasa server, action server and SQL database."""

import os
import re
import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import select

import bot.handover  # noqa: F401
import bot.ratings
import console.models  # noqa: F401
from bot import db
from console import auth
from console.conversations import BACK_TO_BOT_MESSAGE, CLOSED_MESSAGE, TIMEOUT_MESSAGE
from tests.conftest import Bot, start_action_server, start_rasa_server

PASSWORD = "un mot de passe très long"
ENV = {"HANDOVER_OPENING_HOURS": "24/7", "HANDOVER_WAIT_SECONDS": "4"}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("handover")
    database_url = f"sqlite:///{tmp / 'handover.db'}"
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = database_url  # the test process creates the staff accounts in the same database
    db.create_all()
    for email, role in (
        ("op1@example.org", "operator"),
        ("op2@example.org", "operator"),
        ("chef@example.org", "supervisor"),
        ("admin@example.org", "admin"),
    ):
        auth.create_user(email, email.split("@")[0], PASSWORD, role)
    actions, action_url = start_action_server(tmp, database_url, ENV)
    rasa, base_url = start_rasa_server(tmp, database_url, action_url, extra_env=ENV)
    yield Bot(base_url, database_url)
    rasa.stop()
    actions.stop()
    if previous is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = previous


class Staff:
    """A signed-in staff member's browser session."""

    def __init__(self, base_url: str, email: str, password: str = PASSWORD):
        self.base = f"{base_url}/console"
        self.http = requests.Session()
        response = self.http.post(
            f"{self.base}/login", data={"email": email, "password": password}, allow_redirects=False, timeout=20
        )
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


def test_staff_never_see_card_numbers_and_past_conversations_stay_with_their_holder(servers: Bot):
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
    assert op2.post(f"/handovers/{handover_id}/close", outcome="advice_given").status_code in (302, 303)
    # closed: the other operator may not browse it any more; the holder and supervisors may
    assert op1.http.get(f"{op1.base}/handovers/{handover_id}", timeout=20).status_code == 403
    assert op1.http.get(f"{op1.base}/api/handovers/{handover_id}/messages", timeout=20).status_code == 403
    assert op2.http.get(f"{op2.base}/handovers/{handover_id}", timeout=20).status_code == 200
    chef = Staff(servers.base_url, "chef@example.org")
    assert chef.http.get(f"{chef.base}/handovers/{handover_id}", timeout=20).status_code == 200


def test_the_audit_log_never_holds_a_victims_phone_number(servers: Bot):
    from console.models import AuditLog

    op = Staff(servers.base_url, "op1@example.org")
    before = {h["id"] for h in op.queue()["waiting"]}
    sender = "+33612345678"  # a REST integrator that uses phone numbers as sender ids
    request_handover(servers, sender)
    handover_id = waiting_id(op, before)
    op.http.get(f"{op.base}/handovers/{handover_id}", timeout=20)
    op.post(f"/handovers/{handover_id}/take")
    with db.session() as s:
        targets = [a.target or "" for a in s.scalars(select(AuditLog))]
    assert any(f"handover {handover_id}" in t for t in targets)
    assert not any("612345678" in t for t in targets)
    # admins read the log; operators and supervisors cannot
    admin = Staff(servers.base_url, "admin@example.org")
    page = admin.http.get(f"{admin.base}/audit", params={"action": "take"}, timeout=20)
    assert page.status_code == 200 and f"handover {handover_id}" in page.text and "op1" in page.text
    assert "view_conversation" not in page.text  # the filter
    assert op.http.get(f"{op.base}/audit", timeout=20).status_code == 403
    assert Staff(servers.base_url, "chef@example.org").http.get(f"{op.base}/audit", timeout=20).status_code == 403
