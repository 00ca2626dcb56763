"""The web chat: the demo page at `/` and the embeddable widget's static files."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

STATIC_DIR = Path(__file__).resolve().parent / "static"


class _RootPageBlueprint(Blueprint):
    """A blueprint that also serves the demo page at `/`.

    Rasa already registers `GET /` ("Hello from Rasa"), and Sanic refuses a second route on the same path, so the
    page is served by an app-level request middleware registered together with the blueprint.
    """

    def register(self, app: Any, options: Any) -> None:
        app.register_middleware(self._serve_demo_page, "request")
        super().register(app, options)

    @staticmethod
    async def _serve_demo_page(request: Request) -> Any:
        if request.path == "/" and request.method in ("GET", "HEAD"):
            return await response.file(STATIC_DIR / "index.html", mime_type="text/html; charset=utf-8")
        return None


class WebChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "webchat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = _RootPageBlueprint("cyberaide_webchat", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        blueprint.static("/static", str(STATIC_DIR), name="static")
        return blueprint
