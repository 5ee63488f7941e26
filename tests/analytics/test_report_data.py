"""Rows for the report tests, and the figures expected from them (no tests of its own here)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from zveno.analytics.models import BusinessDay, Goal, Post
from zveno.content import services as content_services
from zveno.content.models import ContentItem, ExpertRequest, State

START, END = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
PREV_START, PREV_END = dt.date(2026, 10, 2), dt.date(2026, 10, 31)


@dataclass
class Expected:
    posts: list[dict] = field(default_factory=list)
    previous: list[dict] = field(default_factory=list)
    leads: int = 0
    previous_leads: int = 0


def at(project, day: dt.date, hour: int) -> dt.datetime:
    zone = zoneinfo.ZoneInfo(project.timezone)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone)


def fill(world) -> Expected:
    project = world.alpha
    exp = Expected()
    # November: 12 posts; reach 1000, 1300, …; likes/comments/shares vary; one with no reach.
    for i in range(12):
        row = {
            "external_id": f"nov-{i}", "title": f"Квартира у метро №{i}",
            "reach": 1000 + 300 * i if i != 5 else None,
            "likes": 10 + 7 * (i % 5), "comments": i, "shares": 2 * (i % 3),
            "expert": i % 4 == 0, "when": at(project, START + dt.timedelta(days=2 * i), 9 + i),
        }  # fmt: skip
        exp.posts.append(row)
    for i in range(4):  # October, inside the previous period (2–31 Oct)
        row = {
            "external_id": f"oct-{i}", "title": f"Октябрьский пост {i}", "reach": 500 + 100 * i,
            "likes": 5, "comments": 1, "shares": 0, "expert": False,
            "when": at(project, PREV_START + dt.timedelta(days=5 * i + 1), 12),
        }  # fmt: skip
        exp.previous.append(row)
    # Outside both periods: must not count.
    extra = {"external_id": "dec-0", "title": "Декабрь", "reach": 99999, "likes": 999,
             "comments": 0, "shares": 0, "expert": False,
             "when": at(project, dt.date(2026, 12, 1), 1)}  # fmt: skip
    for row in [*exp.posts, *exp.previous, extra]:
        Post.objects.create(
            project=project, external_id=row["external_id"], title=row["title"],
            published_at=row["when"], network="telegram", url="https://t.me/alpha/1",
            latest_reach=row["reach"], latest_likes=row["likes"],
            latest_comments=row["comments"], latest_shares=row["shares"],
            has_expert_input=row["expert"],
        )  # fmt: skip
    for day, dialogues, leads, sales, revenue in [
        (dt.date(2026, 11, 3), 30, 8, 2, "120000.00"),
        (dt.date(2026, 11, 17), 25, 6, 1, "80000.50"),
        (dt.date(2026, 10, 20), 10, 3, 0, "0"),
    ]:
        BusinessDay.objects.create(
            project=project, date=day, dialogues=dialogues, leads=leads, sales=sales,
            revenue=Decimal(revenue),
        )  # fmt: skip
    exp.leads, exp.previous_leads = 14, 3
    Goal.objects.create(
        project=project, name="Заявки за ноябрь", metric="leads", kind="absolute",
        target=Decimal("20"), window_days=30, starts_on=START, status="active",
    )  # fmt: skip
    _content(world)
    return exp


def _content(world) -> None:
    project = world.alpha
    content_services.ensure_rubrics(project)
    rubrics = list(project.rubrics.all())
    plan = [(0, State.PUBLISHED), (0, State.PUBLISHED), (0, State.IDEA), (1, State.PUBLISHED),
            (1, State.CANCELLED), (2, State.IDEA)]  # fmt: skip
    for n, (index, state) in enumerate(plan):
        ContentItem.objects.create(
            project=project, title=f"План {n}", rubric=rubrics[index], format="post",
            planned_at=at(project, START + dt.timedelta(days=n + 3), 10), state=state,
        )  # fmt: skip
    asked = at(project, dt.date(2026, 11, 5), 10)
    for n, (status, due, answered) in enumerate([
        ("answered", dt.date(2026, 11, 8), at(project, dt.date(2026, 11, 7), 18)),  # on time
        ("answered", dt.date(2026, 11, 8), at(project, dt.date(2026, 11, 10), 9)),  # late
        ("open", dt.date(2026, 11, 12), None),
        ("cancelled", dt.date(2026, 11, 12), None),  # left out
    ]):  # fmt: skip
        req = ExpertRequest.objects.create(
            project=project, question=f"Вопрос {n}", kind="opinion", due_date=due,
            status=status, answered_at=answered, asked_by=world.users["smm"],
        )  # fmt: skip
        ExpertRequest.objects.filter(pk=req.pk).update(asked_at=asked)
