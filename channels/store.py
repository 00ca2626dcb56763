"""The channels' short-lived state, behind one small interface: rate-limit windows, delivery-dedupe claims, SMS
pages waiting for SUITE and their numbered choices, Telegram's long button payloads, the web chat's last turns.

A `Space` holds one kind of key, each expiring `ttl_seconds` after it was last set. Values are JSON-like (str,
list, dict). Without REDIS_URL a space lives in the memory of the server process (one process: bot/settings.py
refuses more than one worker then), at most `max_items` keys of a kind (least recently set go first), so that a
flood of one kind cannot evict another. With REDIS_URL every space is on Redis, under REDIS_KEY_PREFIX, shared by
every worker and instance: a claim is one SET NX, a rate-limit window one script, so two copies of one delivery
reaching two workers at once are answered once. There, keys leave by their expiry only (what floods them is
rate-limited first).

A Redis that does not answer degrades a space to an empty one for that call (a get finds nothing, a claim and a
rate-limit window let the message through) and is logged: the victim still gets an answer.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import time
from collections import OrderedDict, deque
from typing import Any, Callable, Deque, Dict, Optional, Union

from bot import settings

logger = logging.getLogger(__name__)

_MISSING = object()


class MemorySpace:
    """Keys of one kind, in this process's memory."""

    def __init__(self, name: str, max_items: int, ttl_seconds: float) -> None:
        self.name = name
        self.max_items = max_items
        self.ttl = ttl_seconds
        self._items: "OrderedDict[str, tuple]" = OrderedDict()  # key -> (expires, value)

    def _live(self, key: str) -> Any:
        item = self._items.get(key)
        if item is None:
            return _MISSING
        if item[0] < time.monotonic():
            del self._items[key]
            return _MISSING
        return item[1]

    def _store(self, key: str, value: Any) -> None:
        self._items.pop(key, None)
        self._items[key] = (time.monotonic() + self.ttl, value)
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)

    def get(self, key: str, default: Any = None) -> Any:
        value = self._live(key)
        return default if value is _MISSING else value

    def put(self, key: str, value: Any) -> None:
        self._store(key, value)

    def take(self, key: str, default: Any = None) -> Any:
        """The value, removed."""
        value = self._live(key)
        self._items.pop(key, None)
        return default if value is _MISSING else value

    def discard(self, key: str) -> None:
        self._items.pop(key, None)

    def claim(self, key: str) -> bool:
        """True for the first caller only, until the key expires (SET NX on a shared backend)."""
        if self._live(key) is not _MISSING:
            return False
        self._store(key, True)
        return True

    def hit(self, key: str, limit: int) -> bool:
        """Counts one event for `key` if fewer than `limit` happened in the last `ttl_seconds`; False (not counted)
        otherwise. A sliding window: the sender who pauses is served again as soon as the oldest event ages out."""
        now = time.monotonic()
        hits: Deque[float] = self._live(key) if key in self else deque()
        while hits and hits[0] <= now - self.ttl:
            hits.popleft()
        if len(hits) >= limit:
            self._store(key, hits)
            return False
        hits.append(now)
        self._store(key, hits)
        return True

    def __contains__(self, key: str) -> bool:
        return self._live(key) is not _MISSING

    def count(self, key: str) -> int:
        """Events of `key` in the last `ttl_seconds` (see `hit`)."""
        now = time.monotonic()
        hits = self._live(key)
        return 0 if hits is _MISSING else sum(1 for at in hits if at > now - self.ttl)

    def __len__(self) -> int:
        return len(self._items)


