"""The goals API: the contract of §7 and who may do what."""

from __future__ import annotations

import datetime as dt

from zveno.analytics.models import BusinessDay, Goal

BASE = "/api/v1/projects/alpha/goals"
FIELDS = {
    "id", "name", "metric", "kind", "target", "window_days", "starts_on", "status", "state",
    "baseline", "current", "target_value", "progress", "forecast", "window_start", "window_end",
    "baseline_start", "baseline_end", "reached_at",
}  # fmt: skip
BODY = {
    "name": "Диалоги ×3",
    "metric": "dialogues",
    "kind": "multiple",
    "target": 3,
    "window_days": 10,
    "starts_on": "2026-11-11",
}


def _dialogues(world):
    # baseline Nov 1–10: 2 a day (20); window Nov 11–20: 7 a day (70 ≥ 60)
    BusinessDay.objects.bulk_create(
        BusinessDay(project=world.alpha, date=dt.date(2026, 11, 1) + dt.timedelta(days=i),
                    dialogues=2 if i < 10 else 7)
        for i in range(20)
    )  # fmt: skip


def test_create_list_and_read_a_goal(world, api):
    _dialogues(world)
    created = api(world, "smm").post(BASE, BODY)
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) >= FIELDS
    assert body["status"] == "draft"
    assert body["baseline"] == 20
    assert body["current"] == 70
    assert body["target_value"] == 60
    assert body["progress"] == 1.25  # (70 − 20) / (60 − 20)
    assert body["window_start"] == "2026-11-11" and body["window_end"] == "2026-11-20"
    assert body["baseline_start"] == "2026-11-01" and body["baseline_end"] == "2026-11-10"
    assert body["state"] == "reached"
    assert body["formula"] is None
    listed = api(world, "expert").get(BASE)
    assert listed.status_code == 200
    assert body["id"] in [row["id"] for row in listed.json()]
    one = api(world, "copywriter").get(f"{BASE}/{body['id']}")
    assert one.status_code == 200 and one.json()["name"] == "Диалоги ×3"


def test_activate_records_reached_once(world, api):
    _dialogues(world)
    goal_id = api(world, "smm").post(BASE, BODY).json()["id"]
    first = api(world, "owner").post(f"{BASE}/{goal_id}/activate", {})
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "active"
    assert first.json()["state"] == "reached"
    assert first.json()["reached_at"] is not None
    api(world, "owner").post(f"{BASE}/{goal_id}/activate", {})
    goal = Goal.objects.get(pk=goal_id)
    assert goal.events.filter(verb="reached").count() == 1
    assert goal.events.filter(verb="activated").count() == 1


def test_patch_and_delete(world, api):
    goal_id = api(world, "smm").post(BASE, BODY).json()["id"]
    patched = api(world, "smm").patch(f"{BASE}/{goal_id}", {"target": 5, "window_days": 14})
    assert patched.status_code == 200, patched.content
    assert patched.json()["target"] == 5 and patched.json()["window_days"] == 14
    assert patched.json()["window_end"] == "2026-11-24"
    bad = api(world, "smm").patch(f"{BASE}/{goal_id}", {"kind": "sideways"})
    assert bad.status_code == 422
    assert "kind" in bad.json()["error"]["fields"]
    gone = api(world, "smm").delete(f"{BASE}/{goal_id}")
    assert gone.status_code == 204
    assert api(world, "smm").get(f"{BASE}/{goal_id}").status_code == 404


def test_bad_input_is_422_with_fields(world, api):
    for change, field in [
        ({"metric": "likes_of_cats"}, "metric"),
        ({"kind": "multiple", "target": 0.5}, "target"),
        ({"window_days": 0}, "window_days"),
        ({"name": "  "}, "name"),
        ({"baseline_mode": "entered"}, "baseline_value"),
    ]:
        response = api(world, "smm").post(BASE, BODY | change)
        assert response.status_code == 422, (change, response.content)
        assert field in response.json()["error"]["fields"], change
    missing = api(world, "smm").post(BASE, {"name": "x"})
    assert missing.status_code == 422
    assert set(missing.json()["error"]) == {"code", "message", "fields"}
    assert not Goal.objects.filter(name__in=["x", "  "]).exists()


def test_access(world, api):
    goal_id = world.alpha.goals.first().pk
    count = Goal.objects.count()
    assert api(world, "copywriter").post(BASE, BODY).status_code == 403
    assert api(world, "expert").post(BASE, BODY).status_code == 403
    assert api(world, "expert").patch(f"{BASE}/{goal_id}", {"target": 9}).status_code == 403
    assert api(world, "copywriter").delete(f"{BASE}/{goal_id}").status_code == 403
    assert api(world, "expert").post(f"{BASE}/{goal_id}/activate", {}).status_code == 403
    for persona in ("other_expert", "outsider"):
        assert api(world, persona).get(BASE).status_code == 404
        assert api(world, persona).post(BASE, BODY).status_code == 404
        assert api(world, persona).get(f"{BASE}/{goal_id}").status_code == 404
    assert api(world, None).get(BASE).status_code == 401
    # a goal of another project is not found through this one
    beta_goal = Goal.objects.create(project=world.beta, name="b", metric="reach", kind="absolute",
                                    target=1, window_days=7)  # fmt: skip
    assert api(world, "smm").get(f"{BASE}/{beta_goal.pk}").status_code == 404
    assert api(world, "smm").delete(f"{BASE}/{beta_goal.pk}").status_code == 404
    assert Goal.objects.count() == count + 1
