"""Smaller hardening: the SQLite file is private, pages carry a Content-Security-Policy and no
template has an inline script, plan-import errors answer 422, a cp1251 plan imports."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT
from django.urls import reverse

from zveno.config.env import database_config
from zveno.content.models import ContentItem

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "zveno" / "templates"
ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_file_is_created_private(tmp_path):
    config = database_config("", tmp_path)
    assert mode(Path(config["NAME"])) == 0o600
    loose = tmp_path / "old.sqlite3"
    loose.write_bytes(b"")
    loose.chmod(0o644)
    database_config(f"sqlite:///{loose}", tmp_path)
    assert mode(loose) == 0o600


def test_a_fresh_install_writes_a_private_database(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "ZVENO_DATA_DIR": str(tmp_path),
        "HOME": str(tmp_path),
    }
    subprocess.run(
        [sys.executable, "-m", "zveno", "manage", "migrate", "-v0"],
        env=env, cwd=ROOT, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    database = tmp_path / "zveno.sqlite3"
    assert database.stat().st_size > 0
    assert mode(database) == 0o600
    assert mode(tmp_path / "secret_key") == 0o600


@pytest.mark.django_db
def test_html_pages_carry_a_content_security_policy(client, world, login):
    for response in (client.get("/login/"), login(world.users["smm"]).get("/p/alpha/")):
        assert response.status_code == 200
        policy = response["Content-Security-Policy"]
        assert (
            "script-src 'self'" in policy
            and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        )
        assert "frame-ancestors 'none'" in policy


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on…= handler attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_no_template_has_an_inline_script():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        if "/email/" in path.as_posix():
            continue  # e-mails are not pages
        text = path.read_text()
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(TEMPLATES)}:{line}: {what}")
    assert not found, "\n".join(found)


def _plan_csv(api, world) -> str:
    from tests.content.conftest import make_item

    make_item(world, title="Как выбрать квартиру", text="Ипотека, район, застройщик")
    return api(world, "smm").get("/api/v1/projects/alpha/plan.csv").content.decode("utf-8-sig")


@pytest.mark.django_db
def test_a_cp1251_plan_imports(world, api):
    text = _plan_csv(api, world)
    ContentItem.objects.filter(project=world.alpha).delete()
    response = api(world, "smm").post(
        "/api/v1/projects/alpha/plan/import",
        {"file": SimpleUploadedFile("plan.csv", text.encode("cp1251"))},
        content_type=MULTIPART_CONTENT,
    )
    assert response.status_code == 201, response.content
    item = ContentItem.objects.get(project=world.alpha)
    assert (item.title, item.text) == ("Как выбрать квартиру", "Ипотека, район, застройщик")


@pytest.mark.django_db
def test_plan_import_errors_answer_422(world, api, login):
    bad = "Дата;Формат;Заголовок\n31.02.2026;нечто;\n".encode()
    response = api(world, "smm").post(
        "/api/v1/projects/alpha/plan/import",
        {"file": SimpleUploadedFile("plan.csv", bad)},
        content_type=MULTIPART_CONTENT,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    page = login(world.users["smm"]).post(
        reverse("content:plan_import", args=["alpha"]),
        {"file": SimpleUploadedFile("plan.csv", bad)},
    )
    assert page.status_code == 422
    assert not ContentItem.objects.filter(project=world.alpha).exists()
