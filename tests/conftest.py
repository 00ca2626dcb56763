"""Shared fixtures: the real Rasa server and action server, started on free ports for the test session."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import pytest
import requests
import yaml
from sanic.log import LOGGING_CONFIG_DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
# The test process's own application database, one per pytest-xdist worker: importing bot.actions creates its tables
# (at collection, in both workers at once), and it must never be the developer's var/ database. Tests that need a
# database of their own set DATABASE_URL themselves.
_SCRATCH = Path(tempfile.mkdtemp(prefix=f"cyberaide-tests-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-"))
os.environ["DATABASE_URL"] = f"sqlite:///{_SCRATCH / 'application.db'}"
VENV_BIN = Path(sys.executable).parent
RASA = str(VENV_BIN / "rasa")
PYTHON = str(VENV_BIN / "python")
# The secret shared by the test servers (endpoints.yml `token`, bot/action_server.py).
ACTION_TOKEN = secrets.token_urlsafe(24)
METRICS_TOKEN = secrets.token_urlsafe(24)

# Fixtures that start the Rasa server, the action server or a browser. Tests that use one (directly or through
# another fixture), and tests on PostgreSQL, are marked `server`; `make test-unit` runs the others alone.
SERVER_FIXTURES = frozenset(
    {
        "bot",
        "bot_without_actions",
        "servers",
        "other_server",
        "two_servers",
        "server",
        "rasa",
        "polling",
        "actions",
        "action_server",
        "guarded",
        "browser",
        "context",
        "validate_env",  # runs `rasa data validate`
        "redis_url",  # the real Redis (tests/test_store.py)
        "deployment",  # two instances with two workers each (tests/test_scale_out.py)
    }
)


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())) or "postgresql" in item.name:
            item.add_marker(pytest.mark.server)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def latest_model() -> Path:
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        pytest.fail("No trained model in models/: run `make test` (it trains one) or `make train`.")
    return models[-1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} did not come up in {timeout} s:\n{log.read_text()[-3000:]}")


class Server:
    """A subprocess with its log file, stopped at the end."""

    def __init__(self, args: List[str], env: Dict[str, str], log: Path):
        self.log = log
        self.handle = log.open("w")
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.handle, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.handle.close()


def server_env(database_url: str, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "CUDA_VISIBLE_DEVICES": "",
            "ACTION_SERVER_TOKEN": ACTION_TOKEN,
            "METRICS_TOKEN": METRICS_TOKEN,
            # Every test talks from 127.0.0.1: only the tests about rate limits set a low one.
            "CHANNEL_RATE_LIMIT_PER_MINUTE": "10000",
            # The test clients talk plain http: a Secure staff cookie would never come back (tests of the default
            # set it back, tests/test_console_security.py).
            "STAFF_COOKIE_SECURE": "0",
            # Tests sign in one account after another from one address: only tests/test_console_security.py keeps
            # the Argon2 budget of production.
            "STAFF_LOGIN_HASHES_AT_ONCE": "8",
            "STAFF_LOGIN_HASHES_PER_SECOND": "1000",
        }
    )
    for key in ("TELEGRAM_TOKEN", "SMS_AUTH_TOKEN", "REDIS_URL", "REST_TOKEN", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(key, None)
    env.update(extra or {})
    return env


def start_action_server(tmp: Path, database_url: str, extra_env=None) -> tuple:
    port = free_port()
    server = Server(
        [PYTHON, "-m", "bot.action_server", "--port", str(port)],
        server_env(database_url, extra_env),
        tmp / f"actions-{port}.log",
    )
    _wait_or_stop(server, f"http://127.0.0.1:{port}/health")
    return server, f"http://127.0.0.1:{port}/webhook"


# The shared servers write log lines that carry conversation ids, so that tests can check that the ids are masked
# (tests/test_logs.py): Rasa's lock and tracker stores at DEBUG (a few lines per message), and Sanic's access log
# with request URLs, which `rasa run` leaves without a handler unless its HTTP API is on (`--enable-api`).
ID_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)-8s %(name)s  - %(message)s"},
        "access": {"format": LOGGING_CONFIG_DEFAULTS["formatters"]["access"]["format"]},
    },
    "handlers": {
        "ids": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain"},
        "access": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "access"},
    },
    "loggers": {
        **{
            name: {"level": "DEBUG", "handlers": ["ids"], "propagate": False}
            for name in ("rasa.core.lock_store", "rasa.core.tracker_store")
        },
        "sanic.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
    },
}
ID_LOGGING_ENV = {"LOG_LEVEL_LIBRARIES": "INFO"}  # else Rasa sets Sanic's access log to ERROR (update_sanic_log_level)


def _wait_or_stop(server: Server, url: str, timeout: float = 180) -> None:
    """Waits for a server to answer; one that never did is stopped rather than left running."""
    try:
        wait_until_up(url, server.process, server.log, timeout)
    except BaseException:
        server.stop()
        raise


def start_rasa_server(
    tmp: Path,
    database_url: str,
    action_url: str,
    extra_env=None,
    credentials=None,
    logging_config=None,
    timeout: float = 180,
) -> tuple:
    port = free_port()
    endpoints = tmp / "endpoints.yml"
    config = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    config["action_endpoint"] = {"url": action_url, "token": ACTION_TOKEN}
    endpoints.write_text(yaml.safe_dump(config))
    creds = credentials or (ROOT / "credentials.yml")
    logging_args: List[str] = []
    if logging_config:
        logging_file = tmp / f"logging-{port}.yml"
        logging_file.write_text(yaml.safe_dump(logging_config))
        logging_args = ["--logging-config-file", str(logging_file)]
    server = Server(
        [
            RASA,
            "run",
            "--port",
            str(port),
            "--model",
            str(latest_model()),
            "--credentials",
            str(creds),
            "--endpoints",
            str(endpoints),
            *logging_args,
        ],
        server_env(database_url, extra_env),
        tmp / f"rasa-{port}.log",
    )
    _wait_or_stop(server, f"http://127.0.0.1:{port}/webhooks/rest/", timeout)
    return server, f"http://127.0.0.1:{port}"


@contextmanager
def shared_database(tmp: Path, name: str) -> Iterator[str]:
    """A SQLite database that the test process shares with the servers it starts: DATABASE_URL points at it
    meanwhile (the test creates staff accounts there and reads what the servers wrote), and is restored after."""
    from bot import db

    url = f"sqlite:///{tmp / name}"
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    db.create_all()
    try:
        yield url
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous


@contextmanager
def console_servers(tmp: Path, database_url: str, env: Dict[str, str]) -> Iterator[Tuple[Server, "Bot"]]:
    """An action server and a Rasa server on `database_url` with `env`: the Rasa server and a client of both."""
    actions, action_url = start_action_server(tmp, database_url, env)
    rasa, base_url = start_rasa_server(tmp, database_url, action_url, extra_env=env)
    try:
        yield rasa, Bot(base_url, database_url)
    finally:
        rasa.stop()
        actions.stop()


def wait_for_workers(server: Server, count: int, timeout: float = 300) -> None:
    """Waits until `count` Sanic workers of a Rasa server have loaded the model, and fails as soon as one died: the
    port answers once one worker is up, and a worker that crashed at start-up leaves the others serving."""
    deadline = time.time() + timeout
    pid = server.process.pid
    seen: set = set()
    while True:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        alive = {child for child in children if "State:\tZ" not in Path(f"/proc/{child}/status").read_text()}
        seen |= set(children)
        assert seen <= alive, f"{len(seen - alive)} worker(s) of {count} died at start-up: see {server.log}"
        if server.log.read_text(errors="replace").count("Rasa server is up and running.") >= count:
            return
        assert time.time() < deadline, f"fewer than {count} workers up after {timeout:.0f} s: see {server.log}"
        time.sleep(0.5)


class Bot:
    """A client of the real servers: a `web:<uuid>` sender talks through the web chat endpoint, any other sender
    through the REST channel (whose conversation is then `rest:<sender>`). Replies come back as Rasa's REST channel
    gives them: a list of {"text", "buttons"}."""

    def __init__(self, base_url: str, database_url: str):
        self.base_url = base_url
        self.database_url = database_url
        self.log: Optional[Path] = None  # the Rasa server's log, where the server fixture knows it

    def say(self, sender: str, message, timeout: float = 60) -> list:
        if sender.startswith("web:"):
            return self._say_on_the_web(sender, message, timeout)
        response = requests.post(
            f"{self.base_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=timeout
        )
        assert response.status_code == 200, response.text
        return response.json()

    def _say_on_the_web(self, session: str, message, timeout: float) -> list:
        response = requests.post(
            f"{self.base_url}/webhooks/webchat/webhook",
            data=json.dumps({"session": session, "message": message, "client_id": uuid.uuid4().hex}),
            headers={"Content-Type": "text/plain"},
            timeout=timeout,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        shown = [m for m in body["messages"] if m["who"] != "victim"] + body["notices"]
        return [{k: v for k, v in m.items() if k in ("text", "buttons")} for m in shown]

    def press(self, sender: str, replies: list, title: str, timeout: float = 60) -> list:
        """Presses the offered button whose title starts with `title`, as the victim would."""
        for reply in reversed(replies):
            for button in reply.get("buttons") or []:
                if button.get("title", "").startswith(title) and button.get("payload"):
                    return self.say(sender, button["payload"], timeout)
        pytest.fail(f"no button {title!r} in {replies}")

    @staticmethod
    def conversation_id(sender: str) -> str:
        """The tracker id of a test sender's conversation."""
        return sender if sender.startswith("web:") else f"rest:{sender}"

    @staticmethod
    def text(replies: list) -> str:
        return "\n".join(reply.get("text") or "" for reply in replies)


@pytest.fixture(scope="session")
def bot(tmp_path_factory) -> Iterator[Bot]:
    """The real action server and Rasa server, with a fresh SQLite database."""
    tmp = tmp_path_factory.mktemp("servers")
    database_url = f"sqlite:///{tmp / 'test.db'}"
    actions, action_url = start_action_server(tmp, database_url)
    try:
        rasa, base_url = start_rasa_server(tmp, database_url, action_url, ID_LOGGING_ENV, logging_config=ID_LOGGING)
    except BaseException:
        actions.stop()
        raise
    served = Bot(base_url, database_url)
    served.log = rasa.log
    yield served
    rasa.stop()
    actions.stop()
