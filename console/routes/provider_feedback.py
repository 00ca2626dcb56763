"""Provider feedback (console/observatory/feedback.py): the providers' page behind their signed link, and the staff
page that lists the links, revokes them, imports CSV reports and shows what providers reported.

The providers' page, `/console/retour/<id>/<signature>`, needs no staff sign-in: the signature is the credential.
- A wrong, revoked or other provider's signature, and an unknown provider, get the same 404.
- GET only shows the form (link-preview robots and mail scanners never record anything); POST needs the one-time
  token of a form shown by this link, so a page elsewhere cannot post without the link, and a reload records
  nothing twice. A browser's cross-site POST is refused outright (Sec-Fetch-Site).
- Never framed (frame-ancestors 'none'), never cached or indexed, no referrer leaves the page (the URL is the
  credential; bot/logs.py masks it), at most PUBLIC_RATE_PER_MINUTE requests a minute per address and
  REPORTS_PER_HOUR reports an hour per provider.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any, Dict, List, Optional
from urllib.parse import urlencode

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import geo
from channels.inbound import RateLimiter, client_address
from console import auth
from console.observatory import feedback
from console.web import PREFIX, BadQuery, error_page, form_value, offload, query_int, render, staff

PUBLIC_RATE_PER_MINUTE = 30
REPORTS_PER_HOUR = 60
STAFF_PAGE = f"{PREFIX}/prestataires"
PAGE_SIZE = 100
_visits = RateLimiter("provider-feedback", limit=PUBLIC_RATE_PER_MINUTE)
_reports = RateLimiter("provider-feedback-reports", limit=REPORTS_PER_HOUR, window_seconds=3600)
PUBLIC_HEADERS = {"Pragma": "no-cache", "X-Robots-Tag": "noindex, nofollow, noarchive"}


# --- the providers' page ------------------------------------------------------------------------------------------
def _public(status: int, **context: Any) -> HTTPResponse:
    page = render("feedback_form.html", status=status, **context)
    page.headers.update(PUBLIC_HEADERS)
    return page


def _message(status: int, title: str, message: str) -> HTTPResponse:
    return _public(status, title=title, message=message)


def _not_found() -> HTTPResponse:
    return _message(
        404,
        "Lien introuvable",
        "Ce lien n'existe pas ou a été remplacé. Demandez un nouveau lien à l'équipe Cyberaide.",
    )


def _form(
    request: Request,
    holder: feedback.Holder,
    status: int = 200,
    errors: Optional[List[str]] = None,
    values: Optional[Dict[str, str]] = None,
    sent: bool = False,
) -> HTTPResponse:
    on = feedback.today()
    return _public(
        status,
        title="Déclarer les cas traités",
        holder=holder,
        action=request.path,
        token=feedback.form_token(holder),
        errors=errors or [],
        values=values or {"mois": f"{on:%Y-%m}", "nombre": "1"},
        sent=sent,
        months=feedback.month_choices(on),
        incidents=list(feedback.INCIDENTS.items()),
        publics=list(feedback.PUBLICS.items()),
        outcomes=list(feedback.OUTCOMES.items()),
        departements=[(d.code, d.name) for d in geo.load().departements.values()],
        max_count=feedback.MAX_COUNT,
    )


async def provider_page(request: Request, provider_id: int, signature: str) -> HTTPResponse:
    if _visits.check(client_address(request)) != RateLimiter.OK:
        return _message(
            429, "Trop de demandes", "Trop de demandes en peu de temps. Patientez une minute, puis réessayez."
        )
    holder = await offload(feedback.verify, provider_id, signature)
    if holder is None:
        return _not_found()
    if request.method != "POST":
        return _form(request, holder, sent=request.args.get("envoye") == "1")
    if (request.headers.get("Sec-Fetch-Site") or "").lower() == "cross-site":
        return _message(403, "Envoi refusé", "Ce formulaire ne peut être envoyé que depuis sa propre page.")
    values = {name: form_value(request, name)[:100] for name in feedback.FIELDS}  # nothing else is read
    token = form_value(request, "jeton")
    if not feedback.check_form_token(holder, token):
        expired = "Le formulaire a expiré : vérifiez les valeurs ci-dessous, puis envoyez-le à nouveau."
        return _form(request, holder, 400, [expired], values)
    report, errors = feedback.parse(values)
    if report is None:
        return _form(request, holder, 400, [error[:1].upper() + error[1:] + "." for error in errors.values()], values)
    if _reports.check(str(holder.provider_id)) != RateLimiter.OK:
        return _message(429, "Trop de déclarations", "Trop de déclarations en une heure. Réessayez plus tard.")
    if feedback.use_form_token(token):  # a second submission of the same form records nothing more
        await offload(feedback.record, holder.provider_id, [report], "lien")
    return response.redirect(f"{request.path}?envoye=1", status=303)


# --- the staff page -----------------------------------------------------------------------------------------------
def _month_arg(request: Request, name: str, default: date) -> date:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    errors: Dict[str, str] = {}
    month = feedback.parse_month(raw, feedback.today(), errors)
    if month is None:
        raise BadQuery(f"Paramètre « {name} » invalide : {errors['mois']}.")
    return month


async def _staff_page(request: Request, notice: Optional[str] = None, status: int = 200) -> HTTPResponse:
    current = feedback.today().replace(day=1)
    start = _month_arg(request, "debut", feedback.months_before(current, 11))
    end = _month_arg(request, "fin", current)
    search = (request.args.get("q") or "").strip()[:100]
    page = query_int(request, "page", default=1, minimum=1, maximum=100_000) or 1
    counts = await offload(feedback.summary, start, feedback.month_end(end))
    links, total = await offload(feedback.provider_links, search, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    await offload(auth.audit, request.ctx.user, "view_feedback_links", f"q={search} page={page}"[:255])
    return render(
        "feedback_staff.html",
        status=status,
        user=request.ctx.user,
        csrf=request.ctx.csrf,
        base=STAFF_PAGE,
        notice=notice,
        table=feedback.table(counts),
        start=f"{start:%Y-%m}",
        end=f"{end:%Y-%m}",
        period=f"de {feedback.month_label(start)} à {feedback.month_label(end)}",
        links=links,
        search=search,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        total=total,
    )


def register(bp: Blueprint) -> None:
    bp.add_route(
        provider_page,
        f"{feedback.LINK_PATH[len(PREFIX) :]}/<provider_id:int>/<signature:str>",
        methods=["GET", "HEAD", "POST"],
    )

    @bp.get("/prestataires")
    @staff("supervisor")
    async def feedback_staff(request: Request) -> HTTPResponse:
        return await _staff_page(request, notice=(request.args.get("notice") or "")[:300] or None)

    @bp.post("/prestataires/<provider_id:int>/revoquer")
    @staff("supervisor")
    async def revoke_link(request: Request, provider_id: int) -> HTTPResponse:
        generation = await offload(feedback.revoke, provider_id)
        if generation is None:
            return error_page(request, 404, "Prestataire introuvable : il a peut-être été retiré de l'annuaire.")
        await offload(auth.audit, request.ctx.user, "revoke_feedback_link", f"prestataire {provider_id}")
        notice = f"Lien du prestataire {provider_id} révoqué : l'ancien ne fonctionne plus, envoyez-lui le nouveau."
        return response.redirect(f"{STAFF_PAGE}?{urlencode({'notice': notice})}", status=303)

    @bp.post("/prestataires/import")
    @staff("supervisor")
    async def import_reports(request: Request) -> HTTPResponse:
        upload = request.files.get("fichier") if request.files else None
        if upload is None or not upload.body:
            return await _staff_page(request, notice="Choisissez un fichier CSV à importer.", status=400)
        result = await offload(feedback.import_csv, upload.body)
        result.source = (upload.name or "")[:100] or None
        outcome = f"{result.imported} déclarations, {result.cases} cas" if result.ok else "refusé"
        await offload(
            auth.audit, request.ctx.user, "import_provider_reports", f"{result.source or ''} : {outcome}"[:255]
        )
        return await _staff_page(request, notice=result.text(), status=200 if result.ok else 400)

    @bp.get("/prestataires/liens.csv")
    @staff("supervisor")
    async def export_links(request: Request) -> HTTPResponse:
        body = await offload(_export_text)
        await offload(auth.audit, request.ctx.user, "export_feedback_links", None)
        return response.text(
            body,
            content_type="text/csv; charset=utf-8",
            headers={
                "Cache-Control": "no-store",
                "Content-Disposition": 'attachment; filename="annuaire-liens-retour.csv"',
            },
        )


def _export_text() -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # a French spreadsheet opens UTF-8 with its BOM as is
    feedback.export_directory(buffer)
    return buffer.getvalue()
