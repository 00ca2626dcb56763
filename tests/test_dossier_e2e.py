"""The dossier end to end with the real servers: a fake-bank-adviser victim on the web chat asks for it, opens the
link, downloads the PDF and reads it (pdftotext); the link then expires, and erasure removes it."""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from datetime import timedelta

import requests
import sqlalchemy as sa

from bot.dates import french, local_day
from tests.conftest import Bot

CARD = "4970 1012 3456 7893"  # valid (Luhn): the victim's own card, never in the dossier
STORY = (
    "Hier un faux conseiller de ma banque m'a appelé du 06 12 34 56 78, il m'a fait valider un virement de 2 400 € "
    f"et je lui ai même donné ma carte {CARD}"
)
LINK = re.compile(r"https?://[^\s]+(/dossier/[A-Za-z0-9_\-]+)")


def link(bot: Bot, replies: list) -> str:
    found = LINK.search(bot.text(replies))
    assert found, bot.text(replies)
    return bot.base_url + found.group(1)


def test_a_fake_adviser_victim_gets_a_dossier_that_holds_the_facts_and_not_the_card(bot: Bot, tmp_path):
    session = f"web:{uuid.uuid4()}"
    told = bot.say(session, STORY)
    assert "faux conseiller bancaire" in bot.text(told)
    url = link(bot, bot.say(session, "je veux mon dossier pour porter plainte"))

    page = requests.get(url, timeout=30)  # what a link-preview robot sees: a button, no personal data
    assert page.status_code == 200 and 'method="post"' in page.text
    assert page.headers["Cache-Control"] == "no-store" and "noindex" in page.headers["X-Robots-Tag"]
    assert "2 400" not in page.text and "78" not in page.text

    pdf = requests.post(url, timeout=60)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Cache-Control"] == "no-store"
    (tmp_path / "dossier.pdf").write_bytes(pdf.content)
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(tmp_path / "dossier.pdf"), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    yesterday = french(local_day(time.time()) - timedelta(days=1))
    for expected in ["2 400 €", "virement", "+33612345678", f"« hier » : {yesterday}", "Preuves (", "plainte"]:
        assert expected in text, (expected, text)
    assert "4970" not in text and CARD.replace(" ", "") not in text.replace(" ", "")
    assert "je veux mon dossier" not in text  # the request is not a fact

    # Expired: the same 404 as an unknown link.
    engine = sa.create_engine(bot.database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE dossier_links SET expires_at = '2000-01-01 00:00:00'"))
    assert requests.get(url, timeout=30).status_code == 404
    assert requests.post(url, timeout=30).status_code == 404


def test_erasing_the_conversation_kills_its_dossier_link(bot: Bot):
    session = f"web:{uuid.uuid4()}"
    bot.say(session, "un faux conseiller m'a fait valider trois paiements hier soir, 900 euros")
    url = link(bot, bot.say(session, "mon dossier"))
    assert requests.get(url, timeout=30).status_code == 200
    asked = bot.say(session, "effacez mes données")
    bot.press(session, asked, "Oui, tout effacer")
    assert requests.get(url, timeout=30).status_code == 404
    forged = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    assert requests.get(forged, timeout=30).status_code == 404


def test_no_dossier_before_the_victim_says_what_happened(bot: Bot):
    replies = bot.say(f"web:{uuid.uuid4()}", "mon dossier")
    assert not LINK.search(bot.text(replies))
