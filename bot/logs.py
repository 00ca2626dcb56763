"""Keeps victims' identifiers out of Rasa's own log lines.

Rasa logs some warnings with the conversation id in clear ("Circuit breaker tripped … for sender 'sms:+336…'"); a
phone number or a Telegram id is personal data. The filter rewrites those ids as staff see them (bot.privacy).
Installed by bot.stores, which every Rasa server imports through endpoints.yml.
"""

from __future__ import annotations

import logging
import re

from bot.privacy import mask_sender

_SENDER = re.compile(r"(sender(?:_id)?[ =]?['\"]?)([^'\"\s]+)")
LOGGERS = ("rasa.core.processor", "rasa.core.agent", "rasa.core.lock_store", "rasa.core.tracker_store")


def log_id(sender_id: str) -> str:
    """A conversation id fit for a log line: phone numbers and Telegram ids as staff see them, and web chat session
    ids (the only key to a web conversation) cut to their last characters."""
    if (sender_id or "").startswith("web:"):
        return f"web:…{sender_id[-4:]}"
    return mask_sender(sender_id)


class MaskSenderIds(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "sender" in message:
            record.msg = _SENDER.sub(lambda m: m.group(1) + log_id(m.group(2)), message)
            record.args = ()
        return True


def install() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskSenderIds) for f in logger.filters):
            logger.addFilter(MaskSenderIds())
