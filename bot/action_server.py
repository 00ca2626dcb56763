"""The action server: rasa-sdk's app (bot/actions), answering only the Rasa server.

`python -m bot.action_server` replaces `rasa run actions`. Two differences, both because the action server runs any
action for whatever tracker it is sent (a forged one could ask for a handover for any phone number):

- it listens on 127.0.0.1 unless ACTION_SERVER_HOST says otherwise (bot.settings);
- `/webhook` and `/actions` need the shared secret ACTION_SERVER_TOKEN, which the Rasa server sends as `?token=`
  (the `token` of `action_endpoint` in endpoints.yml). `/health` stays open for start-up checks.

Sanic's access log is off: it would print the query string, token included. Log lines are masked (bot.logs).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import logs, settings, tokens

logger = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/health"})
NO_TOKEN = "ACTION_SERVER_TOKEN n'est pas défini : le serveur d'actions refuse de démarrer sans son secret partagé."


def build_app(token: str, actions: str = "bot.actions") -> Sanic:
    # No CORS: browsers have no business calling the action server.
    app = create_app(actions, cors_origins="")

    @app.middleware("request")
    async def require_token(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        if not tokens.matches(request.args.get("token"), token):
            logger.warning("Action server call refused: missing or wrong token (from %s)", request.ip)
            return response.json({"error": "forbidden"}, status=403)
        return None

    return app


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description="Cyberaide action server (rasa-sdk, bot/actions)")
    parser.add_argument("--host", default=settings.current().action_server_host)
    parser.add_argument("--port", type=int, default=5055)  # the url of action_endpoint in endpoints.yml
    parser.add_argument("--actions", default="bot.actions", help="package of the actions (tests load fewer)")
    args = parser.parse_args(argv)
    token = settings.current().action_server_token
    if not token:
        sys.exit(NO_TOKEN)
    logs.install()  # actions log conversation ids too (bot.trackers, bot.delivery), and rasa-sdk its own lines
    utils.configure_colored_logging("INFO")
    utils.update_sanic_log_level()
    app = build_app(token, args.actions)
    logger.info("Action server listening on http://%s:%s", args.host, args.port)
    app.run(args.host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
