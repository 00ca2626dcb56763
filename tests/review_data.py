"""Synthetic conversations stored exactly as Rasa's SQLTrackerStore stores them, for the review tests.

The `events` table is created by Rasa's own SQLTrackerStore on the test database; rows are Rasa event objects
serialised with `event.as_dict()` and the column values computed as `SQLTrackerStore.save` computes them (bulk
inserted, so that thousands of conversations take seconds).
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from bot import db
from bot.db import EVENTS


@contextmanager
def review_database(
    kind: str, tmp_path: Path, monkeypatch: Any, env: Optional[Dict[str, str]] = None, supervisor: bool = True
) -> Iterator[str]:
    """An empty SQLite or PostgreSQL database as the review console finds it: application tables, Rasa's `events`
    table, the review index and (by default) one supervisor account; DATABASE_URL and `env` point at it."""
    from console import auth, index
    from tests.databases import temporary_database

    with temporary_database(kind, tmp_path) as url:
        monkeypatch.setenv("DATABASE_URL", url)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        db.create_all()
        create_events_table(url)
        index.ensure_schema(db.engine(url))
        if supervisor:
            auth.create_user("chef@example.org", "Chef", "un mot de passe très long", "supervisor")
        yield url


def staff() -> Any:
    """The staff member of `review_database`."""
    from sqlalchemy import select

    from console.models import StaffUser

    with db.session() as s:
        return s.scalar(select(StaffUser))


def create_events_table(url: str) -> None:
    """Rasa creates its table itself (DDL, index on sender_id), as the Rasa server does at start-up."""
    store = SQLTrackerStore(host=url)
    store.engine.dispose()


class Conversation:
    """A conversation as the tracker records it: session start, victim messages with parse data, bot replies..."""

    def __init__(self, sender_id: str, start: float, input_channel: Optional[str] = None):
        self.sender_id, self.now, self.input_channel = sender_id, start, input_channel
        self.events: List[Any] = []
        self.session()

    def _tick(self, seconds: float = 1.0) -> float:
        self.now += seconds
        return self.now

    def session(self) -> "Conversation":
        self.events += [
            ActionExecuted("action_session_start", timestamp=self._tick(0.01)),
            SessionStarted(timestamp=self._tick(0.01)),
            ActionExecuted("action_listen", timestamp=self._tick(0.01)),
        ]
        return self

    def victim(
        self,
        text: str,
        intent: str,
        confidence: float = 0.95,
        entities: Sequence[Dict[str, Any]] = (),
        seconds: float = 20,
    ) -> "Conversation":
        ranking = [{"name": intent, "confidence": confidence}, {"name": "out_of_scope", "confidence": 1 - confidence}]
        parse = {
            "intent": {"name": intent, "confidence": confidence},
            "entities": list(entities),
            "text": text,
            "message_id": "m",
            "metadata": {},
            "intent_ranking": ranking,
        }
        self.events.append(
            UserUttered(
                text,
                intent=parse["intent"],
                entities=list(entities),
                parse_data=parse,
                timestamp=self._tick(seconds),
                input_channel=self.input_channel,
            )
        )
        return self

    def action(self, name: str) -> "Conversation":
        self.events.append(ActionExecuted(name, policy="RulePolicy", confidence=1.0, timestamp=self._tick(0.1)))
        return self

    def bot(self, text: str, **metadata: Any) -> "Conversation":
        self.events.append(BotUttered(text, {"buttons": None}, metadata=metadata or {}, timestamp=self._tick(0.1)))
        return self

    def slot(self, name: str, value: Any) -> "Conversation":
        self.events.append(SlotSet(name, value, timestamp=self._tick(0.01)))
        return self

    def loop(self, name: Optional[str]) -> "Conversation":
        self.events.append(ActiveLoop(name, timestamp=self._tick(0.01)))
        return self

    def pause(self) -> "Conversation":
        self.events.append(ConversationPaused(timestamp=self._tick(1)))
        return self

    def resume(self) -> "Conversation":
        self.events.append(ConversationResumed(timestamp=self._tick(1)))
        return self

    def listen(self) -> "Conversation":
        return self.action("action_listen")

    def rows(self) -> List[Dict[str, Any]]:
        """The `events` rows, computed as SQLTrackerStore.save computes them."""
        rows = []
        for event in self.events:
            data = event.as_dict()
            rows.append(
                {
                    "sender_id": self.sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                }
            )
        return rows


def store(url: str, conversations: Iterable[Conversation]) -> int:
    rows: List[Dict[str, Any]] = []
    for conversation in conversations:
        rows += conversation.rows()
    with db.engine(url).begin() as connection:
        for start in range(0, len(rows), 5000):
            connection.execute(EVENTS.insert(), rows[start : start + 5000])
    return len(rows)


def diagnosed(sender_id: str, start: float, text: str, incident: str, confidence: float = 0.9) -> Conversation:
    """A typical journey: greeting, description, diagnosis, a form question and its answer."""
    return (
        Conversation(sender_id, start)
        .victim("bonjour", "greet", 0.99)
        .action("utter_greet")
        .bot("Bonjour, je suis l'assistant…")
        .listen()
        .victim(text, incident, confidence)
        .action("action_diagnose")
        .bot("Au regard de vos éléments…")
        .slot("incident", incident)
        .slot("incident_confidence", confidence)
        .action("qualification_form")
        .loop("qualification_form")
        .slot("requested_slot", "money_paid")
        .bot("Avez-vous payé ?", utter_action="utter_ask_money_paid")
        .listen()
        .victim("/deny", "deny", 1.0)
        .action("qualification_form")
        .slot("money_paid", False)
        .listen()
    )
