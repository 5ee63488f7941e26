"""The browser fixtures (Playwright on the system Chromium) for this package's browser tests."""

from tests.browser.conftest import browser, new_page  # noqa: F401
