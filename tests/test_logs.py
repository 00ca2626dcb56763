"""No phone number, Telegram chat id or web chat session id in clear in the logs: ours, Rasa's and Sanic's (bot.logs)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Iterator

import pytest
import requests
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from sanic.log import LOGGING_CONFIG_DEFAULTS

from bot import logs
from channels.common import converse
from tests.conftest import ROOT, Bot

WEB_UUID = "3f0c9a4e-5b7d-4c21-9e8f-1a2b3c4d5e6f"  # fixed: test ids must be the same in every xdist worker
WEB = f"web:{WEB_UUID}"
SMS = "sms:+33612345678"
TELEGRAM = "telegram:123456789"
REST_PHONE = "rest:+33698765432"  # a REST caller that names its conversations by phone number
# Each conversation id, what must never be in a log line, and what is written instead.
IDS = [
    pytest.param(WEB, WEB_UUID, f"web:…{WEB_UUID[-4:]}", id="web"),
    pytest.param(SMS, "612345678", "sms:…78", id="sms"),
    pytest.param(TELEGRAM, "123456789", "telegram:…89", id="telegram"),
    pytest.param(REST_PHONE, "698765432", "rest:«téléphone masqué»", id="rest-phone"),
]
# Rasa's own wordings (rasa 3.6, f-strings: the id is already in the message), on the loggers that write them; a
# child logger's records reach the root's handlers by propagation, where no logger filter of the parent applies.
RASA_LINES = [
    ("rasa.core.processor", "Starting a new session for conversation ID '{}'."),
    ("rasa.core.processor", "Circuit breaker tripped. Stopped predicting more actions for sender '{}'."),
    ("rasa.core.lock_store", "Issuing ticket for conversation '{}'."),
    ("rasa.core.lock_store.child", "Acquired lock for conversation '{}'."),
    ("rasa.core.tracker_store", "Tracker with sender_id '{}' stored to database"),
    ("rasa.core.agent", "Could not handle the message of {}"),
    ("rasa.core.channels.channel", "Exception when trying to handle message of {}."),
    ("rasa.server", "Failed to replace events for conversation ID {}."),
]
RASA_FORMAT = "%(asctime)s %(levelname)-8s %(name)s  - %(message)s"  # rasa.utils.io.configure_colored_logging
ACCESS_FORMAT = LOGGING_CONFIG_DEFAULTS["formatters"]["access"]["format"]


@pytest.fixture(autouse=True)
def installed(caplog):
    logs.install()
    caplog.set_level(logging.DEBUG, logger="rasa")
    caplog.set_level(logging.DEBUG, logger="channels")


@contextmanager
def written(logger_name: str = "", fmt: str = RASA_FORMAT) -> Iterator[io.StringIO]:
    """What a handler on `logger_name` (the root logger by default) writes."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter(fmt))
    logger = logging.getLogger(logger_name or None)
    logger.addHandler(handler)
    try:
        yield buffer
    finally:
        logger.removeHandler(handler)


@pytest.mark.parametrize("sender_id, secret, shown", IDS)
@pytest.mark.parametrize("logger_name, wording", RASA_LINES)
def test_rasa_log_lines_show_conversation_ids_masked(sender_id, secret, shown, logger_name, wording):
    with written() as out:
        logging.getLogger(logger_name).debug(wording.format(sender_id))  # as Rasa does: an f-string
        logging.getLogger(logger_name).warning(wording.replace("{}", "%s"), sender_id)  # and with an argument
    assert secret not in out.getvalue() and out.getvalue().count(shown) == 2, out.getvalue()


@pytest.mark.parametrize("sender_id, secret, shown", IDS)
def test_tracebacks_show_conversation_ids_masked(sender_id, secret, shown):
    with written() as out:
        try:
            raise ValueError(f"not a conversation id: {sender_id!r}")
        except ValueError:
            logging.getLogger("rasa.core.processor.deep.child").exception("Encountered an exception.")
    assert secret not in out.getvalue() and shown in out.getvalue() and "Traceback" in out.getvalue()


