"""The quick daily form of business figures, as a sales manager and as those who may only read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.conftest import make_user
from zveno.analytics import services
from zveno.analytics.models import BusinessDay
from zveno.core.timezones import today_in
from zveno.workspaces import services as ws
from zveno.workspaces.roles import JobRole

FIGURES = {
    "dialogues": "12", "leads": "4", "lead_magnet_downloads": "9", "email_subscribers": "3",
    "site_visits": "150", "sales": "1", "revenue": "45000.50", "ad_spend": "3000",
}  # fmt: skip


@pytest.fixture
def sales(world):
    user = make_user("sales", name="Продажник")
    ws.add_member(world.users["owner"], world.alpha, user, [JobRole.SALES], 10)
    return user


def url(world):
    return reverse("analytics:daily", args=[world.alpha.slug])


def test_sales_manager_logs_a_day(world, sales, client):
    client.force_login(sales)
    page = client.get(url(world))
    assert page.status_code == 200
    today = today_in(world.alpha.timezone)
    assert f'value="{today.isoformat()}"' in page.content.decode()  # today in the project's zone
    response = client.post(url(world), {"date": "2026-11-20", "channel": "", **FIGURES})
    assert response.status_code == 302
    row = BusinessDay.objects.get(project=world.alpha)
    assert (row.date, row.channel, row.campaign) == (dt.date(2026, 11, 20), None, "")
    assert (row.dialogues, row.leads, row.sales) == (12, 4, 1)
    assert (row.revenue, row.ad_spend) == (Decimal("45000.50"), Decimal("3000.00"))
    assert row.updated_by == sales and row.source == "manual"
    # Back on the form for that day, the logged figures are filled in.
    again = client.get(response["Location"]).content.decode()
    assert 'value="45000.50"' in again and 'value="150"' in again


def test_htmx_submit_answers_the_block_and_replaces_the_row(world, sales, client):
    client.force_login(sales)
    tg = world.alpha.channels.get(network="telegram")
    key = {"date": "2026-11-20", "channel": tg.pk, "campaign": "Осень"}
    client.post(url(world), {**key, "leads": "4"}, headers={"HX-Request": "true"})
    response = client.post(url(world), {**key, "leads": "6"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="daily"' in body
    row = BusinessDay.objects.get(project=world.alpha)
    assert (row.channel, row.campaign, row.leads, row.dialogues) == (tg, "Осень", 6, None)


def test_bad_input_shows_field_errors_and_saves_nothing(world, sales, client):
    client.force_login(sales)
    bad = {**FIGURES, "date": "2026-11-20", "leads": "-3", "revenue": "много", "sales": "1.5"}
    response = client.post(url(world), bad, headers={"HX-Request": "true"})
    assert response.status_code == 200
    form = response.context["form"]
    assert {"leads", "revenue", "sales"} <= set(form.errors)
    assert 'class="field has-error field-leads"' in response.content.decode()
    no_date = client.post(url(world), {**FIGURES, "date": ""})
    assert "date" in no_date.context["form"].errors
    assert not BusinessDay.objects.exists()


def test_copywriter_reads_but_may_not_log(world, client):
    services.upsert_business_day(
        world.users["owner"], world.alpha, today_in(world.alpha.timezone), {"leads": 7}
    )
    client.force_login(world.users["copywriter"])
    page = client.get(url(world))
    assert page.status_code == 200
    assert "daily-form" not in page.content.decode()
    response = client.post(url(world), {"date": "2026-11-20", "leads": "1"})
    assert response.status_code == 403
    assert BusinessDay.objects.count() == 1


def test_strangers_get_404(world, client):
    client.force_login(world.users["outsider"])
    assert client.get(url(world)).status_code == 404
    assert client.post(url(world), {"date": "2026-11-20", "leads": "1"}).status_code == 404
    assert not BusinessDay.objects.exists()


def test_last_14_days_in_bounded_queries(world, sales, client, django_assert_max_num_queries):
    today = today_in(world.alpha.timezone)
    channels = list(world.alpha.channels.all())
    for n in range(20):
        services.upsert_business_day(
            sales, world.alpha, today - dt.timedelta(days=n % 16), {"leads": n},
            channel=channels[n % 2] if n % 3 else None, campaign=f"c{n}",
        )  # fmt: skip
    client.force_login(sales)
    with django_assert_max_num_queries(20):
        response = client.get(url(world))
    days = response.context["days"]
    assert len(days) == 14 and days[0]["date"] == today
    assert sum(len(day["rows"]) for day in days) == 18  # two of the 20 rows are older
