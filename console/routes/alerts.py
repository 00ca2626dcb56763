"""Supervisors and admins: the observatory's alerts (/console/alertes) and the "vague en cours" notices approved from
them (console/observatory/alert_decisions.py, bot/notices.py).

Every change is a POST with the session's CSRF token (console/web.py), audited (console.auth.audit) with the alert or
notice id. Approving opens the notice editor; the notice is published when the form is sent, and posted to the
service's Telegram channel when TELEGRAM_ALERTS_CHAT_ID is set (console/observatory/alert_telegram.py).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import notices, settings
from bot.handover import utcnow
from console import auth
from console.observatory import alert_decisions, alert_telegram
from console.observatory.alert_models import ACKNOWLEDGED, DISMISSED
from console.web import PREFIX, error_page, form_value, offload, render, staff

PAGE = f"{PREFIX}/alertes"
DONE = {
    "vue": "Alerte marquée comme vue.",
    "ecartee": "Alerte écartée.",
    "publiee": "Avis « vague en cours » publié.",
    "terminee": "Avis terminé : il n'est plus montré.",
    "deja": "Cette alerte ou cet avis a déjà été traité.",
}


def _editor(
    request: Request, alert: Dict[str, Any], values: Dict[str, str], message: Optional[str], status: int = 200
) -> HTTPResponse:
    return render(
        "notice_form.html",
        status=status,
        user=request.ctx.user,
        csrf=request.ctx.csrf,
        alert=alert,
        values=values,
        message=message,
        limits={
            "title": notices.TITLE_MAX,
            "text": notices.TEXT_MAX,
            "reflex": notices.REFLEX_MAX,
            "terms": notices.TERMS_MAX,
            "days": notices.MAX_DAYS,
        },
    )


def _defaults(alert: Dict[str, Any]) -> Dict[str, str]:
    return {
        "title": alert["incident_label"][: notices.TITLE_MAX],
        "text": "",
        "reflex": "",
        "terms": "",
        "days": str(settings.current().wave_notice_days),
        "use_sample": "1" if alert["sample"] else "",
    }


def _done(what: str) -> HTTPResponse:
    return response.redirect(f"{PAGE}?fait={what}", status=303)


def register(bp: Blueprint) -> None:
    @bp.get("/alertes")
    @staff("supervisor")
    async def alerts_page(request: Request) -> HTTPResponse:
        alerts = await offload(alert_decisions.listing)
        recent = await offload(notices.recent)
        return render(
            "alerts.html",
            user=request.ctx.user,
            csrf=request.ctx.csrf,
            alerts=alerts,
            notices=recent,
            now=utcnow(),
            done=DONE.get(request.args.get("fait") or ""),
        )

    @bp.post("/alertes/<alert_id:int>/vue")
    @staff("supervisor")
    async def acknowledge(request: Request, alert_id: int) -> HTTPResponse:
        return await _decide(request, alert_id, ACKNOWLEDGED, "vue")

    @bp.post("/alertes/<alert_id:int>/ecarter")
    @staff("supervisor")
    async def dismiss(request: Request, alert_id: int) -> HTTPResponse:
        return await _decide(request, alert_id, DISMISSED, "ecartee")

    async def _decide(request: Request, alert_id: int, state: str, what: str) -> HTTPResponse:
        user = request.ctx.user
        if not await offload(alert_decisions.decide, alert_id, state, user.id):
            return _done("deja")
        await offload(auth.audit, user, f"alert_{state}", f"alerte {alert_id}")
        return _done(what)

    @bp.get("/alertes/<alert_id:int>/approuver")
    @staff("supervisor")
    async def approve_form(request: Request, alert_id: int) -> HTTPResponse:
        alert = await offload(alert_decisions.find, alert_id)
        if alert is None:
            return error_page(request, 404, "Alerte introuvable.")
        if not alert["open"]:
            return _done("deja")
        return _editor(request, alert, _defaults(alert), None)

    @bp.post("/alertes/<alert_id:int>/approuver")
    @staff("supervisor")
    async def approve(request: Request, alert_id: int) -> HTTPResponse:
        user = request.ctx.user
        alert = await offload(alert_decisions.find, alert_id)
        if alert is None:
            return error_page(request, 404, "Alerte introuvable.")
        values = {name: form_value(request, name)[:2000] for name in ("title", "text", "reflex", "terms", "days")}
        values["use_sample"] = "1" if form_value(request, "use_sample") else ""
        raw_days = values["days"]
        if not raw_days.isdigit() or len(raw_days) > 3:
            return _editor(request, alert, values, "Durée : un nombre de jours.", 400)
        try:
            notice = await offload(
                alert_decisions.approve,
                alert_id,
                user.id,
                title=values["title"],
                text=values["text"],
                reflex=values["reflex"],
                terms=values["terms"],
                use_sample=bool(values["use_sample"]),
                days=int(raw_days),
            )
        except notices.InvalidNotice as error:
            return _editor(request, alert, values, str(error), 400)
        except alert_decisions.AlreadyDecided:
            return _done("deja")
        await offload(auth.audit, user, "alert_approved", f"alerte {alert_id} : avis {notice.id}")
        await offload(alert_telegram.post, notice)
        return _done("publiee")

    @bp.post("/avis/<notice_id:int>/terminer")
    @staff("supervisor")
    async def end_notice(request: Request, notice_id: int) -> HTTPResponse:
        user = request.ctx.user
        if not await offload(notices.revoke, notice_id, user.id):
            return _done("deja")
        await offload(auth.audit, user, "notice_ended", f"avis {notice_id}")
        return _done("terminee")
