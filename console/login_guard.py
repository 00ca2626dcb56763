"""Sign-in abuse without slowing victims or locking staff out: the Argon2 budget of a server process (`HashGate`)
and the failure throttle (`LoginThrottle`), both checked by console/routes/sign_in.py before any hash.

The console shares the Rasa server's process with every victim's conversation, and one Argon2 hash takes a core
for a fifth of a second: hashes run in worker threads of their own at a low CPU priority, at most
STAFF_LOGIN_HASHES_AT_ONCE at once and STAFF_LOGIN_HASHES_PER_SECOND per second; past that a sign-in is refused
without hashing (429) rather than queued.

Failures are counted per client address, per account and per (account, address) pair, in channels/store.py
spaces (shared through Redis with REDIS_URL, bounded in memory otherwise), keyed by digests, forgotten after a quiet
hour. After k failures the next try waits 2^k seconds: at most ADDRESS_DELAY_CAP from that address, at most
ACCOUNT_DELAY_CAP on that account. An address that signed in to the account before is delayed by that pair's own
failures only (see ACCOUNT_DELAY_CAP).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional, TypeVar

from bot import settings
from channels import store

MAX_EMAIL_CHARS = 254  # the longest address SMTP can carry (RFC 5321 path, less the brackets)
# Per kind (addresses, accounts, pairs, known pairs), each [failures, last failure's time] under a 128-bit digest:
# about 16 MB per kind when full, in memory.
MAX_KEYS = 50_000
FAILURE_MEMORY_SECONDS = 3600.0  # a failure counts for an hour after the last one
ADDRESS_DELAY_CAP = 900.0  # one address guessing (or one pair): 1 try per 15 min once past 10 failures
# The per-account delay must slow a guesser who spreads over many addresses, and must never keep the real operator
# out. So it stays short (a guesser gets at most one try per ACCOUNT_DELAY_CAP seconds on an account, the operator
# waits at most that long), and neither it nor the address's delay applies from an address that signed in to that
# account before (KNOWN_SECONDS): there only that pair's own failures count. Failures from elsewhere, or from
# colleagues behind the same office address, never delay the operator at their usual address; a guesser behind
# that same address is still slowed by the pair's delay.
ACCOUNT_DELAY_CAP = 8.0
KNOWN_SECONDS = 30 * 86400.0
MAX_COUNTED = 64  # failures kept per key: the delay is capped long before
# A refused sign-in is answered after this pause (a sleeping coroutine: no CPU, no thread). A client that retries as
# soon as it is answered, as a guessing script does, then costs this process one cheap request per second per
# connection instead of as many as the event loop can answer, which would be taken from the victims' turns.
REFUSAL_PAUSE_SECONDS = 1.0


T = TypeVar("T")


def delay_after(failures: int, cap: float) -> float:
    """The wait before the next try after `failures` failures: none, then 2, 4, 8… seconds, at most `cap`."""
    if failures <= 0:
        return 0.0
    return min(cap, 2.0 ** min(failures, MAX_COUNTED))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8", "replace")).hexdigest()[:32]


class LoginThrottle:
    """`wait(email, address)`: seconds before a try is allowed (0: now). `failed` and `succeeded` record the outcome
    of an allowed try; refused tries are not counted, so that waiting is always enough."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock  # wall time: the same for every process sharing Redis

    # The spaces are looked up on each use: channels/store.py keeps one per name and follows REDIS_URL.
    @staticmethod
    def _space(kind: str, ttl: float = FAILURE_MEMORY_SECONDS) -> store.Space:
        return store.space(f"console:login:{kind}", max_items=MAX_KEYS, ttl_seconds=ttl)

    def _remaining(self, kind: str, key: str, cap: float) -> float:
        record = self._space(kind).get(key)
        if not record:
            return 0.0
        failures, last = record
        return max(0.0, last + delay_after(failures, cap) - self.clock())

    def known(self, email: str, address: str) -> bool:
        """True when this address signed in to this account in the last KNOWN_SECONDS."""
        return self._space("known", KNOWN_SECONDS).get(_digest(email, address)) is not None

    def wait(self, email: str, address: str) -> float:
        pair = self._remaining("pair", _digest(email, address), ADDRESS_DELAY_CAP)
        if self.known(email, address):
            return pair
        address_wait = self._remaining("address", _digest(address), ADDRESS_DELAY_CAP)
        return max(pair, address_wait, self._remaining("account", _digest(email), ACCOUNT_DELAY_CAP))

    def failed(self, email: str, address: str) -> None:
        # Read then write: two workers failing at the same instant may count once, which only shortens a delay.
        for kind, key in (
            ("pair", _digest(email, address)),
            ("address", _digest(address)),
            ("account", _digest(email)),
        ):
            space = self._space(kind)
            failures = (space.get(key) or [0])[0]
            space.put(key, [min(failures + 1, MAX_COUNTED), self.clock()])

    def succeeded(self, email: str, address: str) -> None:
        """The address is known to the account from now on, and the pair's failures are forgiven; the address's
        and the account's stay counted (another account may be under attack from it, or this one from elsewhere)."""
        key = _digest(email, address)
        self._space("known", KNOWN_SECONDS).put(key, 1)
        self._space("pair").discard(key)


