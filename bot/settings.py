"""Every setting, read from the environment into one frozen, typed object: `settings.current()`.

Both the Rasa server (tracker store, channels, console) and the action server use it, so they always agree on the
database and on which channels are on. Nothing is read at import: `current()` reads the environment when asked and
keeps the result while the environment is unchanged. A bad value stops the start with an error that names the
variable, in French (`python -m bot.settings` checks them; `make run` calls it first).

`VARIABLES` is the list of every variable, its default and how it is read; the README's settings table lists the
same names (tests/test_settings.py).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple

from sqlalchemy.engine import make_url

from bot import opening_hours

PROJECT_ROOT = Path(__file__).resolve().parent.parent

FALSE_WORDS = ("0", "false", "no", "non", "off")
TRUE_WORDS = ("1", "true", "yes", "oui", "on")


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable and says what is expected, in French."""


# --- how values are read -------------------------------------------------------------------------------------------
def _text(name: str, raw: str) -> str:
    return raw.strip()


def _optional(name: str, raw: str) -> Optional[str]:
    return raw.strip() or None


def _integer(unit: str, minimum: int = 0) -> Callable[[str, str], int]:
    def read(name: str, raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise SettingsError(f"{name}={raw!r} n'est pas un nombre entier {unit}") from None
        if value < minimum:
            raise SettingsError(f"{name}={raw!r} doit valoir au moins {minimum}")
        return value

    return read


def _share(name: str, raw: str) -> float:
    try:
        value = float(raw.strip().replace(",", "."))
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise SettingsError(f"{name}={raw!r} n'est pas un nombre entre 0 et 1 (par exemple 0.5)")
    return value


def _flag(name: str, raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS or not word:
        return False
    raise SettingsError(f"{name}={raw!r} doit valoir 1 (oui) ou 0 (non)")


def _web_url(name: str, raw: str) -> Optional[str]:
    url = raw.strip().rstrip("/")
    if url and not url.startswith(("http://", "https://")):
        raise SettingsError(f"{name}={raw!r} n'est pas une adresse web (elle doit commencer par https://)")
    return url or None


def _redis_url(name: str, raw: str) -> Optional[str]:
    url = raw.strip()
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(f"{name}={raw!r} n'est pas une URL Redis (redis://hôte:6379/0)")
    return url or None


def _key_prefix(name: str, raw: str) -> str:
    prefix = raw.strip()
    if not prefix.isalnum():  # Rasa's Redis lock store ignores any other prefix, silently (rasa/core/lock_store.py)
        raise SettingsError(f"{name}={raw!r} : des lettres et des chiffres seulement (par exemple cyberaide)")
    return prefix


def _database_url(name: str, raw: str) -> Optional[str]:
    url = raw.strip()
    if url:
        try:
            make_url(url)
        except Exception:
            raise SettingsError(
                f"{name}={raw!r} n'est pas une URL de base de données (par exemple postgresql://utilisateur@hôte/base)"
            ) from None
    return url or None


def _opening_hours(name: str, raw: str) -> str:
    try:
        opening_hours.parse(raw)
    except ValueError as error:
        raise SettingsError(f"{name} : {error}") from None
    return raw.strip()


def _long_secret(name: str, raw: str) -> Optional[str]:
    secret = raw.strip()
    if secret and len(secret) < 32:  # it signs links that stay valid for months: no short password
        raise SettingsError(f"{name} : au moins 32 caractères (par exemple : openssl rand -base64 32)")
    return secret or None


def _path(name: str, raw: str) -> Optional[Path]:
    return Path(raw.strip()) if raw.strip() else None


class Variable(NamedTuple):
    name: str  # the environment variable
    field: str  # the attribute of Settings
    default: str  # as it would be written in the environment
    read: Callable[[str, str], Any]


VARIABLES: Tuple[Variable, ...] = (
    Variable("CYBERAIDE_VAR_DIR", "var_dir", "", _path),
    Variable("DATABASE_URL", "database_url", "", _database_url),
    Variable("REDIS_URL", "redis_url", "", _redis_url),
    Variable("REDIS_KEY_PREFIX", "redis_key_prefix", "cyberaide", _key_prefix),
    Variable("PORT", "port", "5005", _integer("(numéro de port)", 1)),
    # Rasa's own variable: Sanic worker processes. 0 (the default) means one per core with REDIS_URL, else one.
    Variable("SANIC_WORKERS", "workers", "0", _integer("de processus")),
    Variable("TELEGRAM_TOKEN", "telegram_token", "", _optional),
    Variable("TELEGRAM_SECRET_TOKEN", "telegram_secret_token", "", _optional),
    Variable("TELEGRAM_WEBHOOK_URL", "telegram_webhook_url", "", _web_url),
    Variable("TELEGRAM_API_BASE_URL", "telegram_api_base_url", "https://api.telegram.org", _web_url),
    Variable("SMS_AUTH_TOKEN", "sms_auth_token", "", _optional),
    Variable("SMS_API_BASE_URL", "sms_api_base_url", "", _web_url),
    Variable("SMS_ACCOUNT_SID", "sms_account_sid", "", _optional),
    Variable("SMS_FROM", "sms_from", "", _optional),
    Variable("SMS_WEBHOOK_URL", "sms_webhook_url", "", _web_url),
    Variable("SMS_MESSAGES_PER_TURN", "sms_messages_per_turn", "2", _integer("de SMS", 1)),
    Variable("CHANNEL_RATE_LIMIT_PER_MINUTE", "channel_rate_limit", "20", _integer("de messages par minute", 1)),
    Variable("REST_TOKEN", "rest_token", "", _optional),
    Variable("METRICS_TOKEN", "metrics_token", "", _optional),
    Variable("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir", "", _path),
    Variable("ACTION_SERVER_TOKEN", "action_server_token", "", _optional),
    Variable("ACTION_SERVER_HOST", "action_server_host", "127.0.0.1", _text),
    Variable("TRUSTED_PROXIES", "trusted_proxies", "0", _integer("de proxys")),
    Variable("HANDOVER_OPENING_HOURS", "handover_opening_hours", "lun-ven 09:00-18:00", _opening_hours),
    Variable("HANDOVER_WAIT_SECONDS", "handover_wait_seconds", "300", _integer("de secondes", 1)),
    Variable("STAFF_SESSION_HOURS", "staff_session_hours", "8", _integer("d'heures", 1)),
    Variable("STAFF_COOKIE_SECURE", "staff_cookie_secure", "1", _flag),
    Variable("STAFF_LOGIN_HASHES_AT_ONCE", "staff_login_hashes_at_once", "1", _integer("de calculs", 1)),
    Variable("STAFF_LOGIN_HASHES_PER_SECOND", "staff_login_hashes_per_second", "1", _integer("de calculs", 1)),
    Variable("KEEP_ORIGINAL_TEXT", "keep_original_text", "0", _flag),
    Variable("REDACT_STORED_AFTER_MINUTES", "redact_stored_after_minutes", "120", _integer("de minutes")),
    Variable("SCRUB_INTERVAL_SECONDS", "scrub_interval_seconds", "300", _integer("de secondes", 1)),
    Variable("RETENTION_DAYS", "retention_days", "180", _integer("de jours", 1)),
    Variable("REVIEW_LOW_CONFIDENCE", "review_low_confidence", "0.5", _share),
    Variable("REVIEW_REFRESH_SECONDS", "review_refresh_seconds", "30", _integer("de secondes", 1)),
    Variable("OBSERVATORY_REFRESH_SECONDS", "observatory_refresh_seconds", "300", _integer("de secondes", 1)),
    Variable("OBSERVATORY_DETECT_SECONDS", "observatory_detect_seconds", "300", _integer("de secondes", 1)),
    Variable("OBSERVATORY_ALERT_ALPHA", "observatory_alert_alpha", "0.0005", _share),
    Variable("OBSERVATORY_ALERT_MIN_COUNT", "observatory_alert_min_count", "10", _integer("de parcours", 1)),
    Variable("OBSERVATORY_CUSUM_THRESHOLD", "observatory_cusum_threshold", "8", _integer("(écarts-types)", 1)),
    Variable("OBSERVATORY_HOURLY_DAYS", "observatory_hourly_days", "90", _integer("de jours", 29)),
    Variable("OBSERVATORY_CAMPAIGN_HOURS", "observatory_campaign_hours", "24", _integer("d'heures", 1)),
    Variable("OBSERVATORY_CAMPAIGN_MIN_VICTIMS", "observatory_campaign_min_victims", "12", _integer("de victimes", 2)),
    Variable("OBSERVATORY_CAMPAIGN_SIMILARITY", "observatory_campaign_similarity", "0.5", _share),
    Variable("EXPORT_DIR", "export_dir", "", _path),
    Variable("REVIEW_NLU_EXPORT_DIR", "review_nlu_export_dir", "", _path),
    Variable("REVIEW_STORY_EXPORT_DIR", "review_story_export_dir", "", _path),
    Variable("PROVIDERS_DEMO_SEED", "providers_demo_seed", "1", _flag),
    Variable("PUBLIC_URL", "public_url", "", _web_url),
    Variable("DOSSIER_LINK_HOURS", "dossier_link_hours", "24", _integer("d'heures", 1)),
    Variable("OBSERVATORY_FEEDBACK_SECRET", "observatory_feedback_secret", "", _long_secret),
    Variable("WEBCHAT_URL", "webchat_url", "", _web_url),
    Variable("CONTROLLER_NAME", "controller_name", "", _optional),
    Variable("CONTROLLER_CONTACT", "controller_contact", "", _optional),
    Variable("WAVE_NOTICE_DAYS", "wave_notice_days", "7", _integer("de jours", 1)),
    Variable("ALERT_WEBHOOK_URL", "alert_webhook_url", "", _web_url),
    Variable("ALERT_SMTP_HOST", "alert_smtp_host", "", _optional),
    Variable("ALERT_SMTP_PORT", "alert_smtp_port", "587", _integer("(numéro de port)", 1)),
    Variable("ALERT_SMTP_USER", "alert_smtp_user", "", _optional),
    Variable("ALERT_SMTP_PASSWORD", "alert_smtp_password", "", _optional),
    Variable("ALERT_SMTP_STARTTLS", "alert_smtp_starttls", "1", _flag),
    Variable("ALERT_SMTP_FROM", "alert_smtp_from", "", _optional),
    Variable("ALERT_SMTP_TO", "alert_smtp_to", "", _optional),
    Variable("TELEGRAM_ALERTS_CHAT_ID", "telegram_alerts_chat_id", "", _optional),
)
SECRETS = frozenset(
    {
        "TELEGRAM_TOKEN",
        "TELEGRAM_SECRET_TOKEN",
        "SMS_AUTH_TOKEN",
        "REST_TOKEN",
        "ACTION_SERVER_TOKEN",
        "METRICS_TOKEN",
        "OBSERVATORY_FEEDBACK_SECRET",
        "ALERT_WEBHOOK_URL",  # Mattermost and Slack webhook URLs are their own credential
        "ALERT_SMTP_PASSWORD",
    }
)


@dataclass(frozen=True)
class Settings:
    """What each setting means is in the README's settings table; units are in the names."""

    var_dir: Path  # var/: the SQLite database, exports; outside git
    database_url: str  # SQLAlchemy URL of the tracker store and the application tables
    redis_url: Optional[str]  # lock store and cross-process web chat push; unset = in memory, one process
    redis_key_prefix: str
    workers: int  # Sanic worker processes of the Rasa server (more than one needs REDIS_URL)
    port: int
    telegram_token: Optional[str]  # the Telegram channel is off without it
    telegram_secret_token: Optional[str]  # sent back by Telegram on every webhook call (required for webhooks)
    telegram_webhook_url: Optional[str]  # unset = long polling (development)
    telegram_api_base_url: str
    sms_auth_token: Optional[str]  # the SMS channel is off without it; checks X-Twilio-Signature
    sms_api_base_url: Optional[str]
    sms_account_sid: Optional[str]
    sms_from: Optional[str]
    sms_webhook_url: Optional[str]  # the exact URL the gateway signs; set it in production
    sms_messages_per_turn: int  # messages of 3 segments sent at once for a turn; the rest waits for SUITE
    channel_rate_limit: int  # messages per sender per minute, every channel
    rest_token: Optional[str]
    metrics_token: Optional[str]  # /metrics answers only with it (Bearer); unset = /metrics is off
    prometheus_multiproc_dir: Optional[Path]  # prometheus-client's multiprocess mode, with several processes
    action_server_token: Optional[str]
    action_server_host: str
    trusted_proxies: int  # see channels.inbound.client_address
    handover_opening_hours: str
    handover_wait_seconds: int
    staff_session_hours: int
    staff_cookie_secure: bool  # the sign-in cookie only over HTTPS; 0 for plain-http development only
    # Argon2 at sign-in, per server process: at most this many at once and per second (console/login_guard.py)
    staff_login_hashes_at_once: int
    staff_login_hashes_per_second: int
    keep_original_text: bool
    redact_stored_after_minutes: int
    scrub_interval_seconds: int  # how often the server redacts the stored texts that passed the grace period
    retention_days: int
    review_low_confidence: float
    review_refresh_seconds: int
    observatory_refresh_seconds: int  # how often the server folds new tracker events into the statistics
    observatory_detect_seconds: int  # how often the server looks for waves and campaigns (console/observatory/)
    observatory_alert_alpha: float  # chance of a false wave alert per detection run, over every series watched
    observatory_alert_min_count: int  # no wave alert for fewer journeys than this in its window
    observatory_cusum_threshold: int  # the slow rises' CUSUM alarm level, in standard deviations
    observatory_hourly_days: int  # how long observatory_hourly keeps its hours
    observatory_campaign_hours: int  # the campaigns' sliding window
    observatory_campaign_min_victims: int  # no campaign alert below this many victims
    observatory_campaign_similarity: float  # Jaccard similarity of two first messages of one campaign
    export_dir: Path  # var/exports: every file an export writes, outside git, erased with the victim
    review_nlu_export_dir: Path
    review_story_export_dir: Path  # outside git: never into tests/stories/, which `make test` runs
    providers_demo_seed: bool  # fill an EMPTY directory with the fictional demo providers
    public_url: Optional[str]  # where victims reach this server (https://…): links to /confidentialite
    dossier_link_hours: int  # how long the link to a victim's dossier works (bot/dossier_links.py)
    # signs the providers' feedback links (console/observatory/feedback.py); unset = a key made once under var/
    observatory_feedback_secret: Optional[str]
    webchat_url: Optional[str]  # the page with the web chat, offered where an operator cannot answer (REST, TwiML)
    controller_name: Optional[str]  # the data controller named in the privacy notice (never made up)
    controller_contact: Optional[str]  # how victims reach the controller (e-mail, address, web form)
    wave_notice_days: int  # how long an approved "vague en cours" notice stays in force (bot/notices.py)
    alert_webhook_url: Optional[str]  # new observatory alerts posted there (Mattermost/Slack JSON); unset = off
    alert_smtp_host: Optional[str]  # new observatory alerts e-mailed through it; unset = no e-mail
    alert_smtp_port: int
    alert_smtp_user: Optional[str]
    alert_smtp_password: Optional[str]
    alert_smtp_starttls: bool
    alert_smtp_from: Optional[str]
    alert_smtp_to: Optional[str]  # comma-separated addresses
    telegram_alerts_chat_id: Optional[str]  # the service's own Telegram channel, where published notices are posted

    @property
    def privacy_page_url(self) -> str:
        return f"{self.public_base_url}/confidentialite"

    @property
    def public_base_url(self) -> str:
        """Where victims reach this server: PUBLIC_URL, or localhost on the embedded defaults."""
        return self.public_url or f"http://localhost:{self.port}"

    @property
    def staff_session_seconds(self) -> int:
        return self.staff_session_hours * 3600

    @property
    def telegram_mode(self) -> Optional[str]:
        """ "webhook", "polling" (development, no public URL) or None (channel off)."""
        if not self.telegram_token:
            return None
        return "webhook" if self.telegram_webhook_url else "polling"

    @property
    def sms_mode(self) -> Optional[str]:
        """ "rest" (replies through the REST API, operator messages possible), "twiml" (inline replies only), None."""
        if not self.sms_auth_token:
            return None
        return "rest" if self.sms_api_base_url and self.sms_account_sid and self.sms_from else "twiml"


def _multi_process_errors(values: Dict[str, Any]) -> List[str]:
    """Several Sanic workers share nothing in memory: locks, rate limits, delivery claims, SMS pages and the
    background jobs' turns must be on Redis (bot/stores.py, channels/store.py); Telegram lets one process poll."""
    workers = values["workers"]
    if workers <= 1:
        return []
    errors = []
    if not values["redis_url"]:
        errors.append(
            f"SANIC_WORKERS={workers} demande REDIS_URL : sans Redis, chaque processus aurait ses propres verrous de "
            "conversation, limites de débit et pages SMS"
        )
    if values.get("telegram_token") and not values.get("telegram_webhook_url"):
        errors.append(
            f"SANIC_WORKERS={workers} demande TELEGRAM_WEBHOOK_URL : un seul processus peut interroger Telegram"
        )
    if values.get("metrics_token") and not values.get("prometheus_multiproc_dir"):
        errors.append(
            f"SANIC_WORKERS={workers} avec METRICS_TOKEN demande PROMETHEUS_MULTIPROC_DIR (compteurs partagés)"
        )
    return errors


def load(environ: Mapping[str, str]) -> Settings:
    """The settings of this environment; SettingsError lists every bad variable at once."""
    values: Dict[str, Any] = {}
    errors: List[str] = []
    for variable in VARIABLES:
        raw = environ.get(variable.name)
        if raw is None or not raw.strip():
            raw = variable.default
        try:
            values[variable.field] = variable.read(variable.name, raw)
        except SettingsError as error:
            errors.append(str(error))
    if not errors and values["workers"]:
        errors += _multi_process_errors(values)
    elif not errors:  # one per core where the other settings allow several, else one
        values["workers"] = os.cpu_count() or 1
        if _multi_process_errors(values):
            values["workers"] = 1
    if errors:
        raise SettingsError(" ; ".join(errors))
    var_dir = values["var_dir"] or PROJECT_ROOT / "var"
    values["var_dir"] = var_dir
    values["database_url"] = values["database_url"] or f"sqlite:///{var_dir / 'cyberaide.db'}"
    values["export_dir"] = values["export_dir"] or var_dir / "exports"
    values["review_nlu_export_dir"] = values["review_nlu_export_dir"] or values["export_dir"] / "nlu"
    values["review_story_export_dir"] = values["review_story_export_dir"] or values["export_dir"] / "stories"
    return Settings(**values)


_cache: Dict[Tuple[Optional[str], ...], Settings] = {}


def current() -> Settings:
    """The settings of the process's environment as it is now (tests change it; a server reads it at start)."""
    key = tuple(os.environ.get(variable.name) for variable in VARIABLES)
    found = _cache.get(key)
    if found is None:
        found = load(os.environ)
        _cache.clear()
        _cache[key] = found
    return found


def describe(settings: Settings) -> List[str]:
    """One line per setting, secrets hidden: what `python -m bot.settings` prints."""
    by_field = {variable.field: variable.name for variable in VARIABLES}
    lines = []
    for field in fields(settings):
        name = by_field[field.name]
        value = getattr(settings, field.name)
        shown = ("défini" if value else "absent") if name in SECRETS else ("absent" if value is None else value)
        lines.append(f"  {name:<30} {shown}")
    return lines


def main() -> int:
    try:
        settings = current()
    except SettingsError as error:
        print(f"Réglage invalide : {error}.", file=sys.stderr)
        return 2
    if "--show" in sys.argv[1:]:
        print("\n".join(describe(settings)))
    if not (settings.controller_name and settings.controller_contact):
        # Not an error (development needs neither), but the privacy page then says the controller is not given.
        print(
            "Attention : CONTROLLER_NAME ou CONTROLLER_CONTACT n'est pas défini ; la page /confidentialite indique "
            "que le responsable du traitement n'est pas renseigné. Définissez-les en production.",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
