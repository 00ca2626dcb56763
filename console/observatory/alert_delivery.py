"""New observatory alerts told to the people on duty: a Mattermost/Slack-compatible webhook (ALERT_WEBHOOK_URL) and,
optionally, an e-mail (ALERT_SMTP_*). `deliver(alert)` is registered on the detection job's `on_new_alert` hooks.

What leaves the service is what the console shows: counts, baseline, time span and the alert's REDACTED sample,
cut to SAMPLE_CHARS; never a conversation id. A delivery that fails (timeout, refusal, a server that offers no
STARTTLS when it is required) is logged and never raised: detection goes on, and the console's banner still shows
the alert.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import urllib.request
from email.message import EmailMessage
from typing import Any, Dict, Optional

from bot import settings
from console.observatory import alert_decisions, detect
from console.web import PREFIX

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5  # each of the webhook and the SMTP server; a detection run waits at most this long for each
SAMPLE_CHARS = 280


def _when(value: Any) -> str:
    return value.strftime("%d/%m/%Y %H:%M UTC") if value is not None else "?"


def summary(alert: Dict[str, Any]) -> str:
    """The alert in a few French lines (plain text: Mattermost and Slack render it, so does a mail client)."""
    what = f"{alert['kind_label'].capitalize()} « {alert['incident_label']} »"
    scope = ", ".join(part for part in (alert["public"], alert["channel"]) if part)
    lines = [
        f"Cyberaide – nouvelle alerte de l'observatoire : {what}{f' ({scope})' if scope else ''}.",
        f"{alert['count']} parcours du {_when(alert['first_at'])} au {_when(alert['last_at'])}"
        + (f" (attendu : {alert['baseline']:.1f})." if alert["kind"] != alert_decisions.CAMPAIGN else "."),
    ]
    if alert["indicators"]:
        lines.append("Indices communs : " + ", ".join(f"{label} ({count})" for label, count in alert["indicators"]))
    sample = " ".join(alert["sample"].split())
    if sample:
        cut = sample if len(sample) <= SAMPLE_CHARS else sample[: SAMPLE_CHARS - 1] + "…"
        lines.append(f"Exemple (données masquées) : {cut}")
    lines.append(f"À examiner : {settings.current().public_base_url}{PREFIX}/alertes")
    return "\n".join(lines)


def send_webhook(url: str, text: str) -> None:
    body = json.dumps({"text": text}, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 (an https:// setting)
        answer.read(1024)


def send_mail(current: settings.Settings, subject: str, text: str) -> None:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current.alert_smtp_from or ""
    message["To"] = ", ".join(recipients(current))
    message.set_content(text)
    host = current.alert_smtp_host or ""
    with smtplib.SMTP(host, current.alert_smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
        if current.alert_smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())  # raises when the server offers none: never in clear
        if current.alert_smtp_user:
            smtp.login(current.alert_smtp_user, current.alert_smtp_password or "")
        smtp.send_message(message)


def recipients(current: settings.Settings) -> list:
    return [address.strip() for address in (current.alert_smtp_to or "").split(",") if address.strip()]


def mail_configured(current: settings.Settings) -> bool:
    return bool(current.alert_smtp_host and current.alert_smtp_from and recipients(current))


def deliver(alert: Any) -> Dict[str, Optional[bool]]:
    """Sends a new alert (an `observatory_alerts` row) to every configured destination. Returns, per destination,
    True (sent), False (failed, logged) or None (not configured)."""
    current = settings.current()
    result: Dict[str, Optional[bool]] = {"webhook": None, "email": None}
    try:
        shown = alert_decisions.describe(alert)
        text = summary(shown)
    except Exception:
        logger.exception("Could not describe a new alert for delivery")
        return {"webhook": False, "email": False}
    if current.alert_webhook_url:
        try:
            send_webhook(current.alert_webhook_url, text)
            result["webhook"] = True
        except Exception as error:  # the URL is a secret: not in the log
            logger.warning("Alert %s: the webhook failed (%s)", shown["id"], type(error).__name__)
            result["webhook"] = False
    if mail_configured(current):
        try:
            send_mail(current, f"[Cyberaide] Alerte : {shown['kind_label']} {shown['incident_label']}", text)
            result["email"] = True
        except Exception as error:
            logger.warning("Alert %s: the e-mail failed (%s: %s)", shown["id"], type(error).__name__, error)
            result["email"] = False
    return result


def on_new_alert(alert: Any) -> None:
    deliver(alert)


def register() -> None:
    """Delivers every new alert the detection job opens in this process (console/channel.py, at start)."""
    if on_new_alert not in detect.on_new_alert:
        detect.on_new_alert.append(on_new_alert)
