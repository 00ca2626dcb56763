"""Keeps victims' identifiers out of every log line of the Rasa server and the action server.

Conversation ids are personal data (`sms:+336…`, `telegram:<chat id>`) or a secret (`web:<uuid>` is the only key to
a web chat: whoever has it reads the conversation and writes as the victim). Rasa logs them in many places (its
processor, lock and tracker stores, structlog events), and Sanic's access log prints request URLs, such as the web
chat's stream `/webhooks/webchat/stream?session=web%3A…`.

`install()` puts a record factory in front of logging's: every record of the process has its message and traceback
masked when it is made, whatever its logger and handlers, and however Rasa and Sanic configure logging later. Sanic
keeps the request line of its access log in an `extra` field, which a factory does not see: a filter on that logger
masks it. bot.stores (imported by every Rasa server through endpoints.yml) and bot.action_server call `install()`;
our own log lines write conversation ids with `log_id` in the first place.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Callable

from bot import privacy, vocabulary

ACCESS_LOGGER = "sanic.access"

# Web chat session ids, with or without their prefix, in clear or percent-encoded in a URL ("web%3A<uuid>"). Every
# version-4 uuid has "-4" in it: lines without it skip the regex.
_SESSIONS = re.compile(
    rf"(?P<web>{vocabulary.WEB.key}(?::|%3[aA]))?"
    r"(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})"
)
# SMS and Telegram conversation ids, in clear or percent-encoded ("sms%3A%2B336…").
_SENDERS = re.compile(
    rf"\b(?P<channel>{vocabulary.SMS.key}|{vocabulary.TELEGRAM.key})(?::|%3[aA])(?P<id>(?:\+|%2[bB]|-)?\d+)"
)
# The REST channel accepts REST_TOKEN as `?token=`: request lines carry it.
_TOKENS = re.compile(r"(?P<param>[?&]token=)[^&\s'\"]+")
_DOSSIER_LINKS = re.compile(r"/dossier/[A-Za-z0-9_\-]+")
_FEEDBACK_LINKS = re.compile(r"(?P<path>/retour/[0-9]+/)[A-Za-z0-9_\-]+")
_TRACEBACKS = logging.Formatter()


def log_id(sender_id: str) -> str:
    """A conversation id fit for a log line: as staff see it (phone numbers, Telegram ids and web chat session ids
    cut to their last characters)."""
    return privacy.mask_sender(sender_id)


def _session(match: "re.Match[str]") -> str:
    return log_id(f"{vocabulary.WEB.key}:{match['uuid']}") if match["web"] else f"…{match['uuid'][-4:]}"


def _sender(match: "re.Match[str]") -> str:
    return log_id(f"{match['channel']}:{match['id']}")


def mask(text: str) -> str:
    """`text` with its conversation ids, web chat session ids, phone numbers and `token=` values masked. It runs on
    every log record: each regex runs only when a cheap substring test says it may match."""
    if "-4" in text:
        text = _SESSIONS.sub(_session, text)
    if "sms" in text or "telegram" in text:
        text = _SENDERS.sub(_sender, text)
    if "token=" in text:
        text = _TOKENS.sub(r"\g<param>…", text)
    if "/dossier/" in text:  # the link to a victim's dossier (bot/dossier_links.py) is as good as a password
        text = _DOSSIER_LINKS.sub("/dossier/…", text)
    if "/retour/" in text:  # a provider's feedback link (console/observatory/feedback.py) is its credential
        text = _FEEDBACK_LINKS.sub(r"\g<path>…", text)
    return privacy.mask_phones(text)


def mask_record(record: logging.LogRecord) -> None:
    """Masks a record's message (formatted with its arguments), traceback and stack in place."""
    try:
        message = record.getMessage()
    except Exception:  # a broken logging call: its handler reports it as usual
        return
    masked = mask(message)
    if masked != message:
        record.msg, record.args = masked, ()
    if record.exc_info and not record.exc_text:  # formatters use exc_text when it is set
        record.exc_text = mask(_TRACEBACKS.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = mask(record.stack_info)


class _MaskingRecordFactory:
    """Wraps the record factory in place, so that every record is masked as soon as it is made."""

    def __init__(self, factory: Callable[..., logging.LogRecord]):
        self.factory = factory

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.factory(*args, **kwargs)
        mask_record(record)
        return record


class MaskAccessLog(logging.Filter):
    """Sanic's access log: the request line (method and URL) is in the record's `request` field, not its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if isinstance(request, str):
            record.request = mask(request)
        return True


def install() -> None:
    """Masks every log record of this process from now on; calling it again changes nothing."""
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _MaskingRecordFactory):
        logging.setLogRecordFactory(_MaskingRecordFactory(factory))
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, MaskAccessLog) for f in access.filters):
        access.addFilter(MaskAccessLog())
