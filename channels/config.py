"""Which messaging channels are on, and why not: `python -m channels.config` prints it (scripts/run.sh does).

Kept free of Rasa imports so that it answers instantly.
"""

from __future__ import annotations

import re
from typing import List, Optional

from bot import settings

SECRET_TOKEN_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")  # Bot API rule for setWebhook's secret_token


def telegram_problem() -> Optional[str]:
    """Why the Telegram settings cannot work (the channel then stays off), or None; in French, for the
    `make run` banner."""
    secret = settings.current().telegram_secret_token
    if secret is not None and not SECRET_TOKEN_FORMAT.fullmatch(secret):
        return "TELEGRAM_SECRET_TOKEN doit compter de 1 à 256 caractères parmi A-Z, a-z, 0-9, _ et -"
    if settings.current().telegram_mode == "webhook" and secret is None:
        return "TELEGRAM_WEBHOOK_URL exige TELEGRAM_SECRET_TOKEN (Telegram le renvoie avec chaque message)"
    return None


def summary_lines() -> List[str]:
    telegram_mode, problem = settings.current().telegram_mode, telegram_problem()
    if telegram_mode is None:
        telegram = "désactivé (TELEGRAM_TOKEN absent)"
    elif problem:
        telegram = f"désactivé : {problem}"
    elif telegram_mode == "webhook":
        telegram = f"activé, webhook {settings.current().telegram_webhook_url}"
    else:
        telegram = "activé, long polling (développement : TELEGRAM_WEBHOOK_URL absent)"
    sms_mode = settings.current().sms_mode
    if sms_mode is None:
        sms = "désactivé (SMS_AUTH_TOKEN absent)"
    elif sms_mode == "rest":
        sms = f"activé, POST /webhooks/sms/webhook, réponses par l'API {settings.current().sms_api_base_url}"
    else:
        sms = (
            "activé, POST /webhooks/sms/webhook, réponses TwiML (sans SMS_API_BASE_URL, SMS_ACCOUNT_SID et "
            "SMS_FROM, les conseillers ne peuvent pas écrire par SMS)"
        )
    return [f"  Telegram              : {telegram}", f"  SMS                   : {sms}"]


if __name__ == "__main__":
    print("\n".join(summary_lines()))