# A hashing thread's nice value (on Linux a thread has one of its own). When the cores are busy, the scheduler gives
# a nice-10 thread about a tenth of the CPU a victim's turn gets: victims go first, and a 0.2 s hash takes about 2 s.
# Nice 19 (a seventieth) starved sign-ins on a loaded machine: 20 s and more per hash, past any proxy's timeout.
HASH_NICENESS = 10


def _lowest_priority() -> None:
    """Puts the calling hashing thread at HASH_NICENESS."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICENESS)
    except (AttributeError, OSError):
        pass  # another system: the budget still holds


class HashGate:
    """The sign-ins of this process allowed to hash now: `enter()`, `run(authenticate, …)`, then `leave()`. Per
    process on purpose: the budget is this process's CPU, which its victims need."""

    PRIORITY_WAIT_SECONDS = 5.0

    def __init__(self) -> None:
        self.running = 0
        self._priority_waiting = 0
        self._started = store.MemorySpace("console:login:hashes", max_items=1, ttl_seconds=1.0)
        self._threads: Optional[ThreadPoolExecutor] = None

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` (a sign-in: SQL and Argon2) in one of the gate's low-priority threads."""
        if self._threads is None:  # made on first use: settings are read when serving, never at import
            self._threads = ThreadPoolExecutor(
                settings.current().staff_login_hashes_at_once, "sign-in", initializer=_lowest_priority
            )
        return await asyncio.get_running_loop().run_in_executor(self._threads, functools.partial(function, *args))

    async def enter(self, priority: bool = False) -> bool:
        """True when the caller may hash now. A `priority` caller (from a known address, `LoginThrottle.known`) waits
        up to PRIORITY_WAIT_SECONDS for a free slot and is not counted in the per-second budget, and others are
        refused while it waits: a flood of bad sign-ins cannot keep staff out at their usual address."""
        current = settings.current()
        if priority:
            self._priority_waiting += 1
            try:
                deadline = time.monotonic() + self.PRIORITY_WAIT_SECONDS
                while self.running >= current.staff_login_hashes_at_once:
                    if time.monotonic() > deadline:
                        return False
                    await asyncio.sleep(0.02)
            finally:
                self._priority_waiting -= 1
        elif (
            self._priority_waiting
            or self.running >= current.staff_login_hashes_at_once
            or not self._started.hit("started", current.staff_login_hashes_per_second)
        ):
            return False
        self.running += 1
        return True

    def leave(self) -> None:
        self.running -= 1


def retry_after(seconds: float) -> str:
    """The Retry-After header: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


def in_words(seconds: float) -> str:
    """ "dans 8 secondes", "dans 15 minutes": how long to wait, in French."""
    whole = max(1, math.ceil(seconds))
    if whole < 90:
        return f"dans {whole} seconde{'s' if whole > 1 else ''}"
    minutes = math.ceil(whole / 60)
    return f"dans {minutes} minutes"
