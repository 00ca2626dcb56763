"""Supervisors and admins: the statistics page (/console/observatoire) and its exports, the published aggregates
(small cells hidden) as CSV or JSON (console/observatory/page.py, console/observatory/publish.py)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any, Dict, List
from urllib.parse import urlencode

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import db
from console import auth
from console.observatory import page, publish
from console.observatory.journeys import PARIS
from console.observatory.stats import Filters
from console.web import offload, render, staff

FILTER_NAMES = ("du", "au", "public", "canal", "region")


def _filters(request: Request) -> tuple:
    args = {name: (request.args.get(name) or "").strip()[:80] for name in FILTER_NAMES}
    return page.read_filters(args, datetime.now(PARIS).date())


def _query(filters: Filters) -> str:
    """The filters as the page's own query string (for the export links)."""
    values = {"du": filters.since.isoformat(), "au": filters.until.isoformat(), "public": filters.public}
    values.update({"canal": filters.channel, "region": filters.region})
    return urlencode({k: v for k, v in values.items() if v})


def published(filters: Filters) -> List[Dict[str, Any]]:
    with db.engine().connect() as connection:
        return [{k: _plain(v) for k, v in cell.items()} for cell in publish.rows(connection, filters)]


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _download(body: str, content_type: str, name: str) -> HTTPResponse:
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return response.text(body, content_type=content_type, headers=headers)


def register(bp: Blueprint) -> None:
    @bp.get("/observatoire")
    @staff("supervisor")
    async def statistics(request: Request) -> HTTPResponse:
        filters, message = _filters(request)
        data = await offload(page.build, filters)
        return render(
            "observatory.html",
            user=request.ctx.user,
            csrf=request.ctx.csrf,
            filters=filters,
            message=message,
            choices=page.choices(),
            query=_query(filters),
            min_cell=publish.MIN_CELL,
            **data,
        )

    @bp.get("/observatoire/export.csv")
    @staff("supervisor")
    async def export_csv(request: Request) -> HTTPResponse:
        return await export(request, "csv")

    @bp.get("/observatoire/export.json")
    @staff("supervisor")
    async def export_json(request: Request) -> HTTPResponse:
        return await export(request, "json")

    async def export(request: Request, kind: str) -> HTTPResponse:
        filters, _ = _filters(request)
        cells = await offload(published, filters)
        await offload(auth.audit, request.ctx.user, "observatory_export", f"{kind} {_query(filters)}"[:200])
        name = f"cyberaide-observatoire-{filters.since.isoformat()}-{filters.until.isoformat()}.{kind}"
        if kind == "json":
            document = {"columns": list(publish.COLUMNS), "min_cell": publish.MIN_CELL, "rows": cells}
            return _download(json.dumps(document, ensure_ascii=False), "application/json; charset=utf-8", name)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=publish.COLUMNS)
        writer.writeheader()
        writer.writerows(cells)
        return _download(out.getvalue(), "text/csv; charset=utf-8", name)