# A sliding window in a sorted set: events older than the window are dropped, the new one is added only under the
# limit. One script, so that two workers counting the same sender at once cannot both pass the last slot.
_HIT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
local allowed = redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3])
if allowed then redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return allowed and 1 or 0
"""


class RedisSpace:
    """Keys of one kind on Redis, the same methods as MemorySpace."""

    def __init__(self, name: str, max_items: int, ttl_seconds: float, client: Any, prefix: str) -> None:
        self.name, self.max_items, self.ttl = name, max_items, ttl_seconds
        self._client = client
        self._prefix = f"{prefix}:space:{name}:"
        self._ttl_ms = max(1, math.ceil(ttl_seconds * 1000))
        self._hit = client.register_script(_HIT)

    def _key(self, key: str) -> str:
        return self._prefix + key

    def _call(self, fallback: Any, operation: str, action: Callable[[], Any]) -> Any:
        """`action()`, or `fallback` when Redis fails: a dead Redis must not stop a victim's message (the space acts
        as empty, and a rate limit lets the message through)."""
        import redis

        try:
            return action()
        except redis.RedisError as error:
            logger.warning("Redis %s on %s failed (%s): the space acts as empty", operation, self.name, error)
            return fallback

    def get(self, key: str, default: Any = None) -> Any:
        raw = self._call(None, "get", lambda: self._client.get(self._key(key)))
        return default if raw is None else json.loads(raw)

    def put(self, key: str, value: Any) -> None:
        self._call(None, "set", lambda: self._client.set(self._key(key), json.dumps(value), px=self._ttl_ms))

    def take(self, key: str, default: Any = None) -> Any:
        raw = self._call(None, "getdel", lambda: self._client.getdel(self._key(key)))
        return default if raw is None else json.loads(raw)

    def discard(self, key: str) -> None:
        self._call(None, "delete", lambda: self._client.delete(self._key(key)))

    def claim(self, key: str) -> bool:
        return bool(self._call(True, "set nx", lambda: self._client.set(self._key(key), "1", nx=True, px=self._ttl_ms)))

    def hit(self, key: str, limit: int) -> bool:
        now = time.time()  # shared by every process and machine, unlike time.monotonic()
        member = f"{now:.6f}:{secrets.token_hex(4)}"
        args = [now, self.ttl, limit, member, self._ttl_ms]
        return bool(self._call(True, "sliding window", lambda: self._hit(keys=[self._key(key)], args=args)))

    def count(self, key: str) -> int:
        return int(self._call(0, "zcount", lambda: self._client.zcount(self._key(key), time.time() - self.ttl, "+inf")))

    def __contains__(self, key: str) -> bool:
        return bool(self._call(0, "exists", lambda: self._client.exists(self._key(key))))

    def __len__(self) -> int:
        # Counted inside the guard: scan_iter fails while iterating, not when called.
        scan = lambda: sum(1 for _ in self._client.scan_iter(match=self._prefix + "*", count=1000))  # noqa: E731
        return int(self._call(0, "scan", scan))


Space = Union[MemorySpace, RedisSpace]
_spaces: Dict[str, Space] = {}
_redis: Dict[str, Any] = {}


def redis_client(url: str) -> Any:
    """One client (a connection pool) per Redis URL and process."""
    client = _redis.get(url)
    if client is None:
        import redis

        client = _redis[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return client


def space(name: str, max_items: int, ttl_seconds: float, redis_url: Optional[str] = None) -> Space:
    """The space `name` (created on first use; names are unique per kind of key): on Redis when REDIS_URL is set
    (or `redis_url` is given), in this process's memory otherwise."""
    url = redis_url or settings.current().redis_url
    existing = _spaces.get(name)
    kind = RedisSpace if url else MemorySpace
    if (
        existing is None
        or not isinstance(existing, kind)
        or (existing.max_items, existing.ttl) != (max_items, ttl_seconds)
    ):
        if url:
            prefix = settings.current().redis_key_prefix
            existing = RedisSpace(name, max_items, ttl_seconds, redis_client(url), prefix)
        else:
            existing = MemorySpace(name, max_items, ttl_seconds)
        _spaces[name] = existing
    return existing


def lease(job: str, period_seconds: float) -> bool:
    """True for one process among those sharing REDIS_URL (for the one process without it), once per period: a
    periodic job (the handover watcher, the review index refresh, the scrub, Telegram's setWebhook) runs once per
    period for the whole deployment, not once per worker. The turn lasts a little less than the period, so that a
    process waking up on time finds it free."""
    return _lease_space(job, period_seconds).claim("turn")


def release_lease(job: str, period_seconds: float) -> None:
    """Frees the turn taken by `lease` (the job failed: another process, or the next try, may take it)."""
    _lease_space(job, period_seconds).discard("turn")


def _lease_space(job: str, period_seconds: float) -> Space:
    return space(f"lease:{job}", max_items=1, ttl_seconds=period_seconds * 0.8)
