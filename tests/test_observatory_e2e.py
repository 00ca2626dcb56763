"""End to end: victims describe incidents to the real servers (REST and the web chat), the server's own periodic
refresh folds them, and `python -m console.observatory stats --json` shows them per incident and public."""

import json
import subprocess
import sys
import time
import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, Bot, console_servers, shared_database
from tests.support.victims import DESCRIPTIONS

REFRESH_SECONDS = 3
# Several incidents, several publics (a business and a town hall say who they are), two channels.
JOURNEYS = [
    ("hameconnage", "", "rest"),
    ("hameconnage", "", "web"),
    ("hameconnage", "", "rest"),
    ("piratage_compte", "", "rest"),
    ("piratage_compte", "", "web"),
    ("arnaque_achat", "", "rest"),
    ("faux_support_technique", "", "web"),
    ("sextorsion", "", "rest"),
    ("fraude_carte_bancaire", "", "rest"),
    ("rancongiciel", "je suis le gérant d'une entreprise. ", "rest"),
    ("rancongiciel", "je travaille à la mairie, pour la commune. ", "web"),
    ("fraude_virement", "je suis le gérant d'une entreprise. ", "rest"),
] * 2


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("observatory")
    with shared_database(tmp, "observatory.db") as database_url:
        env = {"OBSERVATORY_REFRESH_SECONDS": str(REFRESH_SECONDS), "EXPORT_DIR": str(tmp / "exports")}
        with console_servers(tmp, database_url, env) as (_, bot):
            yield bot


def stats(database_url: str) -> dict:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "console.observatory", "stats", "--days", "2", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def diagnosed(database_url: str) -> dict:
    """The incident the tracker store holds for each conversation (the last `incident` slot)."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT sender_id, data FROM events WHERE type_name = 'slot' AND action_name = 'incident' ORDER BY id"
            )
        ).all()
    engine.dispose()
    found = {}
    for sender_id, data in rows:
        value = json.loads(data).get("value")
        if value:
            found[sender_id] = value
    return found


def test_journeys_told_to_the_servers_appear_in_stats_within_one_refresh_period(served: Bot):
    senders = []
    for incident, who, channel in JOURNEYS:
        sender = f"web:{uuid.uuid4()}" if channel == "web" else f"obs-{uuid.uuid4().hex[:10]}"
        reply = served.text(served.say(sender, who + DESCRIPTIONS[incident]))
        assert reply, "the victim must get a reply"
        senders.append(Bot.conversation_id(sender))
    told = time.monotonic()

    expected: dict = {}
    tracked = diagnosed(served.database_url)
    for sender in senders:
        assert sender in tracked, "every description was diagnosed"
        expected[tracked[sender]] = expected.get(tracked[sender], 0) + 1
    assert len(expected) >= 6

    report = stats(served.database_url)
    while report["total"] < len(JOURNEYS) and time.monotonic() - told < 3 * REFRESH_SECONDS + 10:
        time.sleep(1)
        report = stats(served.database_url)

    assert report["total"] == len(JOURNEYS)
    assert report["incidents"] == expected
    assert report["refreshed_at"] is not None
    publics: dict = {}
    channels: dict = {}
    for row in report["rows"]:
        for key, n in row["by_public"].items():
            publics[key] = publics.get(key, 0) + n
        for key, n in row["by_channel"].items():
            channels[key] = channels.get(key, 0) + n
    assert channels == {"rest": 16, "web": 8}
    assert publics.get("entreprise", 0) >= 2 and publics.get("collectivite", 0) >= 1
    assert sum(publics.values()) == len(JOURNEYS)

    # Nothing is counted twice by the next runs.
    time.sleep(REFRESH_SECONDS + 1)
    assert stats(served.database_url)["incidents"] == expected
