"""The demo's content: a month of items per case, in every state, with expert requests.

Everything goes through the content services, so history, steps and approvals are real: the
SMM (or the step's taker) moves items, the expert approves. Case 1 shows items stuck at the
expert and requests she never answers; case 2 shows an expert who answers on time.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from zveno.content import policy, requests, services
from zveno.content.models import Activity, ExpertRequest, Publication, State, StepKind
from zveno.demo.plans import AD, CHANGES, SPECS

S = State
NET = {"tg": "telegram", "ig": "instagram", "vk": "vk", "yt": "youtube", "dz": "dzen",
       "em": "email", "web": "website"}  # fmt: skip
# The path of an item to each state: transitions by the mover, "approve" by the approver.
PATH = {
    S.IDEA: [],
    S.COPY: [S.COPY],
    S.DESIGN: [S.COPY, S.DESIGN],
    S.REVIEW: [S.COPY, S.DESIGN, S.REVIEW],
    S.EXPERT_APPROVAL: [S.COPY, S.DESIGN, S.REVIEW, "review_ok"],
    S.CHANGES_REQUESTED: [S.COPY, S.DESIGN, S.REVIEW, "review_ok", "changes"],
    S.APPROVED: [S.COPY, S.DESIGN, S.REVIEW, "review_ok", "expert_ok"],
    S.SCHEDULED: [S.COPY, S.DESIGN, S.REVIEW, "review_ok", "expert_ok", S.SCHEDULED],
    S.PUBLISHED: [S.COPY, S.DESIGN, S.REVIEW, "review_ok", "expert_ok", S.SCHEDULED, S.PUBLISHED],
    S.CANCELLED: [S.COPY, S.CANCELLED],
}


def load(workspace, users: dict, today: dt.date, only: str | None = None) -> None:
    """Every case's month of content, or only the project ``only`` (one step of the loading)."""
    smm = users["demo"]
    projects = workspace.projects.select_related("workspace")
    for project in projects.filter(slug=only) if only else projects:
        spec = SPECS.get(project.slug)
        if spec is None:
            continue
        members = list(project.memberships.select_related("user"))
        experts = [m.user for m in members if "expert" in m.roles]
        expert = experts[0] if experts else smm
        channels = {c.network: c for c in project.channels.filter(is_active=True)}
        takers = {kind: _taker(project, kind, smm) for kind in (StepKind.COPY, StepKind.DESIGN)}
        takers[StepKind.REVIEW] = _taker(project, StepKind.REVIEW, smm)
        items = [_item(project, smm, expert, takers, channels, today, row) for row in spec]
        _requests(project, smm, expert, today, items)
        _backdate(project, items, today, spec)


def _taker(project, kind: str, fallback):
    """Who does a step: its assignee unless it is the expert (then the SMM holds the role)."""
    member = policy.assignee_for(project, kind)
    if member is None or "expert" in member.roles:
        return fallback
    return member.user


def _item(project, smm, expert, takers, channels, today: dt.date, row):
    day, state, rubric, fmt, nets, title, text = row
    wanted = [channels[NET[n]] for n in nets.split() if NET[n] in channels]
    if not wanted:
        wanted = list(channels.values())[:1]
    hour = 19 if fmt in ("stories", "reels", "live") else 12
    when = dt.datetime.combine(today + dt.timedelta(days=day), dt.time(hour))
    extra = {}
    if title == AD["title"]:
        extra = {"is_ad": True, "erid": AD["erid"], "advertiser": AD["advertiser"]}
    item = services.create_item(
        smm, project, title=title, format=fmt, channel_ids=[c.pk for c in wanted],
        rubric=rubric, planned_at=when, text=text, goal=_goal(rubric), **extra,
    )  # fmt: skip
    for step in PATH[state]:
        if step == "review_ok":
            _as(takers[StepKind.REVIEW], smm, lambda who: services.approve(who, item, "Ок"))
        elif step == "expert_ok":
            services.approve(expert, item, "Согласовано")
        elif step == "changes":
            services.request_changes(expert, item, CHANGES[project.slug], return_to="copy")
        elif step == S.DESIGN:
            _as(takers[StepKind.COPY], smm, lambda who: services.transition(who, item, S.DESIGN))
        elif step == S.REVIEW:
            _as(takers[StepKind.DESIGN], smm, lambda who: services.transition(who, item, S.REVIEW))
        elif step == S.CANCELLED:
            services.cancel(smm, item, "Снято с плана")
        else:
            services.transition(smm, item, step)
    if state == S.PUBLISHED:
        _published(item, project, when)
    return item


