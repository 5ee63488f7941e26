"""Expert requests: the SMM asks the expert for material, the expert answers (in the app or by a
login-free link), the answer attaches to the linked items. Services and reads in one place.

The involvement index: requests answered on time over requests asked in the last 30 days, and the
share of items published in those 30 days that carry the expert's input (an answered request
linked to them). Health rule H4 reads it through ``team.health.EXPERT_INPUT_SOURCES``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zveno.content import expert_notices, links, outbound
from zveno.content.models import (
    Activity,
    AnswerFile,
    ContentItem,
    ExpertAnswer,
    ExpertRequest,
    RequestKind,
    RequestStatus,
    State,
)
from zveno.core import bounds, uploads
from zveno.core.timezones import today_in
from zveno.team import workload
from zveno.team.health import ExpertInput
from zveno.workspaces import access
from zveno.workspaces.models import Project
from zveno.workspaces.roles import Capability, JobRole

C = Capability
WINDOW_DAYS = 30
MAX_FILES = 10


def _require_asker(actor, project: Project) -> None:
    """The SMM asks: MANAGE_PROJECT or REVIEW_CONTENT (403 otherwise)."""
    granted = access.require(actor, project, C.VIEW_PROJECT)
    if not (granted.can(C.MANAGE_PROJECT) or granted.can(C.REVIEW_CONTENT)):
        access.require(actor, project, C.REVIEW_CONTENT)  # refuses with 403


# --- services ----------------------------------------------------------------------------------


@transaction.atomic
def ask(
    actor, project: Project, *, question: str, kind: str, due_date: dt.date,
    item_ids: list[int] | None = None,
) -> ExpertRequest:  # fmt: skip
    """A new request to the project's expert, linked to some of the project's items."""
    _require_asker(actor, project)
    question = (question or "").strip()
    errors = {}
    if not question:
        errors["question"] = _("Write what you need from the expert.")
    if kind not in RequestKind.values:
        errors["kind"] = _("Unknown kind of material.")
    if due_date is None:
        errors["due_date"] = _("Set the date you need it by.")
    bounds.check_days(errors, due_date=due_date)
    items = list(project.content_items.filter(pk__in=item_ids or []))
    if len(items) != len(set(item_ids or [])):
        errors["item_ids"] = _("Unknown content item.")
    if errors:
        raise ValidationError(errors)
    found = ExpertRequest.objects.create(
        project=project, question=question, kind=kind, due_date=due_date, asked_by=actor,
        link_nonce=links.new_nonce(),
    )  # fmt: skip
    found.items.set(items)
    for item in items:
        data = {"request": found.pk}
        Activity.objects.create(item=item, actor=actor, verb="expert_request", data=data)
    expert_notices.asked(found)
    return found


def _answer(expert_request: ExpertRequest, by, text: str, files, via_link: bool) -> ExpertAnswer:
    locked = ExpertRequest.objects.select_for_update().get(pk=expert_request.pk)
    if locked.status != RequestStatus.OPEN:
        raise ValidationError(_("This request has already been answered."))
    text, files = (text or "").strip(), list(files or [])
    if not text and not files:
        raise ValidationError({"text": _("Write an answer or attach a file.")})
    if len(files) > MAX_FILES:
        raise ValidationError({"files": _("Attach at most %(n)s files.") % {"n": MAX_FILES}})
    answer = ExpertAnswer.objects.create(
        request=locked, text=text, answered_by=by, via_link=via_link
    )
    for upload in files:
        AnswerFile.objects.create(answer=answer, file=upload)
    locked.status, locked.answered_at = RequestStatus.ANSWERED, timezone.now()
    locked.save(update_fields=["status", "answered_at"])
    for item in locked.items.all():
        Activity.objects.create(
            item=item, actor=by, verb="expert_answer",
            data={"request": locked.pk, "via_link": via_link},
        )  # fmt: skip
    expert_request.status, expert_request.answered_at = locked.status, locked.answered_at
    outbound.answered(locked, answer)
    expert_notices.answered(locked, answer)
    return answer


@transaction.atomic
def answer(actor, expert_request: ExpertRequest, *, text: str, files=()) -> ExpertAnswer:
    """The expert answers in the app; a request is answered once."""
    access.require(actor, expert_request.project, C.ANSWER_EXPERT_REQUESTS)
    return _answer(expert_request, actor, text, files, via_link=False)


@transaction.atomic
def answer_by_link(expert_request: ExpertRequest, *, text: str, files=()) -> ExpertAnswer:
    """The answer from a login-free link: the signed link (checked by the caller) is the pass.
    Anybody holding the link can send files, so each is checked like item media (plus voice and
    PDF): its type from its first bytes, at most 50 MB, stored under the sniffed extension."""
    for upload in list(files or [])[:MAX_FILES]:
        uploads.check_upload(upload, "files", uploads.ANSWER)
    return _answer(expert_request, None, text, files, via_link=True)


@transaction.atomic
def renew_link(actor, expert_request: ExpertRequest) -> ExpertRequest:
    """A new nonce: every link sent before stops working."""
    _require_asker(actor, expert_request.project)
    expert_request.link_nonce = links.new_nonce()
    expert_request.save(update_fields=["link_nonce"])
    return expert_request


# --- reads -------------------------------------------------------------------------------------


def requests_of(project: Project) -> QuerySet[ExpertRequest]:
    """A project's requests with their items, answers and files, in a fixed number of queries."""
    return (
        ExpertRequest.objects.filter(project=project)
        .select_related("asked_by", "project")
        .prefetch_related(
            "items",
            Prefetch(
                "answers",
                ExpertAnswer.objects.select_related("answered_by").prefetch_related("files"),
            ),
        )
    )


