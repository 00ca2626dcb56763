"""Human handover: the explicit per-conversation state, stored in the SQL database.

    bot --(victim consents)--> waiting --(an operator takes it)--> operator --(hand back)--> bot
                                  |                                   '------(close)-------> closed
                                  '--(victim or staff cancels)--> closed

While a conversation is in `operator` state, Rasa's tracker is paused (ConversationPaused): the victim's messages
are recorded, the bot predicts nothing. The console applies the tracker side (console/conversations.py); this
module is the state and its rules, shared by the action server (requests) and the console (everything else).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import List, Optional

from sqlalchemy import JSON, Boolean, Column, DateTime, Index, Integer, String, select, update

from bot import db, erasure, opening_hours, settings

WAITING, OPERATOR, BACK_TO_BOT, CLOSED = "waiting", "operator", "bot", "closed"
ACTIVE_STATES = (WAITING, OPERATOR)

# Lower is more urgent: the queue is ordered by urgency, then by waiting time.
URGENCY = {"emergency": 0, "serious": 1, "asked": 2, "misunderstood": 3}

OUTCOMES = {
    "advice_given": "Conseils donnés",
    "complaint_appointment": "Rendez-vous pour un dépôt de plainte proposé",
    "referred_provider": "Orienté vers un prestataire",
    "referred_platform": "Orienté vers une plateforme (PHAROS, THESEE, Perceval…)",
    "emergency_services": "Orienté vers les secours (17/112)",
    "no_answer": "Sans réponse de la victime",
    "other": "Autre",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Handover(db.Base):
    __tablename__ = "handovers"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(50), nullable=False)
    state = Column(String(20), nullable=False, default=WAITING)
    reason = Column(String(20), nullable=False, default="asked")
    urgency = Column(Integer, nullable=False, default=URGENCY["asked"])
    summary = Column(JSON, nullable=True)  # bot.advice.Case.as_dict(), or None before any diagnosis
    requested_at = Column(DateTime, nullable=False, default=utcnow)
    taken_at = Column(DateTime, nullable=True)
    operator_id = Column(Integer, nullable=True)  # staff_users.id
    operator_name = Column(String(255), nullable=True)
    closed_at = Column(DateTime, nullable=True)
    outcome = Column(String(50), nullable=True)
    timeout_notified = Column(Boolean, nullable=False, default=False)

    __table_args__ = (Index("ix_handovers_queue", "state", "urgency", "requested_at"),)


erasure.register_rows(Handover.__table__, "handovers")


def active_for(sender_id: str) -> Optional[Handover]:
    with db.session() as s:
        return s.scalar(
            select(Handover)
            .where(Handover.sender_id == sender_id, Handover.state.in_(ACTIVE_STATES))
            .order_by(Handover.id.desc())
        )


def request(sender_id: str, channel: str, reason: str, summary: Optional[dict]) -> Handover:
    """Queues the conversation for an operator; a second request while one is active returns the first."""
    existing = active_for(sender_id)
    if existing:
        return existing
    with db.session() as s:
        handover = Handover(
            sender_id=sender_id,
            channel=channel,
            reason=reason,
            urgency=URGENCY.get(reason, URGENCY["asked"]),
            summary=summary,
        )
        s.add(handover)
    return handover


def queue() -> List[Handover]:
    with db.session() as s:
        return list(
            s.scalars(
                select(Handover).where(Handover.state == WAITING).order_by(Handover.urgency, Handover.requested_at)
            )
        )


def take(handover_id: int, operator_id: int, operator_name: str) -> bool:
    """Gives the conversation to one operator; False when someone else was faster (one conditional UPDATE)."""
    with db.session() as s:
        result = s.execute(
            update(Handover)
            .where(Handover.id == handover_id, Handover.state == WAITING)
            .values(state=OPERATOR, operator_id=operator_id, operator_name=operator_name, taken_at=utcnow())
        )
        return result.rowcount == 1


def set_summary(handover_id: int, summary: Optional[dict]) -> None:
    """The qualification an operator corrected (console/decision.py) replaces the one the bot queued."""
    with db.session() as s:
        s.execute(update(Handover).where(Handover.id == handover_id).values(summary=summary))


def finish(handover_id: int, operator_id: Optional[int], state: str, outcome: Optional[str] = None) -> bool:
    """Hands back to the bot or closes; only the operator who holds it (or a supervisor: operator_id None)."""
    conditions = [Handover.id == handover_id, Handover.state.in_(ACTIVE_STATES)]
    if operator_id is not None:
        conditions.append(Handover.operator_id == operator_id)
    with db.session() as s:
        result = s.execute(update(Handover).where(*conditions).values(state=state, outcome=outcome, closed_at=utcnow()))
        return result.rowcount == 1


def overdue() -> List[Handover]:
    """Waiting requests older than the configured delay whose victim has not been told yet."""
    limit = settings.current().handover_wait_seconds
    now = utcnow()
    return [h for h in queue() if not h.timeout_notified and (now - h.requested_at).total_seconds() >= limit]


def mark_notified(handover_id: int) -> bool:
    """Claims the timeout notice of a request: True for the one process (of several) that must send it."""
    with db.session() as s:
        result = s.execute(
            update(Handover)
            .where(Handover.id == handover_id, Handover.timeout_notified.is_(False))
            .values(timeout_notified=True)
        )
        return result.rowcount == 1


# Said instead of queueing a request where operators cannot write to the victim (bot.delivery.can_reach): the same
# alternatives as utter_handover_closed_hours, with the web chat's page when WEBCHAT_URL is set.
UNREACHABLE = "Sur ce canal, nos conseillers ne peuvent pas vous écrire : votre demande resterait sans réponse."
WEBCHAT = "Un conseiller peut vous répondre sur le chat de notre site : {url}"
ALTERNATIVES = (
    "Sans attendre, vous pouvez échanger avec un policier ou un gendarme, 24h/24, sur 17cyber.gouv.fr, ou appeler "
    "Info Escroqueries au 0 805 805 817 (gratuit, en semaine de 9h à 18h30). En cas de danger immédiat : 17 ou 112. "
    "Vous pouvez aussi continuer à m'écrire."
)


def unreachable_text(webchat_url: Optional[str]) -> str:
    """What the victim reads when they ask for an operator on a channel where no operator can answer them."""
    lines = [UNREACHABLE, WEBCHAT.format(url=webchat_url) if webchat_url else None, ALTERNATIVES]
    return "\n".join(line for line in lines if line)


def opening_hours_text(spec: Optional[str] = None) -> str:
    """The opening hours as the victim reads them: "du lundi au vendredi, de 9h à 18h, sauf les jours fériés"."""
    return opening_hours.describe(spec or settings.current().handover_opening_hours)


def is_open(now: Optional[datetime] = None, spec: Optional[str] = None) -> bool:
    """Whether operators answer now (HANDOVER_OPENING_HOURS, French public holidays: bot/opening_hours.py)."""
    return opening_hours.is_open(spec or settings.current().handover_opening_hours, now)
