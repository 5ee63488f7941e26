"""The quick start, end to end: `zveno serve --demo` on a fresh data dir, a real login while the
demo loads behind a banner, Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.core.helpers import ROOT, free_port, wait_for

LOADING = "Загружаются демо-данные"


def _read_until(process, marker: str, lines: list[str]) -> None:
    for line in process.stdout:
        lines.append(line)
        if marker in line:
            return
    raise AssertionError("serve stopped early:\n" + "".join(lines))


def test_serve_demo_answers_at_once_and_loads_the_demo_behind_a_banner(tmp_path):
    """The logins work as soon as they are printed; the demo's projects load in a child process
    while every page says so; once it is done the banner is gone and the projects are there."""
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "ZVENO_DATA_DIR": str(tmp_path / "data"),
        "HOME": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "zveno", "serve", "--demo", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        _read_until(process, "Press Ctrl-C", lines)
        # Hold the demo's loading still (it has only just started), so the test sees it unfinished.
        loader = _child_running(process.pid, "demo --rest")
        os.kill(loader, signal.SIGSTOP)
        output = "".join(lines)
        url = f"http://127.0.0.1:{port}/"
        assert f"Zveno is running at {url}" in output
        password = re.search(r"^\s+demo\s+(\S+)", output, re.MULTILINE).group(1)

        with httpx.Client(base_url=url, follow_redirects=True, timeout=10) as http:
            page = wait_for(lambda: _get(http, "/login/"), timeout=30, what="the login page")
            assert '<html lang="ru">' in page.text
            assert "Войти" in page.text
            assert LOADING in page.text
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            home = http.post(
                "/login/",
                data={"username": "demo", "password": password, "csrfmiddlewaretoken": token},
                headers={"Referer": url + "login/"},
            )
            assert home.status_code == 200
            assert str(home.url).endswith("/w/demo/")
            assert LOADING in home.text
            assert LOADING in http.get("/demo/loading/").text  # what the banner polls

            os.kill(loader, signal.SIGCONT)
            home = wait_for(
                lambda: (r := http.get("/w/demo/")).status_code == 200 and LOADING not in r.text
                and r,
                timeout=180, what="the demo to finish loading",
            )  # fmt: skip
            assert "Запуск онлайн-курса Виктории Романовой" in home.text
            assert "Демо-данные загружены" in http.get("/demo/loading/").text
            expert = re.search(r"^\s+olga\s+(\S+)", output, re.MULTILINE).group(1)
            with httpx.Client(base_url=url, follow_redirects=True, timeout=10) as other:
                page = other.get("/login/")
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
                landed = other.post(
                    "/login/",
                    data={"username": "olga", "password": expert,
                          "csrfmiddlewaretoken": token.group(1)},
                    headers={"Referer": url + "login/"},
                )  # fmt: skip
                assert "/login/" not in str(landed.url)  # every printed login works
            assert http.get("/static/vendor/htmx.min.js").status_code == 200
            _read_until(process, "the demo loader finished", lines)

            # An invitation e-mail leaves through the one-machine worker (console e-mail).
            team = http.get("/p/realtor-msk/team/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', team.text).group(1)
            invited = http.post(
                "/p/realtor-msk/team/",
                data={
                    "email": "new.designer@example.test", "name": "Новый дизайнер",
                    "roles": ["designer"], "capacity_hours": "10", "language": "ru",
                    "csrfmiddlewaretoken": token,
                },
                headers={"Referer": url + "p/realtor-msk/team/"},
            )  # fmt: skip
            assert "invited=" in str(invited.url)
            _read_until(process, "To: new.designer@example.test", lines)
            _read_until(process, "/invite/", lines)
            assert f"http://127.0.0.1:{port}/invite/" in lines[-1]
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=40)
    assert process.returncode == 0, "".join(lines) + rest
    assert "Stopped." in rest
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/login/", timeout=2)


def _child_running(pid: int, command: str) -> int:
    """The pid of the child of ``pid`` whose command line contains ``command``."""
    for entry in Path("/proc").iterdir():
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and command in cmdline:
            return int(entry.name)
    raise AssertionError(f"no child running {command!r}")


def _get(http: httpx.Client, path: str):
    try:
        response = http.get(path)
    except httpx.TransportError:
        return None
    return response if response.status_code == 200 else None


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "ZVENO_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "k" * 20 + "-production-secret-not-for-tests-9f8e7d6c5b4a",
        "ZVENO_BASE_URL": "https://zveno.example.com",
        "ALLOWED_HOSTS": "zveno.example.com",
    }
    result = subprocess.run(
        [sys.executable, "-m", "zveno", "manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