def _as(who, smm, action) -> None:
    try:
        action(who)
    except PermissionDenied:
        action(smm)


def _goal(rubric: str) -> str:
    return {"selling": "sales", "cases": "leads", "expert_stories": "leads",
            "engagement": "engagement", "social_proof": "leads"}.get(rubric, "reach")  # fmt: skip


def _published(item, project, when: dt.datetime) -> None:
    zone = zoneinfo.ZoneInfo(project.timezone)
    moment = when.replace(tzinfo=zone).astimezone(dt.UTC)
    slug = project.slug.replace("-", "_")
    publications = list(item.publications.select_related("channel"))
    for publication in publications:
        post = 100 + item.pk
        publication.url = {
            "telegram": f"https://t.me/{slug}/{post}",
            "instagram": f"https://www.instagram.com/p/{slug}{post}/",
            "vk": f"https://vk.com/wall-{slug}_{post}",
            "youtube": f"https://www.youtube.com/watch?v={slug}{post}",
            "dzen": f"https://dzen.ru/a/{slug}{post}",
            "website": f"https://{slug.replace('_', '-')}.ru/blog/{post}",
        }.get(publication.channel.network, "")
        publication.published_at = moment
    Publication.objects.bulk_update(publications, ["url", "published_at"])


def _backdate(project, items, today: dt.date, spec) -> None:
    """The history happened before the item's day (case 1: stuck at the expert for days)."""
    now = timezone.now()
    days = {item.pk: row[0] for item, row in zip(items, spec, strict=True)}
    states = {item.pk: row[1] for item, row in zip(items, spec, strict=True)}
    activities = list(Activity.objects.filter(item__in=items).order_by("item_id", "pk"))
    seen: dict[int, int] = {}
    for activity in activities:
        n = seen[activity.item_id] = seen.get(activity.item_id, -1) + 1
        day = days[activity.item_id]
        start = now + dt.timedelta(days=min(day, 0) - 7)
        if states[activity.item_id] == S.EXPERT_APPROVAL and project.slug == "realtor-msk":
            start = now - dt.timedelta(days=9 - day)
        activity.created_at = min(start + dt.timedelta(hours=6 * n), now)
    Activity.objects.bulk_update(activities, ["created_at"], batch_size=200)


def _requests(project, smm, expert, today: dt.date, items) -> None:
    by_title = {i.title: i for i in items}
    now = timezone.now()
    if project.slug == "realtor-msk":
        asks = [
            ("Расскажите историю сделки, где вы продали квартиру за 9 дней: цена, сроки, "
             "какие были возражения у покупателя?", "story", -6, -12,
             ["Как я продала квартиру за 9 дней: история сделки"]),
            ("Нужно ваше мнение: что будет с ценами на вторичку в декабре? Хватит голосового "
             "на 2 минуты.", "opinion", -3, -8,
             ["Мнение эксперта: что будет с ценами на вторичку в декабре"]),
        ]  # fmt: skip
        for question, kind, due, asked, titles in asks:
            found = requests.ask(
                smm, project, question=question, kind=kind,
                due_date=today + dt.timedelta(days=due),
                item_ids=[by_title[t].pk for t in titles if t in by_title],
            )  # fmt: skip
            ExpertRequest.objects.filter(pk=found.pk).update(
                asked_at=now + dt.timedelta(days=asked)
            )
    elif project.slug == "realtor-kazan":
        asks = [
            ("Запишите видео: почему сделка сорвалась за день до подписания?", "video", -7, -10,
             "Почему сделка сорвалась за день до подписания",
             "Видео записала, прикладываю текст: проверяйте прописанных детей до задатка."),
            ("Ваш прогноз по рынку Казани на зиму — спрос, скидки, ставки.", "opinion", 2, -2,
             "Прогноз Марины: рынок Казани зимой",
             "Зимой спрос падает на 15–20 %, продавцы готовы торговаться, ставки держатся."),
            ("Три вопроса, которые вы задаёте каждому продавцу — надиктуйте голосом.", "story",
             4, -1, "Три вопроса, которые я задаю каждому продавцу",
             "Почему продаёте, кто прописан, были ли перепланировки."),
        ]  # fmt: skip
        for question, kind, due, asked, title, reply in asks:
            found = requests.ask(
                smm, project, question=question, kind=kind,
                due_date=today + dt.timedelta(days=due), item_ids=[by_title[title].pk],
            )  # fmt: skip
            requests.answer(expert, found, text=reply)
            ExpertRequest.objects.filter(pk=found.pk).update(
                asked_at=now + dt.timedelta(days=asked),
                answered_at=now + dt.timedelta(days=min(asked + 1, 0)),
            )
