"""The observatory's alerts in the console (console/routes/alerts.py) and the notices they become, through the real
servers: the supervisors' banner on every page, acknowledge / dismiss / approve (supervisors and admins only, CSRF,
audited), the notice editor (plain, length-limited, escaped), a notice ended by hand; then the journey and the public
page: after approval the next matching victim reads the notice (REST, web chat, SMS in the message after the
question), others do not, and `/alertes` and its Atom feed show approved notices in force only."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
import requests
from sqlalchemy import insert, select

from bot import db, notices, privacy
from bot.handover import utcnow
from console import auth
from console.models import AuditLog, StaffUser
from console.observatory.alert_models import ALERTS, APPROVED, CAMPAIGN, NEW, WAVE
from tests.conftest import console_servers, shared_database
from tests.operator import HANDOVER_ENV
from tests.support.campaign import ORDINARY, variants
from tests.test_handover import PASSWORD, Staff
from tests.test_sms import ACCOUNT_SID, AUTH_TOKEN, SMS_FROM, sign, twilio_form
from tests.twilio_standin import TwilioStandIn

ACCOUNTS = {"chef@example.org": "supervisor", "admin@example.org": "admin", "op@example.org": "operator"}
SAMPLE = privacy.redact(variants(1, seed=1)[0])
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("alerts")
    api = TwilioStandIn(ACCOUNT_SID, AUTH_TOKEN).start()
    env = {
        **HANDOVER_ENV,
        "TRUSTED_PROXIES": "1",
        "PUBLIC_URL": "https://cyberaide.example",
        "SMS_AUTH_TOKEN": AUTH_TOKEN,
        "SMS_API_BASE_URL": api.url,
        "SMS_ACCOUNT_SID": ACCOUNT_SID,
        "SMS_FROM": SMS_FROM,
        "SMS_WEBHOOK_URL": "https://cyberaide.example/webhooks/sms/webhook",
    }
    try:
        with shared_database(tmp, "alerts.db") as database_url:
            for email, role in ACCOUNTS.items():
                auth.create_user(email, email.split("@")[0], PASSWORD, role)
            with console_servers(tmp, database_url, env) as (_, bot):
                yield SimpleNamespace(bot=bot, base=bot.base_url, api=api, staff={})
    finally:
        api.stop()


def staff(served, email: str) -> Staff:
    """One signed-in session per account for the module (each sign-in spends a TOTP step)."""
    if email not in served.staff:
        served.staff[email] = Staff(served.base, email)
    return served.staff[email]


def new_alert(kind: str = CAMPAIGN, incident: str = "sextorsion", sample: str = SAMPLE) -> int:
    """An alert as the detection job writes it (console/observatory/detect.py)."""
    now = utcnow()
    with db.engine().begin() as connection:
        result = connection.execute(
            insert(ALERTS).values(
                kind=kind,
                key=f"{kind}/test/{now.timestamp()}",
                incident=incident,
                public="",
                channel="",
                count=36,
                baseline=0.0 if kind == CAMPAIGN else 3.5,
                first_at=now - timedelta(hours=2),
                last_at=now,
                sample=sample,
                sample_sender_id="web:the-first-victim",
                indicators={"wallet": 30},
                state=NEW,
                created_at=now,
                updated_at=now,
            )
        )
        return int(result.inserted_primary_key[0])


def state_of(alert_id: int) -> str:
    with db.engine().connect() as connection:
        return connection.execute(select(ALERTS.c.state).where(ALERTS.c.id == alert_id)).scalar()


def audited(action: str) -> list:
    with db.session() as session:
        rows = session.execute(
            select(StaffUser.email, AuditLog.target).join(StaffUser).where(AuditLog.action == action)
        ).all()
        return [tuple(row) for row in rows]


def close_all_alerts() -> None:
    with db.engine().begin() as connection:
        connection.execute(ALERTS.update().where(ALERTS.c.state == NEW).values(state="dismissed"))


GOOD_NOTICE = {
    "title": "Faux piratage de webcam",
    "text": "Un e-mail prétend que vous avez été filmé et réclame des bitcoins : c'est une arnaque envoyée en masse.",
    "reflex": "Ne payez pas, ne répondez pas, signalez le message sur signal-spam.fr.",
    "terms": "",
    "days": "7",
    "use_sample": "1",
}


# --- who may do what ----------------------------------------------------------------------------------------------
def test_anonymous_visitors_and_operators_are_refused_and_change_nothing(served):
    alert = new_alert()
    page = f"{served.base}/console/alertes"
    anonymous = requests.get(page, allow_redirects=False, timeout=20)
    assert anonymous.status_code == 302 and anonymous.headers["Location"] == "/console/login"
    operator = staff(served, "op@example.org")
    assert operator.http.get(page, timeout=20).status_code == 403
    for action in ("vue", "ecarter", "approuver"):
        assert operator.post(f"/alertes/{alert}/{action}", **GOOD_NOTICE).status_code == 403
    queue = operator.http.get(f"{served.base}/console/", timeout=20).text
    assert "nouvelle alerte" not in queue, "no banner for operators"
    chef = staff(served, "chef@example.org")
    for action in ("vue", "ecarter", "approuver"):
        forged = chef.http.post(
            f"{served.base}/console/alertes/{alert}/{action}", data=GOOD_NOTICE, allow_redirects=False, timeout=20
        )
        assert forged.status_code == 403 and "expiré" in forged.text, "no CSRF token"
    assert state_of(alert) == NEW
    assert notices.current() == []


def test_supervisors_see_the_banner_on_every_page_until_the_alerts_are_looked_at(served):
    close_all_alerts()
    first, second = new_alert(), new_alert(kind=WAVE, incident="faux_conseiller_bancaire", sample="")
    chef = staff(served, "chef@example.org")
    for path in ("/", "/observatoire", "/review", "/account"):
        page = chef.http.get(f"{served.base}/console{path}", timeout=30).text
        assert "2 nouvelles alertes de l'observatoire" in page and 'href="/console/alertes"' in page, path
    listing = chef.http.get(f"{served.base}/console/alertes", timeout=20).text
    assert f'id="alerte-{first}"' in listing and "«adresse crypto masquée»" in listing
    assert "portefeuille crypto (30)" in listing and "3.5" in listing and "the-first-victim" not in listing
    assert chef.post(f"/alertes/{first}/vue").status_code == 303
    assert chef.post(f"/alertes/{second}/ecarter").status_code == 303
    assert (state_of(first), state_of(second)) == ("acknowledged", "dismissed")
    assert ("chef@example.org", f"alerte {first}") in audited("alert_acknowledged")
    assert ("chef@example.org", f"alerte {second}") in audited("alert_dismissed")
    assert "nouvelle alerte" not in chef.http.get(f"{served.base}/console/", timeout=20).text
    again = chef.post(f"/alertes/{second}/vue")
    assert again.status_code == 303 and again.headers["Location"].endswith("fait=deja")
    assert state_of(second) == "dismissed", "a decided alert stays decided"


def test_a_notice_text_that_is_too_long_is_refused_in_french_and_the_alert_stays_open(served):
    alert = new_alert()
    admin = staff(served, "admin@example.org")
    editor = admin.http.get(f"{served.base}/console/alertes/{alert}/approuver", timeout=20)
    assert editor.status_code == 200 and "Publier l'avis" in editor.text and "«adresse crypto masquée»" in editor.text
    refused = admin.post(f"/alertes/{alert}/approuver", **{**GOOD_NOTICE, "text": "trop long " * 30})
    assert refused.status_code == 400 and "Texte : 180 caractères au plus" in refused.text
    assert admin.post(f"/alertes/{alert}/approuver", **{**GOOD_NOTICE, "days": "soixante"}).status_code == 400
    assert state_of(alert) == NEW
    assert admin.post(f"/alertes/{alert}/ecarter").status_code == 303


# --- approval, the journey and the public page --------------------------------------------------------------------
def sms(served, number: str, body: str) -> list:
    before = len(served.api.bodies_to(number))
    form = twilio_form(number, body)
    answer = requests.post(
        f"{served.base}/webhooks/sms/webhook",
        data=urlencode(form),
        headers={
            "X-Twilio-Signature": sign("https://cyberaide.example/webhooks/sms/webhook", form),
            "Content-Type": "application/x-www-form-urlencoded",
        },
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return served.api.bodies_to(number)[before:]


def test_after_approval_the_next_matching_victim_reads_the_notice_and_alertes_shows_it(served):
    close_all_alerts()
    alert = new_alert()
    bot = served.bot
    before = bot.text(bot.say("avant-approbation", variants(1, seed=21)[0]))
    assert "Vague en cours" not in before
    chef = staff(served, "chef@example.org")
    hostile = {**GOOD_NOTICE, "title": "Faux piratage <script>alert(1)</script>"}
    approved = chef.post(f"/alertes/{alert}/approuver", **hostile)
    assert approved.status_code == 303 and approved.headers["Location"].endswith("fait=publiee")
    assert state_of(alert) == APPROVED
    (notice,) = notices.current()
    assert ("chef@example.org", f"alerte {alert} : avis {notice.id}") in audited("alert_approved")
    assert chef.post(f"/alertes/{alert}/approuver", **GOOD_NOTICE).headers["Location"].endswith("fait=deja")
    assert len(notices.current()) == 1, "one alert, one notice"

    # REST: a pasted variant reads it after the diagnosis, once; an ordinary victim of the incident does not.
    replies = bot.say("victime-rest", variants(1, seed=22)[0])
    text = bot.text(replies)
    assert "chantage à la webcam" in text, text
    assert text.count("Vague en cours : Faux piratage <script>alert(1)</script>.") == 1
    assert text.index("Vague en cours") > text.index("vous semblez être victime")
    assert "Vague en cours" not in bot.text(bot.say("victime-rest", variants(1, seed=23)[0]))
    assert "Vague en cours" not in bot.text(bot.say("victime-ordinaire", ORDINARY[1]))
    # The web chat.
    web = bot.text(bot.say(f"web:{uuid.uuid4()}", variants(1, seed=24)[0]))
    assert "Vague en cours : Faux piratage" in web
    # SMS: the first message stays diagnosis, reflex and question; the notice is in the message after it.
    first, second, *rest = sms(served, "+33612999001", variants(1, seed=25)[0])
    assert first.startswith("1/2 Il semble que vous soyez victime") and "Premier réflexe" in first
    assert "Répondez 1" in first and "Vague en cours" not in first
    assert second.startswith("2/2 Vague en cours : Faux piratage") and "Le réflexe : Ne payez pas" in second

    # The public page and its feed: escaped, nothing of the alert's sample or counts.
    page = requests.get(f"{served.base}/alertes", timeout=20)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "public, max-age=300"
    assert "Faux piratage &lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>" not in page.text
    assert "Ne payez pas" in page.text and "masqué" not in page.text and "36" not in page.text
    feed = requests.get(f"{served.base}/alertes.atom", timeout=20)
    assert feed.headers["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(feed.content)
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Faux piratage <script>alert(1)</script>"]
    assert root.findtext(f"{ATOM}id") == "https://cyberaide.example/alertes" and root.findtext(f"{ATOM}updated")

    # Ended by hand: gone from the journey and the public page, audited.
    assert chef.post(f"/avis/{notice.id}/terminer").headers["Location"].endswith("fait=terminee")
    assert ("chef@example.org", f"avis {notice.id}") in audited("notice_ended")
    assert "Vague en cours" not in bot.text(bot.say("apres-la-fin", variants(1, seed=26)[0]))
    assert "Aucune vague particulière" in requests.get(f"{served.base}/alertes", timeout=20).text
    assert staff(served, "op@example.org").post(f"/avis/{notice.id}/terminer").status_code == 403


def test_the_feed_lists_only_approved_notices_in_force(served):
    now = utcnow()
    live = notices.create(
        "hameconnage", "Faux SMS Ameli", "Un SMS demande de renouveler la carte Vitale.", "Ne cliquez pas."
    )
    notices.create("hameconnage", "Ancien avis", "texte", "réflexe", days=1, now=now - timedelta(days=3))
    ended = notices.create("hameconnage", "Avis terminé", "texte", "réflexe")
    notices.revoke(ended.id)
    notices.create("hameconnage", "Pas encore", "texte", "réflexe", now=now + timedelta(days=1))
    root = ElementTree.fromstring(requests.get(f"{served.base}/alertes.atom", timeout=20).content)
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert titles == ["Faux SMS Ameli"]
    entry = root.find(f"{ATOM}entry")
    assert re.fullmatch(r"tag:cyberaide\.example,\d{4}-\d\d-\d\d:avis-%d" % live.id, entry.findtext(f"{ATOM}id"))
    assert entry.findtext(f"{ATOM}updated").endswith("Z") and entry.find(f"{ATOM}link").get("href").endswith(
        f"/alertes#avis-{live.id}"
    )
    notices.revoke(live.id)
