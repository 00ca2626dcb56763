"""Every operation on a conversation's tracker outside a normal turn: read whether it is paused, append events
(operator messages, pause, resume), list the paused ones, find a redelivered message, delete the conversation.

Channels and the console call these; they go through the agent's lock store and tracker store, so the transcript of
record stays whole. (Code that reads Rasa's `events` table in bulk uses its description, `bot.db.EVENTS`.)
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, List, Optional

import sqlalchemy
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, ConversationPaused, ConversationResumed, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import func, select

from bot import db, stores
from bot.logs import log_id

logger = logging.getLogger(__name__)


async def read(agent: Any, sender_id: str) -> Optional[DialogueStateTracker]:
    """The conversation's current session, or None when there is none or it cannot be read (logged)."""
    try:
        return await agent.tracker_store.retrieve(sender_id)
    except Exception:  # the database is down: callers answer with the safety reply
        logger.exception("Could not read the tracker of %s", log_id(sender_id))
        return None


def before_turn() -> None:
    """Called as a turn starts, so that `after_turn` sees only what this turn saved."""
    stores.forget_saved()


async def after_turn(agent: Any, sender_id: str) -> Optional[DialogueStateTracker]:
    """The conversation's state just after a turn this task ran: the tracker the turn saved (bot/stores.py), read
    back from the store only when the turn saved none (it failed, or the store is not the project's)."""
    return stores.saved_in_this_task(sender_id) or await read(agent, sender_id)


async def append(agent: Any, sender_id: str, *events: Event) -> None:
    """Adds events to the conversation under its lock (no turn in progress overwrites them)."""
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.tracker_store.get_or_create_tracker(sender_id)
        for event in events:
            tracker.update(event)
        await agent.tracker_store.save(tracker)


async def pause(agent: Any, sender_id: str, *then: Event) -> None:
    """An operator takes over: the bot stops predicting; `then` (the notice to the victim) follows the pause."""
    await append(agent, sender_id, ConversationPaused(), *then)


async def resume(agent: Any, sender_id: str, unless: Optional[Callable[[], bool]] = None) -> bool:
    """The bot takes a paused conversation back with its slots and history intact, listening for the victim; False
    when it was not paused, or when `unless()` (blocking: run in a thread, under the conversation's lock, so that no
    operator takes it in between) says a person holds it.

    Read and written on the store itself, not through Rasa's fail-safe wrapper, which would keep a tracker it could
    not save in memory without a word: here a failure raises, and the caller knows the bot is still paused."""
    store = _innermost(agent.tracker_store)
    async with agent.lock_store.lock(sender_id):
        if unless is not None and await asyncio.to_thread(unless):  # first: cheaper than reading the tracker
            return False
        tracker = await store.retrieve(sender_id)
        if tracker is None or not tracker.is_paused():
            return False
        tracker.update(ConversationResumed())
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)
        return True


def paused_candidates(agent: Any) -> List[str]:
    """The conversations whose latest pause or resumption is a pause (blocking: call it in a thread). Whether one
    is paused now is for `resume` to check, under its lock."""
    store = _innermost(agent.tracker_store)
    if isinstance(store, SQLTrackerStore):
        if not db.has_events(store.engine):  # Rasa creates the table with the first conversation
            return []
        events = db.EVENTS
        marks = events.c.type_name.in_((ConversationPaused.type_name, ConversationResumed.type_name))
        latest = select(func.max(events.c.id).label("id")).where(marks).group_by(events.c.sender_id).subquery()
        query = (
            select(events.c.sender_id)
            .join(latest, events.c.id == latest.c.id)
            .where(events.c.type_name == ConversationPaused.type_name)
        )
        with store.engine.connect() as connection:
            return list(connection.execute(query).scalars())
    if isinstance(store, InMemoryTrackerStore):
        return list(store.store)
    raise NotImplementedError(f"Cannot list the paused conversations of {type(store).__name__}")


async def already_recorded(agent: Any, sender_id: str, message_id: str) -> bool:
    """True when the stored conversation already holds the victim message `message_id` (the gateway's delivery id,
    recorded on the UserUttered event).

    This is the check that survives a restart and works across server processes, where a process's memory cannot
    see an earlier delivery. The full tracker is read because a retry may come after a new session started. When the
    database cannot be read the message is handled: a duplicate answer is better than silence.
    """
    try:
        tracker = await agent.tracker_store.retrieve_full_tracker(sender_id)
    except Exception:
        logger.exception("Could not read the tracker of %s to look for a redelivery", log_id(sender_id))
        return False
    if tracker is None:
        return False
    return any(isinstance(e, UserUttered) and e.message_id == message_id for e in reversed(tracker.events))


def _innermost(store: Any) -> Any:
    # Rasa wraps the configured store (AwaitableTrackerStore, FailSafeTrackerStore) in `_tracker_store`.
    while hasattr(store, "_tracker_store"):
        store = store._tracker_store
    return store


async def delete(agent: Any, sender_id: str) -> None:
    """Erases every event of a conversation from the tracker store (the victim asked us to forget them).

    Rasa 3.6 stores have no delete method: the SQL store's `events` rows are deleted directly, under the
    conversation's lock so that no turn in progress writes them back.
    """
    store = _innermost(agent.tracker_store)
    async with agent.lock_store.lock(sender_id):
        if isinstance(store, SQLTrackerStore):

            def _delete() -> None:
                with store.session_scope() as session:
                    if store.engine.dialect.name == "sqlite":  # overwritten, not left in free pages (bot.db)
                        session.execute(sqlalchemy.text("PRAGMA secure_delete=ON"))
                    session.execute(sqlalchemy.delete(store.SQLEvent).where(store.SQLEvent.sender_id == sender_id))
                    session.commit()

            await asyncio.to_thread(_delete)
        elif isinstance(store, InMemoryTrackerStore):
            store.store.pop(sender_id, None)
        else:
            raise NotImplementedError(f"Cannot delete conversations from {type(store).__name__}")
