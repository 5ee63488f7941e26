"""The content API: the workflow as actions, refusals, history, calendar and query counts."""

from __future__ import annotations

import datetime as dt

from tests.content.conftest import make_item, to_review
from zveno.content import services
from zveno.content.models import State

BASE = "/api/v1/projects/alpha"


def url(item, action: str = "") -> str:
    return f"{BASE}/items/{item.pk}" + (f"/{action}" if action else "")


def test_full_path_through_the_api(world, api):
    channels = list(world.alpha.channels.values_list("pk", flat=True))
    response = api(world, "smm").post(
        f"{BASE}/items",
        {"title": "Ипотека 2027", "format": "post", "goal": "leads", "rubric": "useful",
         "planned_at": "2026-11-20T12:00:00+03:00", "channel_ids": channels},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "idea" and body["timezone"] == "Europe/Moscow"
    assert body["planned_at"] == "2026-11-20T09:00:00Z"
    assert len(body["publications"]) == 2
    assert {s["kind"] for s in body["steps"]} == {"copy", "design", "review", "expert_approval"}
    item_id = body["id"]
    path = f"{BASE}/items/{item_id}"
    steps = [
        ("smm", "transition", {"to": "copy"}, "copy"),
        ("copywriter", "transition", {"to": "design"}, "design"),
        ("smm", "transition", {"to": "review"}, "review"),
        ("smm", "approve", {"comment": "ок"}, "expert_approval"),
        ("expert", "request-changes", {"comment": "Цифры", "return_to": "copy"},
         "changes_requested"),
        ("copywriter", "transition", {"to": "design"}, "design"),
        ("smm", "transition", {"to": "review"}, "review"),
        ("smm", "approve", {}, "expert_approval"),
        ("expert", "approve", {"comment": "Да"}, "approved"),
    ]  # fmt: skip
    for persona, action, data, state in steps:
        response = api(world, persona).post(f"{path}/{action}", data)
        assert response.status_code == 200, (persona, action, response.content)
        assert response.json()["state"] == state
    history = api(world, "expert").get(f"{path}/history").json()
    assert [a["decision"] for a in history["approvals"]] == [
        "approved", "changes_requested", "approved", "approved"
    ]  # fmt: skip
    moves = [(a["data"].get("from"), a["data"].get("to")) for a in history["activities"]]
    assert moves[1:4] == [("idea", "copy"), ("copy", "design"), ("design", "review")]
    assert history["activities"][5]["verb"] == "changes_requested"
    assert history["activities"][5]["data"]["comment"] == "Цифры"


def test_a_copywriter_trying_to_approve_gets_403(world, api, item):
    to_review(world, item)
    response = api(world, "copywriter").post(url(item, "approve"), {"comment": "сам себе"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    item.refresh_from_db()
    assert item.state == State.REVIEW and not item.approvals.exists()


def test_an_expert_of_another_project_gets_404(world, api, item):
    to_review(world, item)
    services.approve(world.users["smm"], item)
    caller = api(world, "other_expert")
    for action in ("history", ""):
        assert caller.get(url(item, action)).status_code == 404, action
    for action in ("approve", "request-changes", "transition"):
        body = {"comment": "x", "return_to": "copy", "to": "approved"}
        assert caller.post(url(item, action), body).status_code == 404, action
    item.refresh_from_db()
    assert item.state == State.EXPERT_APPROVAL


def test_the_expert_cannot_edit_through_the_api(world, api, item):
    response = api(world, "expert").patch(url(item), {"text": "Правка эксперта"})
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.text == ""
    assert api(world, "copywriter").patch(url(item), {"text": "Текст"}).status_code == 200


def test_advertising_without_erid_is_refused_through_the_api(world, api):
    item = make_item(world, is_ad=True)
    to_review(world, item)
    services.approve(world.users["smm"], item)
    response = api(world, "expert").post(url(item, "approve"), {})
    assert response.status_code == 422
    assert "erid" in response.json()["error"]["fields"]


def test_cancel_by_delete(world, api, item):
    assert api(world, "copywriter").delete(url(item)).status_code == 403
    response = api(world, "smm").delete(url(item))
    assert response.status_code == 200 and response.json()["state"] == "cancelled"


def test_calendar_returns_items_in_range_in_utc(world, api):
    inside = make_item(world, title="В ноябре", planned_at=dt.datetime(2026, 11, 10, 9, 30))
    late = make_item(world, title="Последний вечер", planned_at=dt.datetime(2026, 11, 30, 23, 30))
    make_item(world, title="Уже декабрь", planned_at=dt.datetime(2026, 12, 1, 0, 30))
    make_item(world, title="Октябрь", planned_at=dt.datetime(2026, 10, 31, 23, 0))
    response = api(world, "expert").get(f"{BASE}/calendar?from=2026-11-01&to=2026-11-30")
    assert response.status_code == 200
    body = response.json()
    assert body["timezone"] == "Europe/Moscow"
    assert (body["from"], body["to"]) == ("2026-11-01", "2026-11-30")
    assert [i["id"] for i in body["items"]] == [inside.pk, late.pk]
    assert body["items"][0]["planned_at"] == "2026-11-10T06:30:00Z"
    assert body["items"][1]["planned_at"] == "2026-11-30T20:30:00Z"
    assert {p["planned_at"] for p in body["items"][1]["publications"]} == {"2026-11-30T20:30:00Z"}
    assert api(world, "other_expert").get(f"{BASE}/calendar?from=2026-11-01&to=2026-11-30")\
        .status_code == 404  # fmt: skip


def test_items_list_filters(world, api, item):
    make_item(world, title="Декабрь", planned_at=dt.datetime(2026, 12, 3, 10, 0), channel_ids=[])
    telegram = world.alpha.channels.get(network="telegram")
    rows = api(world, "smm").get(f"{BASE}/items?from=2026-11-01&to=2026-11-30").json()
    assert [r["id"] for r in rows] == [item.pk]
    rows = api(world, "smm").get(f"{BASE}/items?channel={telegram.pk}").json()
    assert [r["id"] for r in rows] == [item.pk]
    assert len(api(world, "smm").get(f"{BASE}/items?state=idea").json()) == 2
    assert api(world, "smm").get(f"{BASE}/items?state=copy").json() == []


def _make_many(world, count: int) -> None:
    for n in range(count):
        make_item(world, title=f"Пост {n}", planned_at=dt.datetime(2026, 11, 2 + n % 27, 12, 0))


def test_items_list_query_count_does_not_grow(world, api, django_assert_max_num_queries):
    bound = (
        12  # token, project, access, items, publications, steps, …, the schedule (norms, days off)
    )
    _make_many(world, 10)
    with django_assert_max_num_queries(bound):
        assert len(api(world, "smm").get(f"{BASE}/items").json()) == 10
    _make_many(world, 90)
    with django_assert_max_num_queries(bound):
        assert len(api(world, "smm").get(f"{BASE}/items").json()) == 100


def test_a_publication_gets_its_own_time_and_text(world, api, item):
    telegram = item.publications.get(channel__network="telegram")
    path = f"{url(item)}/publications/{telegram.pk}"
    body = {"planned_at": "2026-11-17T19:00:00", "text": "Коротко для Telegram"}
    assert api(world, "expert").patch(path, body).status_code == 403
    response = api(world, "copywriter").patch(path, body)
    assert response.status_code == 200
    pubs = {p["network"]: p for p in response.json()["publications"]}
    assert pubs["telegram"]["planned_at"] == "2026-11-17T16:00:00Z"  # 19:00 Moscow
    assert pubs["telegram"]["text"] == "Коротко для Telegram"
    assert pubs["instagram"]["planned_at"] == "2026-11-17T08:00:00Z"  # the item's own time
    assert api(world, "smm").patch(f"{url(item)}/publications/999999", body).status_code == 404
