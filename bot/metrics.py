"""What the server counts for its operators (Prometheus text format, served by channels/health.py at /metrics).

- `cyberaide_messages_total{channel}` and `cyberaide_reply_seconds{channel}`: victims' messages and how long their
  reply took, per channel;
- `cyberaide_fallbacks_total{channel}`: messages the NLU did not understand;
- `cyberaide_safety_replies_total{channel}`: turns that ended on the safety reply (the bot produced nothing);
- `cyberaide_handovers_waiting`: requests waiting for an operator, read from the database at each scrape.

With several server processes, set PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode: each process
writes its counts there, a scrape sums them); it must be an empty directory at start-up.
"""

from __future__ import annotations

import os
from typing import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot import handover

MESSAGES = Counter("cyberaide_messages", "Victim messages handled", ["channel"])
FALLBACKS = Counter("cyberaide_fallbacks", "Victim messages the NLU did not understand", ["channel"])
SAFETY_REPLIES = Counter("cyberaide_safety_replies", "Turns answered by the safety reply", ["channel"])
REPLY_SECONDS = Histogram(
    "cyberaide_reply_seconds",
    "Time from a victim's message to the bot's reply",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)


class _Waiting(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "cyberaide_handovers_waiting", "Requests waiting for an operator", value=len(handover.queue())
        )


def record_turn(channel: str, seconds: float, fallback: bool, safety_reply: bool) -> None:
    MESSAGES.labels(channel).inc()
    REPLY_SECONDS.labels(channel).observe(seconds)
    if fallback:
        FALLBACKS.labels(channel).inc()
    if safety_reply:
        SAFETY_REPLIES.labels(channel).inc()


def exposition() -> bytes:
    """The current figures (blocking: reads the database and, in multiprocess mode, the processes' files)."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in (MESSAGES, FALLBACKS, SAFETY_REPLIES, REPLY_SECONDS):
            registry.register(metric)
    registry.register(_Waiting())
    return generate_latest(registry)
