"""The shared state of the server processes (channels/store.py): the same contract in memory and on the real Redis
(127.0.0.1:6379), atomic claims and rate-limit windows between processes, REDIS_KEY_PREFIX, a Redis that is down."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis

from channels import store

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_url(monkeypatch):
    """The real Redis, under a prefix of this test's own (deleted afterwards)."""
    prefix = f"cyberaidetest{uuid.uuid4().hex}"
    monkeypatch.setenv("REDIS_KEY_PREFIX", prefix)
    yield REDIS
    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


def two_processes(name: str, max_items: int, ttl: float, url: str):
    """Two spaces of one name as two server processes hold them: each with its own Redis client."""
    return [
        store.RedisSpace(name, max_items, ttl, redis.Redis.from_url(url), store.settings.current().redis_key_prefix)
        for _ in range(2)
    ]


@pytest.fixture(params=["memory", "redis"])
def backend(request, monkeypatch):
    if request.param == "memory":
        monkeypatch.delenv("REDIS_URL", raising=False)
        return None
    return request.getfixturevalue("redis_url")


def test_every_backend_keeps_the_same_contract(backend):
    name = f"test:{uuid.uuid4().hex}"
    space = store.space(name, max_items=100, ttl_seconds=0.5, redis_url=backend)
    assert isinstance(space, store.RedisSpace if backend else store.MemorySpace)
    assert space.claim("SM1") and not space.claim("SM1")
    space.put("pages", ["1/2 …", "2/2 …"])
    assert space.get("pages") == ["1/2 …", "2/2 …"] and "pages" in space
    assert space.take("pages") == ["1/2 …", "2/2 …"] and space.take("pages") is None and "pages" not in space
    space.put("choices", {"payloads": ["/affirm"], "shown": True})
    space.discard("choices")
    assert space.get("choices", "none") == "none"
    assert [space.hit("sender", 3) for _ in range(5)] == [True, True, True, False, False]
    assert space.count("sender") == 3
    time.sleep(0.6)  # everything expired: the window slid, the claim is free again
    assert space.count("sender") == 0 and space.hit("sender", 3) and space.claim("SM1")


def at_once(count: int, work, spaces) -> None:
    """`count` threads calling `work(space)` at the same moment, alternating between the processes' spaces."""
    barrier = threading.Barrier(count)

    def run(space):
        barrier.wait()
        work(space)

    threads = [threading.Thread(target=run, args=(spaces[i % 2],)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_two_copies_of_one_delivery_reaching_two_processes_at_once_are_claimed_once(redis_url):
    results: list = []
    at_once(
        16,
        lambda space: results.append(space.claim("SM0123456789")),
        two_processes("sms:delivery", 1000, 60, redis_url),
    )
    assert sorted(results) == [False] * 15 + [True]


def test_a_sender_flooding_two_processes_gets_the_limit_in_all_not_in_each(redis_url):
    allowed: list = []
    spaces = two_processes("rest:sender:hits", 1000, 60, redis_url)
    at_once(8, lambda space: allowed.extend(space.hit("rest:flood", 20) for _ in range(10)), spaces)
    assert allowed.count(True) == 20 and len(allowed) == 80


def test_keys_live_under_the_deployments_prefix(redis_url):
    space = store.space(f"sms:pages:{uuid.uuid4().hex}", 10, 60, redis_url=redis_url)
    space.put("sms:+33600000000", ["page"])
    prefix = store.settings.current().redis_key_prefix
    keys = [key.decode() for key in redis.Redis.from_url(redis_url).scan_iter(match=f"{prefix}:*")]
    assert keys == [f"{prefix}:space:{space.name}:sms:+33600000000"]


def test_one_process_only_takes_a_periodic_jobs_turn(redis_url):
    first, second = two_processes("lease:scrub", 1, 0.4, redis_url)
    assert [first.claim("turn"), second.claim("turn")] == [True, False]
    time.sleep(0.5)
    assert second.claim("turn") and not first.claim("turn")


def test_a_redis_that_is_down_leaves_the_victim_served(monkeypatch):
    monkeypatch.setenv("REDIS_KEY_PREFIX", "cyberaidetest")
    down = "redis://127.0.0.1:1/0"  # nothing listens there
    space = store.space(f"test:down:{uuid.uuid4().hex}", 10, 60, redis_url=down)
    space.put("k", ["lost"])
    assert space.get("k") is None and space.take("k") is None and "k" not in space
    assert space.claim("SM1") and space.hit("sender", 1), "a claim and a rate limit let the message through"
    assert space.count("sender") == 0 and len(space) == 0
