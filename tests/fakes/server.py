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
import socket
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
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

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type") or self.headers.get("content-type") or ""

    def header(self, name: str) -> str:
        """A request header by name, whatever its case."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), "")

    def parts(self) -> list[Part]:
        """The parts of a multipart/form-data body (any field names), else []."""
        if not self.content_type.startswith("multipart/form-data"):
            return []
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + self.content_type.encode() + b"\r\n\r\n" + self.body
        )
        return [
            Part(
                part.get_param("name", header="content-disposition") or "",
                part.get_filename() or "",
                part.get_content_type() if part.get_filename() else "",
                part.get_payload(decode=True) or b"",
            )
            for part in message.iter_parts()
        ]

    def params(self) -> tuple[dict, dict[str, Part]]:
        """Parameters from the query string, a form, a JSON object or a multipart body (its
        plain fields), and the multipart files by field name."""
        params: dict = dict(self.query)
        files: dict[str, Part] = {}
        kind = self.content_type
        if kind.startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(self.body.decode()))
        elif kind.startswith("application/json") and self.body:
            body = self.json()
            if isinstance(body, dict):
                params.update(body)
        elif kind.startswith("multipart/form-data"):
            for part in self.parts():
                if part.filename:
                    files[part.name] = part
                else:
                    params[part.name] = part.content.decode()
        return params, files


@dataclass
class Part:
    name: str
    filename: str
    content_type: str
    content: bytes


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


class FakeClock:
    """A fake's own clock: the process's (so a pinned clock in a test is the network's clock
    too), moved on by `advance` or stopped by `freeze`, so limits and growing figures are driven
    by the test. Subclasses call `_init_clock(start)`."""

    lock: threading.RLock

    def _init_clock(self, start: float | None = None) -> None:
        self.start_time = start if start is not None else time.time()
        self._offset = self.start_time - time.time()
        self._frozen: float | None = None

    def now(self) -> float:
        if self._frozen is not None:
            return self._frozen
        return time.time() + self._offset

    def freeze(self) -> None:
        with self.lock:
            self._frozen = self.now()

    def unfreeze(self) -> None:
        with self.lock:
            self._offset, self._frozen = self.now() - time.time(), None

    def advance(self, seconds: float = 0, *, hours: float = 0, days: float = 0) -> None:
        with self.lock:
            step = seconds + hours * 3600 + days * 86400
            self._offset += step
            if self._frozen is not None:
                self._frozen += step


class Window:
    """A sliding window limit: at most `limit` events in `period` seconds of a fake's clock."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = limit, period
        self.events: list[float] = []

    def wait(self, now: float) -> float:
        """0 when one more event fits now, else the seconds until it will."""
        self.events = [t for t in self.events if t > now - self.period]
        if len(self.events) < self.limit:
            return 0.0
        return self.events[0] + self.period - now

    def add(self, now: float) -> None:
        self.events.append(now)


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

            def setup(self):
                super().setup()
                # Headers and body go in two writes: without this, Nagle's algorithm and the
                # client's delayed ACK hold every answer back by ~40 ms.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

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
                try:
                    self.send_response(resp.status)
                    for k, v in resp.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(resp.body)))
                    self.end_headers()
                    self.wfile.write(resp.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up waiting (a timeout test)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        class Server(ThreadingHTTPServer):
            # A real API accepts many clients at once; the standard backlog of 5 would reset
            # connections of several workers sending side by side (a timeout after sending).
            request_queue_size = 128

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
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
