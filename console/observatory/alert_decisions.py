"""What supervisors do with the observatory's alerts (console/routes/alerts.py): read them, acknowledge, dismiss, or
approve one into a "vague en cours" notice (bot/notices.py), and end a notice by hand.

A decision is a conditional UPDATE (only from "new" or "acknowledged"), so two supervisors deciding at once cannot
both approve one alert into two notices: the second is told it was already decided.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from bot import db, knowledge, notices, vocabulary
from bot.handover import utcnow
from console import index
from console.observatory.alert_models import (
    ACKNOWLEDGED,
    ALERTS,
    APPROVED,
    CAMPAIGN,
    DISMISSED,
    NEW,
    ObservatoryAlert,
)
from console.review import CHANNEL_LABELS, incident_label

OPEN = (NEW, ACKNOWLEDGED)  # the states a decision may start from
STATE_LABELS = {NEW: "nouvelle", ACKNOWLEDGED: "vue", DISMISSED: "écartée", APPROVED: "approuvée"}
KIND_LABELS = {"wave": "vague", CAMPAIGN: "campagne"}
INDICATOR_LABELS = {
    "domain": "domaine",
    "url": "lien",
    "phone": "téléphone",
    "email": "e-mail",
    "wallet": "portefeuille crypto",
    "iban": "IBAN",
}
LIST_SIZE = 100


def count_new(url: Optional[str] = None) -> int:
    """Alerts nobody has looked at yet: the console's banner."""
    with db.engine(url).connect() as connection:
        return int(connection.execute(select(func.count()).select_from(ALERTS).where(ALERTS.c.state == NEW)).scalar())


def incident_title(key: str) -> str:
    sheet = knowledge.load().sheets.get(key)
    return sheet.title if sheet else incident_label(key)


def describe(alert: ObservatoryAlert) -> Dict[str, Any]:
    """An alert as the page and the deliveries show it (the sample is the redacted one the row holds)."""
    public = vocabulary.PUBLICS.get(alert.public) if alert.public else None
    indicators = alert.indicators or {}
    return {
        "id": alert.id,
        "kind": alert.kind,
        "kind_label": KIND_LABELS.get(alert.kind, alert.kind),
        "incident": alert.incident,
        "incident_label": incident_title(alert.incident),
        "public": public.label if public else (alert.public or ""),
        "channel": CHANNEL_LABELS.get(alert.channel, alert.channel or ""),
        "count": alert.count,
        "baseline": alert.baseline,
        "first_at": alert.first_at,
        "last_at": alert.last_at,
        "sample": alert.sample or "",
        "indicators": [
            (INDICATOR_LABELS.get(str(kind), str(kind)), int(count)) for kind, count in sorted(indicators.items())
        ],
        "state": alert.state,
        "state_label": STATE_LABELS.get(alert.state, alert.state),
        "open": alert.state in OPEN,
        "decided_at": alert.decided_at,
    }


def listing(limit: int = LIST_SIZE) -> List[Dict[str, Any]]:
    """The latest alerts, open ones first."""
    with db.session() as session:
        rows = session.scalars(
            select(ObservatoryAlert)
            .order_by((ObservatoryAlert.state.in_(OPEN)).desc(), ObservatoryAlert.last_at.desc())
            .limit(limit)
        )
        return [describe(row) for row in rows]


def find(alert_id: int) -> Optional[Dict[str, Any]]:
    with db.session() as session:
        row = session.get(ObservatoryAlert, alert_id)
        return describe(row) if row is not None else None


def decide(alert_id: int, state: str, user_id: Optional[int], now: Optional[datetime] = None) -> bool:
    """Moves an open alert to `state` (acknowledged, dismissed); False when it is unknown or already decided."""
    if state not in (ACKNOWLEDGED, DISMISSED):
        raise ValueError(state)
    starts = (NEW,) if state == ACKNOWLEDGED else OPEN
    return _claim(alert_id, starts, state, user_id, now or utcnow())


def _claim(alert_id: int, starts: tuple, state: str, user_id: Optional[int], now: datetime) -> bool:
    with db.engine().begin() as connection:
        return _claimed(connection, alert_id, starts, state, user_id, now)


def _claimed(
    connection: Connection, alert_id: int, starts: tuple, state: str, user_id: Optional[int], now: datetime
) -> bool:
    done = connection.execute(
        update(ALERTS)
        .where(ALERTS.c.id == alert_id, ALERTS.c.state.in_(starts))
        .values(state=state, decided_by=user_id, decided_at=now, updated_at=now)
    )
    return bool(done.rowcount)


class AlreadyDecided(Exception):
    """The alert was decided meanwhile (or never existed)."""


def approve(
    alert_id: int,
    user_id: Optional[int],
    *,
    title: str,
    text: str,
    reflex: str,
    terms: str = "",
    use_sample: bool = True,
    days: Optional[int] = None,
    now: Optional[datetime] = None,
) -> notices.Notice:
    """Approves an open alert into a notice. The notice's texts are checked first (InvalidNotice): a refused text
    leaves the alert open."""
    now = now or utcnow()
    for value, limit, label in (
        (title, notices.TITLE_MAX, "Titre"),
        (text, notices.TEXT_MAX, "Texte"),
        (reflex, notices.REFLEX_MAX, "Réflexe"),
    ):
        notices.plain(value, limit, label)
    notices.plain(terms, notices.TERMS_MAX, "Mots à reconnaître", required=False)
    notices.check_days(days)
    with db.engine().begin() as connection:
        # Under the review index's lock, which an erasure takes first: the erasure of the conversation the sample
        # comes from either ran before (the alert's sample is blank now) or waits and then blanks the notice's copy.
        index.hold(connection)
        row = connection.execute(select(ALERTS).where(ALERTS.c.id == alert_id)).first()
        if row is None or row.state not in OPEN or not _claimed(connection, alert_id, OPEN, APPROVED, user_id, now):
            raise AlreadyDecided()
        return notices.create(
            row.incident,
            title,
            text,
            reflex,
            terms=terms,
            sample=row.sample if use_sample else None,
            sample_sender_id=row.sample_sender_id if use_sample else None,
            alert_id=alert_id,
            created_by=user_id,
            days=days,
            now=now,
            connection=connection,
        )
