"""The calendar: month, week and list pages, rescheduling by drag and drop, iCalendar feeds."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from icalendar import Calendar

from tests.content.conftest import make_item
from zveno.content import services
from zveno.content.models import ContentItem, FeedToken, StepKind

MOSCOW = dt.timezone(dt.timedelta(hours=3))
# session, user, project, access, filters, items and their prefetches (media too), delivery states
MONTH_QUERIES = 16


def page(client, world, **query):
    url = reverse("content:calendar", args=(world.alpha.slug,))
    return client.get(url, query)


def test_month_is_monday_first_with_items_at_local_times(world, login, item):
    client = login(world.users["copywriter"])
    response = page(client, world, date="2026-11-10")
    assert response.status_code == 200
    weeks = response.context["weeks"]
    assert weeks[0][0].date == dt.date(2026, 10, 26)  # the Monday before 1 November
    assert weeks[-1][-1].date == dt.date(2026, 12, 6)  # 30 November is a Monday
    tuesday = next(d for w in weeks for d in w if d.date == dt.date(2026, 11, 17))
    assert [i.pk for i in tuesday.items] == [item.pk]
    body = response.content.decode()
    assert "11:00" in body  # stored as 08:00 UTC, shown in Moscow time
    assert "state-idea" in body


def test_an_evening_item_lands_on_its_local_day(world, login):
    late = make_item(world, title="Ночной пост", planned_at=dt.datetime(2026, 11, 18, 1, 30))
    assert late.planned_at == dt.datetime(2026, 11, 17, 22, 30, tzinfo=dt.UTC)
    response = page(login(world.users["smm"]), world, date="2026-11-01")
    day = next(d for w in response.context["weeks"] for d in w if d.items)
    assert day.date == dt.date(2026, 11, 18)


def test_week_and_list_views(world, login, item):
    client = login(world.users["expert"])
    week = page(client, world, view="week", date="2026-11-18")
    assert week.status_code == 200
    assert week.context["dates"][0] == dt.date(2026, 11, 16)
    slot = next(s for _h, slots in week.context["rows"] for s in slots if s.items)
    assert (slot.date, slot.hour) == (dt.date(2026, 11, 17), 11)
    listing = page(client, world, view="list", date="2026-11-01")
    assert item.title in listing.content.decode()
    assert "data-cal-move" not in listing.content.decode()  # the expert cannot reschedule


def test_filters(world, login, item):
    other = make_item(world, title="Сторис о рассрочке", format="stories", channel_ids=[])
    services.transition(world.users["smm"], other, "copy")
    client = login(world.users["smm"])

    def titles(**query):
        response = page(client, world, view="list", date="2026-11-01", **query)
        return {i.title for i in response.context["items"]}

    channel = world.alpha.channels.first()
    assert titles(channel=channel.pk) == {item.title}
    assert titles(status="copy") == {other.title}
    assignee = item.steps.get(kind=StepKind.COPY).assignee
    assert item.title in titles(assignee=assignee.pk)
    assert titles(rubric="no-such-rubric") == set()
    assert titles() == {item.title, other.title}


def test_drag_to_another_day_keeps_the_time_and_moves_due_dates(world, login, item):
    copy_due = item.steps.get(kind=StepKind.COPY).due_at
    client = login(world.users["copywriter"])
    url = reverse("content:calendar_move", args=(world.alpha.slug, item.pk))
    response = client.post(url, {"date": "2026-11-20"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="day-2026-11-20"' in response.content.decode()
    assert item.title in response.content.decode()
    new_item = reverse("content:item_new", args=(world.alpha.slug,))
    assert f'href="{new_item}?date=2026-11-20"' in response.content.decode()  # the cell's "+"
    item.refresh_from_db()
    assert item.planned_at == dt.datetime(2026, 11, 20, 11, 0, tzinfo=MOSCOW)
    # Friday 20 Nov 11:00: expert Friday 10:00, review Thursday 10:00, design Wednesday 18:00,
    # copy Wednesday 16:00 Moscow.
    moved = item.steps.get(kind=StepKind.COPY).due_at
    assert moved == dt.datetime(2026, 11, 18, 16, 0, tzinfo=MOSCOW) and moved != copy_due


def test_drag_to_a_week_slot_sets_day_and_time(world, login, item):
    client = login(world.users["smm"])
    url = reverse("content:calendar_move", args=(world.alpha.slug, item.pk))
    response = client.post(
        url, {"date": "2026-11-19", "time": "15:30"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'id="slot-2026-11-19-15"' in response.content.decode()
    item.refresh_from_db()
    assert item.planned_at == dt.datetime(2026, 11, 19, 12, 30, tzinfo=dt.UTC)


def test_the_expert_may_not_reschedule(world, login, item):
    client = login(world.users["expert"])
    url = reverse("content:calendar_move", args=(world.alpha.slug, item.pk))
    response = client.post(url, {"date": "2026-11-20"}, headers={"HX-Request": "true"})
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.planned_at.date() == dt.date(2026, 11, 17)


def test_a_bad_date_is_refused(world, login, item):
    client = login(world.users["smm"])
    url = reverse("content:calendar_move", args=(world.alpha.slug, item.pk))
    assert client.post(url, {"date": "soon"}).status_code == 400
    assert client.post(url, {"date": "2026-11-20", "time": "25:99"}).status_code == 400


def test_a_cancelled_item_cannot_be_moved(world, login, item):
    services.cancel(world.users["smm"], item)
    client = login(world.users["smm"])
    url = reverse("content:calendar_move", args=(world.alpha.slug, item.pk))
    assert client.post(url, {"date": "2026-11-20"}).status_code == 400


def _many(world, count: int) -> None:
    start = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC)
    ContentItem.objects.bulk_create(
        ContentItem(
            project=world.alpha, title=f"Пост {n}", format="post",
            planned_at=start + dt.timedelta(minutes=41 * n),
        )
        for n in range(count)
    )  # fmt: skip


@pytest.mark.parametrize("count", [10, 1000])
def test_month_query_count_does_not_grow(world, login, django_assert_max_num_queries, count):
    items = ContentItem.objects.filter(project=world.alpha)
    _many(world, count)
    for item in items[:5]:  # some with publications and steps, so the prefetches run
        services.update_item(
            world.users["smm"], item, channel_ids=[world.alpha.channels.first().pk]
        )
    client = login(world.users["smm"])
    with django_assert_max_num_queries(MONTH_QUERIES):
        response = page(client, world, date="2026-11-15")
    assert response.status_code == 200
    shown = sum(len(d.items) for w in response.context["weeks"] for d in w)
    assert shown == count


# --- iCalendar feeds --------------------------------------------------------------------------


def _create_feed(client, world, kind: str) -> str:
    response = client.post(
        reverse("content:calendar_feeds", args=(world.alpha.slug,)), {"kind": kind}
    )
    assert response.status_code == 200
    return re.search(r'value="(http[^"]+\.ics)"', response.content.decode()).group(1)


def _events(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    return {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}


def test_project_feed_parses_and_lists_items_at_utc_times(world, login, item, client):
    second = make_item(world, title="Эфир с экспертом", planned_at=dt.datetime(2026, 11, 20, 19, 0))
    url = _create_feed(login(world.users["smm"]), world, "project")
    client.logout()
    events = _events(client, url)
    assert set(events) == {item.title, second.title}
    start = events[item.title].decoded("DTSTART")
    assert start == dt.datetime(2026, 11, 17, 8, 0, tzinfo=dt.UTC)
    assert start.utcoffset() == dt.timedelta(0)
    assert events[second.title].decoded("DTSTART") == dt.datetime(
        2026, 11, 20, 16, 0, tzinfo=dt.UTC
    )
    assert str(events[item.title]["UID"]) == f"item-{item.pk}@zveno"
    description = str(events[item.title]["DESCRIPTION"])
    channel = world.alpha.channels.first().name
    assert channel in description
    assert str(events[item.title]["URL"]) in description


def test_member_feed_lists_only_their_steps(world, login, item, client):
    mine = make_item(world, title="Пост копирайтера")
    theirs = make_item(world, title="Чужой пост")
    theirs.steps.filter(assignee=world.copywriter_membership).update(assignee=None)
    mine.steps.filter(kind=StepKind.COPY).update(assignee=world.copywriter_membership)
    url = _create_feed(login(world.users["copywriter"]), world, "mine")
    events = _events(client, url)
    assert mine.title in events
    assert theirs.title not in events


def test_revoked_and_unknown_feeds_answer_404(world, login, item, client):
    smm = login(world.users["smm"])
    url = _create_feed(smm, world, "project")
    feed = FeedToken.objects.get(project=world.alpha, revoked_at__isnull=True)
    calendar_page = page(smm, world)
    assert reverse("content:calendar_feed_revoke", args=(world.alpha.slug, feed.pk)) in (
        calendar_page.content.decode()
    )
    assert url.rsplit("/", 1)[1].removesuffix(".ics") not in calendar_page.content.decode()
    revoke = reverse("content:calendar_feed_revoke", args=(world.alpha.slug, feed.pk))
    assert smm.post(revoke).status_code == 302
    smm.logout()
    assert client.get(url).status_code == 404
    assert client.get(reverse("content:ical_feed", args=("nope",))).status_code == 404


def test_only_a_manager_creates_or_revokes_the_project_feed(world, login):
    smm_feed = _create_feed(login(world.users["smm"]), world, "project")
    assert smm_feed
    feed = FeedToken.objects.get(project=world.alpha)
    client = login(world.users["copywriter"])
    url = reverse("content:calendar_feeds", args=(world.alpha.slug,))
    assert client.post(url, {"kind": "project"}).status_code == 403
    revoke = reverse("content:calendar_feed_revoke", args=(world.alpha.slug, feed.pk))
    assert client.post(revoke).status_code == 403
    feed.refresh_from_db()
    assert feed.revoked_at is None


def test_feed_api_creates_lists_and_revokes(world, api, client):
    smm = api(world, "smm")
    base = f"/api/v1/projects/{world.alpha.slug}/feeds"
    created = smm.post(base, {"scope": "project"})
    assert created.status_code == 201, created.content
    url = created.json()["url"]
    assert client.get(url).status_code == 200
    assert [f["id"] for f in smm.get(base).json()] == [created.json()["id"]]
    assert api(world, "copywriter").get(base).json() == []
    denied = api(world, "copywriter").post(f"{base}/{created.json()['id']}/revoke")
    assert denied.status_code == 403
    revoked = smm.post(f"{base}/{created.json()['id']}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"]
    assert client.get(url).status_code == 404
    assert api(world, "expert").post(base, {"scope": "project"}).status_code == 403
    assert api(world, "expert").post(base, {"scope": "member"}).status_code == 201


def test_a_feed_dies_with_its_creator_access(world, login, item, client):
    url = _create_feed(login(world.users["smm"]), world, "project")
    client.logout()
    assert client.get(url).status_code == 200
    world.users["smm"].is_active = False
    world.users["smm"].save(update_fields=["is_active"])
    assert client.get(url).status_code == 404
