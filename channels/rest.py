"""Rasa's standard REST channel (`POST /webhooks/rest/webhook`), made robust and kept to its own conversations.

Same URL and JSON contract as `rasa.core.channels.rest.RestInput` (`{"sender": ..., "message": ...}` in, a list of
bot messages out, each with the caller's `sender` as `recipient_id`), plus:

- the caller's conversations live in their own namespace: sender "abc" is the conversation `rest:abc`, so a REST
  caller can never read or write a web chat, SMS or Telegram conversation (`sms:+33…` becomes `rest:sms:+33…`).
  `input_channel` in the body is ignored: the channel is always "rest".
- `REST_TOKEN`, when set, is required (`Authorization: Bearer …` or `?token=…`, Rasa's own convention);
- messages are limited per sender and per client address, like the other channels;
- bad bodies (not JSON, no sender, over MAX_BODY_BYTES) get a clear 400 or 413; the client's `metadata` is not
  kept (Rasa's own REST channel ignores it too: nothing the caller writes may look like what the bot records);
- bad text is cleaned, button payloads are accepted only where the bot offered them, and the victim always gets a
  reply, even when the action server or the database is down (channels.common).
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings, tokens, vocabulary
from channels import server
from channels.inbound import RATE_LIMIT_REPLY, Inbound, RateLimiter

logger = logging.getLogger(__name__)

CHANNEL = vocabulary.REST.input_channel
MAX_SENDER_CHARS = 200
# As on the web chat: room for a 100,000-character message with JSON escapes, refused before parsing beyond it.
MAX_BODY_BYTES = 512_000
TOO_BIG = "Requête trop volumineuse : un message ne doit pas dépasser quelques dizaines de milliers de caractères."
BAD_REQUEST = 'Requête invalide : envoyez un objet JSON {"sender": "identifiant", "message": "texte"}.'
UNAUTHORIZED = "Jeton d'accès manquant ou invalide (Authorization: Bearer … ou ?token=…)."

# Sender ids are the caller's to choose: the client's address is limited too (several clients may share one).
IP_LIMIT_FACTOR = 5


def conversation_id(sender: str) -> str:
    """The tracker id of a REST caller's conversation."""
    return f"{CHANNEL}:{sender}"


def presented_token(request: Request) -> Optional[str]:
    header = request.headers.get("Authorization") or ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.args.get("token")


def authorised(request: Request, expected: Optional[str]) -> bool:
    if expected is None:
        return True
    return tokens.matches(presented_token(request), expected)


class RestInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("cyberaide_rest", __name__)
        token = settings.current().rest_token
        inbound = Inbound(CHANNEL, MAX_BODY_BYTES, address_factor=IP_LIMIT_FACTOR)
        inbound.serve_health(blueprint)
        server.configure_on_start(blueprint)

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not authorised(request, token):
                return response.json({"error": UNAUTHORIZED}, status=401)
            if inbound.too_big(request):
                return response.json({"error": TOO_BIG}, status=413)
            body = inbound.json_object(request)
            if body is None or body.get("sender") in (None, ""):
                return response.json({"error": BAD_REQUEST}, status=400)
            sender = str(body["sender"])[:MAX_SENDER_CHARS]
            sender_id = conversation_id(sender)
            if inbound.admit(sender_id, request) != RateLimiter.OK:
                return response.json([{"recipient_id": sender, "text": RATE_LIMIT_REPLY}], status=429)
            replies = await inbound.turn(request.app, on_new_message, body.get("message"), sender_id)
            return response.json([{"recipient_id": sender, **reply} for reply in replies])

        return blueprint
