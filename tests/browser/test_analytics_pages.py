"""The analytics pages in a browser: charts drawn, the table view toggles, no console errors."""

from __future__ import annotations

import pytest

from tests.analytics.test_pages import PERIOD, fill
from tests.browser.conftest import shot
from tests.conftest import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _login(new_page, username, viewport=None):
    page, console = new_page(viewport=viewport)
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".public-card form button.primary")
    page.wait_for_load_state()
    return page, console


def _drawn(page, chart_id: str) -> bool:
    """Chart.js has drawn on the block's canvas (some pixel is not transparent)."""
    return page.evaluate(
        """(id) => {
          const canvas = document.querySelector(`#${id}-block canvas`);
          if (!canvas || !window.Chart || !Chart.getChart(canvas)) return false;
          const ctx = canvas.getContext('2d');
          const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
          for (let i = 3; i < data.length; i += 4) if (data[i]) return true;
          return false;
        }""",
        chart_id,
    )


def test_overview_and_content_pages_with_data(new_page):
    world = build_world()
    page, console = _login(new_page, "smm")
    page.goto("/p/alpha/analytics/")
    assert page.locator(".analytics-empty a[href$='/analytics/imports/']").count() == 1
    shot(page, "analytics-overview-empty")
    fill(world.alpha, posts=40)
    goal = world.alpha.goals.first()
    goal.status = "active"
    goal.save(update_fields=["status"])
    page.goto(f"/p/alpha/analytics/?{PERIOD}")
    page.wait_for_selector("#chart-daily-block canvas")
    assert _drawn(page, "chart-daily")
    shot(page, "analytics-overview-desktop")
    table = page.locator("#chart-daily-table")
    assert table.is_hidden()
    toggle = page.locator("#chart-daily-block [data-chart-toggle]")
    toggle.click()
    assert table.is_visible()
    assert toggle.get_attribute("aria-pressed") == "true"
    assert page.locator("#chart-daily-block .chart-visual").is_hidden()
    assert page.locator("#chart-daily-table tbody tr").count() == 31
    toggle.click()
    assert table.is_hidden()

    page.goto(f"/p/alpha/analytics/content/?{PERIOD}")
    page.wait_for_selector("#chart-rubric-block canvas")
    assert _drawn(page, "chart-rubric")
    assert page.locator(".heat td.heat-best").count() == 1
    shot(page, "analytics-content-desktop")
    page.locator("#chart-heatmap-block [data-chart-toggle]").click()
    assert page.locator("#chart-heatmap-table").is_visible()

    page.goto(f"/p/alpha/analytics/team/?{PERIOD}")
    assert page.locator("[data-lesson]").inner_text()
    shot(page, "analytics-team-desktop")
    tg = world.alpha.channels.get(network="telegram")
    page.goto(f"/p/alpha/analytics/channels/?{PERIOD}")
    shot(page, "analytics-channels-desktop")
    page.goto(f"/p/alpha/analytics/channels/{tg.pk}/?{PERIOD}")
    page.wait_for_selector("#chart-channel_followers-block canvas")
    assert _drawn(page, "chart-channel_followers")
    shot(page, "analytics-channel-desktop")
    assert console.errors == []

    phone, phone_console = _login(new_page, "smm", viewport=PHONE)
    for name, path in (("overview", ""), ("content", "content/"), ("team", "team/")):
        phone.goto(f"/p/alpha/analytics/{path}?{PERIOD}")
        phone.wait_for_load_state()
        # Nothing wider than the screen but the scrollable tables and the heat map.
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, name
        shot(phone, f"analytics-{name}-phone")
    assert phone_console.errors == []
