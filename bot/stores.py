"""Rasa stores configured from the environment (`DATABASE_URL`, `REDIS_URL`), referenced in endpoints.yml.

Rasa's own `SQL` and `redis` store types take host, port and database as separate keys and fail when an
environment variable used in endpoints.yml is unset; these thin subclasses read the single URL settings of
`bot.settings` instead, so the embedded defaults (SQLite under var/, in-memory locks) need no configuration.
"""
from __future__ import annotations

from typing import Any, Optional, Text

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.engine import make_url

from bot import settings


class DatabaseTrackerStore(SQLTrackerStore):
    """The SQL tracker store on `DATABASE_URL`: the transcript of record."""

    def __init__(self, domain: Any = None, host: Optional[Text] = None, event_broker: Any = None, **kwargs: Any):
        # Rasa passes `url` from endpoints.yml as `host`; a full URL there is used as is.
        super().__init__(domain=domain, host=host or settings.database_url(), event_broker=event_broker, **kwargs)


class EnvLockStore(LockStore):
    """Redis ticket locks when `REDIS_URL` is set, in-memory locks otherwise."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None) -> None:
        url = settings.redis_url()
        if url:
            parsed = make_url(url)
            self.store: LockStore = RedisLockStore(
                host=parsed.host or "localhost",
                port=parsed.port or 6379,
                db=int(parsed.database or 1),
                username=parsed.username,
                password=parsed.password,
                use_ssl=parsed.drivername == "rediss",
                key_prefix="cyberaide",
            )
        else:
            self.store = InMemoryLockStore()

    def get_lock(self, conversation_id: Text):  # type: ignore[override]
        return self.store.get_lock(conversation_id)

    def delete_lock(self, conversation_id: Text) -> None:
        self.store.delete_lock(conversation_id)

    def save_lock(self, lock) -> None:  # type: ignore[override]
        self.store.save_lock(lock)
