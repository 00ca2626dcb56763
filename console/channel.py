"""The staff console, served by `rasa run` under /console (registered in credentials.yml like a channel).

Pages (console/routes/): sign-in, the live queue of waiting conversations, a conversation (summary, transcript,
two-way chat, quick inserts, internal notes, hand back / close), transcript review, and for admins the audit log and
user management. Every page requires a signed-in account with the right role; every form and API call that changes
something requires the session's CSRF token (console/web.py).

This module starts and stops the console's background jobs: the handover timeout watcher, the watcher of
conversations left paused without an operator, the review index refresh, the observatory's refresh and its
detection of waves and campaigns, and the redaction of stored texts.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, List, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from bot import db, handover, settings, trackers
from channels import server, store
from console import conversations, retention, review, routes
from console.observatory import alert_delivery
from console.observatory import detect as observatory_detect
from console.observatory import refresh as observatory
from console.web import PREFIX, BadQuery, bad_query, ids_in_range, security_headers

logger = logging.getLogger(__name__)


async def watch_timeouts(app: Any) -> None:
    """Tells victims honestly when nobody has taken their request in time (the request stays queued)."""
    interval = max(1, min(10, settings.current().handover_wait_seconds // 2))
    while True:
        await asyncio.sleep(interval)
        if not store.lease("handover-watch", interval):
            continue  # another worker or instance looks this time
        try:
            if not handover.is_open():
                continue  # the victim was told at once that operators are away, and when they come back
            for item in await asyncio.to_thread(handover.overdue):
                # Claimed first: with several servers, only one tells the victim.
                if await asyncio.to_thread(handover.mark_notified, item.id):
                    await conversations.say(app.ctx.agent, item.sender_id, conversations.TIMEOUT_MESSAGE)
        except Exception:
            logger.exception("handover timeout watcher")


def _held(sender_id: str) -> bool:
    return handover.active_for(sender_id) is not None


async def resume_orphans(agent: Any) -> int:
    """Gives back to the bot every paused conversation that no operator holds or waits for (a crash or a database
    error between the tracker and the handover's state, say): without it the bot would stay silent for good."""
    resumed = 0
    for sender_id in await asyncio.to_thread(trackers.paused_candidates, agent):
        try:
            # Whether a person holds it is checked under the conversation's lock: an operator taking it now
            # stores the handover's new state before pausing, so either the check sees it or the pause follows.
            resumed += await trackers.resume(agent, sender_id, unless=lambda s=sender_id: _held(s))
        except Exception:
            logger.exception("Could not resume a conversation left paused")
    return resumed


async def watch_paused(app: Any) -> None:
    """Runs `resume_orphans` once per period for the whole deployment. The period follows the handover delay (a
    victim facing a silent bot is at least as urgent as one nobody answered), at most two minutes: each look reads
    the pauses and resumptions of every conversation."""
    interval = max(5, min(120, settings.current().handover_wait_seconds))
    while True:
        await asyncio.sleep(interval)
        if not store.lease("paused-watch", interval):
            continue
        try:
            resumed = await resume_orphans(app.ctx.agent)
            if resumed:
                logger.warning("Resumed %d conversation(s) left paused without an operator", resumed)
        except Exception:
            logger.exception("paused conversations watcher")


def start_jobs(app: Any, loop: asyncio.AbstractEventLoop) -> List["asyncio.Task[None]"]:
    """The background jobs of one server process."""
    current = settings.current()
    alert_delivery.register()  # new alerts to the webhook and by e-mail
    return [
        loop.create_task(watch_timeouts(app)),
        loop.create_task(watch_paused(app)),
        loop.create_task(review.refresh_forever(current.review_refresh_seconds)),
        loop.create_task(observatory.refresh_forever(current.observatory_refresh_seconds)),
        loop.create_task(observatory_detect.detect_forever(current.observatory_detect_seconds)),
        loop.create_task(retention.scrub_forever(current.scrub_interval_seconds)),
    ]


class ConsoleInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "console"

    def url_prefix(self) -> Text:
        return PREFIX  # absolute: the console lives at /console, not under /webhooks/

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("cyberaide_console", __name__)

        @bp.listener("before_server_start")
        async def setup(app: Any, loop: Any) -> None:
            db.create_all()
            app.ctx.console_jobs = start_jobs(app, loop)

        @bp.listener("before_server_stop")
        async def teardown(app: Any, _loop: Any) -> None:
            for job in getattr(app.ctx, "console_jobs", ()):
                job.cancel()

        routes.register(bp)
        server.configure_on_start(bp)
        bp.middleware(ids_in_range, "request")
        bp.middleware(security_headers, "response")
        bp.exception(BadQuery)(bad_query)
        return bp
