"""Campaigns (console/observatory/campaigns.py, detect.py): variants of one pasted message cluster, unrelated
messages do not; indicators only keyed; erasure blanks the sample; `alerts --json`."""

import json
import random
import subprocess
import sys
import time
from functools import partial

import pytest
from sqlalchemy import insert, select

from bot import db, erasure, privacy
from bot.db import EVENTS
from console import index
from console.observatory import campaigns, detect
from console.observatory.alert_models import ALERTS
from console.review_models import ConversationIndex
from tests import review_data
from tests.conftest import ROOT
from tests.support.races import erase_while_held
from tests.support.victims import DESCRIPTIONS

NOW = time.time()
NAMES = ["Martin", "Bernard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Michel", "Garcia"]
EXTORTION = (
    "Bonjour {name}, je suis un hacker et j'ai pris le contrôle de votre appareil il y a plusieurs mois. J'ai "
    "enregistré des vidéos de vous sur des sites pour adultes avec votre webcam. Envoyez {amount} euros en bitcoin "
    "dans les 48 heures, sinon j'envoie la vidéo à tous vos contacts. Ne répondez pas à ce message."
)


def variant(rng: random.Random) -> str:
    text = EXTORTION.format(name=rng.choice(NAMES), amount=rng.choice([500, 750, 1000, 1250, 1500, 2000]))
    if rng.random() < 0.5:
        text = "j'ai reçu ce mail : " + text
    if rng.random() < 0.5:
        text = text.replace("dans les 48 heures", "sous 2 jours")
    return privacy.redact(text)


def ordinary(rng: random.Random, n: int) -> str:
    """Ordinary cases: each incident told in its own words (at most three victims with the same description)."""
    descriptions = sorted(DESCRIPTIONS.values())
    when = ["hier", "ce matin", "la semaine dernière", "depuis lundi"]
    return privacy.redact(f"{rng.choice(when)} {descriptions[n % len(descriptions)]}")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path, monkeypatch):
    with review_data.review_database(request.param, tmp_path, monkeypatch) as database_url:
        index.ensure_schema(db.engine(database_url))
        detect.ensure_schema(db.engine(database_url))
        yield database_url


def conversations(url: str, texts: list, incident: str = "sextorsion", indicator=None, start: float = NOW - 3600):
    rows, events = [], []
    for n, text in enumerate(texts):
        sender = f"web:{incident}-{n}-{random.random():.8f}"
        at = start + n * 30
        rows.append(
            {"sender_id": sender, "channel": "web", "first_at": at, "last_at": at + 60, "user_messages": 1,
             "incident": incident, "first_message": text[:300], "search_text": ""}
        )  # fmt: skip
        entities = [{"entity": "offender_identifier", "role": indicator[0], "value": indicator[1]}] if indicator else []
        data = {"event": "user", "timestamp": at, "text": text, "parse_data": {"entities": entities}}
        events.append(
            {"sender_id": sender, "type_name": "user", "timestamp": at, "data": json.dumps(data), "intent_name": None}
        )
    with db.engine(url).begin() as connection:
        connection.execute(insert(ConversationIndex.__table__), rows)
        connection.execute(insert(EVENTS), events)
    return [r["sender_id"] for r in rows]


def alerts(url: str) -> list:
    with db.engine(url).connect() as connection:
        return connection.execute(select(ALERTS).order_by(ALERTS.c.id)).all()


def test_variants_with_other_amounts_and_names_cluster_and_unrelated_messages_do_not():
    rng = random.Random(1)
    found = [campaigns.Message(f"web:{n}", NOW + n, "sextorsion", variant(rng)) for n in range(30)]
    found += [campaigns.Message(f"web:o{n}", NOW + n, "hameconnage", ordinary(rng, n)) for n in range(54)]
    clusters = campaigns.cluster(found, 0.5, 12)
    assert len(clusters) == 1
    members = {m.sender_id for m in clusters[0].members}
    assert len(members) >= 28 and all(not s.startswith("web:o") for s in members)
    assert clusters[0].incident == "sextorsion"
    assert campaigns.cluster(found[30:], 0.5, 12) == []  # ordinary cases: no campaign


