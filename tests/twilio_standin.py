"""A local stand-in for Twilio's Messages REST API, for tests
(https://www.twilio.com/docs/messaging/api/message-resource).

`POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with HTTP basic auth (AccountSid:AuthToken) and the
form fields `To`, `From`, `Body`; answers 201 with a Message resource, or Twilio's JSON errors.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List
from urllib.parse import parse_qs

UNSUBSCRIBED_NUMBER = "+33700000021"  # Twilio error 21610: the recipient replied STOP at the carrier level


class TwilioStandIn:
    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: List[Dict[str, Any]] = []
        self.rejected: List[Dict[str, Any]] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "TwilioStandIn":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def bodies_to(self, number: str) -> List[str]:
        with self._lock:
            return [m["Body"] for m in self.messages if m["To"] == number]

    def answer(self, path: str, authorization: str, form: Dict[str, str]) -> tuple:
        expected_path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        if path != expected_path:
            return 404, {
                "code": 20404,
                "message": f"The requested resource {path} was not found",
                "more_info": "https://www.twilio.com/docs/errors/20404",
                "status": 404,
            }
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if authorization != f"Basic {credentials}":
            return 401, {
                "code": 20003,
                "message": "Authenticate",
                "more_info": "https://www.twilio.com/docs/errors/20003",
                "status": 401,
            }
        for field in ("To", "Body"):
            if not form.get(field):
                return 400, {
                    "code": 21602 if field == "Body" else 21604,
                    "message": f"A '{field}' parameter is required.",
                    "more_info": "https://www.twilio.com/docs/errors/21602",
                    "status": 400,
                }
        if form["To"] == UNSUBSCRIBED_NUMBER:
            with self._lock:
                self.rejected.append(form)
            return 400, {
                "code": 21610,
                "message": "Attempt to send to unsubscribed recipient",
                "more_info": "https://www.twilio.com/docs/errors/21610",
                "status": 400,
            }
        sid = "SM" + uuid.uuid4().hex
        now = formatdate(time.time(), usegmt=True)
        with self._lock:
            self.messages.append(dict(form, at=time.time()))
        return 201, {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": form["Body"],
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "to": form["To"],
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"},
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = {key: values[0] for key, values in parse_qs(raw, keep_blank_values=True).items()}
                status, body = standin.answer(self.path, self.headers.get("Authorization", ""), form)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
