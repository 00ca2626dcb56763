"""The detection job: waves (waves.py) and campaigns (campaigns.py) written to `observatory_alerts`.

The server runs `detect` every OBSERVATORY_DETECT_SECONDS, once for the whole deployment (`detect_forever`,
channels/store.py `lease`), after the refresh has folded the new events. One alert per wave or campaign: a series
or campaign still going on extends its alert (last_at, count), whatever staff decided about it; a new one is
opened only when none of the same series is open (seen within GAP_HOURS). Callables in `on_new_alert` get each new
alert's row after the commit (webhook, e-mail: console/observatory/ delivery).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Optional, Union

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from bot import db, settings
from bot.handover import utcnow
from channels import store
from console import index
from console.observatory import campaigns, refresh, waves
from console.observatory.alert_models import ALERTS, CAMPAIGN, DISMISSED, WAVE, ObservatoryAlert
from console.observatory.journeys import HOURLY

logger = logging.getLogger(__name__)

LEASE = "observatory-detect"
GAP_HOURS = 24  # a series quiet for longer than this ends its wave: the next alarm is a new wave
on_new_alert: List[Callable[[Any], None]] = []


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc).replace(tzinfo=None)


def _open(connection: Connection, kind: str, prefix: str, now: datetime) -> List[Any]:
    return connection.execute(
        select(ALERTS).where(
            ALERTS.c.kind == kind, ALERTS.c.key.like(f"{prefix}%"), ALERTS.c.last_at >= now - timedelta(hours=GAP_HOURS)
        )
    ).all()


def _save(connection: Connection, found: Optional[Any], values: Dict[str, Any], touched: List[int]) -> bool:
    """Extends the open alert or opens one; True when it is new."""
    if found is None:
        touched.append(connection.execute(insert(ALERTS).values(**values)).inserted_primary_key[0])
        return True
    changes = {
        "last_at": max(found.last_at, values["last_at"]),
        "count": max(found.count, values["count"]),
        "updated_at": utcnow(),
    }
    if values["count"] >= found.count:
        changes["baseline"] = values["baseline"]
    for name in ("indicators", "sample", "sample_sender_id"):
        if name in values and (name != "sample" or not found.sample):
            changes[name] = values[name]
    connection.execute(update(ALERTS).where(ALERTS.c.id == found.id).values(**changes))
    touched.append(found.id)
    return False


def _waves(connection: Connection, now: float, current: settings.Settings, touched: List[int]) -> List[int]:
    new: List[int] = []
    found = waves.find(
        connection,
        now,
        waves.Settings(current.observatory_alert_alpha, current.observatory_alert_min_count,
                       current.observatory_cusum_threshold),
    )  # fmt: skip
    moment = _utc(now)
    for alarm in found:
        prefix = f"wave/{alarm.series}/"
        existing = _open(connection, WAVE, prefix, moment)
        values = {
            "kind": WAVE,
            "key": f"{prefix}{alarm.start:%Y-%m-%dT%H:%M}",
            "incident": alarm.incident,
            "public": alarm.public,
            "channel": alarm.channel,
            "count": alarm.count,
            "baseline": round(alarm.baseline, 2),
            "first_at": alarm.start,
            "last_at": moment,
            "indicators": {},
        }
        if _save(connection, existing[0] if existing else None, values, touched):
            new.append(touched[-1])
    return new


def _campaigns(connection: Connection, now: float, current: settings.Settings, touched: List[int]) -> List[int]:
    new: List[int] = []
    threshold = current.observatory_campaign_similarity
    found, _messages = campaigns.find(
        connection, now, current.observatory_campaign_hours, threshold, current.observatory_campaign_min_victims
    )
    moment = _utc(now)
    recent = _open(connection, CAMPAIGN, "campaign/", moment - timedelta(hours=current.observatory_campaign_hours))
    for campaign in found:
        existing = next(
            (a for a in recent if campaigns.matches(campaign, a.sample, a.sample_sender_id, threshold)), None
        )
        first = _utc(campaign.first.first_at)
        values = {
            "kind": CAMPAIGN,
            "key": f"campaign/{campaign.incident or 'inconnu'}/{first:%Y-%m-%dT%H:%M}/{secrets.token_hex(4)}",
            "incident": campaign.incident,
            "count": len({m.sender_id for m in campaign.members}),
            "baseline": 0.0,
            "first_at": first,
            "last_at": _utc(campaign.members[-1].first_at),
            "sample": campaign.first.text,
            "sample_sender_id": campaign.first.sender_id,
            "indicators": campaign.indicators,
        }
        if existing is not None and existing.first_at < first:
            values["first_at"] = existing.first_at
        if _save(connection, existing, values, touched):
            new.append(touched[-1])
    return new


def ensure_schema(engine: Any) -> None:
    refresh.ensure_schema(engine)
    index.ensure_schema(engine)
    db.Base.metadata.create_all(engine, tables=[ALERTS])


def detect(now: Optional[Union[float, datetime]] = None, url: Optional[str] = None) -> List[Any]:
    """Looks for waves and campaigns at `now` (epoch seconds or an aware datetime; default: the clock) and returns
    the alert rows it opened or extended."""
    if isinstance(now, datetime):
        now = now.timestamp()
    now = time.time() if now is None else float(now)
    engine = db.engine(url)
    ensure_schema(engine)
    current = settings.current()
    touched: List[int] = []
    with engine.begin() as connection:
        index.hold(connection)  # an erasure waits for this run, then blanks the sample it may have copied
        cutoff = int(now // 3600) - current.observatory_hourly_days * 24
        connection.execute(delete(HOURLY).where(HOURLY.c.hour < cutoff))
        new = _waves(connection, now, current, touched) + _campaigns(connection, now, current, touched)
    with engine.connect() as connection:
        rows = connection.execute(select(ALERTS).where(ALERTS.c.id.in_(touched)).order_by(ALERTS.c.id)).all()
    for row in rows:
        if row.id in new:
            for hook in list(on_new_alert):
                try:
                    hook(row)
                except Exception:
                    logger.exception("observatory alert hook")
    return rows


def current_alerts(connection: Connection, days: int = 14, now: Optional[datetime] = None) -> List[Dict[str, Any]]:
    """The alerts not dismissed, seen in the last `days` days, newest first: the CLI's fields (README)."""
    since = (now or utcnow()) - timedelta(days=days)
    rows = connection.execute(
        select(ALERTS)
        .where(ALERTS.c.state != DISMISSED, ALERTS.c.last_at >= since)
        .order_by(ALERTS.c.last_at.desc(), ALERTS.c.id.desc())
    ).all()
    return [describe(row) for row in rows]


def describe(row: Any) -> Dict[str, Any]:
    def iso(moment: datetime) -> str:
        return moment.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")

    return {
        "id": row.id,
        "kind": row.kind,
        "incident": row.incident,
        "public": row.public,
        "channel": row.channel,
        "count": row.count,
        "baseline": row.baseline,
        "first_at": iso(row.first_at),
        "last_at": iso(row.last_at),
        "state": row.state,
        "sample": row.sample,
        "indicators": row.indicators or {},
    }


async def detect_forever(interval: float) -> None:
    """Looks for waves and campaigns in the server, once per period for the whole deployment."""
    while True:
        await asyncio.sleep(interval)
        if not store.lease(LEASE, interval):
            continue
        try:
            await asyncio.to_thread(detect)
        except Exception:
            logger.exception("observatory detection")


__all__ = ["ObservatoryAlert", "current_alerts", "detect", "detect_forever", "on_new_alert"]
