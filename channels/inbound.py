"""The inbound pipeline: what every connector (REST, web chat, Telegram, SMS) does with a request between
authenticating it and rendering the replies. Each connector keeps its own parsing, authentication and rendering.

    inbound = Inbound("sms", max_body_bytes=64_000)
    inbound.too_big(request)                    -> 413 before anything is parsed
    inbound.json_object(request)                -> the body as a JSON object, or None (400)
    inbound.admit(sender_id, request)           -> OK, WARN (refuse and say so once) or DROP (refuse silently)
    await inbound.redelivered(agent, ...)       -> a gateway's retry, already answered
    await inbound.turn(app, on_new_message, ...) -> the bot's replies, never none (channels.common.converse)
    inbound.serve_health(blueprint, status)     -> GET /webhooks/<channel>/
    inbound.on_start(blueprint, start, stop)    -> the connector's start-up and shutdown, logged

Rate windows and delivery claims are kept in `channels.store` spaces, one per connector and kind.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import responses, settings, trackers
from channels import store
from channels.common import converse

logger = logging.getLogger(__name__)

RATE_LIMIT_REPLY = responses.text("utter_rate_limited")
# Gateways give up retrying after minutes; a day is far beyond, and bounded.
DELIVERY_MEMORY_SECONDS = 24 * 3600
MAX_DELIVERIES = 100_000
MAX_SENDERS = 50_000


class RateLimiter:
    """At most `limit` messages per key (a conversation, a client address) in any `window` seconds.

    `check` returns OK (handle the message), WARN (refuse it and tell the sender once) or DROP (refuse it silently:
    answering every refused message would let anyone make us send, and pay for, unlimited SMS). Refused messages are
    not counted, so a sender who pauses is served again as soon as the window slides.
    """

    OK, WARN, DROP = "ok", "warn", "drop"

    def __init__(
        self,
        name: str,
        limit: Optional[int] = None,
        window_seconds: float = 60.0,
        max_keys: int = MAX_SENDERS,
        factor: int = 1,
    ) -> None:
        self._limit = limit  # None: `factor` times CHANNEL_RATE_LIMIT_PER_MINUTE, read when a message comes
        self.factor = factor
        self._hits = store.space(f"{name}:hits", max_keys, window_seconds)
        self._warned = store.space(f"{name}:warned", max_keys, window_seconds)

    @property
    def limit(self) -> int:
        return self._limit if self._limit is not None else settings.current().channel_rate_limit * self.factor

    def check(self, key: str) -> str:
        if self._hits.hit(key, self.limit):
            self._warned.discard(key)
            return self.OK
        return self.WARN if self._warned.claim(key) else self.DROP

    def forget(self, key: str) -> None:
        self._hits.discard(key)
        self._warned.discard(key)


def client_address(request: Any) -> str:
    """The address the rate limit counts: see bot.settings.trusted_proxies. An IPv6 client gets a whole /64
    (one subscriber's usual allocation), otherwise it could take a new address for every message."""
    address = ""
    hops = settings.current().trusted_proxies
    if hops:
        forwarded = [part.strip() for part in (request.headers.get("X-Forwarded-For") or "").split(",")]
        forwarded = [part for part in forwarded if part]
        if forwarded:
            address = forwarded[-hops] if len(forwarded) >= hops else forwarded[0]
    if not address:
        # remote_addr is set when Sanic's own proxy settings (SANIC_PROXIES_COUNT...) are used; ip is the socket's.
        address = getattr(request, "remote_addr", "") or getattr(request, "ip", "") or ""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:  # an IPv4 client on a dual-stack socket
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class Inbound:
    """One connector's pipeline. `address_factor` also limits each client address to that many times the
    per-sender limit: where the client chooses its own conversation id (REST, web chat), a script could take a new one
    for every message; several victims may share an address (a family, an office, a carrier's NAT), hence a
    multiple."""

    def __init__(self, channel: str, max_body_bytes: int, address_factor: Optional[int] = None) -> None:
        self.channel = channel
        self.max_body_bytes = max_body_bytes
        self.senders = RateLimiter(f"{channel}:sender")
        self.addresses = RateLimiter(f"{channel}:address", factor=address_factor) if address_factor else None
        self._deliveries = store.space(f"{channel}:delivery", MAX_DELIVERIES, DELIVERY_MEMORY_SECONDS)

    # --- size and JSON ------------------------------------------------------------------------------------------
    def too_big(self, request: Request) -> bool:
        return len(request.body or b"") > self.max_body_bytes

    @staticmethod
    def json_object(request: Request) -> Optional[Dict[str, Any]]:
        try:
            body = json.loads(request.body or b"")
        except (ValueError, UnicodeDecodeError):
            return None
        return body if isinstance(body, dict) else None

    # --- rate limits ------------------------------------------------------------------------------------------------
    def admit(self, sender_id: str, request: Optional[Request] = None) -> str:
        """The sender's verdict, then the client address's (when limited): the stricter one wins."""
        verdict = self.senders.check(sender_id)
        if verdict == RateLimiter.OK and self.addresses is not None and request is not None:
            verdict = self.addresses.check(client_address(request))
            if verdict != RateLimiter.OK:
                logger.warning("A %s client address is over the rate limit", self.channel)
        return verdict

    def forget(self, sender_id: str) -> None:
        self.senders.forget(sender_id)

    # --- deliveries ---------------------------------------------------------------------------------------------------
    def seen(self, delivery_id: str) -> bool:
        """True when this delivery was claimed already (a retry in flight, or answered)."""
        return delivery_id in self._deliveries

    def claim(self, delivery_id: str) -> bool:
        """True for the first copy of a delivery only."""
        return self._deliveries.claim(delivery_id)

    async def redelivered(
        self, agent: Any, delivery_id: str, sender_id: Optional[str], message_id: Optional[str] = None
    ) -> bool:
        """True for a retry of a delivery that was handled: first this process's claims, then the stored
        conversation (the delivery id recorded as the victim message's `message_id`), which survives a restart and
        sees what another process handled."""
        if not self.claim(delivery_id):
            return True
        if sender_id is None:
            return False
        return await trackers.already_recorded(agent, sender_id, message_id or delivery_id)

    # --- the turn -------------------------------------------------------------------------------------------------
    async def turn(
        self,
        app: Any,
        on_new_message: Any,
        raw_text: Any,
        sender_id: str,
        metadata: Optional[Dict[str, Any]] = None,
        message_id: Optional[str] = None,
    ) -> List[Dict[str, Any]]:
        return await converse(app, on_new_message, raw_text, sender_id, self.channel, metadata, message_id)

    # --- routes and lifecycle -------------------------------------------------------------------------------------
    def serve_health(
        self,
        blueprint: Blueprint,
        status: Optional[Callable[[], Tuple[Dict[str, Any], int]]] = None,
        headers: Optional[Callable[[Request], Dict[str, str]]] = None,
    ) -> None:
        """GET /webhooks/<channel>/: 200 {"status": "ok"} by default, or what `status()` says."""

        @blueprint.route("/", methods=["GET"], name=f"{self.channel}_health")
        async def health(request: Request) -> HTTPResponse:
            body, code = status() if status else ({"status": "ok"}, 200)
            return response.json(body, status=code, headers=headers(request) if headers else None)

    def on_start(
        self,
        blueprint: Blueprint,
        start: Optional[Callable[[Any], Awaitable[None]]] = None,
        stop: Optional[Callable[[Any], Awaitable[None]]] = None,
    ) -> None:
        """Runs `start(app)` once the server started and `stop(app)` before it stops; a failure is logged and
        leaves the rest of the assistant running."""

        if start is not None:

            @blueprint.listener("after_server_start")
            async def _start(app: Any, _loop: Any) -> None:
                try:
                    await start(app)
                except Exception:
                    logger.exception("The %s channel failed to start", self.channel)

        if stop is not None:

            @blueprint.listener("before_server_stop")
            async def _stop(app: Any, _loop: Any) -> None:
                try:
                    await stop(app)
                except Exception:
                    logger.exception("The %s channel failed to stop cleanly", self.channel)
