"""The staff console under attack: sign-in floods and guessing (console/login_guard.py), the session cookie and the
security headers, the server-wide body cap (channels/server.py) and bad query values.

Unit tests check the throttle's arithmetic with a fake clock; the rest runs against the real servers, behind one
trusted proxy (TRUSTED_PROXIES=1), so that each test speaks from addresses of its own through X-Forwarded-For.
"""

import asyncio
import itertools
import os
import re
import threading
import time
from pathlib import Path

import pyotp
import pytest
import requests
from argon2 import PasswordHasher
from sqlalchemy import select

import bot.handover  # noqa: F401
import console
import console.models  # noqa: F401
from bot import db, handover
from channels import store
from console import auth, login_guard
from console.models import StaffUser
from console.routes.sign_in import BUSY
from tests.conftest import Bot, console_servers, shared_database

PASSWORD = "un mot de passe très long"
# One account per concern: the account's own delay must not carry from one test to the next.
OPERATOR, ADMIN = "operatrice@example.org", "admin@example.org"
ADMIN_TOTP = pyotp.random_base32()
GUESSED, CALM = "guichet@example.org", "accueil@example.org"
_addresses = (f"203.0.113.{n}" for n in itertools.count(1))
_more_addresses = (f"198.51.100.{n}" for n in itertools.count(1))


def new_address() -> str:
    return next(_addresses)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def throttle(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(store, "_spaces", {})  # fresh, in-memory spaces
    return login_guard.LoginThrottle(clock=Clock())


# --- the throttle's arithmetic ------------------------------------------------------------------------------------
def test_the_delay_doubles_with_each_failure_and_stops_at_its_cap():
    assert [login_guard.delay_after(k, 900) for k in range(6)] == [0, 2, 4, 8, 16, 32]
    assert login_guard.delay_after(10, 900) == 900
    assert login_guard.delay_after(10_000, 900) == 900  # no overflow however many failures
    assert login_guard.delay_after(4, 8) == 8


def test_an_address_that_keeps_failing_waits_twice_as_long_each_time(throttle):
    address = "192.0.2.1"
    assert throttle.wait("a@example.org", address) == 0
    for failures in range(1, 12):
        throttle.failed(f"compte{failures}@example.org", address)  # a new account each time: the address counts
        expected = min(2**failures, login_guard.ADDRESS_DELAY_CAP)
        assert throttle.wait("autre@example.org", address) == expected
        throttle.clock.now += expected - 0.5
        assert throttle.wait("autre@example.org", address) == 0.5
        throttle.clock.now += 0.5
        assert throttle.wait("autre@example.org", address) == 0
    assert expected == login_guard.ADDRESS_DELAY_CAP == 900


def test_failures_from_other_addresses_never_keep_the_operator_out_at_their_usual_address(throttle):
    throttle.succeeded(OPERATOR, "192.0.2.10")  # the operator signed in from there before
    for n in range(50):  # a guesser spread over 50 addresses, each trying as soon as it may
        address = f"198.51.100.{n}"
        throttle.clock.now += throttle.wait(OPERATOR, address)
        throttle.failed(OPERATOR, address)
    assert throttle.wait(OPERATOR, "192.0.2.10") == 0
    # From an address the account has never seen, the account's delay only slows: a few seconds at most.
    assert 0 < throttle.wait(OPERATOR, "192.0.2.99") <= login_guard.ACCOUNT_DELAY_CAP
    throttle.clock.now += login_guard.ACCOUNT_DELAY_CAP
    assert throttle.wait(OPERATOR, "192.0.2.99") == 0


def test_at_a_known_address_only_that_pairs_own_failures_delay(throttle):
    office = "192.0.2.20"
    throttle.succeeded(OPERATOR, office)
    for _ in range(5):  # a colleague behind the same address mistypes, or a guesser there tries other accounts
        throttle.clock.now += throttle.wait("collegue@example.org", office)
        throttle.failed("collegue@example.org", office)
    assert throttle.wait(OPERATOR, office) == 0
    assert throttle.wait("nouveau@example.org", office) == 32  # a new account from there waits
    throttle.failed(OPERATOR, office)  # a guesser behind the same address, on the operator's account
    assert throttle.wait(OPERATOR, office) == 2
    throttle.clock.now += 2
    throttle.failed(OPERATOR, office)
    assert throttle.wait(OPERATOR, office) == 4
    throttle.succeeded(OPERATOR, office)  # the operator's own sign-in forgives the pair's failures
    assert throttle.wait(OPERATOR, office) == 0


def test_the_spread_out_guesser_gets_one_try_per_few_seconds_on_the_account(throttle):
    tries, started = 0, throttle.clock.now
    for n in range(100):
        address = f"198.51.100.{n}"
        if throttle.wait(OPERATOR, address) == 0:
            throttle.failed(OPERATOR, address)
            tries += 1
        throttle.clock.now += 1
    assert tries <= 100 / login_guard.ACCOUNT_DELAY_CAP + 4  # the first tries come faster: 2, 4, 8 s
    assert throttle.clock.now - started == 100


def test_the_throttle_keeps_digests_in_bounded_spaces(throttle):
    throttle.failed(OPERATOR, "192.0.2.1")
    throttle.succeeded(OPERATOR, "192.0.2.1")
    throttle.failed(OPERATOR, "192.0.2.1")
    for kind in ("address", "account", "pair", "known"):
        space = store._spaces[f"console:login:{kind}"]
        assert space.max_items == login_guard.MAX_KEYS
        keys = list(space._items)
        assert keys and all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys)


