"""A published "vague en cours" notice posted to the service's own Telegram channel (TELEGRAM_ALERTS_CHAT_ID), through
the Bot API of TELEGRAM_TOKEN's bot at TELEGRAM_API_BASE_URL (the tests' stand-in, or a self-hosted server).

The post is plain text (no parse mode: a supervisor's "<b>" stays text) with the link to the public page. A failure
is logged: the notice is published all the same, on the assistant and on /alertes.
"""

from __future__ import annotations

import json
import logging
import urllib.request

from telegram.constants import MessageLimit

from bot import knowledge, notices, settings

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
PUBLIC_PATH = "/alertes"


def text(notice: notices.Notice) -> str:
    sheet = knowledge.load().sheets.get(notice.incident)
    about = f" ({sheet.title})" if sheet else ""
    body = (
        f"Vague en cours{about} : {notice.title}\n{notice.text}\nLe réflexe : {notice.reflex}\n"
        f"Toutes les alertes : {settings.current().public_base_url}{PUBLIC_PATH}"
    )
    return body[: MessageLimit.MAX_TEXT_LENGTH]


def post(notice: notices.Notice) -> bool:
    """Posts the notice; False when the channel is not configured or the Bot API refused (logged)."""
    current = settings.current()
    if not (current.telegram_alerts_chat_id and current.telegram_token):
        return False
    url = f"{current.telegram_api_base_url}/bot{current.telegram_token}/sendMessage"
    body = json.dumps(
        {"chat_id": current.telegram_alerts_chat_id, "text": text(notice), "disable_web_page_preview": True},
        ensure_ascii=False,
    ).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 (a settings URL)
            ok = bool(json.loads(answer.read(65536) or b"{}").get("ok"))
    except Exception as error:  # the URL holds the bot's token: never logged
        logger.warning("Notice %s: the Telegram channel post failed (%s)", notice.id, type(error).__name__)
        return False
    if not ok:
        logger.warning("Notice %s: the Telegram Bot API refused the post", notice.id)
    return ok
