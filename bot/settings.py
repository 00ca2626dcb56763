"""Every setting read from the environment, with its embedded default, in one place.

Both the Rasa server (tracker store, channels) and the action server import this module, so they always agree on
the database and on which channels are on.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CYBERAIDE_VAR_DIR", PROJECT_ROOT / "var"))


def database_url() -> str:
    """SQLAlchemy URL of the database holding the tracker store and the application tables."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{VAR_DIR / 'cyberaide.db'}"


def redis_url() -> str | None:
    """Redis URL for the lock store (needed with several Sanic workers or server instances); unset = in memory."""
    return os.environ.get("REDIS_URL") or None


# --- the REST channel and the action server (channels/rest.py, bot/action_server.py) ------------------------------
def rest_token() -> str | None:
    """REST_TOKEN: when set, every REST call must carry it (`Authorization: Bearer …` or `?token=…`)."""
    return os.environ.get("REST_TOKEN", "").strip() or None


def action_server_host() -> str:
    """ACTION_SERVER_HOST: the interface the action server listens on. Only the Rasa server calls it, so by default
    it is not reachable from other machines; set it (e.g. to 0.0.0.0) when the Rasa server runs elsewhere."""
    return os.environ.get("ACTION_SERVER_HOST", "").strip() or "127.0.0.1"


def action_server_token() -> str | None:
    """ACTION_SERVER_TOKEN: the secret the Rasa server sends to the action server (`token` of `action_endpoint` in
    endpoints.yml, sent as `?token=`). The action server refuses to start without it."""
    return os.environ.get("ACTION_SERVER_TOKEN", "").strip() or None


# --- staff console and human handover ---------------------------------------------------------------------------
def staff_session_seconds() -> int:
    """Lifetime of a staff sign-in session."""
    return int(os.environ.get("STAFF_SESSION_HOURS", "8")) * 3600


def handover_wait_seconds() -> int:
    """After this long in the queue without an operator, the victim is told honestly and given alternatives."""
    return int(os.environ.get("HANDOVER_WAIT_SECONDS", "300"))


def handover_opening_hours() -> str:
    """When operators answer, e.g. "24/7" or "lun-ven 09:00-18:00" (Europe/Paris time)."""
    return os.environ.get("HANDOVER_OPENING_HOURS", "lun-ven 09:00-18:00")


# --- Telegram and SMS channels (channels/telegram.py, channels/sms.py): each is off unless its token is set ------
def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def telegram_token() -> str | None:
    """Bot token from @BotFather; the Telegram channel is off without it."""
    return _env("TELEGRAM_TOKEN")


def telegram_secret_token() -> str | None:
    """Secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token` (1-256 of A-Z a-z 0-9 _ -); needed for webhooks."""
    return _env("TELEGRAM_SECRET_TOKEN")


def telegram_webhook_url() -> str | None:
    """Public URL of `/webhooks/telegram/webhook`, registered with setWebhook at start-up; unset = long polling."""
    return _env("TELEGRAM_WEBHOOK_URL")


def telegram_api_base_url() -> str:
    """Root of the Bot API server: Telegram's, or a self-hosted one (e.g. http://127.0.0.1:8081)."""
    return (_env("TELEGRAM_API_BASE_URL") or "https://api.telegram.org").rstrip("/")


def telegram_mode() -> str | None:
    """ "webhook", "polling" (development, no public URL) or None (channel off)."""
    if not telegram_token():
        return None
    return "webhook" if telegram_webhook_url() else "polling"


def sms_auth_token() -> str | None:
    """Twilio auth token: checks `X-Twilio-Signature`, authenticates REST calls; the SMS channel is off without it."""
    return _env("SMS_AUTH_TOKEN")


def sms_api_base_url() -> str | None:
    """Root of the Twilio-compatible REST API, e.g. https://api.twilio.com."""
    base = _env("SMS_API_BASE_URL")
    return base.rstrip("/") if base else None


def sms_account_sid() -> str | None:
    return _env("SMS_ACCOUNT_SID")


def sms_from() -> str | None:
    """The number (E.164) the assistant sends from."""
    return _env("SMS_FROM")


