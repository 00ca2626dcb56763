"""What of a victim's history a handover shows an operator (console/conversations.py `Window`), on Rasa's own tracker
store: the conversation that led to the request, never the victim's earlier sessions or handovers."""

import asyncio
from types import SimpleNamespace

from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from console import conversations

SENDER = "web:0b6f2c4e-8d1a-4c3b-9e7f-5a2d6c8b4f2c"


def session(start: float, *texts: str) -> list:
    events = [ActionExecuted("action_session_start", timestamp=start), SessionStarted(timestamp=start)]
    for offset, text in enumerate(texts, 1):
        events.append(UserUttered(text, timestamp=start + offset * 10))
        events.append(BotUttered(f"réponse à « {text} »", timestamp=start + offset * 10 + 1))
    return events


def shown(window) -> list:
    store = InMemoryTrackerStore(Domain.empty())
    events = session(1000, "mon ancien problème") + session(9000, "on a piraté mon compte", "je veux un conseiller")
    events += [UserUttered("vous êtes là ?", timestamp=9100)]
    asyncio.run(store.save(DialogueStateTracker.from_events(SENDER, events)))
    agent = SimpleNamespace(tracker_store=store)
    return [
        m["text"] for m in asyncio.run(conversations.transcript(agent, SENDER, window=window)) if m["who"] == "victim"
    ]


def test_an_operator_sees_the_session_of_the_request_up_to_now_and_no_earlier_session():
    assert shown(None)[0] == "mon ancien problème"  # supervisors: the whole history
    requested = 9021  # during "je veux un conseiller"
    assert shown(conversations.Window(requested)) == [
        "on a piraté mon compte",
        "je veux un conseiller",
        "vous êtes là ?",
    ]


def test_nothing_before_the_victims_previous_handover_closed_is_shown():
    previous_close = 9015  # a first handover of the same session ended between the two messages
    assert shown(conversations.Window(9021, previous_close)) == ["je veux un conseiller", "vous êtes là ?"]
