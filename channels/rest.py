"""Rasa's standard REST channel (`POST /webhooks/rest/webhook`), made robust.

Same URL and JSON contract as `rasa.core.channels.rest.RestInput` (`{"sender": ..., "message": ...}` in, a list of
bot messages out), plus: bad bodies get a clear 400, bad text is cleaned (channels.common), and the victim always
gets a reply, even when the action server or the database is down.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.common import converse

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
            replies = await converse(
                request.app,
                on_new_message,
                body.get("message"),
                sender_id,
                str(body.get("input_channel") or self.name()),
                body.get("metadata") if isinstance(body.get("metadata"), dict) else None,
            )
            return response.json([{"recipient_id": sender_id, **reply} for reply in replies])

        return blueprint