def test_structlog_events_as_rasa_renders_them_show_ids_masked():
    event = json.dumps({"sender_id": WEB, "event": "processor.actions.log", "text": "+33 6 12 34 56 78"})
    with written() as out:
        logging.getLogger("rasa.core.processor").debug(event)  # structlog's stdlib factory: one rendered string
    assert WEB_UUID not in out.getvalue() and "612345678" not in out.getvalue().replace(" ", "")
    assert f"web:…{WEB_UUID[-4:]}" in out.getvalue()


@pytest.mark.parametrize(
    "url, secret",
    [
        # The web chat's stream, as the widget opens it (encodeURIComponent) and unencoded.
        (f"http://127.0.0.1:5005/webhooks/webchat/stream?session=web%3A{WEB_UUID}&after=-1", WEB_UUID),
        (f"http://127.0.0.1:5005/webhooks/webchat/stream?session={WEB}", WEB_UUID),
        ("http://127.0.0.1:5005/webhooks/rest/webhook?token=s3cr3t-rest-token", "s3cr3t-rest-token"),
        ("http://127.0.0.1:5005/some/path?sender=sms%3A%2B33612345678", "612345678"),
        ("http://127.0.0.1:5005/dossier/Qx3_tR9-kLm2PzW8vYb1cA", "Qx3_tR9-kLm2PzW8vYb1cA"),  # a victim's dossier link
    ],
)
def test_sanics_access_log_shows_request_urls_masked(caplog, url, secret):
    caplog.set_level(logging.INFO, logger=logs.ACCESS_LOGGER)
    with written(logs.ACCESS_LOGGER, ACCESS_FORMAT) as out:
        # As sanic.http.Http.log_response does: the request line is in `extra`, the message is empty.
        extra = {"status": 200, "byte": 512, "host": "127.0.0.1:50000", "request": f"GET {url}"}
        logging.getLogger(logs.ACCESS_LOGGER).info("", extra=extra)
    assert "GET http://127.0.0.1:5005/" in out.getvalue() and secret not in out.getvalue(), out.getvalue()


def test_sanics_error_log_shows_the_stream_url_masked():
    url = f"http://127.0.0.1:5005/webhooks/webchat/stream?session=web%3A{WEB_UUID}"
    with written("sanic.error") as out:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("sanic.error").exception("Exception occurred while handling uri: %s", repr(url))
    assert WEB_UUID not in out.getvalue() and f"session=web:…{WEB_UUID[-4:]}" in out.getvalue()


@pytest.mark.parametrize(
    "text",
    [
        "Starting Rasa server on http://0.0.0.0:5005",
        "Logged UserUtterance - tracker now has 42 events.",
        "Action 'action_listen' ended with events '[]'.",
        "Connected to lock store 'InMemoryLockStore'.",
        "Telegram update 812345678 already handled (redelivery): skipped",
    ],
)
def test_lines_without_an_id_are_left_as_they_are(text):
    assert logs.mask(text) == text


def test_installing_twice_masks_once():
    logs.install()
    logs.install()
    assert logs.mask(SMS) == "sms:…78"
    with written() as out:
        logging.getLogger("rasa.core.lock_store").debug(f"Issuing ticket for conversation '{SMS}'.")
    assert "sms:…78" in out.getvalue()
    assert sum(isinstance(f, logs.MaskAccessLog) for f in logging.getLogger(logs.ACCESS_LOGGER).filters) == 1


