"""The quick start, end to end: `zveno serve --demo` on a fresh data dir, a real login, Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import httpx
import pytest

from tests.core.helpers import ROOT, free_port, wait_for


def _read_until(process, marker: str, lines: list[str]) -> None:
    for line in process.stdout:
        lines.append(line)
        if marker in line:
            return
    raise AssertionError("serve stopped early:\n" + "".join(lines))


def test_serve_demo_answers_in_russian_and_stops_on_ctrl_c(tmp_path):
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
        output = "".join(lines)
        url = f"http://127.0.0.1:{port}/"
        assert f"Zveno is running at {url}" in output
        password = re.search(r"^\s+demo\s+(\S+)", output, re.MULTILINE).group(1)

        with httpx.Client(base_url=url, follow_redirects=True, timeout=10) as http:
            page = wait_for(lambda: _get(http, "/login/"), timeout=30, what="the login page")
            assert '<html lang="ru">' in page.text
            assert "Войти" in page.text
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            home = http.post(
                "/login/",
                data={"username": "demo", "password": password, "csrfmiddlewaretoken": token},
                headers={"Referer": url + "login/"},
            )
            assert home.status_code == 200
            assert str(home.url).endswith("/w/demo/")
            assert "Запуск онлайн-курса Виктории Романовой" in home.text
            assert http.get("/static/vendor/htmx.min.js").status_code == 200

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