def sms_webhook_url() -> str | None:
    """Public URL of `/webhooks/sms/webhook` exactly as configured at the gateway (it is part of the signature).

    Takes precedence over the URL rebuilt from the request and its X-Forwarded-Proto/Host headers; set it in
    production so that the signed URL never depends on request headers.
    """
    return _env("SMS_WEBHOOK_URL")


def sms_mode() -> str | None:
    """ "rest" (replies through the REST API, and operator messages possible), "twiml" (inline replies only) or None."""
    if not sms_auth_token():
        return None
    return "rest" if sms_api_base_url() and sms_account_sid() and sms_from() else "twiml"


def channel_rate_limit() -> int:
    """Messages a single sender may send per minute (REST, web chat, Telegram, SMS) before being asked to slow down."""
    return int(os.environ.get("CHANNEL_RATE_LIMIT_PER_MINUTE", "20"))


# --- provider directory -----------------------------------------------------------------------------------------
def providers_demo_seed() -> bool:
    """Fill an EMPTY provider directory with the fictional demonstration providers when the action server starts.

    On by default so that the demo works everywhere; an imported real directory is never mixed with them. Set
    PROVIDERS_DEMO_SEED=0 in production before importing the real directory.
    """
    return os.environ.get("PROVIDERS_DEMO_SEED", "1").strip().lower() not in ("0", "false", "no", "non", "off")


# --- transcript review, privacy and retention (bot/privacy.py, console/review.py, console/retention.py) -----------
def _flag(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() not in ("0", "false", "no", "non", "off", "")


def keep_original_text() -> bool:
    """Keep what victims and operators wrote verbatim in the tracker store. Off by default: once a stored message is
    older than REDACT_STORED_AFTER_MINUTES, its card numbers, IBANs, phone numbers, e-mail addresses, passwords and
    ID numbers are replaced in the stored events too (bot/privacy.py). Staff pages and exports are always redacted."""
    return _flag("KEEP_ORIGINAL_TEXT", "0")


def redact_stored_after_minutes() -> int:
    """How long a stored message keeps its original text (the bot may re-read it meanwhile; staff never see it)."""
    return int(os.environ.get("REDACT_STORED_AFTER_MINUTES", "120"))


def retention_days() -> int:
    """Conversations idle for longer than this are deleted (or anonymised) by `python -m console.retention purge`."""
    return int(os.environ.get("RETENTION_DAYS", "180"))


def review_low_confidence() -> float:
    """Default threshold of the review list's "low confidence" filter (lowest intent confidence in a conversation)."""
    return float(os.environ.get("REVIEW_LOW_CONFIDENCE", "0.5"))


def review_refresh_seconds() -> int:
    """How often the Rasa server brings the review index (conversation_index) up to date with new tracker events."""
    return int(os.environ.get("REVIEW_REFRESH_SECONDS", "30"))


def review_nlu_export_dir() -> Path:
    """Where the review console writes NLU training files (a new file per export)."""
    return Path(os.environ.get("REVIEW_NLU_EXPORT_DIR") or PROJECT_ROOT / "bot" / "data" / "nlu")


def review_story_export_dir() -> Path:
    """Where the review console writes conversations as Rasa test stories: outside git, never into tests/stories/
    (the hand-written stories `make test` runs)."""
    return Path(os.environ.get("REVIEW_STORY_EXPORT_DIR") or VAR_DIR / "exports" / "stories")


# --- web chat behind reverse proxies, and several server processes (channels/webchat.py) ----------------------------
def trusted_proxies() -> int:
    """TRUSTED_PROXIES: how many reverse proxies of ours stand in front of the server, each appending the address it
    received the request from to X-Forwarded-For. 0 (the default): the header is ignored, since any client can write
    it, and the client address is the connection's. With N > 0 the client address is the N-th entry from the right:
    the one our outermost proxy saw; entries further left were written by the client and are not believed.
    Behind a proxy with 0, every visitor has the proxy's address and shares one per-address rate limit."""
    try:
        return max(0, int(os.environ.get("TRUSTED_PROXIES", "0").strip() or "0"))
    except ValueError:
        return 0


def redis_key_prefix() -> str:
    """REDIS_KEY_PREFIX: separates the deployments (or test runs) that share one Redis server."""
    return os.environ.get("REDIS_KEY_PREFIX", "").strip() or "cyberaide"