def test_the_hash_gate_refuses_at_once_past_its_caps(monkeypatch):
    monkeypatch.setenv("STAFF_LOGIN_HASHES_AT_ONCE", "1")
    monkeypatch.setenv("STAFF_LOGIN_HASHES_PER_SECOND", "2")

    async def scenario() -> list:
        gate = login_guard.HashGate()
        seen = [await gate.enter(), await gate.enter()]  # one at once
        gate.leave()
        seen += [await gate.enter()]  # the second of this second
        gate.leave()
        seen += [await gate.enter()]  # a third in the same second
        # A sign-in from a known address waits for the running hash, and is not counted per second.
        assert await gate.enter(priority=True)
        later = asyncio.get_running_loop().call_later(0.1, gate.leave)
        started = time.monotonic()
        seen += [await gate.enter(priority=True)]
        seen += [time.monotonic() - started >= 0.09]
        later.cancel()
        return seen

    assert asyncio.run(scenario()) == [True, False, True, False, True, True]


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="thread priorities are a Linux feature")
def test_sign_ins_hash_in_threads_of_their_own_at_the_lowest_cpu_priority():
    def where() -> tuple:
        return threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    name, nice = asyncio.run(login_guard.HashGate().run(where))
    assert name.startswith("sign-in") and nice == login_guard.HASH_NICENESS
    assert (
        os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < login_guard.HASH_NICENESS
    )  # the caller's thread is left alone


def test_a_hash_made_with_other_parameters_is_redone_on_one_lane_at_the_next_sign_in():
    db.create_all()
    email = f"ancien-{time.time_ns()}@example.org"
    user = auth.create_user(email, "Ancien", PASSWORD)
    with db.session() as s:
        s.get(StaffUser, user.id).password_hash = PasswordHasher(parallelism=4).hash(PASSWORD)
    assert auth.authenticate(email, "pas le bon mot de passe") is None
    with db.session() as s:
        assert ",p=4$" in s.scalar(select(StaffUser.password_hash).where(StaffUser.id == user.id))
    assert auth.authenticate(email, PASSWORD) is not None
    with db.session() as s:
        stored = s.scalar(select(StaffUser.password_hash).where(StaffUser.id == user.id))
    assert ",p=1$" in stored and PasswordHasher(parallelism=1).verify(stored, PASSWORD)


def test_every_inline_script_and_style_of_the_console_carries_the_pages_nonce():
    """The console's policy runs only what carries the page's nonce: an inline handler (onclick=), a style attribute
    or an element without the nonce would silently stop working."""
    folder = Path(console.__file__).parent / "templates"
    for template in sorted(folder.glob("*.html")):
        text = template.read_text(encoding="utf-8")
        assert re.findall(r"<(?:script|style)\b[^>]*>", text) == [
            f'<{tag} nonce="{{{{ csp_nonce }}}}">' for tag in re.findall(r"<(script|style)\b", text)
        ], template.name
        assert not re.search(r"\s(on[a-z]+|style)\s*=", text), template.name


# --- the real servers ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console-security")
    with shared_database(tmp, "security.db") as database_url:
        for email in (OPERATOR, GUESSED, CALM):
            auth.create_user(email, email.split("@")[0], PASSWORD, "operator")
        admin = auth.create_user(ADMIN, "Admin", PASSWORD, "admin")
        with db.session() as s:  # enrolled: an admin signs in with a TOTP code (console/two_factor.py)
            s.get(StaffUser, admin.id).totp_secret = ADMIN_TOTP
        waiting = handover.request("web:security-test", "web", "asked", {"title": "Test"})
        # The defaults of production (conftest relaxes them for the other tests), behind one trusted proxy.
        production = ("STAFF_COOKIE_SECURE", "STAFF_LOGIN_HASHES_AT_ONCE", "STAFF_LOGIN_HASHES_PER_SECOND")
        env = {**{name: "" for name in production}, "TRUSTED_PROXIES": "1", "HANDOVER_OPENING_HOURS": "24/7"}
        with console_servers(tmp, database_url, env) as (_, served):
            served.handover_id = waiting.id
            yield served


