"""The inbound pipeline's state (channels/store.py) and rate limits (channels/inbound.py)."""

import asyncio
import time
from types import SimpleNamespace

from channels.inbound import Inbound, RateLimiter
from channels.store import MemorySpace as Space


def test_rate_limiter_warns_once_then_drops_and_recovers():
    limiter = RateLimiter("test:limiter", limit=3, window_seconds=0.3)
    assert [limiter.check("a") for _ in range(6)] == ["ok", "ok", "ok", "warn", "drop", "drop"]
    assert limiter.check("b") == "ok"
    time.sleep(0.35)
    assert limiter.check("a") == "ok"
    assert [limiter.check("a") for _ in range(4)] == ["ok", "ok", "warn", "drop"]  # warned again, once


def test_rate_limiter_reads_the_setting_when_a_message_comes(monkeypatch):
    limiter = RateLimiter("test:setting", factor=2)
    monkeypatch.setenv("CHANNEL_RATE_LIMIT_PER_MINUTE", "2")
    assert [limiter.check("a") for _ in range(5)] == ["ok", "ok", "ok", "ok", "warn"]


def test_a_space_claims_once_expires_and_evicts_the_oldest():
    space = Space("test:claims", max_items=2, ttl_seconds=60)
    assert space.claim("SM1") and not space.claim("SM1")
    space.claim("SM2"), space.claim("SM3")  # SM1 is the oldest: evicted
    assert space.claim("SM1")
    short = Space("test:short", max_items=10, ttl_seconds=0.1)
    short.put("k", [1])
    assert short.get("k") == [1]
    time.sleep(0.15)
    assert short.get("k") is None and "k" not in short
    short.put("k", ["a"])
    assert short.take("k") == ["a"] and short.take("k") is None


def test_a_redelivery_is_recognised_in_memory_then_in_the_stored_conversation():
    inbound = Inbound("test-redelivery", max_body_bytes=10)
    recorded = {"SM-old"}

    class Store:
        async def retrieve_full_tracker(self, sender_id):
            from rasa.shared.core.events import UserUttered
            from rasa.shared.core.trackers import DialogueStateTracker

            events = [UserUttered("bonjour", message_id=m) for m in recorded]
            return DialogueStateTracker.from_events(sender_id, events)

    agent = SimpleNamespace(tracker_store=Store())

    async def scenario():
        return [
            await inbound.redelivered(agent, "SM-new", "sms:+33600000001"),  # first copy
            await inbound.redelivered(agent, "SM-new", "sms:+33600000001"),  # retry, same process
            await inbound.redelivered(agent, "SM-old", "sms:+33600000001"),  # handled before a restart
            await inbound.redelivered(agent, "SM-other", None),  # no conversation to look in
        ]

    assert asyncio.run(scenario()) == [False, True, True, False]


def test_size_and_json_checks():
    inbound = Inbound("test-size", max_body_bytes=20)
    assert inbound.too_big(SimpleNamespace(body=b"x" * 21)) and not inbound.too_big(SimpleNamespace(body=b"{}"))
    for body in (b"", b"[1]", b"\xff", b"nope", b'"text"'):
        assert inbound.json_object(SimpleNamespace(body=body)) is None
    assert inbound.json_object(SimpleNamespace(body=b'{"a": 1}')) == {"a": 1}