def is_overdue(expert_request: ExpertRequest, today: dt.date) -> bool:
    return expert_request.status == RequestStatus.OPEN and expert_request.due_date < today


def overdue_requests(project: Project, today: dt.date | None = None) -> QuerySet[ExpertRequest]:
    """Open requests past their due date (for dashboards), the oldest first."""
    today = today or today_in(project.timezone)
    return requests_of(project).filter(status=RequestStatus.OPEN, due_date__lt=today)


def answers_for_item(item: ContentItem) -> QuerySet[ExpertAnswer]:
    """The expert's answers attached to an item through the requests linked to it."""
    return (
        ExpertAnswer.objects.filter(request__items=item)
        .select_related("request", "answered_by")
        .prefetch_related("files")
    )


@dataclass(frozen=True)
class Involvement:
    """The expert's involvement over the last 30 days."""

    asked: int
    answered_on_time: int
    published: int
    with_input: int
    overdue: int

    @property
    def on_time_percent(self) -> float | None:
        return 100 * self.answered_on_time / self.asked if self.asked else None

    @property
    def share_percent(self) -> float | None:
        return 100 * self.with_input / self.published if self.published else None


def answered_on_time(project: Project, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """The expert's on-time rule, the one place it is written: of the requests asked in
    [start, end) (cancelled ones left out), how many there were and how many were answered on
    or before their due date, the day of the answer taken in the project's time zone. The
    involvement index (H4) and the period report both count with it."""
    zone = zoneinfo.ZoneInfo(project.timezone)
    asked = list(
        ExpertRequest.objects.filter(project=project, asked_at__gte=start, asked_at__lt=end)
        .exclude(status=RequestStatus.CANCELLED)
        .values_list("status", "due_date", "answered_at")
    )
    on_time = sum(
        1
        for status, due, answered_at in asked
        if status == RequestStatus.ANSWERED
        and answered_at is not None
        and answered_at.astimezone(zone).date() <= due
    )
    return len(asked), on_time


def involvement(project: Project, today: dt.date | None = None) -> Involvement:
    """Requests answered on time / asked, and published items with the expert's input."""
    today = today or today_in(project.timezone)
    zone = zoneinfo.ZoneInfo(project.timezone)
    first = today - dt.timedelta(days=WINDOW_DAYS - 1)
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    asked, on_time = answered_on_time(project, start, end)
    published = ContentItem.objects.filter(
        project=project, state=State.PUBLISHED, planned_at__gte=start, planned_at__lt=end
    )
    with_input = published.filter(expert_requests__status=RequestStatus.ANSWERED).distinct()
    overdue = ExpertRequest.objects.filter(
        project=project, status=RequestStatus.OPEN, due_date__lt=today
    ).count()
    return Involvement(asked, on_time, published.count(), with_input.count(), overdue)


def expert_input(project: Project) -> ExpertInput:
    """What H4 of the health rules reads: overdue requests and the share of expert input."""
    f = workload.shared_facts(project)
    prefetched = getattr(f, "expert_input", None)
    if prefetched is not None:
        return prefetched
    found = involvement(project)
    return ExpertInput(found.overdue, found.share_percent, found.published)


def prefetch_expert_input(facts: dict[int, workload.Facts], weeks: int) -> None:
    """A ``workload.PREFETCH`` hook: ``expert_input`` of every project with an expert, in three
    queries over the widest window of their zones, each project then cut to its own window."""
    with_expert = {pk: f for pk, f in facts.items() if f.holders(JobRole.EXPERT)}
    if not with_expert:
        return
    windows = {}
    for pk, f in with_expert.items():
        zone = zoneinfo.ZoneInfo(f.project.timezone)
        first = f.today - dt.timedelta(days=WINDOW_DAYS - 1)
        windows[pk] = (
            dt.datetime.combine(first, dt.time.min, tzinfo=zone),
            dt.datetime.combine(f.today + dt.timedelta(days=1), dt.time.min, tzinfo=zone),
        )
    start = min(w[0] for w in windows.values())
    end = max(w[1] for w in windows.values())
    pks = list(with_expert)
    published = ContentItem.objects.filter(
        project_id__in=pks, state=State.PUBLISHED, planned_at__gte=start, planned_at__lt=end
    )
    answered = set(
        published.filter(expert_requests__status=RequestStatus.ANSWERED).values_list(
            "pk", flat=True
        )
    )
    counts = {pk: [0, 0, 0] for pk in pks}  # overdue, published, with input
    for project_id, item_id, planned_at in published.values_list("project_id", "pk", "planned_at"):
        begin, stop = windows[project_id]
        if begin <= planned_at < stop:
            counts[project_id][1] += 1
            counts[project_id][2] += item_id in answered
    latest = max(f.today for f in with_expert.values())
    for project_id, due in ExpertRequest.objects.filter(
        project_id__in=pks, status=RequestStatus.OPEN, due_date__lt=latest
    ).values_list("project_id", "due_date"):
        counts[project_id][0] += due < with_expert[project_id].today
    for pk, f in with_expert.items():
        overdue, items, with_input = counts[pk]
        share = 100 * with_input / items if items else None
        f.expert_input = ExpertInput(overdue, share, items)  # type: ignore[attr-defined]
