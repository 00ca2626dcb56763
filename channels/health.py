"""Health and metrics for the people who run the service (registered in credentials.yml like a channel):

GET /health/ready   200 when the model, the database, Redis (if configured) and the action server all answer,
                    503 otherwise; the body says which part failed, nothing more.
GET /health/live    200 while the server process serves requests.
GET /metrics        Prometheus text (bot/metrics.py), only with `Authorization: Bearer <METRICS_TOKEN>`; 404
                    while METRICS_TOKEN is unset, so the public port shows nothing by default.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import httpx
import redis
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import text

from bot import db, metrics, settings, tokens

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0


def _database() -> None:
    with db.engine().connect() as connection:
        connection.execute(text("SELECT 1"))


def _redis(url: str) -> None:
    client = redis.Redis.from_url(
        url, socket_timeout=CHECK_TIMEOUT_SECONDS, socket_connect_timeout=CHECK_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()


def _action_server_health_url(agent: Any) -> Optional[str]:
    endpoint = getattr(agent, "action_endpoint", None)
    url = getattr(endpoint, "url", None)
    if not url:
        return None
    return url.rsplit("/webhook", 1)[0].rstrip("/") + "/health"


async def readiness(agent: Any) -> Dict[str, str]:
    """Each part's state: "ok", "absent" (not configured) or "en panne"."""
    checks: Dict[str, str] = {"model": "ok" if agent is not None and agent.is_ready() else "en panne"}

    async def check(name: str, probe: Callable[[], Any]) -> None:
        try:
            await asyncio.wait_for(asyncio.to_thread(probe), CHECK_TIMEOUT_SECONDS + 1)
            checks[name] = "ok"
        except Exception as error:
            logger.warning("Readiness: %s is down (%s)", name, type(error).__name__)
            checks[name] = "en panne"

    await check("database", _database)
    redis_url = settings.current().redis_url
    if redis_url:
        await check("redis", lambda: _redis(redis_url))
    else:
        checks["redis"] = "absent"
    health_url = _action_server_health_url(agent)
    if health_url is None:
        checks["action_server"] = "absent"
    else:
        try:
            async with httpx.AsyncClient(timeout=CHECK_TIMEOUT_SECONDS) as client:
                answer = await client.get(health_url)
            checks["action_server"] = "ok" if answer.status_code == 200 else "en panne"
        except httpx.HTTPError:
            checks["action_server"] = "en panne"
    return checks


class HealthInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "health"

    def url_prefix(self) -> Text:
        return "/"  # absolute: /health/… and /metrics

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("cyberaide_health", __name__)

        @blueprint.get("/health/live")
        async def live(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.get("/health/ready")
        async def ready(request: Request) -> HTTPResponse:
            checks = await readiness(getattr(request.app.ctx, "agent", None))
            healthy = all(state in ("ok", "absent") for state in checks.values())
            return response.json(
                {"status": "ok" if healthy else "en panne", "checks": checks}, status=200 if healthy else 503
            )

        @blueprint.get("/metrics")
        async def scrape(request: Request) -> HTTPResponse:
            expected = settings.current().metrics_token
            if expected is None:
                return response.text("Introuvable.", status=404)
            header = request.headers.get("Authorization") or ""
            scheme, _, presented = header.partition(" ")
            if scheme.lower() != "bearer" or not tokens.matches(presented.strip(), expected):
                return response.text("Jeton manquant ou invalide.", status=401)
            body = await asyncio.to_thread(metrics.exposition)
            return response.raw(body, content_type="text/plain; version=0.0.4; charset=utf-8")

        return blueprint
