"""Local stand-ins for where alerts are delivered: an incoming-webhook server (Mattermost/Slack-compatible JSON) and
a minimal SMTP server (RFC 5321: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT; no STARTTLS, so a client that requires
it must refuse to send). Each runs in a thread on 127.0.0.1 and records what it received."""

from __future__ import annotations

import base64
import json
import socket
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List


class WebhookStandIn:
    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.received: List[Dict[str, Any]] = []
        self.status, self.delay = status, delay
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(standin.delay)
                standin.received.append(
                    {"path": self.path, "type": self.headers.get("Content-Type"), "body": json.loads(raw)}
                )
                body = b"ok" if standin.status == 200 else b"error"
                try:
                    self.send_response(standin.status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up waiting
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/abc123"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpStandIn:
    def __init__(self) -> None:
        self.messages: List[Dict[str, Any]] = []
        self.logins: List[str] = []
        standin = self

        class Handler(socketserver.StreamRequestHandler):
            def say(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.say("220 standin ESMTP")
                envelope: Dict[str, Any] = {"from": None, "to": []}
                while True:
                    line = self.rfile.readline().decode("utf-8", "replace").rstrip("\r\n")
                    verb = line.split(" ", 1)[0].upper()
                    if not line or verb == "QUIT":
                        self.say("221 bye")
                        return
                    if verb in ("EHLO", "HELO"):
                        self.say("250-standin")
                        self.say("250-AUTH PLAIN")
                        self.say("250 8BITMIME")
                    elif verb == "AUTH":
                        credentials = base64.b64decode(line.split()[-1]).split(b"\0")
                        standin.logins.append(credentials[1].decode())
                        self.say("235 ok")
                    elif verb == "MAIL":
                        envelope["from"] = line.split(":", 1)[1].strip().split()[0].strip("<>")
                        self.say("250 ok")
                    elif verb == "RCPT":
                        envelope["to"].append(line.split(":", 1)[1].strip().strip("<>"))
                        self.say("250 ok")
                    elif verb == "DATA":
                        self.say("354 go on")
                        data = []
                        while True:
                            part = self.rfile.readline()
                            if part in (b".\r\n", b""):
                                break
                            data.append(part[1:] if part.startswith(b"..") else part)
                        standin.messages.append({**envelope, "data": b"".join(data)})
                        envelope = {"from": None, "to": []}
                        self.say("250 queued")
                    else:
                        self.say("502 not implemented")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A port nothing listens on (a webhook that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
