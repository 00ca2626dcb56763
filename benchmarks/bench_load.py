"""Many victims at once over REST (issue 17, `make bench-load`): the capacity curve of the project with production
settings, then of plain `rasa run` with the same model, action server and tracker store.

    .venv/bin/python benchmarks/bench_load.py [--levels 1 10 25 50] [--reading 1.0] [--json FILE]

Starts its own servers on a throw-away PostgreSQL database (127.0.0.1:5432) with Redis (127.0.0.1:6379):
- "project": `rasa run` as in production: every channel of credentials.yml, the project's tracker and lock stores
  (PostgreSQL, Redis), SANIC_WORKERS = the number of cores;
- "plain": `rasa run` with Rasa's own REST channel, its SQL tracker store on the same database and its in-memory
  lock store, one worker.
Both use the newest model in models/ and one action server (`python -m bot.action_server`).

At each level N, N victims talk at once, each waiting `--reading` seconds after every reply before typing the next
message (a closed loop, as people do): a description of one of the 18 incidents, then "oui", "je ne sais pas",
"j'habite à Lyon", "non", "merci". Alone (N = 1), five journeys in a row. Prints, per server and level, messages per
second, latency p50 / p95 / max, failures (a status other than 200, an empty reply or the safety reply), and the CPU
time per message of the Rasa server (all its workers) and of the action server: CPU time is the figure that holds on
a busy machine, the rate and latencies need the machine to itself. Before the curve, a few journeys warm every worker
up (their first messages load lazily built parts) and are not counted. The rate limit is lifted: every victim here
comes from one address.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Dict, List

import requests
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.taxonomy import INCIDENT_INTENTS  # noqa: E402
from channels.common import SAFETY_REPLY  # noqa: E402
from tests.conftest import (  # noqa: E402
    ACTION_TOKEN,
    RASA,
    ROOT,
    Server,
    _wait_or_stop,
    free_port,
    latest_model,
    server_env,
    start_action_server,
    start_rasa_server,
    wait_for_workers,
)
from tests.databases import temporary_database  # noqa: E402
from tests.support.victims import DESCRIPTIONS  # noqa: E402

ANSWERS = ["oui", "je ne sais pas", "j'habite à Lyon", "non", "merci"]
ALONE_JOURNEYS = 5
STARTUP_TIMEOUT = 600
ENV = {"CHANNEL_RATE_LIMIT_PER_MINUTE": "100000", "HANDOVER_OPENING_HOURS": "24/7"}


def journey(index: int) -> List[str]:
    return [DESCRIPTIONS[INCIDENT_INTENTS[index % len(INCIDENT_INTENTS)]], *ANSWERS]


def victim(url: str, name: str, journeys: int, first: int, reading: float, results: list) -> None:
    for number in range(journeys):
        sender = f"{name}-{number}"
        for message in journey(first + number):
            started = time.perf_counter()
            ok = False
            try:
                answer = requests.post(url, json={"sender": sender, "message": message}, timeout=120)
                texts = [m.get("text") or "" for m in answer.json()] if answer.status_code == 200 else []
                ok = bool(texts) and SAFETY_REPLY not in texts
            except (requests.RequestException, ValueError):
                pass
            results.append((time.perf_counter() - started, ok))
            time.sleep(reading)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its children (a Rasa server's Sanic workers), from /proc."""
    total = 0.0
    for process in [str(pid), *Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rpartition(")")[2].split()
        except FileNotFoundError:  # a worker that just exited
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def level(url: str, victims: int, reading: float, pids: Dict[str, int]) -> Dict[str, float]:
    results: list = []
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    run = uuid.uuid4().hex[:6]
    journeys = ALONE_JOURNEYS if victims == 1 else 1
    threads = [
        threading.Thread(target=victim, args=(url, f"load-{run}-{i}", journeys, i, reading, results))
        for i in range(victims)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu = {
        f"cpu_ms_per_message_{name}": round((cpu_seconds(pid) - cpu_before[name]) * 1000 / len(results), 1)
        for name, pid in pids.items()
    }
    latencies = sorted(seconds for seconds, _ in results)
    return {
        "victims": victims,
        "messages": len(results),
        "messages_per_second": round(len(results) / elapsed, 2),
        "p50_ms": round(statistics.median(latencies) * 1000),
        "p95_ms": round(latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000),
        "max_ms": round(latencies[-1] * 1000),
        "failures": sum(1 for _, ok in results if not ok),
        **cpu,
    }


def start_plain_rasa(tmp: Path, database_url: str, action_url: str) -> tuple:
    """Plain `rasa run`: Rasa's REST channel, SQL tracker store and in-memory lock store, one worker."""
    from sqlalchemy.engine import make_url

    parsed = make_url(database_url)
    endpoints = tmp / "plain-endpoints.yml"
    endpoints.write_text(
        yaml.safe_dump(
            {
                "action_endpoint": {"url": action_url, "token": ACTION_TOKEN},
                "tracker_store": {
                    "type": "SQL",
                    "dialect": "postgresql",
                    "url": parsed.host,
                    "port": parsed.port,
                    "db": parsed.database,
                    "username": parsed.username,
                },
            }
        )
    )
    credentials = tmp / "plain-credentials.yml"
    credentials.write_text("rest:\n")
    port = free_port()
    args = [RASA, "run", "--port", str(port), "--model", str(latest_model())]
    args += ["--credentials", str(credentials), "--endpoints", str(endpoints)]
    env = server_env(database_url, {**ENV, "SANIC_WORKERS": "1"})
    server = Server(args, env, tmp / "plain-rasa.log")
    _wait_or_stop(server, f"http://127.0.0.1:{port}/webhooks/rest/", STARTUP_TIMEOUT)
    return server, f"http://127.0.0.1:{port}"


def curve(url: str, levels: List[int], reading: float, label: str, pids: Dict[str, int]) -> List[Dict[str, float]]:
    figures = []
    for victims in levels:
        figures.append(level(url, victims, reading, pids))
        print(f"  {label:8} {json.dumps(figures[-1])}", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 10, 25, 50])
    parser.add_argument("--reading", type=float, default=1.0, help="seconds a victim waits after each reply")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="Sanic workers of the project")
    parser.add_argument("--servers", nargs="+", choices=["project", "plain"], default=["project", "plain"])
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "bench_load.json")
    args = parser.parse_args()
    report: Dict[str, object] = {"model": latest_model().name, "reading_seconds": args.reading, "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as folder, temporary_database("postgresql", Path(folder)) as database_url:
        tmp = Path(folder)
        production = {
            **ENV,
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "REDIS_KEY_PREFIX": f"cyberaidebench{uuid.uuid4().hex[:8]}",
        }
        actions, action_url = start_action_server(tmp, database_url, production)
        production["SANIC_WORKERS"] = str(args.workers)
        try:
            for label in args.servers:
                started = time.monotonic()
                if label == "project":
                    (tmp / label / "metrics").mkdir(parents=True)
                    env = {**production, "PROMETHEUS_MULTIPROC_DIR": str(tmp / label / "metrics")}
                    server, url = start_rasa_server(tmp / label, database_url, action_url, env, timeout=STARTUP_TIMEOUT)
                    wait_for_workers(server, args.workers, STARTUP_TIMEOUT)
                else:
                    server, url = start_plain_rasa(tmp, database_url, action_url)
                print(f"{label}: up in {time.monotonic() - started:.0f} s", flush=True)
                try:
                    pids = {"rasa": server.process.pid, "actions": actions.process.pid}
                    level(f"{url}/webhooks/rest/webhook", 4 * args.workers, 0, pids)  # warm-up, not counted
                    report[label] = curve(f"{url}/webhooks/rest/webhook", args.levels, args.reading, label, pids)
                finally:
                    server.stop()
        finally:
            actions.stop()
    print(f"\nCapacity curve ({args.reading:g} s reading time; project: {args.workers} workers, PostgreSQL, Redis)")
    columns = f"{'msg/s':>6} {'p50':>6} {'p95':>6} {'max':>6} {'fail':>4} {'cpu ms/msg':>12}"
    print(f"{'victims':>7} | " + " | ".join(f"{label + ' ' + columns:>{len(columns)}}" for label in args.servers))
    for figures in zip(*(report[label] for label in args.servers)):  # type: ignore[misc]
        cells = [
            f"{f['messages_per_second']:>6} {f['p50_ms']:>6} {f['p95_ms']:>6} {f['max_ms']:>6} {f['failures']:>4} "
            f"{f['cpu_ms_per_message_rasa']:>5}+{f['cpu_ms_per_message_actions']:<6}"
            for f in figures
        ]
        print(f"{figures[0]['victims']:>7} | " + " | ".join(cells))
    print("(cpu ms/msg: the Rasa server's workers + the action server, per message)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(f"figures in {args.json} (latencies in ms)")


if __name__ == "__main__":
    main()
