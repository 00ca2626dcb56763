"""A local stand-in for the Telegram Bot API (https://core.telegram.org/bots/api), for tests.

It speaks the real wire format: `POST /bot<token>/<method>` with form-encoded (as python-telegram-bot sends them)
or JSON parameters, answers `{"ok": true, "result": ...}` or `{"ok": false, "error_code": ..., "description": ...}`,
records every call, and serves queued updates to getUpdates with long polling.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qs

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "Cyberaide",
    "username": "cyberaide_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
BLOCKED_CHAT_ID = 6660000666  # sendMessage to this chat fails like a user who blocked the bot


class BotApiStandIn:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: List[Dict[str, Any]] = []
        self.updates: List[dict] = []
        self._lock = threading.Condition()
        self._message_ids = itertools.count(1000)
        self.throttled: Dict[int, int] = {}  # chat id -> sendMessage calls still to refuse with 429
        self.refused: List[Dict[str, Any]] = []
        self.down: set = set()  # chat ids whose sendMessage calls fail as when the Bot API is down
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "BotApiStandIn":
        self.thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._lock.notify_all()
        self.server.shutdown()
        self.server.server_close()

    # --- what tests use ---
    def calls_to(self, method: str, chat_id: Optional[int] = None) -> List[Dict[str, Any]]:
        with self._lock:
            return [
                call["params"]
                for call in self.calls
                if call["method"] == method and (chat_id is None or str(call["params"].get("chat_id")) == str(chat_id))
            ]

    def texts_to(self, chat_id: int) -> List[str]:
        return [params["text"] for params in self.calls_to("sendMessage", chat_id)]

    def throttle(self, chat_id: int, calls: int = 1) -> None:
        """The next `calls` sendMessage to this chat get 429 Too Many Requests (retry after 1 s), as Telegram
        answers a bot that sends too fast."""
        with self._lock:
            self.throttled[chat_id] = calls

    def go_down(self, chat_id: int, down: bool = True) -> None:
        """sendMessage to this chat answers 502 Bad Gateway (the Bot API is down) until called with down=False."""
        with self._lock:
            (self.down.add if down else self.down.discard)(chat_id)

    def _is_down(self, params: Dict[str, Any]) -> bool:
        with self._lock:
            return int(params.get("chat_id") or 0) in self.down

    def queue_update(self, update: dict) -> None:
        with self._lock:
            self.updates.append(update)
            self._lock.notify_all()

    def wait_for(self, predicate, timeout: float = 60.0) -> Any:
        deadline = time.time() + timeout
        while time.time() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(0.1)
        raise AssertionError("the stand-in Bot API did not receive the expected calls in time")

    # --- the API ---
    def _record(self, method: str, params: Dict[str, Any]) -> None:
        with self._lock:
            self.calls.append({"method": method, "params": params, "at": time.time()})

    def _refuse(self, params: Dict[str, Any]) -> bool:
        with self._lock:
            chat_id = int(params.get("chat_id") or 0)
            if self.throttled.get(chat_id, 0) <= 0:
                return False
            self.throttled[chat_id] -= 1
            self.refused.append(params)
            return True

    def _get_updates(self, params: Dict[str, Any]) -> list:
        offset = int(params.get("offset") or 0)
        deadline = time.time() + min(float(params.get("timeout") or 0), 5.0)
        with self._lock:
            while True:
                ready = [u for u in self.updates if u["update_id"] >= offset]
                if ready or time.time() >= deadline:
                    return ready
                self._lock.wait(timeout=max(0.0, deadline - time.time()))

    def answer(self, method: str, params: Dict[str, Any]) -> tuple:
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method in ("setWebhook", "deleteWebhook"):
            return 200, {
                "ok": True,
                "result": True,
                "description": "Webhook was set" if method == "setWebhook" else "Webhook was deleted",
            }
        if method in ("answerCallbackQuery", "sendChatAction"):
            return 200, {"ok": True, "result": True}
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}
        if method == "sendDocument":
            upload = (params.get("_files") or {}).get("document")
            if upload is None or not upload["content"]:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: there is no document"}
            message = {
                "message_id": next(self._message_ids),
                "from": BOT_USER,
                "chat": {"id": int(params["chat_id"]), "first_name": "Camille", "type": "private"},
                "date": int(time.time()),
                "document": {
                    "file_id": f"doc{next(self._message_ids)}",
                    "file_unique_id": f"u{next(self._message_ids)}",
                    "file_name": upload["filename"],
                    "mime_type": upload["content_type"],
                    "file_size": len(upload["content"]),
                },
            }
            if params.get("caption"):
                message["caption"] = params["caption"]
            return 200, {"ok": True, "result": message}
        if method == "sendMessage":
            chat_id = int(params["chat_id"])
            if chat_id == BLOCKED_CHAT_ID:
                return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
            if not str(params.get("text") or "").strip():
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
            message = {
                "message_id": next(self._message_ids),
                "from": BOT_USER,
                "chat": {"id": chat_id, "first_name": "Camille", "type": "private"},
                "date": int(time.time()),
                "text": params["text"],
            }
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            return 200, {"ok": True, "result": message}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                self._serve(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def do_GET(self) -> None:
                self._serve(b"")

            def _serve(self, raw: bytes) -> None:
                path, _, query = self.path.partition("?")
                parts = path.strip("/").split("/")
                if len(parts) != 2 or not parts[0].startswith("bot"):
                    return self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                if parts[0][3:] != standin.token:
                    return self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                method = parts[1]
                content_type = self.headers.get("Content-Type", "")
                if "application/json" in content_type:
                    params = json.loads(raw or b"{}")
                elif "multipart/form-data" in content_type:  # a file upload (sendDocument)
                    params = _multipart(content_type, raw)
                else:
                    params = {}
                    for key, values in parse_qs(raw.decode() + "&" + query, keep_blank_values=True).items():
                        value = values[0]
                        try:  # Bot API clients send non-string values JSON-encoded
                            params[key] = json.loads(value) if value[:1] in "[{" else value
                        except ValueError:
                            params[key] = value
                if method == "sendMessage" and standin._refuse(params):
                    return self._reply(
                        429,
                        {
                            "ok": False,
                            "error_code": 429,
                            "description": "Too Many Requests: retry after 1",
                            "parameters": {"retry_after": 1},
                        },
                    )
                if method == "sendMessage" and standin._is_down(params):
                    return self._reply(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
                standin._record(method, params)
                status, body = standin.answer(method, params)
                self._reply(status, body)

        return Handler


def _multipart(content_type: str, raw: bytes) -> Dict[str, Any]:
    """The fields of a multipart/form-data body, as the Bot API reads them; uploaded files under "_files"."""
    parsed = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    params: Dict[str, Any] = {"_files": {}}
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True) or b""
        if part.get_filename():
            params["_files"][name] = {
                "filename": part.get_filename(),
                "content": content,
                "content_type": part.get_content_type(),
            }
        else:
            text = content.decode("utf-8")
            try:  # Bot API clients send non-string values JSON-encoded
                params[name] = json.loads(text) if text[:1] in "[{" else text
            except ValueError:
                params[name] = text
    return params
