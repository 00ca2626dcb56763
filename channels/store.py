"""The channels' short-lived state, behind one small interface: rate-limit windows, delivery-dedupe claims, SMS
pages waiting for SUITE and their numbered choices, Telegram's long button payloads, the web chat's last turns.

A `Space` holds one kind of key, each expiring `ttl_seconds` after it was last set, at most `max_items` of them
(least recently set go first): a flood of one kind cannot evict another. Values are JSON-like (str, list, dict), so
that a shared backend can hold them. Today every space lives in the memory of the server process; with several
processes, what one process knows another does not (the scale-out work puts `space()` on Redis, same methods).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from typing import Any, Deque, Dict

_MISSING = object()


class Space:
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

    def __len__(self) -> int:
        return len(self._items)


_spaces: Dict[str, Space] = {}


def space(name: str, max_items: int, ttl_seconds: float) -> Space:
    """The space `name` of this process (created on first use; names are unique per kind of key)."""
    existing = _spaces.get(name)
    if existing is None or (existing.max_items, existing.ttl) != (max_items, ttl_seconds):
        existing = _spaces[name] = Space(name, max_items, ttl_seconds)
    return existing
