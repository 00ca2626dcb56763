"""Rasa's standard REST channel (`POST /webhooks/rest/webhook`), made robust.

Same URL and JSON contract as `rasa.core.channels.rest.RestInput` (`{"sender": ..., "message": ...}` in, a list of
bot messages out), plus: bad bodies get a clear 400, bad text is cleaned (channels.common), and the victim always
gets a reply, even when the action server or the database is down.
"""
from __future__ import annotations

import json
import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.common import EMPTY_REPLY, clean_input, ensure_reply, is_paused, merge_metadata

logger = logging.getLogger(__name__)

BAD_REQUEST = (
    'Requête invalide : envoyez un objet JSON {"sender": "identifiant", "message": "texte"}.'
)


def parse_body(request: Request) -> Optional[Dict[str, Any]]:
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


async def handle_text(
    request: Request,
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    raw_text: Any,
    sender_id: Text,
    input_channel: Text,
    metadata: Optional[Dict[str, Any]] = None,
) -> list:
    """Runs one victim message through the bot and returns the replies, never an empty list by accident."""
    cleaned = clean_input(raw_text)
    if not cleaned.text:
        return [{"recipient_id": sender_id, "text": EMPTY_REPLY}]
    collector = CollectingOutputChannel()
    try:
        await on_new_message(
            UserMessage(
                cleaned.text,
                collector,
                sender_id,
                input_channel=input_channel,
                metadata=merge_metadata(metadata, cleaned.metadata) or None,
            )
        )
    except CancelledError:
        logger.error("Timeout while handling a message of %s", sender_id)
    except Exception:
        logger.exception("Error while handling a message of %s", sender_id)
    paused = await is_paused(request.app, sender_id)
    replies = ensure_reply(collector.messages, paused, cleaned.truncated)
    for reply in replies:
        reply.setdefault("recipient_id", sender_id)
    return replies


class RestInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("cyberaide_rest", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = parse_body(request)
            if body is None:
                return response.json({"error": BAD_REQUEST}, status=400)
            sender_id = str(body.get("sender") or "default")[:255]
            replies = await handle_text(
                request,
                on_new_message,
                body.get("message"),
                sender_id,
                str(body.get("input_channel") or self.name()),
                body.get("metadata") if isinstance(body.get("metadata"), dict) else None,
            )
            return response.json(replies)

        return blueprint
