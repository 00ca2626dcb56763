"""Rasa stores configured from the environment (`DATABASE_URL`, `REDIS_URL`), referenced in endpoints.yml.

Rasa's own `SQL` and `redis` store types take host, port and database as separate keys and fail when an
environment variable used in endpoints.yml is unset; these thin subclasses read the single URL settings of
`bot.settings` instead, so the embedded defaults (SQLite under var/, in-memory locks) need no configuration.

The tracker store is also where a conversation left in a broken state is repaired (`listening_again`): it is the
one place every turn reads its tracker from.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Optional, Text, TypeVar

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.engine import make_url

from bot import action_responses, db, logs, settings

logger = logging.getLogger(__name__)
logs.install()
_repaired: "dict[str, int]" = {}  # sender -> events count when last repaired: one warning per broken state
MAX_REMEMBERED_REPAIRS = 10_000

# The tracker the current task saved last. The channel needs the conversation's state right after the turn (paused?
# which intent? did it get the privacy notice?); reading it back from the database repeats the query and the replay
# of every event that the turn just did (a tenth of the server's CPU per message, measured in issue 17). A task is
# one delivery, so no other conversation's tracker is ever seen here. See `saved_in_this_task`.
_saved_here: ContextVar[Optional[DialogueStateTracker]] = ContextVar("cyberaide_saved_tracker", default=None)


def saved_in_this_task(sender_id: Text) -> Optional[DialogueStateTracker]:
    """The tracker of `sender_id` as this task last saved it, or None (nothing saved yet, or another store)."""
    tracker = _saved_here.get()
    return tracker if tracker is not None and tracker.sender_id == sender_id else None


def forget_saved() -> None:
    """At the start of a turn: a task that handles several deliveries in a row never reuses an older turn's state."""
    _saved_here.set(None)


def listening_again(tracker: Optional[DialogueStateTracker]) -> Optional[DialogueStateTracker]:
    """Repairs a conversation whose last turn did not end with `action_listen` (Rasa's circuit breaker tripped, or
    a crash in the middle of a turn): `action_listen` is appended, slots and the transcript stay as they are.

    Without it, Rasa counts the actions of the broken turn into the next one (it counts since the last
    `action_listen`), so every later message trips the breaker again and gets the safety reply, for good.
    The repair is saved with the next turn. A paused conversation (an operator holds it) is left alone.
    """
    if tracker is None or tracker.is_paused():
        return tracker
    latest = next((e for e in reversed(tracker.events) if isinstance(e, ActionExecuted)), None)
    if latest is None or latest.action_name in (ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME):
        return tracker
    if _repaired.get(tracker.sender_id) != len(tracker.events):
        logger.warning(
            "Conversation %s did not end its last turn (after %s): listening again",
            logs.log_id(tracker.sender_id),
            latest.action_name,
        )
        if len(_repaired) > MAX_REMEMBERED_REPAIRS:
            _repaired.clear()
        _repaired[tracker.sender_id] = len(tracker.events)
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    return tracker


T = TypeVar("T")
SQL_THREADS = 4  # per server process: more turns at once than that wait their turn, as they would for the database
_sql_pool = ThreadPoolExecutor(max_workers=SQL_THREADS, thread_name_prefix="tracker-sql")
_thread_loop = threading.local()


def _run_in_this_thread(coroutine: Callable[..., Awaitable[T]], *args: Any) -> T:
    loop = getattr(_thread_loop, "loop", None)
    if loop is None:
        loop = _thread_loop.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coroutine(*args))


async def _off_the_loop(coroutine: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Runs one of Rasa's SQL tracker store methods in a thread of its own. They are `async` but make blocking
    SQLAlchemy calls: on the server's event loop, every turn of every victim waited while one turn's events were read
    from or written to the database (issue 17). Each thread has its own loop, as the methods await nothing else."""
    return await asyncio.get_running_loop().run_in_executor(_sql_pool, _run_in_this_thread, coroutine, *args)


class DatabaseTrackerStore(SQLTrackerStore):
    """The SQL tracker store on `DATABASE_URL`: the transcript of record. Its reads and writes of a turn run off the
    event loop (`_off_the_loop`)."""

    def __init__(self, domain: Any = None, host: Optional[Text] = None, event_broker: Any = None, **kwargs: Any):
        # Rasa passes `url` from endpoints.yml as `host`; a full URL there is used as is.
        url = host or settings.current().database_url
        db.make_sqlite_dir(url)
        with db.schema_lock(url):  # every worker creates Rasa's `events` table if missing: one at a time
            super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
        # Built once per Rasa server process: the place to speed up its check of the action server's answers.
        action_responses.install()

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return listening_again(await _off_the_loop(super().retrieve, sender_id))

    async def save(self, tracker: DialogueStateTracker) -> None:
        if self.event_broker is None:
            await _off_the_loop(super().save, tracker)
        else:  # a broker's connection belongs to the server's loop: Rasa's own way
            await super().save(tracker)
        _saved_here.set(tracker)


class EnvLockStore(LockStore):
    """Redis ticket locks when `REDIS_URL` is set, in-memory locks otherwise."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None) -> None:
        url = settings.current().redis_url
        if url:
            parsed = make_url(url)
            self.store: LockStore = RedisLockStore(
                host=parsed.host or "localhost",
                port=parsed.port or 6379,
                db=int(parsed.database or 1),
                username=parsed.username,
                password=parsed.password,
                use_ssl=parsed.drivername == "rediss",
                key_prefix=settings.current().redis_key_prefix,
            )
        else:
            self.store = InMemoryLockStore()

    def get_lock(self, conversation_id: Text):  # type: ignore[override]
        return self.store.get_lock(conversation_id)

    def delete_lock(self, conversation_id: Text) -> None:
        self.store.delete_lock(conversation_id)

    def save_lock(self, lock) -> None:  # type: ignore[override]
        self.store.save_lock(lock)
