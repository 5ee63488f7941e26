"""Playwright driving Debian's Chromium; no browser is ever downloaded."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop in this thread; the ORM calls made by fixtures in
# the same thread are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("ZVENO_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


class ConsoleWatch:
    """Collects JavaScript errors and failed requests of a page."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on(
            "response",
            lambda r: r.status >= 400 and self.errors.append(f"{r.status} {r.url}"),
        )


@pytest.fixture
def new_page(browser, live_server):
    contexts = []

    def _new_page(viewport=None):
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport or {"width": 1280, "height": 860}
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return page, ConsoleWatch(page)

    yield _new_page
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    """Saves a screenshot when ZVENO_SCREENSHOTS names a folder (for looking at the pages)."""
    folder = os.environ.get("ZVENO_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
