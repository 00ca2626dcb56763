"""Outside opening hours the victim is told honestly when operators answer, from HANDOVER_OPENING_HOURS, and the
request stays queued; the 'nobody answered in time' notice is not sent on top of it."""

import json
import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, select

from bot import handover
from bot.db import EVENTS
from bot.handover import Handover
from console.conversations import TIMEOUT_MESSAGE
from tests.conftest import Bot, start_action_server, start_rasa_server

DAYS = ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"]
TOMORROW = DAYS[(datetime.now(ZoneInfo("Europe/Paris")).weekday() + 1) % 7]
ENV = {"HANDOVER_OPENING_HOURS": f"{TOMORROW}-{TOMORROW} 10:00-12:30", "HANDOVER_WAIT_SECONDS": "2"}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("closed")
    database_url = f"sqlite:///{tmp / 'closed.db'}"
    actions, action_url = start_action_server(tmp, database_url, ENV)
    rasa, base_url = start_rasa_server(tmp, database_url, action_url, extra_env=ENV)
    yield Bot(base_url, database_url)
    rasa.stop()
    actions.stop()


def test_outside_opening_hours_the_victim_is_told_when_operators_answer(servers: Bot):
    sender = f"web:{uuid.uuid4()}"
    servers.say(sender, "on a piraté mon compte facebook, je ne peux plus me connecter")
    consent = servers.say(sender, "je veux parler à un conseiller")
    told = servers.text(servers.press(sender, consent, "Oui"))
    hours = handover.opening_hours_text(ENV["HANDOVER_OPENING_HOURS"])
    assert f"Nos conseillers ne sont pas disponibles en ce moment ({hours})" in told
    assert "17cyber.gouv.fr" in told and "17 ou 112" in told and "{hours}" not in told
    time.sleep(6)  # three times the waiting delay: the timeout notice would have been in the transcript by now
    engine = create_engine(servers.database_url)
    with engine.connect() as connection:
        said = [
            json.loads(row.data).get("text") or ""
            for row in connection.execute(
                select(EVENTS.c.data).where(EVENTS.c.sender_id == sender, EVENTS.c.type_name == "bot")
            )
        ]
    assert any("Nos conseillers ne sont pas disponibles" in text for text in said)
    assert not any(text == TIMEOUT_MESSAGE for text in said)
    with engine.connect() as connection:
        assert (
            connection.execute(
                select(Handover.__table__.c.state).where(Handover.__table__.c.sender_id == sender)
            ).scalar()
            == "waiting"
        )
