"""The goal pages: list with bars, detail, create, edit, activate, delete — per persona."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from zveno.analytics import goals as g
from zveno.analytics.models import BusinessDay, Goal


def url(name, *args):
    return reverse(f"analytics:{name}", args=["alpha", *args])


@pytest.fixture
def launched(world):
    """Alpha logs dialogues: 2 a day before Nov 11, 7 a day after; a ×3 goal from Nov 11."""
    today = g.today_in(world.alpha.timezone)
    start = today - dt.timedelta(days=19)
    BusinessDay.objects.bulk_create(
        BusinessDay(project=world.alpha, date=start + dt.timedelta(days=i),
                    dialogues=2 if i < 10 else 7)
        for i in range(20)
    )  # fmt: skip
    goal = Goal.objects.create(
        project=world.alpha, name="Диалоги ×3", metric="dialogues", kind="multiple", target=3,
        window_days=10, starts_on=start + dt.timedelta(days=10), status="active",
    )  # fmt: skip
    return goal


@pytest.mark.parametrize("persona", ["owner", "smm", "copywriter", "expert"])
def test_members_see_the_goals_and_a_goal(world, login, launched, persona):
    client = login(world.users[persona])
    page = client.get(url("goals"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Диалоги ×3" in html
    assert "goal-track" in html and "goal-forecast" in html
    assert "×3,5" in html  # 70 / 20
    assert "70" in html and "60" in html  # current and target value
    can_manage = persona in ("owner", "smm")
    assert (url("goal_new") in html) is can_manage
    detail = client.get(url("goal", launched.pk))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "Диалоги ×3" in body and "goal-days" in body
    assert body.count('class="in-window"') == 10
    assert body.count('class="in-baseline"') == 10
    form = client.get(url("goal_new"))
    assert form.status_code == (200 if can_manage else 403)


@pytest.mark.parametrize("persona", ["outsider", "other_expert"])
def test_strangers_get_404(world, login, launched, persona):
    client = login(world.users[persona])
    assert client.get(url("goals")).status_code == 404
    assert client.get(url("goal", launched.pk)).status_code == 404
    assert client.post(url("goal_delete", launched.pk)).status_code == 404
    assert Goal.objects.filter(pk=launched.pk).exists()


def test_create_edit_activate_delete(world, login):
    client = login(world.users["smm"])
    data = {"name": "Заявки 15 в месяц", "metric": "leads", "kind": "absolute", "target": "15",
            "window_days": "30", "starts_on": "", "baseline_mode": "computed",
            "baseline_value": ""}  # fmt: skip
    response = client.post(url("goal_new"), data)
    goal = Goal.objects.get(name="Заявки 15 в месяц")
    assert response.status_code == 302
    assert response["Location"] == url("goal", goal.pk)
    assert goal.status == "draft"
    bad = client.post(url("goal_edit", goal.pk), data | {"kind": "multiple", "target": "0.5"})
    assert bad.status_code == 200 and "error" in bad.content.decode()
    client.post(url("goal_edit", goal.pk), data | {"target": "20"})
    goal.refresh_from_db()
    assert goal.target == 20
    client.post(url("goal_activate", goal.pk))
    goal.refresh_from_db()
    assert goal.status == "active" and goal.starts_on is not None
    assert goal.evaluated_at is not None
    client.post(url("goal_delete", goal.pk))
    assert not Goal.objects.filter(pk=goal.pk).exists()


def test_drafts_from_the_playbook(world, login):
    client = login(world.users["owner"])
    world.alpha.goals.all().delete()
    client.post(url("goal_drafts"))
    drafts = world.alpha.goals.filter(status="draft")
    kpis = world.alpha.playbook.playbook.kpis  # the real-estate playbook's KPI templates
    assert drafts.count() == len(kpis) >= 4
    assert sorted(drafts.values_list("metric", flat=True)) == sorted(k.metric for k in kpis)
    page = client.get(url("goals"))
    assert page.content.decode().count(url("goal_activate", drafts[0].pk)) == 1


def test_copywriter_cannot_write(world, login, launched):
    client = login(world.users["copywriter"])
    assert client.post(url("goal_delete", launched.pk)).status_code == 403
    assert client.post(url("goal_activate", launched.pk)).status_code == 403
    assert client.post(url("goal_drafts")).status_code == 403
    assert Goal.objects.filter(pk=launched.pk).exists()


def test_the_list_page_has_a_bounded_query_count(
    world, login, launched, django_assert_max_num_queries
):
    for i in range(6):
        Goal.objects.create(project=world.alpha, name=f"g{i}", metric="leads", kind="absolute",
                            target=5, window_days=7, status="active")  # fmt: skip
    client = login(world.users["smm"])
    with django_assert_max_num_queries(60):
        assert client.get(url("goals")).status_code == 200


def test_the_bars_partial_renders_for_other_pages(world, launched):
    from django.template.loader import render_to_string

    html = render_to_string(
        "analytics/partials/_goal_bars.html",
        {"evaluations": g.for_project(world.alpha), "no_links": True},
    )
    assert "Диалоги ×3" in html and "goal-track" in html
    assert url("goal", launched.pk) not in html
