"""The draft plan generator (cadence × range, days off, no duplicates) and the content mix."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter

import pytest
from django.urls import reverse

from tests.content.conftest import make_item, to_review
from zveno.content import plan, services
from zveno.content.models import ContentItem, DayOff
from zveno.playbooks.models import Cadence, ProjectPlaybook

START, END = dt.date(2026, 11, 23), dt.date(2026, 12, 6)  # two weeks, Monday to Sunday
DAY_OFF = dt.date(2026, 11, 28)

# real_estate at the medium cadence, over 14 days (13 free): units a week × 2, at most 13 a format.
EXPECTED = {
    ("telegram", "post"): 8,
    ("telegram", "carousel"): 2,
    ("instagram", "carousel"): 4,
    ("instagram", "post"): 2,
    ("instagram", "stories"): 13,  # 7 a week would be 14, but one day is off
    ("instagram", "reels"): 6,
}


@pytest.fixture
def alpha(world):
    DayOff.objects.create(project=world.alpha, date=DAY_OFF, note="Субботник")
    return world.alpha


def shape(slots) -> list[tuple]:
    return sorted((s.channel_id, s.day, s.format, s.title) for s in slots)


def created_shape(project) -> list[tuple]:
    tz = zoneinfo.ZoneInfo(project.timezone)
    return sorted(
        (i.publications.get().channel_id, i.planned_at.astimezone(tz).date(), i.format, i.title)
        for i in ContentItem.objects.filter(project=project)
    )


def test_preview_follows_the_cadence_and_skips_the_day_off(alpha):
    slots = plan.draft(alpha, START, END)
    counts = Counter((s.network, s.format) for s in slots)
    assert counts == EXPECTED
    assert DAY_OFF not in {s.day for s in slots}
    assert all(START <= s.day <= END for s in slots)
    per_day = Counter((s.channel_id, s.day, s.format) for s in slots)
    assert max(per_day.values()) == 1
    assert not ContentItem.objects.filter(project=alpha).exists()  # a preview writes nothing


def test_the_cadence_factor_scales_the_counts(alpha):
    ProjectPlaybook.objects.filter(project=alpha).update(cadence=Cadence.LOW)
    counts = Counter((s.network, s.format) for s in plan.draft(alpha, START, END))
    assert counts[("telegram", "post")] == 4  # 4 a week × 0.5 × 2 weeks
    assert counts[("instagram", "stories")] == 7


def test_confirm_creates_exactly_the_preview_and_a_second_run_nothing(world, alpha):
    preview = plan.draft(alpha, START, END)
    created = plan.create_draft(world.users["smm"], alpha, START, END)
    assert len(created) == sum(EXPECTED.values())
    assert created_shape(alpha) == shape(preview)
    assert {i.state for i in created} == {"idea"}
    assert plan.draft(alpha, START, END) == []
    assert plan.create_draft(world.users["smm"], alpha, START, END) == []
    assert ContentItem.objects.filter(project=alpha).count() == len(preview)


def test_rubrics_follow_the_target_shares(world, alpha):
    slots = plan.draft(alpha, START, END)
    counts = Counter(s.rubric for s in slots)
    shares = {r.code: r.target_share for r in alpha.rubrics.all()}
    for code, share in shares.items():
        assert abs(counts[code] - share * len(slots) / 100) <= 1, code


def test_an_occupied_slot_is_skipped_and_never_overwritten(world, alpha):
    telegram = alpha.channels.get(network="telegram")
    day = next(s.day for s in plan.draft(alpha, START, END) if s.network == "telegram")
    mine = make_item(
        world, title="Свой пост", format="post", channel_ids=[telegram.pk],
        planned_at=dt.datetime.combine(day, dt.time(9, 0)),
    )  # fmt: skip
    slots = plan.draft(alpha, START, END)
    assert Counter((s.network, s.format) for s in slots)[("telegram", "post")] == 7
    assert (telegram.pk, day, "post") not in {(s.channel_id, s.day, s.format) for s in slots}
    plan.create_draft(world.users["smm"], alpha, START, END)
    mine.refresh_from_db()
    assert mine.title == "Свой пост"


def test_draft_page_previews_then_creates(world, alpha, login):
    client = login(world.users["smm"])
    url = reverse("content:plan_draft", args=[alpha.slug])
    page = client.get(url, {"start": START, "end": END})
    assert page.status_code == 200
    assert len(page.context["slots"]) == sum(EXPECTED.values())
    assert not ContentItem.objects.filter(project=alpha).exists()
    done = client.post(url, {"action": "confirm", "start": START, "end": END})
    assert done.status_code == 302
    assert ContentItem.objects.filter(project=alpha).count() == sum(EXPECTED.values())


def test_days_off_are_added_and_removed_on_the_page(world, alpha, login):
    client = login(world.users["smm"])
    url = reverse("content:plan_draft", args=[alpha.slug])
    client.post(url, {"action": "day_off_add", "date": "2026-12-31", "note": "Новый год"})
    assert alpha.days_off.filter(date=dt.date(2026, 12, 31)).exists()
    again = client.post(url, {"action": "day_off_add", "date": "2026-12-31"})
    assert again.status_code == 200 and again.context["day_form"].errors
    day = alpha.days_off.get(date=DAY_OFF)
    client.post(url, {"action": "day_off_remove", "day_off": day.pk})
    assert not alpha.days_off.filter(date=DAY_OFF).exists()


def test_draft_page_is_the_smm_s(world, alpha, login):
    url = reverse("content:plan_draft", args=[alpha.slug])
    assert login(world.users["copywriter"]).get(url).status_code == 403
    assert login(world.users["expert"]).post(url, {"action": "confirm"}).status_code == 403
    assert login(world.users["outsider"]).get(url).status_code == 404


def publish(world, item):
    to_review(world, item)
    services.approve(world.users["smm"], item)
    services.approve(world.users["expert"], item)
    services.transition(world.users["smm"], item, "scheduled")
    return services.transition(world.users["smm"], item, "published")


def test_the_mix_by_hand(world, login):
    day = dt.datetime(2026, 11, 10, 12, 0)
    published = make_item(world, title="Ипотека", format="post", rubric="useful", planned_at=day)
    publish(world, published)
    make_item(world, title="Документы", format="post", rubric="useful", planned_at=day)
    make_item(world, title="Сделка", format="post", rubric="cases", planned_at=day)
    make_item(world, title="Без рубрики", format="post", planned_at=day)
    gone = make_item(world, title="Отменено", format="post", rubric="cases", planned_at=day)
    services.cancel(world.users["smm"], gone)
    make_item(world, title="Декабрь", format="post", rubric="selling",
              planned_at=dt.datetime(2026, 12, 1, 1, 0))  # fmt: skip
    # 30 November 23:30 Moscow is still November, though 20:30 UTC.
    make_item(world, title="Поздно", format="post", rubric="cases",
              planned_at=dt.datetime(2026, 11, 30, 23, 30))  # fmt: skip

    client = login(world.users["expert"])
    page = client.get(reverse("content:plan_mix", args=["alpha"]), {"month": "2026-11"})
    assert page.status_code == 200
    november, december, _january = page.context["months"]
    assert (november.planned, november.published) == (5, 1)
    rows = {r.name: r for r in november.rows}
    useful = next(r for r in november.rows if r.name.startswith(("Польза", "Useful")))
    cases = next(r for r in november.rows if r.name.startswith(("Кейсы", "Deal")))
    assert (useful.planned, useful.planned_share, useful.published_share) == (2, 40.0, 100.0)
    assert (cases.planned, cases.planned_share, cases.target) == (2, 40.0, 10)
    assert useful.target == 20 and useful.gap == 20.0
    no_rubric = rows[next(name for name in rows if name in ("Без рубрики", "No rubric"))]
    assert (no_rubric.planned, no_rubric.planned_share) == (1, 20.0)
    assert december.planned == 1
    selling = next(r for r in december.rows if r.planned)
    assert selling.planned_share == 100.0 and selling.published_share == 0.0


def test_the_mix_is_hidden_from_outsiders(world, login):
    url = reverse("content:plan_mix", args=["alpha"])
    assert login(world.users["outsider"]).get(url).status_code == 404
