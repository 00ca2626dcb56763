"""Server-wide HTTP settings of the Sanic app that `rasa run` builds, applied before it serves: the body-size cap
and Sanic's own proxy settings. Registered by the REST channel and the console (`configure_on_start`); applying
them twice changes nothing.

- REQUEST_MAX_SIZE: Sanic reads whole bodies into memory, up to 100 MB by default. No request of ours needs more
  than the channels' own caps (512 KB at most): anything over MAX_BODY_BYTES gets 413 before it is read.
- PROXIES_COUNT from TRUSTED_PROXIES: then `request.remote_addr` is the client address the outermost trusted proxy
  saw in X-Forwarded-For, and `request.scheme` follows its X-Forwarded-Proto (https behind a TLS proxy). Without
  trusted proxies both headers are ignored: a client could write them. REAL_IP_HEADER stays unset for the same
  reason (a proxy that does not strip it would let any client choose its address).
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint

from bot import settings

MAX_BODY_BYTES = 1_048_576


def configure(app: Any) -> None:
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    hops = settings.current().trusted_proxies
    app.config.PROXIES_COUNT = hops or None
    app.config.FORWARDED_FOR_HEADER = "X-Forwarded-For"
    app.config.REAL_IP_HEADER = None


def configure_on_start(blueprint: Blueprint) -> None:
    """`configure(app)` in every server process, before its socket accepts a connection (Sanic reads
    REQUEST_MAX_SIZE per connection)."""

    @blueprint.listener("before_server_start")
    async def _configure(app: Any, _loop: Any) -> None:
        configure(app)