def login(servers: Bot, email: str, password: str, address: str, patient: bool = True) -> requests.Response:
    """A sign-in; a `patient` one comes back once the process has hashing time again (one hash a second), as a
    person would: the tests here sign in one after the other, faster than that."""
    for _ in range(5):
        answer = requests.post(
            f"{servers.base_url}/console/login",
            data={"email": email, "password": password},
            headers={"X-Forwarded-For": address},
            allow_redirects=False,
            timeout=30,
        )
        if not (patient and answer.status_code == 429 and BUSY in answer.text):
            break
        time.sleep(int(answer.headers["Retry-After"]))
    return answer


def signed_in(servers: Bot, email: str = OPERATOR, address: str = "") -> dict:
    """The headers of a signed-in browser: the cookie is Secure, so a plain-http client must send it itself. The
    admin's sign-in goes on with the TOTP code."""
    address = address or new_address()
    answer = login(servers, email, PASSWORD, address)
    assert answer.status_code == 302, answer.text
    headers = {"Cookie": f"{auth.COOKIE}={answer.cookies[auth.COOKIE]}", "X-Forwarded-For": address}
    if answer.headers["Location"].endswith("/login/code"):
        page = requests.get(f"{servers.base_url}/console/login/code", headers=headers, timeout=20).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
        answer = requests.post(
            f"{servers.base_url}/console/login/code",
            data={"csrf": csrf, "code": pyotp.TOTP(ADMIN_TOTP).now()},
            headers=headers,
            allow_redirects=False,
            timeout=20,
        )
        assert answer.status_code == 302, answer.text
        headers["Cookie"] = f"{auth.COOKIE}={answer.cookies[auth.COOKIE]}"
    return headers


