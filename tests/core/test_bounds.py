"""Bounds a person could mean: refused with the field named in the API, pages, services and imports;
a row stored before the bounds is brought inside them; a task can be deleted through the API."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from zveno.analytics.models import Goal
from zveno.team import services as team_services
from zveno.team.models import Task

pytestmark = pytest.mark.django_db

TASKS = "/api/v1/projects/alpha/tasks"
GOALS = "/api/v1/projects/alpha/goals"


def field_errors(response) -> dict:
    assert response.status_code == 422, response.content
    return response.json()["error"]["fields"]


@pytest.mark.parametrize("hours", [1e300, 1001, -1, "NaN"])
def test_task_hours_beyond_a_thousand_are_refused(world, api, hours):
    before = Task.objects.count()
    response = api(world, "owner").post(TASKS, {"title": "T", "estimate_hours": hours})
    assert "estimate_hours" in field_errors(response)
    assert Task.objects.count() == before


def test_a_thousand_hours_is_fine(world, api):
    response = api(world, "owner").post(TASKS, {"title": "T", "estimate_hours": 1000})
    assert response.status_code == 201


def test_the_service_refuses_the_same_for_pages_and_imports(world):
    with pytest.raises(ValidationError) as caught:
        team_services.create_task(
            world.users["owner"], world.alpha, title="T", estimate_hours=Decimal("1e300")
        )
    assert "estimate_hours" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        team_services.create_task(
            world.users["owner"], world.alpha, title="T", due_date=dt.date(9999, 12, 31)
        )
    assert "due_date" in caught.value.message_dict


def test_the_task_form_names_the_field(world, login):
    client = login(world.users["owner"])
    response = client.post(
        reverse("team:task_new", args=["alpha"]), {"title": "T", "estimate_hours": "1e300"}
    )
    assert response.status_code == 200  # the form again, nothing saved
    assert not Task.objects.filter(title="T").exists()


@pytest.mark.parametrize(
    "change",
    [{"target": 1e308}, {"starts_on": "9999-12-31"}, {"window_days": 10**12},
     {"baseline_value": 1e308}],
)  # fmt: skip
def test_goal_values_out_of_range_are_refused_and_not_saved(world, api, change):
    body = {"name": "G", "metric": "reach", "kind": "absolute", "target": 1000, "window_days": 30}
    before = Goal.objects.count()
    response = api(world, "owner").post(GOALS, {**body, **change})
    assert set(change) <= set(field_errors(response))
    assert Goal.objects.count() == before
    assert api(world, "owner").get(GOALS).status_code == 200


ITEMS, REQUESTS = "/api/v1/projects/alpha/items", "/api/v1/projects/alpha/expert-requests"
ASK = {"question": "Q", "kind": "story", "due_date": "2026-12-10"}


@pytest.mark.parametrize(
    "path, body",
    [
        (ITEMS, {"title": "T", "format": "post", "planned_at": "0001-01-01T00:00:00"}),
        (ITEMS, {"title": "T", "format": "post", "channel_ids": [2**64]}),
        (REQUESTS, {**ASK, "item_ids": [2**64]}),
        ("/api/v1/projects/alpha/stages", {"name": "S", "start_date": "2026-12-01",
                                           "end_date": "9999-12-31"}),
    ],
)  # fmt: skip
def test_ids_and_dates_out_of_range_answer_422_naming_the_field(world, api, path, body):
    fields = field_errors(api(world, "owner").post(path, body))
    assert fields and all("." not in name or name.split(".")[0] in body for name in fields)
    assert {name.split(".")[0] for name in fields} <= set(body)


@pytest.mark.parametrize(
    "query", ["from=0001-01-01&to=2026-12-31", "from=2026-12-01&to=9999-12-31"]
)
def test_calendar_summary_and_report_ranges_are_bounded(world, api, query):
    caller = api(world, "owner")
    for path in ("calendar", "analytics/summary", "reports"):
        response = caller.get(f"/api/v1/projects/alpha/{path}?{query}")
        assert response.status_code == 422, (path, response.content)


def test_a_stored_row_out_of_range_is_repaired_and_pages_work(world, login, api):
    task = world.alpha.tasks.first()
    goal = world.alpha.goals.first()
    with connection.cursor() as cursor:  # as a row written before the bounds existed
        # SQLite keeps 1e300 in a decimal column; PostgreSQL only what its precision allows.
        hours, target = ("1e300", "1e308") if connection.vendor == "sqlite" else ("5000", "1e13")
        cursor.execute(f"UPDATE team_task SET estimate_hours = {hours} WHERE id = %s", [task.pk])
        cursor.execute(
            f"UPDATE analytics_goal SET target = {target}, starts_on = '9999-12-31' WHERE id = %s",
            [goal.pk],
        )
    migration = importlib.import_module("zveno.core.migrations.0002_clamp_out_of_range")
    migration.clamp(apps, None)
    task.refresh_from_db()
    assert task.estimate_hours == Decimal(1000)
    goal.refresh_from_db()
    assert goal.starts_on == dt.date(2099, 12, 31)
    client = login(world.users["owner"])
    for name in ("projects:project", "team:tasks", "team:workload", "analytics:goals"):
        assert client.get(reverse(name, args=["alpha"])).status_code == 200, name
    assert api(world, "owner").get(TASKS).status_code == 200


def test_a_task_is_deleted_through_the_api(world, api):
    task = world.alpha.tasks.first()
    assert api(world, "copywriter").delete(f"{TASKS}/{task.pk}").status_code in (403, 404)
    assert api(world, "owner").delete(f"{TASKS}/{task.pk}").status_code == 204
    assert not Task.objects.filter(pk=task.pk).exists()
    assert api(world, "owner").delete(f"{TASKS}/{task.pk}").status_code == 404
