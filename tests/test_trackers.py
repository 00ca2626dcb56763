"""Tracker operations outside a turn (bot/trackers.py): redelivery check and deletion, on the real stores."""

import asyncio
from types import SimpleNamespace

import pytest


def test_already_recorded_finds_a_delivery_id_in_the_stored_conversation():
    """What recognises a gateway's retry after a restart or on another server process."""
    import asyncio
    from types import SimpleNamespace

    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.trackers import already_recorded

    store = InMemoryTrackerStore(Domain.empty())
    agent = SimpleNamespace(tracker_store=store)
    broken = SimpleNamespace(tracker_store=None)

    async def scenario():
        # The first message is in an earlier session: a retry may come after a new session started.
        await store.save(
            DialogueStateTracker.from_events(
                "sms:+33600000001",
                [
                    UserUttered("bonjour", message_id="SM1"),
                    BotUttered("Bonjour !"),
                    SessionStarted(),
                    UserUttered("merci", message_id="SM2"),
                ],
            )
        )
        return [
            await already_recorded(agent, "sms:+33600000001", "SM1"),
            await already_recorded(agent, "sms:+33600000001", "SM3"),
            await already_recorded(agent, "sms:+33600000002", "SM1"),
            await already_recorded(broken, "sms:+33600000001", "SM1"),
        ]  # database down: handle the message

    assert asyncio.run(scenario()) == [True, False, False, False]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_delete_conversation_erases_that_conversation_only(tmp_path, kind):
    """What STOP relies on, on both databases, through the wrappers Rasa puts around the tracker store."""
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.core.tracker_store import AwaitableTrackerStore, FailSafeTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.stores import DatabaseTrackerStore
    from bot.trackers import delete
    from tests.databases import temporary_database

    with temporary_database(kind, tmp_path) as url:
        store = DatabaseTrackerStore(Domain.empty(), host=url)
        wrapped = AwaitableTrackerStore(FailSafeTrackerStore(store))
        agent = SimpleNamespace(tracker_store=wrapped, lock_store=InMemoryLockStore())

        async def scenario():
            for sender in ("sms:+33600000001", "sms:+33600000002"):
                await wrapped.save(
                    DialogueStateTracker.from_events(sender, [UserUttered("bonjour"), BotUttered("Bonjour !")])
                )
            await delete(agent, "sms:+33600000001")
            return await wrapped.retrieve("sms:+33600000001"), await wrapped.retrieve("sms:+33600000002")

        try:
            gone, kept = asyncio.run(scenario())
        finally:
            store.engine.dispose()
    assert gone is None
    assert kept is not None and [e.text for e in kept.events if hasattr(e, "text")] == ["bonjour", "Bonjour !"]


def test_after_a_turn_the_channel_gets_the_tracker_the_turn_saved_without_reading_it_back(tmp_path):
    """channels/common.converse reads the conversation's state after each turn: the tracker this task just saved
    (through Rasa's wrappers), never another conversation's, never an earlier turn's, and the stored one otherwise."""
    from rasa.core.tracker_store import AwaitableTrackerStore, FailSafeTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import trackers
    from bot.stores import DatabaseTrackerStore
    from tests.databases import temporary_database

    with temporary_database("sqlite", tmp_path) as url:
        store = DatabaseTrackerStore(Domain.empty(), host=url)
        wrapped = AwaitableTrackerStore(FailSafeTrackerStore(store))
        agent = SimpleNamespace(tracker_store=wrapped)
        victim, other = "web:a", "web:b"

        async def save(sender, text):
            tracker = DialogueStateTracker.from_events(sender, [UserUttered(text), BotUttered("Bien reçu.")])
            await wrapped.save(tracker)
            return tracker

        async def scenario():
            trackers.before_turn()
            saved = await save(victim, "bonjour")
            same = await trackers.after_turn(agent, victim)
            unsaved_other = await trackers.after_turn(agent, other)
            await asyncio.create_task(save(other, "dans une autre livraison"))  # another task: not seen here
            other_after = await trackers.after_turn(agent, other)
            trackers.before_turn()  # the next turn of this task saved nothing (it failed): read from the store
            read_back = await trackers.after_turn(agent, victim)
            return saved, same, unsaved_other, other_after, read_back

        try:
            saved, same, unsaved_other, other_after, read_back = asyncio.run(scenario())
        finally:
            store.engine.dispose()
    assert same is saved
    assert unsaved_other is None
    assert other_after is not None and other_after.latest_message.text == "dans une autre livraison"
    assert read_back is not saved and read_back.latest_message.text == "bonjour"