def assert_security_headers(answer: requests.Response) -> None:
    headers = answer.headers
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_sign_in_cookie_is_secure_httponly_strict_and_every_console_response_has_security_headers(servers):
    address = new_address()
    answer = login(servers, CALM, PASSWORD, address)
    assert answer.status_code == 302
    cookie = answer.headers["Set-Cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
    browser = {"Cookie": f"{auth.COOKIE}={answer.cookies[auth.COOKIE]}", "X-Forwarded-For": address}
    base = f"{servers.base_url}/console"
    responses = [
        answer,
        requests.get(f"{base}/login", timeout=20),
        requests.get(f"{base}/", headers=browser, timeout=20),
        requests.get(f"{base}/api/queue", headers=browser, timeout=20),
        requests.get(f"{base}/handovers/{servers.handover_id}", headers=browser, timeout=20),
    ]
    assert [r.status_code for r in responses] == [302, 200, 200, 200, 200]
    for page in responses:
        assert_security_headers(page)
    # The pages' inline scripts and styles carry the nonce of their own policy, and only they may run.
    page = responses[4]
    nonce = re.search(r"script-src 'nonce-([^']+)'", page.headers["Content-Security-Policy"])[1]
    assert f'<script nonce="{nonce}">' in page.text and f'<style nonce="{nonce}">' in page.text
    assert "<script>" not in page.text and "<style>" not in page.text


def test_wrong_passwords_from_one_address_wait_twice_as_long_each_time(servers):
    address = new_address()
    assert login(servers, GUESSED, "mauvais mot de passe !", address).status_code == 401
    refused = login(servers, GUESSED, PASSWORD, address)  # even the right password waits
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
    assert "Trop de tentatives. Réessayez dans 2 secondes." in refused.text
    time.sleep(2.1)
    assert login(servers, GUESSED, "encore un mauvais mot !", address).status_code == 401
    refused = login(servers, GUESSED, PASSWORD, address)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "4"


def test_an_attack_from_other_addresses_does_not_keep_the_operator_out(servers):
    usual = new_address()
    signed_in(servers, OPERATOR, usual)
    codes = []
    for _ in range(6):  # a guesser on the operator's account, from a new address each time
        codes.append(login(servers, OPERATOR, "devinette numéro un", next(_more_addresses), patient=False).status_code)
        time.sleep(1.1)  # under the hash budget: each try reaches the password check or the account's delay
    assert 401 in codes and set(codes) <= {401, 429}
    started = time.monotonic()
    answer = login(servers, OPERATOR, PASSWORD, usual)
    assert answer.status_code == 302 and time.monotonic() - started < 5


def test_a_flood_of_sign_ins_is_refused_without_hashing(servers):
    answers, lock = [], threading.Lock()

    def attacker(n: int) -> None:
        answer = login(servers, f"inconnu{n}@example.org", "n'importe quoi ici", new_address(), patient=False)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=attacker, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    hashed = [a for a in answers if a.status_code == 401]
    busy = [a for a in answers if a.status_code == 429]
    assert len(hashed) + len(busy) == 16
    assert 1 <= len(hashed) <= 3  # 1 hash a second (STAFF_LOGIN_HASHES_PER_SECOND), one at a time
    assert all(a.headers["Retry-After"] == "1" and BUSY in a.text for a in busy)


def test_an_email_over_254_characters_is_refused_before_any_hash_or_count(servers):
    address = new_address()
    for _ in range(3):
        answer = login(servers, "a" * 250 + "@example.org", PASSWORD, address)
        assert answer.status_code == 400 and "trop longue" in answer.text
    assert login(servers, CALM, PASSWORD, address).status_code == 302  # nothing was counted


def test_bodies_over_one_megabyte_are_refused_with_413_while_normal_messages_pass(servers):
    big = "x" * 2_000_000
    for url, body in (
        (f"{servers.base_url}/console/login", {"email": CALM, "password": big}),
        (f"{servers.base_url}/webhooks/rest/webhook", {"sender": "gros", "message": big}),
    ):
        try:
            answer = requests.post(url, data=body, timeout=30)
            assert answer.status_code == 413
        except requests.ConnectionError:
            pass  # the server may close the connection before the client finished sending: refused all the same
    assert servers.say("petit-message", "bonjour")
    assert login(servers, CALM, PASSWORD, new_address()).status_code == 302


def test_bad_query_values_answer_400_never_500(servers):
    admin = signed_in(servers, ADMIN)
    base = f"{servers.base_url}/console"
    messages = f"{base}/api/handovers/{servers.handover_id}/messages"
    for after in ("x", "1.5", "-5", "99999999999999999999", "²"):
        answer = requests.get(messages, params={"after": after}, headers=admin, timeout=20)
        assert answer.status_code == 400 and "after" in answer.json()["error"], (after, answer.text[:300])
    assert requests.get(messages, params={"after": "-1"}, headers=admin, timeout=20).status_code == 200
    for before in ("x", "²", "99999999999999999999", "-1"):
        answer = requests.get(f"{base}/audit", params={"before": before}, headers=admin, timeout=20)
        assert answer.status_code == 400 and "Paramètre « before » invalide" in answer.text, before
    assert requests.get(f"{base}/audit", params={"before": "5"}, headers=admin, timeout=20).status_code == 200
    for args in ({"after": "x"}, {"before": "1.5_99999999999999999999"}, {"after": "nan_1"}, {"until": "9999-12-31"}):
        answer = requests.get(f"{base}/review", params=args, headers=admin, timeout=60)
        assert answer.status_code == 400, (args, answer.status_code)
    assert "pas une date valide" in answer.text
    assert requests.get(f"{base}/review", params={"since": "2024-01-01"}, headers=admin, timeout=60).ok
    for path in ("/handovers/99999999999999999999", "/review/99999999999999999999"):
        assert requests.get(f"{base}{path}", headers=admin, timeout=20).status_code == 404


def test_the_web_chat_pages_and_widget_say_nosniff_and_no_referrer_and_stay_embeddable(servers):
    for path in ("/", "/confidentialite", "/webhooks/webchat/static/widget.js", "/webhooks/webchat/notice"):
        answer = requests.get(f"{servers.base_url}{path}", timeout=20)
        assert answer.status_code == 200, path
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path
        assert answer.headers["Referrer-Policy"] == "no-referrer", path
        # Any site may embed the widget: nothing here forbids framing or cross-origin use.
        assert "X-Frame-Options" not in answer.headers and "Content-Security-Policy" not in answer.headers, path
    widget = requests.get(f"{servers.base_url}/webhooks/webchat/static/widget.js", timeout=20)
    assert (
        widget.headers["Content-Type"].startswith("text/javascript")
        and widget.headers["Access-Control-Allow-Origin"] == "*"
    )


def test_behind_the_trusted_proxy_the_server_knows_it_is_reached_over_https(servers):
    """Sanic's own proxy settings follow TRUSTED_PROXIES: the scheme the proxy saw is the request's (the web chat's
    notice links to the privacy page with it, PUBLIC_URL being unset here)."""
    proxied = {"X-Forwarded-For": new_address(), "X-Forwarded-Proto": "https"}
    notice = requests.get(f"{servers.base_url}/webhooks/webchat/notice", headers=proxied, timeout=20).json()
    assert notice["url"].startswith("https://")
    # Without the X-Forwarded-For entry a proxy adds, the header is not read.
    notice = requests.get(
        f"{servers.base_url}/webhooks/webchat/notice", headers={"X-Forwarded-Proto": "https"}, timeout=20
    ).json()
    assert notice["url"].startswith("http://")
