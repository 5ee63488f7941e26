"""A small threaded HTTP server on 127.0.0.1 that the network fakes build on.

A fake subclasses `FakeApi` and implements `handle(request) -> Response`. Faults that every
network can suffer are injected here, the same way for all of them:

- `delay(seconds, times=1)`: answer late (a client timeout after sending);
- `fail(status, times=1)`: answer 5xx (or any status) without doing the work;
- `drop_after_accept(times=1)`: do the work (the post is accepted and counted), then close the
  connection without an answer: the client cannot know the post went out.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body or b"{}")


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=lambda: {"Content-Type": "application/json"})

    @classmethod
    def json(cls, data, status: int = 200, headers: dict | None = None) -> Response:
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        return cls(status, json.dumps(data, ensure_ascii=False).encode(), h)


class _Drop(Exception):
    """Close the connection without answering."""


class FakeApi:
    """Base of the network fakes: lifecycle, request log and fault injection."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[Request] = []
        self._faults: list[tuple[str, object]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -----------------------------------------------------------------------------
    def start(self) -> FakeApi:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                req = Request(
                    self.command, parts.path, dict(parse_qsl(parts.query)), dict(self.headers), body
                )
                try:
                    resp = fake._dispatch(req)
                except _Drop:
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(2)
                    return
                self.send_response(resp.status)
                for k, v in resp.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(resp.body)))
                self.end_headers()
                self.wfile.write(resp.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # faults ----------------------------------------------------------------------------------
    def delay(self, seconds: float, times: int = 1) -> None:
        with self.lock:
            self._faults += [("delay", seconds)] * times

    def fail(self, status: int = 502, times: int = 1) -> None:
        with self.lock:
            self._faults += [("fail", status)] * times

    def drop_after_accept(self, times: int = 1) -> None:
        with self.lock:
            self._faults += [("drop", None)] * times

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def _next_fault(self):
        with self.lock:
            return self._faults.pop(0) if self._faults else (None, None)

    # dispatch --------------------------------------------------------------------------------
    def _dispatch(self, req: Request) -> Response:
        with self.lock:
            self.requests.append(req)
        fault, arg = self._next_fault()
        if fault == "fail":
            return Response.json({"error": "fault injected"}, status=arg)
        if fault == "delay":
            time.sleep(arg)
        resp = self.handle(req)
        if fault == "drop":
            raise _Drop
        return resp

    def handle(self, req: Request) -> Response:  # pragma: no cover - subclasses answer
        raise NotImplementedError
