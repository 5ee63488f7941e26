"""Reads of content items, scoped to a project the caller has already been given access to."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from html import escape  # what Django's escape does, without its checks for lazy text

from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import dateformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from zveno.content.collab import current_kind
from zveno.content.models import (
    Activity,
    Approval,
    ContentItem,
    Format,
    Media,
    Publication,
    State,
    Step,
)
from zveno.publishing.models import Dispatch, DispatchState, Network
from zveno.workspaces.models import Project

PK = 987654321  # a stand-in id, replaced in reversed addresses


def items(project: Project) -> QuerySet[ContentItem]:
    """A project's items with what a list shows, in a fixed number of queries."""
    return (
        ContentItem.objects.filter(project=project)
        .select_related("rubric", "project")
        .prefetch_related(
            Prefetch("publications", Publication.objects.select_related("channel")),
            Prefetch("steps", Step.objects.select_related("assignee__user")),
        )
    )


@dataclass(frozen=True)
class PlanChannel:
    network: str
    label: str
    name: str


@dataclass(frozen=True)
class PlanStep:
    who: str  # the assignee's name, "" for nobody
    due_at: dt.datetime | None
    due: str = ""  # due_at as the table prints it, in the project's time zone


@dataclass(slots=True)
class PlanRow:
    """One row of the plan table: the columns it shows, read as plain values, and ``html``."""

    pk: int
    title: str
    format: str
    state: str
    changes_from: str
    planned_at: dt.datetime | None
    is_ad: bool
    rubric_name: str | None
    url: str = ""
    day: str = ""  # the date and the time in the project's time zone, as the table prints them
    time: str = ""
    format_label: str = ""
    state_label: str = ""
    channel_labels: list[PlanChannel] = field(default_factory=list)
    current_step: PlanStep | None = None
    html: str = ""


# A row as the table prints it (the markup the template used to repeat for each row): nine
# values a row, each resolved, localised and escaped by the template engine, were half of a
# 500-row page. Only the title and the assignee are escaped once a row; labels, channel cells
# and dates are escaped once a page (or once a day shown).
ROW = (
    "\n  <tr>\n"
    '    <td class="nowrap">{when}</td>\n'
    '    <td class="small">{channels}</td>\n'
    '    <td class="small">{format}</td>\n'
    '    <td class="small">{rubric}</td>\n'
    '    <td><a href="{url}">{title}</a>{ad}</td>\n'
    '    <td><span class="state state-{state}">{state_label}</span></td>\n'
    '    <td class="small">{step}</td>\n'
    "  </tr>"
)
NONE = '<span class="muted">—</span>'
COLUMNS = ("pk", "title", "format", "state", "changes_from", "planned_at", "is_ad", "rubric__name")


def plan_table(qs: QuerySet[ContentItem], limit: int, project: Project) -> list[PlanRow]:
    """The plan table's rows (up to ``limit``, plus one to tell there is more): each item's
    columns, its channels (``channel_labels``), its current step (``current_step``), its labels
    (``format_label``, ``state_label``), its page (``url``), its date and time in the project's
    time zone (``day``, ``time``) and the row's markup (``html``), in three queries.
    Labels come from plain dicts built once, not from the choices on every row."""
    found = qs.select_related(None).prefetch_related(None).values_list(*COLUMNS)
    rows = [PlanRow(*values) for values in found[: limit + 1]]
    pks = [row.pk for row in rows]
    networks = _labels(Network)
    channels: dict[int, list[PlanChannel]] = defaultdict(list)
    for item_id, network, name in (
        Publication.objects.filter(item_id__in=pks)
        .order_by("item_id", "channel_id")
        .values_list("item_id", "channel__network", "channel__name")
    ):
        channels[item_id].append(PlanChannel(network, networks.get(network, network), name))
    # the kind of step each row waits for, from its state (and changes_from when sent back)
    kinds = {row.pk: current_kind(row) for row in rows}  # type: ignore[arg-type]
    waiting: dict[str, list[int]] = defaultdict(list)  # the rows waiting for each kind of step
    for pk, kind in kinds.items():
        if kind:
            waiting[kind].append(pk)
    steps = _plan_steps(waiting, zoneinfo.ZoneInfo(project.timezone))
    for row in rows:
        row.channel_labels = channels[row.pk]
        row.current_step = steps.get((row.pk, kinds[row.pk]))
    _plan_cells(rows, project)
    return rows


def _plan_steps(
    waiting: dict[str, list[int]], zone: zoneinfo.ZoneInfo
) -> dict[tuple[int, str], PlanStep]:
    """The step each row waits for (the first of its kind), with the assignee's name and due
    time; only those steps are read, one of an item's four at most, not all of them."""
    steps: dict[tuple[int, str], PlanStep] = {}
    if not waiting:
        return steps
    wanted = Q()
    for kind, pks in waiting.items():
        wanted |= Q(kind=kind, item_id__in=pks)
    for item_id, kind, due_at, name, first, last, username in (
        Step.objects.filter(wanted)
        .order_by("pk")
        .values_list("item_id", "kind", "due_at", "assignee__user__name",
                     "assignee__user__first_name", "assignee__user__last_name",
                     "assignee__user__username")
    ):  # fmt: skip
        who = name or f"{first or ''} {last or ''}".strip() or username or ""
        if (item_id, kind) not in steps:
            due = f"{due_at.astimezone(zone):%d.%m %H:%M}" if due_at else ""  # d.m H:i
            steps[(item_id, kind)] = PlanStep(who, due_at, due)
    return steps


