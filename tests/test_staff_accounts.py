"""Staff account lifecycle and two-factor sign-in, with the real Rasa server, action server and SQL database:
deactivation, role changes, password and 2FA resets, signing out everywhere (admin page and `python -m console`),
TOTP codes that work once, enrolment before any page for supervisors and admins, and what the audit log records."""

import re
import time

import pyotp
import pytest
import requests
from sqlalchemy import select

import console.__main__ as cli
from bot import db
from console import auth
from console.models import AuditLog, StaffUser
from tests.conftest import Bot, console_servers, shared_database
from tests.operator import SECRETS, desk_address, totp_code
from tests.test_handover import ENV, PASSWORD, Staff, request_handover, victim, waiting_id

ACCOUNTS = {
    "admin@example.org": "admin",
    "op@example.org": "operator",
    "deux@example.org": "operator",
    "trois@example.org": "operator",
    "quatre@example.org": "operator",
    "cinq@example.org": "operator",
    "chef@example.org": "supervisor",
    "ex-admin@example.org": "admin",
    "nouveau@example.org": "admin",
    "bloque@example.org": "supervisor",
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("accounts")
    with shared_database(tmp, "accounts.db") as database_url:  # the test process reads and changes it too
        for email, role in ACCOUNTS.items():
            auth.create_user(email, email.split("@")[0], PASSWORD, role)
        env = {**ENV, "TRUSTED_PROXIES": "1"}  # each account signs in from its own desk (tests/operator.desk_address)
        with console_servers(tmp, database_url, env) as (_, served):
            yield served


def user_id(email: str) -> int:
    with db.session() as s:
        return s.scalar(select(StaffUser.id).where(StaffUser.email == email))


def audited(action: str) -> list:
    with db.session() as s:
        return [(a.user_id, a.target or "") for a in s.scalars(select(AuditLog).where(AuditLog.action == action))]


def signed_in(staff: Staff) -> bool:
    return staff.http.get(f"{staff.base}/api/queue", timeout=20).status_code == 200


def test_a_deactivated_account_loses_its_open_session_at_once(servers: Bot):
    admin, op = Staff(servers.base_url, "admin@example.org"), Staff(servers.base_url, "op@example.org")
    assert signed_in(op)
    assert admin.post(f"/users/{user_id('op@example.org')}/active", active="0").status_code in (302, 303)
    assert not signed_in(op)
    assert Staff(servers.base_url, "op@example.org").status == 401
    assert (user_id("admin@example.org"), "op@example.org") in audited("deactivate")
    admin.post(f"/users/{user_id('op@example.org')}/active", active="1")
    op = Staff(servers.base_url, "op@example.org")
    assert signed_in(op)
    # operators cannot do it
    assert op.post(f"/users/{user_id('deux@example.org')}/active", active="0").status_code == 403


def test_a_new_role_applies_on_the_next_request(servers: Bot):
    admin, former = Staff(servers.base_url, "admin@example.org"), Staff(servers.base_url, "ex-admin@example.org")
    assert former.http.get(f"{former.base}/users", timeout=20).status_code == 200
    admin.post(f"/users/{user_id('ex-admin@example.org')}/role", role="operator")
    assert former.http.get(f"{former.base}/users", timeout=20).status_code == 403
    assert signed_in(former)  # still an operator
    # an operator made supervisor must enrol a second factor first: the open session no longer opens the console
    op = Staff(servers.base_url, "deux@example.org")
    admin.post(f"/users/{user_id('deux@example.org')}/role", role="supervisor")
    assert not signed_in(op)
    again = requests.Session()
    answer = again.post(
        f"{op.base}/login", data={"email": "deux@example.org", "password": PASSWORD}, allow_redirects=False, timeout=20
    )
    assert answer.headers["Location"].endswith("/console/two-factor")
    assert any(t == "deux@example.org : operator → supervisor" for _, t in audited("change_role"))


def test_a_password_reset_shows_the_new_password_once_and_closes_the_sessions(servers: Bot):
    admin, op = Staff(servers.base_url, "admin@example.org"), Staff(servers.base_url, "trois@example.org")
    page = admin.post(f"/users/{user_id('trois@example.org')}/password", password="")
    assert page.status_code == 200
    password = re.search(r"<code>([^<]+)</code>", page.text)[1]
    assert len(password) >= 12
    assert not signed_in(op)
    assert Staff(servers.base_url, "trois@example.org").status == 401  # the old password
    assert signed_in(Staff(servers.base_url, "trois@example.org", password))
    assert password not in admin.http.get(f"{admin.base}/users", timeout=20).text  # shown once
    with db.session() as s:
        assert password not in s.scalar(select(StaffUser.password_hash).where(StaffUser.email == "trois@example.org"))
    # a chosen temporary password must be long enough
    assert admin.post(f"/users/{user_id('trois@example.org')}/password", password="court").status_code == 400
    assert len(audited("reset_password")) == 1


def test_signing_out_everywhere_ends_the_session_of_another_browser(servers: Bot):
    office, home = Staff(servers.base_url, "quatre@example.org"), Staff(servers.base_url, "quatre@example.org")
    assert signed_in(office) and signed_in(home)
    assert home.post("/sign-out-everywhere").status_code in (302, 303)
    assert not signed_in(office) and not signed_in(home)
    # and an admin does it for someone else
    admin, op = Staff(servers.base_url, "admin@example.org"), Staff(servers.base_url, "quatre@example.org")
    admin.post(f"/users/{user_id('quatre@example.org')}/sign-out")
    assert not signed_in(op) and signed_in(admin)
    assert len(audited("sign_out_everywhere")) == 2


def test_an_admin_without_two_factor_is_sent_to_enrolment_and_cannot_open_the_queue(servers: Bot):
    base = f"{servers.base_url}/console"
    http = requests.Session()
    answer = http.post(
        f"{base}/login", data={"email": "nouveau@example.org", "password": PASSWORD}, allow_redirects=False, timeout=20
    )
    assert answer.status_code in (302, 303) and answer.headers["Location"].endswith("/console/two-factor")
    assert http.get(f"{base}/api/queue", timeout=20).status_code == 401
    assert http.get(f"{base}/users", allow_redirects=False, timeout=20).status_code in (302, 303)
    page = http.get(f"{base}/two-factor", timeout=20)
    assert "<svg" in page.text and "otpauth://totp/" in page.text
    secret = re.search(r"secret=([A-Z2-7]+)", page.text)[1]
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
    wrong = http.post(f"{base}/two-factor", data={"csrf": csrf, "code": "000000"}, allow_redirects=False, timeout=20)
    assert wrong.status_code == 401
    assert http.get(f"{base}/api/queue", timeout=20).status_code == 401
    code = pyotp.TOTP(secret).now()
    done = patiently(  # the wrong code delays the next try (an exponential delay, never a lock)
        lambda: http.post(f"{base}/two-factor", data={"csrf": csrf, "code": code}, allow_redirects=False, timeout=20)
    )
    assert done.status_code in (302, 303)
    assert http.get(f"{base}/api/queue", timeout=20).status_code == 200
    assert secret not in http.get(f"{base}/account", timeout=20).text  # never shown again
    assert (user_id("nouveau@example.org"), "nouveau@example.org") in audited("enrol_two_factor")


def patiently(post) -> requests.Response:
    """`post()` again after the wait a 429 asks for (console/login_guard.py: 2 s after one failure, then 4, 8...),
    as a person would; the answer that is not a 429."""
    for _ in range(4):
        answer = post()
        if answer.status_code != 429:
            return answer
        time.sleep(float(answer.headers["Retry-After"]))
    return answer


def password_step(base: str, email: str) -> tuple:
    """A browser past the password of an enrolled account, and the CSRF token of its code form."""
    http = requests.Session()
    http.headers["X-Forwarded-For"] = desk_address(email)
    answer = http.post(f"{base}/login", data={"email": email, "password": PASSWORD}, allow_redirects=False, timeout=20)
    assert answer.headers["Location"].endswith("/console/login/code")
    page = http.get(f"{base}/login/code", timeout=20).text
    return http, re.search(r'name="csrf" value="([^"]+)"', page)[1]


def test_wrong_and_reused_codes_are_refused_and_throttled(servers: Bot):
    chef = Staff(servers.base_url, "chef@example.org")  # enrols
    assert signed_in(chef)
    base = chef.base
    http, csrf = password_step(base, "chef@example.org")
    assert http.get(f"{base}/api/queue", timeout=20).status_code == 401  # past the password only
    used = pyotp.TOTP(SECRETS[(base, "chef@example.org")]).generate_otp(_last_step("chef@example.org"))

    def post(code: str) -> requests.Response:  # with the browser and form of the moment (`http`, `csrf`)
        return http.post(f"{base}/login/code", data={"csrf": csrf, "code": code}, allow_redirects=False, timeout=20)

    for wrong in ("123456", used):  # wrong, then the code the enrolment just accepted
        assert patiently(lambda: post(wrong)).status_code == 401  # noqa: B023 (called at once)
    code = totp_code(base, "chef@example.org")
    good = patiently(lambda: post(code))
    assert good.status_code in (302, 303)
    assert http.get(f"{base}/api/queue", timeout=20).status_code == 200
    assert [u for u, _ in audited("login_code_failed")].count(user_id("chef@example.org")) == 2
    # the login throttle counts wrong codes too: after one, even a right code waits the delay it names, then passes
    assert signed_in(Staff(servers.base_url, "bloque@example.org"))  # enrols
    http, csrf = password_step(base, "bloque@example.org")
    assert patiently(lambda: post("000000")).status_code == 401
    code = totp_code(base, "bloque@example.org")
    refused = post(code)
    assert refused.status_code == 429 and 1 <= float(refused.headers["Retry-After"]) <= 2
    time.sleep(float(refused.headers["Retry-After"]))
    assert post(code).status_code in (302, 303)


def _last_step(email: str) -> int:
    with db.session() as s:
        return s.scalar(select(StaffUser.totp_last_step).where(StaffUser.email == email))


def test_the_last_active_admin_can_be_neither_deactivated_nor_demoted(servers: Bot, capsys):
    with db.session() as s:
        others = s.scalars(
            select(StaffUser.email).where(
                StaffUser.role == "admin", StaffUser.active.is_(True), StaffUser.email != "admin@example.org"
            )
        ).all()
    for email in others:  # from the command line
        assert cli.main(["deactivate", "--email", email]) == 0
    assert cli.main(["deactivate", "--email", "admin@example.org"]) == 1
    assert "dernier administrateur actif" in capsys.readouterr().err
    assert cli.main(["set-role", "--email", "admin@example.org", "--role", "supervisor"]) == 1
    admin = Staff(servers.base_url, "admin@example.org")
    me = user_id("admin@example.org")
    assert admin.post(f"/users/{me}/active", active="0").status_code == 409
    assert admin.post(f"/users/{me}/role", role="operator").status_code == 409
    assert signed_in(admin)
    with db.session() as s:
        assert s.get(StaffUser, me).role == "admin" and s.get(StaffUser, me).active
    for email in others:
        assert cli.main(["reactivate", "--email", email]) == 0
    assert (None, others[0]) in audited("deactivate")  # the command line acts as "système"


def test_the_command_line_resets_passwords_and_second_factors(servers: Bot, capsys):
    op = Staff(servers.base_url, "cinq@example.org")
    assert cli.main(["reset-password", "--email", "cinq@example.org", "--generate"]) == 0
    password = capsys.readouterr().out.rsplit(" : ", 1)[1].strip()
    assert not signed_in(op)
    assert signed_in(Staff(servers.base_url, "cinq@example.org", password))
    chef = Staff(servers.base_url, "chef@example.org")
    assert cli.main(["reset-2fa", "--email", "chef@example.org"]) == 0
    assert not signed_in(chef)
    http = requests.Session()
    answer = http.post(
        f"{chef.base}/login",
        data={"email": "chef@example.org", "password": PASSWORD},
        allow_redirects=False,
        timeout=20,
    )
    assert answer.headers["Location"].endswith("/console/two-factor")
    assert cli.main(["sign-out", "--email", "nobody@example.org"]) == 1


def test_failed_logins_logouts_operator_messages_and_notes_are_audited(servers: Bot):
    typed = "mot de passe secret tapé"
    assert Staff(servers.base_url, "Op@Example.org", typed).status == 401
    failures = [target for _, target in audited("login_failed")]
    assert auth.email_digest("op@example.org") in failures
    assert not any("op@" in t or typed in t for t in failures)
    op = Staff(servers.base_url, "op@example.org")
    before = {h["id"] for h in op.queue()["waiting"]}
    request_handover(servers, victim())
    handover_id = waiting_id(op, before)
    op.post(f"/handovers/{handover_id}/take")
    assert op.send(handover_id, "Bonjour, je suis conseillère.").status_code == 200
    op.post(f"/handovers/{handover_id}/note", text="rappeler demain")
    who = user_id("op@example.org")
    for action in ("operator_message", "note"):
        assert any(u == who and t.startswith(f"handover {handover_id} (") for u, t in audited(action)), action
    op.post("/logout")
    assert (who, "") in audited("logout")
