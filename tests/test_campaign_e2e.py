"""End to end, the observatory's campaigns (issue 22's "Done when"): dozens of victims paste variants of one new
extortion e-mail to the real servers (REST and the web chat), among ordinary cases of other incidents; the server's
own periodic jobs (review index, observatory refresh, detection) find the campaign, and
`python -m console.observatory alerts --json` names it, its incident and a redacted sample, with no alert for the
ordinary cases. A supervisor approves it in the console with a notice; the next victim who pastes the e-mail reads
the notice after the diagnosis, victims of other cases do not, and `/alertes` and its Atom feed show it.

Nothing is inserted by hand: the alert is the one the detection run wrote from the conversations."""

from __future__ import annotations

import json
import random
import time
import unicodedata
import uuid
from types import SimpleNamespace
from typing import List, Tuple
from xml.etree import ElementTree

import pytest
import requests

from console import auth
from tests.conftest import Bot, console_servers, shared_database
from tests.support.campaign import NAMES, ORDINARY, WALLETS, variants
from tests.support.cli import observatory_json
from tests.support.victims import DESCRIPTIONS
from tests.test_handover import PASSWORD, Staff
from tests.test_observatory_e2e import diagnosed

# The server's jobs run every few seconds here (production: minutes); the thresholds keep their defaults.
SERVER_ENV = {
    "REVIEW_REFRESH_SECONDS": "2",
    "OBSERVATORY_REFRESH_SECONDS": "2",
    "OBSERVATORY_DETECT_SECONDS": "3",
    "PUBLIC_URL": "https://cyberaide.example",
}
CAMPAIGN_VICTIMS = 35
DEADLINE_SECONDS = 90  # "within minutes": here a few runs of the jobs after the last victim
ATOM = "{http://www.w3.org/2005/Atom}"
SURNAMES = ["Moreau", "Lefebvre", "Garnier", "Rousseau", "Benali", "Fontaine", "Chevalier", "Mercier", "Dupont"]
# Other incidents, each told by at most two victims in their own words (no wave can start from so few).
OTHER_INCIDENTS = [
    "hameconnage",
    "piratage_compte",
    "arnaque_achat",
    "faux_support_technique",
    "fraude_carte_bancaire",
    "faux_conseiller_bancaire",
    "cyberharcelement",
    "usurpation_identite",
    "escroquerie_placement",
    "arnaque_sentimentale",
]
WHEN = ["hier ", "ce matin ", "depuis lundi ", "la semaine dernière ", ""]
NOTICE = {
    "title": "Faux piratage de webcam par e-mail",
    "text": "Un e-mail prétend que vous avez été filmé devant des vidéos pour adultes et réclame des bitcoins : "
    "c'est un message envoyé en masse.",
    "reflex": "Ne payez pas et ne répondez pas : signalez le message sur signal-spam.fr.",
    "terms": "",
    "days": "7",
    "use_sample": "1",
}


def iban(rng: random.Random) -> str:
    """A French IBAN with a valid check number, written in groups of four as people copy it."""
    bban = "".join(rng.choice("0123456789") for _ in range(23))
    digits = int("".join(str(int(c, 36)) for c in bban + "FR00"))
    whole = f"FR{98 - digits % 97:02d}{bban}"
    return " ".join(whole[i : i + 4] for i in range(0, len(whole), 4))


def ascii_lower(text: str) -> str:
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()


def pasted(count: int, seed: int) -> List[Tuple[str, List[str]]]:
    """`count` victims' pastes of the campaign's e-mail, each with the personal data it holds: the victim's full
    name in the greeting, their address in the copied header, their account number when they say they paid. The
    first holds all three (it becomes the alert's sample)."""
    rng = random.Random(seed)
    found = []
    for n, text in enumerate(variants(count, seed=seed)):
        first = next(name for name in NAMES if name in text)
        full = f"{first} {rng.choice(SURNAMES)}"
        text = text.replace(first, full, 1)
        email = f"{ascii_lower(full).replace(' ', '.')}{rng.randint(10, 99)}@gmail.com"
        account = iban(rng)
        personal = [full, email, account.replace(" ", "")]
        if n == 0 or n % 3 == 1:
            text = f"À : {email} Objet : votre appareil est piraté. {text}"
        if n == 0 or n % 3 == 2:
            text = f"j'ai eu peur et j'ai déjà fait un virement depuis mon compte {account}. {text}"
        found.append((text, personal))
    return found


def ordinary(count: int, seed: int) -> List[str]:
    """Ordinary cases of other incidents, in their own words, a few of each."""
    rng = random.Random(seed)
    return [rng.choice(WHEN) + DESCRIPTIONS[OTHER_INCIDENTS[n % len(OTHER_INCIDENTS)]] for n in range(count)]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("campaign")
    with shared_database(tmp, "campaign.db") as database_url:
        auth.create_user("chef@example.org", "Chef", PASSWORD, "supervisor")
        with console_servers(tmp, database_url, SERVER_ENV) as (_, bot):
            yield SimpleNamespace(bot=bot, base=bot.base_url, database_url=database_url)


def alerts(database_url: str) -> list:
    return observatory_json(database_url, "alerts", "--json")


def sender(n: int) -> str:
    """Distinct victims, every third on the web chat, the others on the REST channel."""
    return f"web:{uuid.uuid4()}" if n % 3 == 0 else f"campagne-{n}-{uuid.uuid4().hex[:8]}"