def _plan_cells(rows: list[PlanRow], project: Project) -> None:
    """Each row's labels, date and markup; what rows share is worked out and escaped once."""
    formats, states = _labels(Format), _labels(State)
    # One reverse for the table, the id put in for each row ({% url %} costs ~0.1 ms a call).
    item_at = escape(reverse("content:item", args=(project.slug, PK))).replace(str(PK), "{}")
    zone = zoneinfo.ZoneInfo(project.timezone)
    nobody, ad = escape(_("nobody")), format_html(' <span class="badge ad">{}</span>', _("ad"))
    cells: dict[tuple[PlanChannel, ...], str] = {}
    weekdays: dict[dt.date, str] = {}
    shown: dict[str, str] = {}  # escaped labels and rubric names

    def once(value: str) -> str:
        if value not in shown:
            shown[value] = escape(value)
        return shown[value]

    for row in rows:
        row.url = item_at.format(row.pk)
        when = NONE
        if row.planned_at:  # what the date filter prints, without its lookups on every row
            local = row.planned_at.astimezone(zone)
            if local.date() not in weekdays:  # "D" is translated: once a day shown
                weekdays[local.date()] = dateformat.format(local, "D")
            row.day, row.time = f"{weekdays[local.date()]} {local:%d.%m}", f"{local:%H:%M}"
            when = f'{once(row.day)} <span class="muted">{row.time}</span>'
        row.format_label = formats.get(row.format, row.format)
        row.state_label = states.get(row.state, row.state)
        step = row.current_step
        row.html = mark_safe(ROW.format(
            when=when, channels=_channel_cell(tuple(row.channel_labels), cells),
            format=once(row.format_label), rubric=once(row.rubric_name or "—"), url=row.url,
            title=escape(row.title), ad=ad if row.is_ad else "", state=once(row.state),
            state_label=once(row.state_label), step=_step_cell(step, nobody) if step else NONE,
        ))  # fmt: skip


def _step_cell(step: PlanStep, nobody: str) -> str:
    who = escape(step.who) if step.who else nobody
    return f'{who} · <span class="nowrap">{step.due}</span>' if step.due else who


def _channel_cell(channels: tuple[PlanChannel, ...], cells: dict) -> str:
    """The table's channel cell, built once for each set of channels (rows mostly share one)."""
    if channels not in cells:
        cells[channels] = format_html_join(
            "", '<span class="net net-{}" title="{}">{}</span>',
            ((c.network, c.name, c.label) for c in channels),
        ) or mark_safe(NONE)  # fmt: skip
    return cells[channels]


def _labels(choices) -> dict[str, str]:
    """A choices class as a plain dict of translated labels, for one request."""
    return {value: str(label) for value, label in choices.choices}


def media(project: Project, item_id: int | None = None) -> QuerySet[Media]:
    """A project's media files (of one item when named), oldest first."""
    found = Media.objects.filter(item__project=project).select_related("item")
    return found.filter(item_id=item_id) if item_id is not None else found


def day_range_utc(
    project: Project, start: dt.date, end: dt.date
) -> tuple[dt.datetime, dt.datetime]:
    """From the start of ``start`` to the end of ``end`` in the project's time zone, in UTC."""
    zone = zoneinfo.ZoneInfo(project.timezone)
    begin = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return begin.astimezone(dt.UTC), finish.astimezone(dt.UTC)


def filtered(
    project: Project,
    start: dt.date | None = None,
    end: dt.date | None = None,
    state: str | None = None,
    channel_id: int | None = None,
) -> QuerySet[ContentItem]:
    qs = items(project)
    if start is not None:
        qs = qs.filter(planned_at__gte=day_range_utc(project, start, start)[0])
    if end is not None:
        qs = qs.filter(planned_at__lt=day_range_utc(project, end, end)[1])
    if state:
        qs = qs.filter(state=state)
    if channel_id:
        qs = qs.filter(publications__channel_id=channel_id).distinct()
    return qs


def history(item: ContentItem) -> tuple[list[Activity], list[Approval]]:
    activities = list(item.activities.select_related("actor"))
    approvals = list(item.approvals.select_related("user"))
    return activities, approvals


def deliveries(publication_ids) -> dict:
    """The scheduler's dispatch of each publication that has one, by publication id, with its
    attempts prefetched (the delivery log)."""
    from_ids = list(publication_ids)
    if not from_ids:
        return {}
    rows = Dispatch.objects.filter(ref__in=from_ids).prefetch_related("attempts")
    return {d.ref: d for d in rows}


def publication_status(publication, dispatch) -> str:
    """What a person sees: the delivery's state once the scheduler has one, else the plan's;
    "sending" from the moment it is due (a person said "now") until the worker's answer."""
    if dispatch is None or dispatch.state == DispatchState.PLANNED:
        return publication.status
    return DispatchState.SENDING if dispatch.in_flight else dispatch.state
