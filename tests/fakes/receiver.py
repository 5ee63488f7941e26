"""A webhook receiver, as n8n or a CRM would run one: it checks each request's signature with
the endpoint's secret and answers 200 (or what its faults say)."""

from __future__ import annotations

import time

from tests.fakes.server import FakeApi, Request, Response
from zveno.webhooks import signing


class Receiver(FakeApi):
    def __init__(self) -> None:
        super().__init__()
        self.secret = ""
        self.accepted: list[dict] = []
        self.refused: list[Request] = []

    def handle(self, req: Request) -> Response:
        header = req.headers.get(signing.HEADER, "")
        if not signing.verify(self.secret, header, req.body, int(time.time())):
            self.refused.append(req)
            return Response.json({"error": "bad signature"}, status=401)
        document = req.json()
        document["_headers"] = req.headers
        self.accepted.append(document)
        return Response.json({"ok": True})
