"""A victim's reply latency while the staff sign-in is under attack (issue 18, `make bench-login-attack`).

    .venv/bin/python benchmarks/bench_login_attack.py [--messages 200] [--attackers 50] [--json FILE]

Starts its own action server and Rasa server (every channel of credentials.yml, a throw-away SQLite database, one
worker, TRUSTED_PROXIES=1, one staff account). One victim sends `--messages` messages in a row over REST (journeys of
a description and five answers, as in bench_load.py), first alone, then while `--attackers` clients, each from its
own address (X-Forwarded-For), post wrong passwords to /console/login in a loop, without pause, half of them on the
real account and half on unknown e-mails. The attackers run in another process, so that their client work does not
slow the victim's client. Prints the victim's p50 / p95 without and with the attack, their ratio (the target: within
20 %), and what the attackers got (sign-ins per second, by status).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Dict, List

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_load import journey  # noqa: E402
from bot import db  # noqa: E402
from console import auth  # noqa: E402
from tests.conftest import ROOT, start_action_server, start_rasa_server  # noqa: E402

STAFF_EMAIL, STAFF_PASSWORD = "operatrice@example.org", "un mot de passe très long"
ENV = {
    "CHANNEL_RATE_LIMIT_PER_MINUTE": "100000",
    "TRUSTED_PROXIES": "1",
    "HANDOVER_OPENING_HOURS": "24/7",
    # The Argon2 budget of production (tests/conftest.py relaxes it for the tests).
    "STAFF_LOGIN_HASHES_AT_ONCE": "",
    "STAFF_LOGIN_HASHES_PER_SECOND": "",
}
WARM_UP_MESSAGES = 6
STARTUP_TIMEOUT = 600


def victim(url: str, messages: int) -> List[float]:
    """Seconds per reply of `messages` messages in a row, a new conversation per journey."""
    latencies: List[float] = []
    http = requests.Session()
    number = 0
    while len(latencies) < messages:
        sender = f"victime-{uuid.uuid4().hex[:8]}"
        for message in journey(number):
            started = time.perf_counter()
            answer = http.post(url, json={"sender": sender, "message": message}, timeout=120)
            latencies.append(time.perf_counter() - started)
            assert answer.status_code == 200 and answer.json(), answer.text
            if len(latencies) == messages:
                break
        number += 1
    return latencies


def _attacker(url: str, index: int, stop: threading.Event, counts: Counter, lock: threading.Lock) -> None:
    http = requests.Session()
    address = f"10.{index // 250}.{index % 250}.{1 + index % 200}"
    email = STAFF_EMAIL if index % 2 == 0 else f"inconnu{index}@example.org"
    tries = 0
    while not stop.is_set():
        tries += 1
        try:
            status = http.post(
                url,
                data={"email": email, "password": f"essai numéro {tries}"},
                headers={"X-Forwarded-For": address},
                allow_redirects=False,
                timeout=30,
            ).status_code
        except requests.RequestException:
            status = 0
        with lock:
            counts[status] += 1


def attack(url: str, attackers: int, ready, stop, results) -> None:
    """The attackers' process: `attackers` threads until `stop` is set; puts {status: count, "seconds": …}."""
    counts: Counter = Counter()
    lock, halt = threading.Lock(), threading.Event()
    threads = [threading.Thread(target=_attacker, args=(url, i, halt, counts, lock)) for i in range(attackers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    ready.set()
    stop.wait()
    halt.set()
    for thread in threads:
        thread.join()
    results.put({"seconds": time.perf_counter() - started, **{str(k): v for k, v in counts.items()}})


def figures(latencies: List[float]) -> Dict[str, float]:
    ordered = sorted(latencies)
    return {
        "messages": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000),
        "max_ms": round(ordered[-1] * 1000),
    }


def create_account(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    db.create_all()
    auth.create_user(STAFF_EMAIL, "Opératrice", STAFF_PASSWORD, "operator")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--attackers", type=int, default=50)
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "bench_login_attack.json")
    args = parser.parse_args()
    report: Dict[str, object] = {"cores": os.cpu_count(), "attackers": args.attackers}
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        database_url = f"sqlite:///{tmp / 'bench.db'}"
        create_account(database_url)
        actions, action_url = start_action_server(tmp, database_url, ENV)
        try:
            rasa, base_url = start_rasa_server(tmp, database_url, action_url, ENV, timeout=STARTUP_TIMEOUT)
        except BaseException:
            actions.stop()
            raise
        try:
            rest = f"{base_url}/webhooks/rest/webhook"
            victim(rest, WARM_UP_MESSAGES)
            report["alone"] = figures(victim(rest, args.messages))
            print(f"  alone        {json.dumps(report['alone'])}", flush=True)
            context = multiprocessing.get_context("spawn")
            ready, stop, results = context.Event(), context.Event(), context.Queue()
            attackers = context.Process(
                target=attack, args=(f"{base_url}/console/login", args.attackers, ready, stop, results)
            )
            attackers.start()
            ready.wait(60)
            time.sleep(2)  # every attacker is in its loop
            report["attacked"] = figures(victim(rest, args.messages))
            stop.set()
            report["attack"] = results.get(timeout=120)
            attackers.join(60)
            print(f"  under attack {json.dumps(report['attacked'])}", flush=True)
        finally:
            rasa.stop()
            actions.stop()
    alone, attacked, attack_counts = report["alone"], report["attacked"], report["attack"]
    ratio = attacked["p95_ms"] / alone["p95_ms"]  # type: ignore[index]
    seconds = attack_counts.pop("seconds")  # type: ignore[union-attr]
    total = sum(attack_counts.values())  # type: ignore[union-attr]
    report["p95_ratio"] = round(ratio, 3)
    print(f"\nVictim's reply latency over REST, {args.messages} messages in a row ({os.cpu_count()} cores)")
    print(f"  alone:        p50 {alone['p50_ms']} ms, p95 {alone['p95_ms']} ms, max {alone['max_ms']} ms")  # type: ignore[index]
    print(
        f"  under attack: p50 {attacked['p50_ms']} ms, p95 {attacked['p95_ms']} ms, max {attacked['max_ms']} ms"  # type: ignore[index]
    )
    print(f"  p95 ratio:    {ratio:.2f} (target: at most 1.20)")
    print(
        f"  attackers:    {args.attackers} clients, {total} sign-ins in {seconds:.0f} s ({total / seconds:.0f}/s), "
        f"by status {json.dumps(attack_counts, sort_keys=True)}"
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(f"figures in {args.json}")


if __name__ == "__main__":
    main()