def test_a_pasted_extortion_campaign_is_detected_approved_and_told_to_the_next_victims(served):
    bot = served.bot
    campaign = pasted(CAMPAIGN_VICTIMS, seed=2201)
    # Fifteen cases of other incidents, and three of the campaign's incident told in the victims' own words.
    others = ordinary(15, seed=2202) + ORDINARY[1:4]
    random.Random(2203).shuffle(others)
    everyone: list = [("campaign", text) for text, _ in campaign]
    for n, text in enumerate(others):  # interleaved: about one ordinary case in three
        everyone.insert(min(len(everyone), 2 + n * 3), ("ordinary", text))
    ordinary_senders = []
    for n, (kind, text) in enumerate(everyone):
        who = sender(n)
        reply = bot.text(bot.say(who, text))
        assert reply and "Vague en cours" not in reply, "every victim gets a reply, no notice before approval"
        if kind == "ordinary":
            ordinary_senders.append(Bot.conversation_id(who))
    told = time.monotonic()

    tracked = diagnosed(served.database_url)
    other_incidents = {tracked[s] for s in ordinary_senders if s in tracked} - {"sextorsion"}
    assert len(other_incidents) >= 6, "the ordinary cases are of many other incidents"

    # The server's jobs fold the conversations and detect the campaign: poll the CLI until its count settles.
    found: list = []
    while time.monotonic() - told < DEADLINE_SECONDS:
        found = alerts(served.database_url)
        campaigns = [a for a in found if a["kind"] == "campaign"]
        if campaigns and campaigns[0]["count"] >= CAMPAIGN_VICTIMS - 3:
            break
        time.sleep(2)
    waited = time.monotonic() - told
    campaigns = [a for a in found if a["kind"] == "campaign"]
    assert len(campaigns) == 1, f"one alert for the campaign after {waited:.0f} s: {found}"
    (alert,) = campaigns
    assert alert["incident"] == "sextorsion" and alert["state"] == "new"
    # The pasted victims, and only them: not the victims of the same incident who told it in their own words.
    assert CAMPAIGN_VICTIMS - 3 <= alert["count"] <= CAMPAIGN_VICTIMS, alert
    assert alert["first_at"] <= alert["last_at"]
    sample = alert["sample"]
    assert "logiciel espion" in sample and "«nom masqué»" in sample and "«e-mail masqué»" in sample, sample
    assert "«IBAN masqué»" in sample, sample
    output = json.dumps(found, ensure_ascii=False).replace(" ", "")
    for _, personal in campaign:
        for value in personal:
            assert value.replace(" ", "") not in output, "no name, e-mail or account number of a paste in the alerts"
    assert not [wallet for wallet in WALLETS if wallet in output], "the offender's wallets: keyed, never shown"
    # No alert for the ordinary cases: a wave, if any, is the campaign's incident's.
    assert not [a for a in found if a["incident"] in other_incidents], found
    assert {a["incident"] for a in found} == {"sextorsion"}, found

    # A supervisor approves it in the console, with a notice that keeps the alert's sample to match on.
    chef = Staff(served.base, "chef@example.org")
    listing = chef.http.get(f"{served.base}/console/alertes", timeout=30).text
    assert f'id="alerte-{alert["id"]}"' in listing and "«e-mail masqué»" in listing
    editor = chef.http.get(f"{served.base}/console/alertes/{alert['id']}/approuver", timeout=30)
    assert editor.status_code == 200 and "Publier l'avis" in editor.text
    approved = chef.post(f"/alertes/{alert['id']}/approuver", **NOTICE)
    assert approved.status_code == 303 and approved.headers["Location"].endswith("fait=publiee"), approved.text
    assert [a["state"] for a in alerts(served.database_url) if a["id"] == alert["id"]] == ["approved"]

    # The next victim who pastes the e-mail reads the notice after the diagnosis, on each channel.
    later = [text for text, _ in pasted(4, seed=2204)]
    for who, text in ((f"apres-{uuid.uuid4().hex[:8]}", later[0]), (f"web:{uuid.uuid4()}", later[1])):
        reply = bot.text(bot.say(who, text))
        assert reply.count("Vague en cours : Faux piratage de webcam par e-mail.") == 1, reply
        assert reply.index("Vague en cours") > reply.index("vous semblez être victime"), reply
        assert "Le réflexe : Ne payez pas et ne répondez pas" in reply
    # Victims of ordinary cases do not, those of the same incident in their own words included.
    for text in (ORDINARY[4], ORDINARY[5], DESCRIPTIONS["hameconnage"], DESCRIPTIONS["piratage_compte"]):
        reply = bot.text(bot.say(f"ordinaire-{uuid.uuid4().hex[:8]}", text))
        assert reply and "Vague en cours" not in reply, (text, reply)

    # The public page and its feed show it, and nothing of the alert.
    page = requests.get(f"{served.base}/alertes", timeout=30)
    assert page.status_code == 200 and "Faux piratage de webcam par e-mail" in page.text
    assert "signal-spam.fr" in page.text and "masqué" not in page.text
    feed = ElementTree.fromstring(requests.get(f"{served.base}/alertes.atom", timeout=30).content)
    titles = [entry.findtext(f"{ATOM}title") for entry in feed.findall(f"{ATOM}entry")]
    assert titles == ["Faux piratage de webcam par e-mail"]
