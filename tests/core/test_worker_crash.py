"""A worker killed with SIGKILL: `zveno serve` starts it again and the web stays up; an import its
worker left running is queued again by the next sweep (every minute), not after thirty."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection

from tests.core.helpers import ROOT, free_port, wait_for
from zveno.analytics import imports
from zveno.analytics.imports.job import CLAIM_GRACE
from zveno.analytics.models import Import


def _children(pid: int) -> dict[int, str]:
    """Live child processes of ``pid`` and their command lines (from /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and command:
            found[int(entry.name)] = command
    return found


def _worker_of(pid: int) -> int | None:
    return next((p for p, c in _children(pid).items() if " worker" in c), None)


def _login_page(port: int):
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/login/", timeout=5)
    except httpx.TransportError:
        return None
    return response if response.status_code == 200 else None


def test_serve_restarts_a_killed_worker_and_the_web_stays_up(tmp_path):
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "ZVENO_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path)}
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "zveno", "serve", "--port", str(port), "--web-workers", "1"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    try:
        wait_for(lambda: _login_page(port), timeout=90, what="the login page")
        first = wait_for(lambda: _worker_of(process.pid), timeout=30, what="the worker")
        os.kill(first, signal.SIGKILL)
        second = wait_for(
            lambda: (w := _worker_of(process.pid)) not in (None, first) and w,
            timeout=30, what="a new worker",
        )  # fmt: skip
        assert second != first
        assert process.poll() is None, log.read_text()
        assert _login_page(port) is not None  # the web never went away
        text = log.read_text()
        assert "the worker exited with code -9" in text
        assert "the worker was started again" in text
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    assert process.returncode == 0, log.read_text()


HOLD = """
import sys, time, django
django.setup()
from zveno.core import claims
claim = claims.holding(sys.argv[1])  # kept: a dropped one would let go at once
claim.__enter__()
print("held", flush=True)
time.sleep(120)
"""


@pytest.mark.django_db
def test_an_import_whose_worker_was_killed_is_queued_again_at_once(world):
    if connection.vendor != "sqlite":
        pytest.skip("the child below holds a file claim; PostgreSQL claims are advisory locks")
    batch = Import.objects.create(
        project=world.alpha, preset="zveno_posts", filename="x.csv", file="imports/x.csv",
        status="running",
    )  # fmt: skip
    Import.objects.filter(pk=batch.pk).update(started_at=batch.created_at)
    time.sleep(CLAIM_GRACE.total_seconds() + 0.2)
    env = {**os.environ, "ZVENO_DATA_DIR": str(settings.DATA_DIR),
           "DJANGO_SETTINGS_MODULE": "zveno.config.settings"}  # fmt: skip
    env.pop("PYTEST_CURRENT_TEST", None)
    worker = subprocess.Popen(
        [sys.executable, "-c", HOLD, f"import-{batch.pk}"],
        env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert worker.stdout.readline().strip() == "held"
        assert imports.sweep() == 0  # its worker is alive: the import is left running
        assert Import.objects.get(pk=batch.pk).status == "running"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert imports.sweep() == 1  # dead: queued again at once
        assert Import.objects.get(pk=batch.pk).status == "queued"
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
