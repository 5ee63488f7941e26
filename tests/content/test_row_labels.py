"""The plan table and the calendar read labels from plain dicts and only the columns they show;
what they print is what the models' own labels say."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.timezone import localtime

from tests.content.conftest import make_item
from zveno.content import services
from zveno.content.models import ContentItem, State


def test_the_plan_table_prints_the_models_labels_channels_and_current_step(world, client):
    item = make_item(world, title="Карусель про ипотеку", format="carousel")
    other = make_item(world, title="Сторис без каналов", format="stories", channel_ids=[])
    services.transition(world.users["smm"], item, "copy")
    item.refresh_from_db()
    client.force_login(world.users["smm"])
    response = client.get(reverse("content:items", args=[world.alpha.slug]))
    body = response.content.decode()
    rows = {row.pk: row for row in response.context["rows"]}
    with_channels, bare = rows[item.pk], rows[other.pk]
    with translation.override(response["Content-Language"]):
        assert with_channels.format_label == str(item.get_format_display())
        assert with_channels.state_label == str(item.get_state_display())
        networks = [
            str(p.channel.get_network_display())
            for p in item.publications.select_related("channel").order_by("channel_id")
        ]
    assert [c.label for c in with_channels.channel_labels] == networks
    assert bare.channel_labels == [] and bare.current_step is None
    step = item.steps.get(kind="copy")
    assert with_channels.current_step.who == step.assignee.user.display_name
    assert with_channels.state_label in body and with_channels.format_label in body
    assert all(label in body for label in networks)


def test_a_calendar_card_names_its_channels_and_state(world, client):
    item = make_item(world, title="Пост в календаре", planned_at=dt.datetime(2026, 11, 18, 12))
    client.force_login(world.users["smm"])
    url = reverse("content:calendar", args=[world.alpha.slug])
    page = client.get(url, {"view": "month", "date": "2026-11-18"}).content.decode()
    names = " · ".join(
        item.publications.order_by("channel_id").values_list("channel__name", flat=True)
    )
    card = re.search(r'<li class="cal-item[^"]*"[^>]*>.*?</li>', page, re.S).group(0)
    assert "Пост в календаре" in card and f" · {names}" in card


def test_the_plan_table_prints_dates_and_the_due_time_in_the_projects_zone(world, client):
    item = make_item(world, title="Пост со сроком", planned_at=dt.datetime(2026, 11, 18, 12))
    services.transition(world.users["smm"], item, "copy")
    item.refresh_from_db()
    step = item.steps.get(kind="copy")
    step.due_at = dt.datetime(2026, 11, 17, 21, 30, tzinfo=dt.UTC)  # the next day in Moscow
    step.save(update_fields=["due_at"])
    client.force_login(world.users["smm"])
    response = client.get(reverse("content:items", args=[world.alpha.slug]))
    zone = zoneinfo.ZoneInfo(world.alpha.timezone)
    with translation.override(response["Content-Language"]):
        day = date_format(localtime(item.planned_at, zone), "D d.m")
        at = date_format(localtime(item.planned_at, zone), "H:i")
        due = date_format(localtime(step.due_at, zone), "d.m H:i")
    body = response.content.decode()
    assert f'{day} <span class="muted">{at}</span>' in body
    assert f' · <span class="nowrap">{due}</span>' in body


def test_rows_and_cards_escape_titles_and_lock_what_cannot_be_moved(world, client):
    title = 'Цена <b>"от 5 млн"</b> & торг'
    item = make_item(world, title=title, planned_at=dt.datetime(2026, 11, 18, 12), is_ad=True)
    done = make_item(world, title="Вышел", planned_at=dt.datetime(2026, 11, 19, 12))
    ContentItem.objects.filter(pk=done.pk).update(state=State.PUBLISHED)
    client.force_login(world.users["smm"])
    plan = client.get(reverse("content:items", args=[world.alpha.slug])).content.decode()
    link = reverse("content:item", args=[world.alpha.slug, item.pk])
    assert f'<a href="{link}">{escape(title)}</a> <span class="badge ad">' in plan
    assert title not in plan

    def cards(persona: str) -> dict[int, str]:
        client.force_login(world.users[persona])
        url = reverse("content:calendar", args=[world.alpha.slug])
        month = client.get(url, {"view": "month", "date": "2026-11-18"}).content.decode()
        assert f'<span class="cal-title">{escape(title)}</span>' in month and title not in month
        found = re.findall(r'<li class="([^"]*)" data-move-url="[^"]*/(\d+)/move/"', month)
        return {int(pk): classes.split() for classes, pk in found}

    smm = cards("smm")
    assert "locked" not in smm[item.pk] and "locked" in smm[done.pk]
    assert all("locked" in classes for classes in cards("expert").values())


def test_each_plan_row_shows_the_step_it_waits_for_and_who_holds_it(world, client):
    """Rows in different states show different steps: copy, design, and copy again after the
    expert asked for changes to the text; an idea and a published item show none."""
    copy, design, redo, idea, done = (
        make_item(world, title=title)
        for title in ("На тексте", "На дизайне", "На доработке", "Идея", "Вышел")
    )
    waiting = {copy: State.COPY, design: State.DESIGN, redo: State.CHANGES_REQUESTED}
    for item, state in waiting.items():
        changes_from = "copy" if state == State.CHANGES_REQUESTED else ""
        ContentItem.objects.filter(pk=item.pk).update(state=state, changes_from=changes_from)
    ContentItem.objects.filter(pk=done.pk).update(state=State.PUBLISHED)
    for item in (copy, design, redo):  # a different holder for each step, to tell them apart
        for step, persona in zip(
            item.steps.order_by("pk"), ("smm", "copywriter", "expert", "owner"), strict=False
        ):
            step.assignee = world.alpha.memberships.get(user=world.users[persona])
            step.save(update_fields=["assignee"])
    client.force_login(world.users["smm"])
    response = client.get(reverse("content:items", args=[world.alpha.slug]))
    rows = {row.pk: row for row in response.context["rows"]}
    for item, kind in ((copy, "copy"), (design, "design"), (redo, "copy")):
        step = item.steps.filter(kind=kind).order_by("pk").first()
        assert rows[item.pk].current_step.who == step.assignee.user.display_name
    assert rows[idea.pk].current_step is None and rows[done.pk].current_step is None