@pytest.mark.parametrize("sender_id, secret, shown", IDS)
def test_our_own_lines_mask_the_id_even_without_the_process_wide_masking(monkeypatch, caplog, sender_id, secret, shown):
    monkeypatch.setattr(logging, "_logRecordFactory", logging.LogRecord)  # as if install() had not run

    async def crashes(message) -> None:
        raise RuntimeError("crash in the pipeline")

    app = SimpleNamespace(
        ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=InMemoryTrackerStore(Domain.empty())))
    )
    replies = asyncio.run(converse(app, crashes, "bonjour", sender_id, "rest"))
    assert replies  # the safety reply
    ours = [record.getMessage() for record in caplog.records if record.name.startswith("channels.")]
    assert f"Error while handling a message of {shown}" in ours
    assert not any(secret in line for line in ours)


# Rasa's logging set-up at start, in the order `rasa run` calls it (rasa/__main__.py, rasa/core/run.py), around
# install() as bot.stores calls it at the agent's load, and more of it after: a factory set before survives it all.
CONFIGURED = """
import logging, sys
import structlog
import rasa.core.utils, rasa.utils.io
from rasa.utils.common import configure_logging_and_warnings, update_sanic_log_level
from rasa.utils.log_utils import configure_structlog
from sanic import Sanic
from bot import logs

web, sms, telegram, log_file = sys.argv[1:5]
configure_logging_and_warnings(logging.DEBUG, warn_only_once=True, filter_repeated_logs=True)
logs.install()
rasa.utils.io.configure_colored_logging(logging.DEBUG)
configure_structlog(logging.DEBUG)
rasa.core.utils.configure_file_logging(logging.getLogger(), log_file, False)
Sanic("rasa_server")  # Sanic's own logging configuration (logging.config.dictConfig)
update_sanic_log_level(log_file)

for name, sender in (("rasa.core.lock_store", web), ("rasa.core.processor.child", sms), ("rasa.core.agent", telegram)):
    logging.getLogger(name).debug(f"Issuing ticket for conversation '{sender}'.")
structlog.get_logger().debug("processor.actions.log", sender_id=web, text=sms)
request = "GET http://127.0.0.1:5005/webhooks/webchat/stream?session=" + web.replace(":", "%3A") + "&after=-1"
logging.getLogger("sanic.access").info("", extra={"status": 200, "byte": 9, "host": "127.0.0.1:1", "request": request})
try:
    raise ValueError(f"not a Telegram conversation id: {telegram!r}")
except ValueError:
    logging.getLogger("sanic.error").exception("Exception occurred while handling uri: %s", repr(request))
"""


def test_the_masking_survives_rasas_and_sanics_logging_configuration(tmp_path):
    log_file = tmp_path / "rasa.log"
    done = subprocess.run(
        [sys.executable, "-c", CONFIGURED, WEB, SMS, TELEGRAM, str(log_file)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL_LIBRARIES": "DEBUG", "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    written_out = done.stdout + done.stderr + log_file.read_text()
    for secret in (WEB_UUID, "612345678", "123456789"):
        assert secret not in written_out, written_out
    # The lines were written, masked: on the console and in the log file.
    for out in (done.stdout + done.stderr, log_file.read_text()):
        assert out.count("Issuing ticket for conversation") == 3, out
        assert "processor.actions.log" in out and "webchat/stream?session=web:…" in out, out
        assert "ValueError: not a Telegram conversation id: 'telegram:…89'" in out, out


def test_after_a_web_chat_conversation_the_server_log_has_neither_its_session_nor_its_stream_url(bot: Bot):
    session_uuid = str(uuid.uuid4())
    session = f"web:{session_uuid}"
    assert bot.say(session, "bonjour")
    with requests.get(
        f"{bot.base_url}/webhooks/webchat/stream", params={"session": session}, stream=True, timeout=30
    ) as stream:
        assert stream.status_code == 200
        assert next(stream.iter_lines(decode_unicode=True)).startswith("retry:")
    assert bot.log is not None
    log = bot.log.read_text()
    assert f"web:…{session_uuid[-4:]}" in log  # the shared servers log the ids (tests/conftest.py), masked
    assert session_uuid not in log and session not in log and f"web%3A{session_uuid}" not in log
