"""Per-message latency over the REST channel of a running assistant (`make run` in another terminal).

    .venv/bin/python benchmarks/bench_rest.py [--url http://localhost:5005] [--conversations 30]

Each conversation is a realistic journey (description, answers, recap), so the figure includes NLU, dialogue,
custom actions over HTTP and the SQL tracker store. Requests are sequential (one victim at a time).
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import requests

JOURNEY = [
    "bonjour",
    "j'ai reçu un sms de chronopost avec un lien, j'ai payé 1,99 € avec ma carte",
    "non",
    "je sais pas",
    "vous pouvez me renvoyer le récapitulatif ?",
    "merci beaucoup",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://localhost:5005")
    parser.add_argument("--conversations", type=int, default=30)
    args = parser.parse_args()
    latencies = []
    for _ in range(args.conversations):
        sender = f"bench-{uuid.uuid4().hex[:8]}"
        for message in JOURNEY:
            started = time.perf_counter()
            response = requests.post(
                f"{args.url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60
            )
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    latencies.sort()
    print(f"{len(latencies)} messages, {args.conversations} conversations")
    print(
        f"p50 {statistics.median(latencies):.0f} ms, p95 {latencies[int(len(latencies) * 0.95) - 1]:.0f} ms, "
        f"max {latencies[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
