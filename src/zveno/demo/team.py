"""The demo's matrices, agreements and task progress, told as the seed's cases."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zveno.team import services
from zveno.team.models import Task, TaskStatus

CASE_1_NOTE = (
    "На старте договорились: SMM делает посты, сторис и контент-план. "
    "Экспертный контент (истории сделок, мысли по рынку) эксперт не даёт."
)


def load(workspace, users: dict, today: dt.date) -> None:
    owner = users["demo"]
    projects = {p.slug: p for p in workspace.projects.all()}

    # Case 1: the expert only hears about the content; the SMM writes the "expert" posts,
    # stories and reels herself, and the accounts turn into a Wikipedia with no personality.
    msk = projects["realtor-msk"]
    olga = msk.memberships.get(user=users["olga"])
    anna = msk.memberships.get(user=users["demo"])
    for area in msk.areas.filter(code__in=["expert_knowledge", "stories", "reels_video"]):
        services.set_cell(owner, area, olga, "I" if area.code == "expert_knowledge" else "")
        services.set_cell(owner, area, anna, "AR")  # she does it and answers for it
        area.tasks.filter(assignee=olga).update(assignee=anna)
    _agree(msk, owner, [users["demo"], users["olga"]], CASE_1_NOTE)
    _progress(msk, today, leave_late={"expert_knowledge"})

    # Case 2: the expert is in the work; the default matrix gives her the expert areas.
    kazan = projects["realtor-kazan"]
    _agree(
        kazan,
        owner,
        [users["demo"], users["marina"]],
        "Стратегию строим вместе: эксперт делится мыслями и историями сделок, SMM упаковывает.",
    )
    _progress(kazan, today)

    # Case 3, second phase: the team the SMM asked for, each on their own task.
    launch = projects["course-launch"]
    people = [users[n] for n in ("demo", "viktoria", "dmitry", "elena", "alina", "maxim", "igor")]
    _agree(
        launch,
        owner,
        people,
        "Команда запуска: каждый отвечает за своё, продюсер — за организацию.",
    )
    _progress(launch, today)

    # Case 3, first phase: one person for everything; only she accepted.
    solo = projects["course-launch-solo"]
    _agree(
        solo, owner, [users["demo"]], "Всё делаю сама: контент, дизайн, сторис, прогревы, продажи."
    )
    _progress(solo, today, done_share=0.4)

    # Case 4: one specialist in five roles.
    sofa = projects["sofa-shop"]
    _agree(
        sofa,
        owner,
        [users["demo"], users["sergey"]],
        "SMM ведёт соцсети в пяти ролях, цель — трафик на сайт.",
    )
    _progress(sofa, today)


def _agree(project, owner, people, note: str) -> None:
    agreement = services.sync_agreement(project, owner, note=note)
    for person in people:
        services.accept_agreement(person, agreement)


def _progress(project, today: dt.date, leave_late=frozenset(), done_share: float = 0.5) -> None:
    """Past stages are done (except the late ones named), the current one partly done."""
    now = timezone.now()
    for stage in project.stages.select_related("area"):
        tasks = list(stage.tasks.order_by("order", "pk"))
        if stage.end_date < today:
            late = stage.area is not None and stage.area.code in leave_late
            done = tasks[: len(tasks) // 3] if late else tasks
        elif stage.start_date <= today:
            done = tasks[: int(len(tasks) * done_share)]
        else:
            done = []
        Task.objects.filter(pk__in=[t.pk for t in done]).update(
            status=TaskStatus.DONE, completed_at=now
        )
        current = [t.pk for t in tasks if t not in done][:1] if stage.start_date <= today else []
        Task.objects.filter(pk__in=current).update(status=TaskStatus.IN_PROGRESS)