def test_a_campaign_is_one_alert_with_a_redacted_sample_and_indicators_counted_only(url):
    rng = random.Random(2)
    wallet = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    senders = conversations(url, [variant(rng) for _ in range(20)], indicator=("wallet", wallet))
    conversations(url, [ordinary(rng, n) for n in range(54)], incident="hameconnage")
    detect.detect(NOW, url)
    detect.detect(NOW + 60, url)
    found = alerts(url)
    assert [(a.kind, a.incident, a.count) for a in found] == [("campaign", "sextorsion", 20)]
    alert = found[0]
    assert alert.sample_sender_id == senders[0] and "bitcoin" in alert.sample
    assert alert.indicators == {"wallet": 20}
    with db.engine(url).connect() as connection:
        stored = json.dumps([list(map(str, r)) for r in connection.execute(select(ALERTS))])
    assert wallet not in stored and campaigns.keyed("wallet", wallet) not in stored
    assert campaigns.keyed("wallet", wallet) != wallet


def test_erasing_the_sample_conversation_blanks_the_sample_and_keeps_the_counts(url):
    rng = random.Random(3)
    senders = conversations(url, [variant(rng) for _ in range(15)])
    detect.detect(NOW, url)
    erasure.forget([senders[0]])
    (alert,) = alerts(url)
    assert alert.sample == "" and alert.sample_sender_id is None and alert.count == 15


def test_an_erasure_waits_for_a_detection_run_that_read_the_victims_first_message(tmp_path, monkeypatch):
    """PostgreSQL: a run that read the first messages before the erasure deleted them must not write the erased
    victim's message as an alert's sample after the erasure."""
    with review_data.review_database("postgresql", tmp_path, monkeypatch) as database_url:
        detect.ensure_schema(db.engine(database_url))
        senders = conversations(database_url, [variant(random.Random(5)) for _ in range(15)])
        erase_while_held(monkeypatch, campaigns, "find", lambda: detect.detect(NOW, database_url), senders[:1])
        (alert,) = alerts(database_url)
        assert alert.sample_sender_id != senders[0] and alert.count == 15
        assert alert.sample == "" or alert.sample_sender_id in senders[1:]


def test_an_erasure_during_an_approval_leaves_no_copy_of_the_sample_in_the_notice(tmp_path, monkeypatch):
    """PostgreSQL: an approval that read the alert's sample before the erasure of its conversation must not write
    it into the notice after the erasure."""
    from bot import notices
    from console.observatory import alert_decisions

    with review_data.review_database("postgresql", tmp_path, monkeypatch) as database_url:
        detect.ensure_schema(db.engine(database_url))
        db.create_all(database_url)
        senders = conversations(database_url, [variant(random.Random(6)) for _ in range(15)])
        detect.detect(NOW, database_url)
        (alert,) = alerts(database_url)
        assert alert.sample_sender_id == senders[0]
        approval = {
            "title": "Faux piratage de webcam",
            "text": "Un e-mail réclame des bitcoins.",
            "reflex": "Ne payez pas.",
        }
        work = partial(alert_decisions.approve, alert.id, None, **approval)
        erase_while_held(monkeypatch, notices, "create", work, senders[:1], before=True)
        with db.engine(database_url).connect() as connection:
            (notice,) = connection.execute(select(notices.NOTICES)).all()
        assert notice.sample is None and notice.sample_sender_id is None
        assert alerts(database_url)[0].state == "approved"


def test_the_cli_lists_current_alerts_as_json_and_leaves_out_dismissed_ones(url):
    rng = random.Random(4)
    conversations(url, [variant(rng) for _ in range(14)])
    conversations(url, [privacy.redact(f"{DESCRIPTIONS['rancongiciel']} et le site est bloqué {n}") for n in range(14)],
                  incident="rancongiciel", start=NOW - 1800)  # fmt: skip
    detect.detect(NOW, url)
    with db.engine(url).begin() as connection:
        connection.execute(ALERTS.update().where(ALERTS.c.incident == "rancongiciel").values(state="dismissed"))
    command = [sys.executable, "-m", "console.observatory", "alerts", "--json"]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    listed = json.loads(out.stdout)
    assert [(a["kind"], a["incident"], a["count"], a["state"]) for a in listed] == [
        ("campaign", "sextorsion", 14, "new")
    ]
    assert set(listed[0]) >= {"id", "kind", "incident", "count", "baseline", "first_at", "last_at", "state",
                              "sample", "indicators"}  # fmt: skip
    assert listed[0]["first_at"].endswith("Z") and listed[0]["baseline"] == 0
