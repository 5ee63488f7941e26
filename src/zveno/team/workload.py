"""Weekly load per team member. Reads only, no writes. (The team a project's scope needs, from the
same cadence plan, is ``staffing``.)

Load = planned work in a week against the member's capacity, in percent. Planned work is a list of
``Demand`` rows (who, which role, which week, how many hours, where from), produced by the
functions in ``DEMAND_SOURCES``:

* ``cadence_demand`` — until a content plan exists, the playbook's cadence stands in for it: each
  active channel publishes the playbook's formats for its network (units a week at the medium
  cadence, scaled by ``CADENCE_FACTOR``), or its own ``Channel.cadence`` when set (already units a
  week, so not scaled). Each unit costs ``effort[format][role]`` hours. A role's hours go to the
  members who hold the role, split equally; a role nobody holds falls to the SMM (else the
  producer) and is reported as uncovered — the seed's lesson: the SMM ends up doing it. Expert
  hours go to the expert members; without one they are reported as missing expert input. A network
  the playbook does not plan adds nothing and is reported. Only weeks that overlap the project's
  dates carry cadence demand, and only while the project is active (a paused one publishes
  nothing).
* ``task_demand`` — each open task's estimate goes to its assignee, spread evenly over the weeks
  from max(today, stage start) to the due date (the stage's end when the task has none); overdue
  and undated tasks count in the current week.

The content plan's seam
-----------------------
When content items arrive, the content app plugs in without changes here:

1. it appends ``content_demand(project, weeks)`` to ``DEMAND_SOURCES``: planned items turned into
   ``Demand`` rows for the members assigned to each workflow step (source "content:<id>/<step>");
2. it appends a coverage provider to ``PLAN_COVERAGE``: ``(project, weeks) -> set of
   (channel id, week Monday)`` that the content plan already covers. ``cadence_demand`` leaves those
   pairs out, so planned items replace the cadence estimate instead of adding to it, and the weeks
   the plan does not reach yet keep the estimate.

Queries: ``project_load`` (and ``staffing.recommendation``) read the playbook, the channels and
the team once (``shared_reads``), plus the workspace's thresholds and the open tasks — a handful
regardless of the team's size.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from zveno.core.timezones import today_in
from zveno.playbooks.models import CADENCE_FACTOR, Cadence, ProjectPlaybook
from zveno.playbooks.schema import Playbook
from zveno.publishing.models import Channel, Network
from zveno.team import matrix
from zveno.team.health_settings import settings_for, settings_for_many
from zveno.team.models import HealthSettings, Task, TaskStatus
from zveno.workspaces.models import Project, ProjectMembership, ProjectStatus
from zveno.workspaces.roles import JobRole

EXPERT = JobRole.EXPERT.value
FTE_HOURS = 40  # one full-time person a week
TASK_ROLE = ""  # tasks are not tied to a job role
# Internal chats are where the team talks, not a network the audience reads.
NOT_PUBLISHING = frozenset({Network.CHAT.value})


@dataclass(frozen=True)
class Demand:
    """Hours of work for one member (None: nobody) in one role in one week, and where from."""

    membership_id: int | None
    role: str
    week: dt.date  # a Monday
    hours: float
    source: str  # "cadence:telegram/post", "task:42", later "content:17/copy"
    fallback: bool = False  # nobody holds ``role``: given to the SMM (or nobody, if none)


# --- what the sources read --------------------------------------------------------------------


@dataclass
class Facts:
    """The project's playbook, channels and team as one read, shared by sources and rules."""

    project: Project
    playbook: Playbook | None
    cadence: str
    channels: list[Channel]
    members: list[ProjectMembership]
    today: dt.date
    settings: HealthSettings | None = None  # the workspace's thresholds, read with the rest
    open_tasks: list[Task] | None = None  # read for many projects at once; None: read when asked

    @property
    def staff(self) -> list[ProjectMembership]:
        """Members who hold a role other than the expert's (the client is not staff)."""
        return [m for m in self.members if any(role != EXPERT for role in m.roles)]

    def holders(self, role: str) -> list[ProjectMembership]:
        return [m for m in self.members if role in m.roles]

    @property
    def fallback_taker(self) -> ProjectMembership | None:
        for role in matrix.FALLBACK_ROLES:
            for member in self.members:
                if role in member.roles:
                    return member
        return None


_shared: contextvars.ContextVar[dict[int, Facts] | None] = contextvars.ContextVar(
    "zveno_workload_facts", default=None
)


def _load_facts(project: Project) -> Facts:
    return _load_many([project])[project.pk]


def _load_many(projects: list[Project]) -> dict[int, Facts]:
    """Facts of every project in five queries, whatever their number."""
    pks = [p.pk for p in projects]
    chosen = {row.project_id: row for row in ProjectPlaybook.objects.filter(project_id__in=pks)}
    channels: dict[int, list[Channel]] = defaultdict(list)
    for channel in Channel.objects.filter(project_id__in=pks, is_active=True).order_by("pk"):
        channels[channel.project_id].append(channel)
    members: dict[int, list[ProjectMembership]] = defaultdict(list)
    for member in (
        ProjectMembership.objects.filter(project_id__in=pks)
        .select_related("user")
        .order_by("joined_at", "pk")
    ):
        members[member.project_id].append(member)
    settings = settings_for_many({p.workspace_id for p in projects})
    out = {}
    for project in projects:
        row = chosen.get(project.pk)
        out[project.pk] = Facts(
            project=project,
            playbook=row.playbook if row is not None else None,
            cadence=row.cadence if row is not None else Cadence.MEDIUM,
            channels=channels[project.pk],
            members=members[project.pk],
            today=today_in(project.timezone),
            settings=settings[project.workspace_id],
        )
    return out


def _open_tasks(pks: list[int]) -> dict[int, list[Task]]:
    tasks: dict[int, list[Task]] = defaultdict(list)
    for task in (
        Task.objects.filter(project_id__in=pks, estimate_hours__gt=0)
        .exclude(status=TaskStatus.DONE)
        .select_related("stage")
        .only("pk", "project_id", "assignee_id", "due_date", "estimate_hours",
              "stage__start_date", "stage__end_date")
        .order_by("pk")
    ):  # fmt: skip
        tasks[task.project_id].append(task)
    return tasks


def shared_facts(project: Project) -> Facts | None:
    """The read of the enclosing ``shared_reads`` block, if any (sources cache on it)."""
    cache = _shared.get()
    return cache.get(project.pk) if cache else None


def facts(project: Project) -> Facts:
    """The shared read when inside ``shared_reads``, else a fresh one."""
    cache = _shared.get()
    if cache is not None and project.pk in cache:
        return cache[project.pk]
    return _load_facts(project)


@contextmanager
def shared_reads(project: Project) -> Iterator[Facts]:
    """Within the block, every source and rule reads the playbook, channels and team once."""
    cache = _shared.get()
    if cache is not None and project.pk in cache:
        yield cache[project.pk]
        return
    token = None
    if cache is None:
        cache = {}
        token = _shared.set(cache)
    cache[project.pk] = _load_facts(project)
    try:
        yield cache[project.pk]
    finally:
        cache.pop(project.pk, None)
        if token is not None:
            _shared.reset(token)


# Filled by apps above: ``hook(facts by project pk, weeks)`` reads what its sources need for all
# these projects at once and leaves it on each ``Facts`` (the content plan's rows).
PREFETCH: list[Callable[[dict[int, Facts], int], None]] = []


@contextmanager
def shared_reads_many(projects: Iterable[Project], weeks: int = 4) -> Iterator[dict[int, Facts]]:
    """``shared_reads`` for a list of projects (the agency view): the playbooks, channels, teams,
    thresholds and open tasks of all of them in a fixed number of queries, and what the
    ``PREFETCH`` hooks read for up to ``weeks`` weeks from this week. Inside the block, each
    project's load and health read no more than what was read here."""
    projects = list(projects)
    cache = _shared.get()
    token = None
    if cache is None:
        cache = {}
        token = _shared.set(cache)
    loaded = {pk: f for pk, f in _load_many(projects).items() if pk not in cache}
    tasks = _open_tasks(list(loaded))
    for pk, f in loaded.items():
        f.open_tasks = tasks[pk]
    span = max([weeks] + [f.settings.horizon_weeks for f in loaded.values()])  # health's too
    for hook in PREFETCH:
        hook(loaded, span)
    cache.update(loaded)
    try:
        yield {p.pk: cache[p.pk] for p in projects}
    finally:
        for pk in loaded:
            cache.pop(pk, None)
        if token is not None:
            _shared.reset(token)


def thresholds(project: Project) -> HealthSettings:
    """The workspace's thresholds: the shared read's when inside ``shared_reads``."""
    f = shared_facts(project)
    if f is not None and f.settings is not None:
        return f.settings
    return settings_for(project.workspace_id)


# --- weeks ------------------------------------------------------------------------------------


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_list(start: dt.date, weeks: int) -> list[dt.date]:
    first = monday(start)
    return [first + dt.timedelta(weeks=i) for i in range(weeks)]


def _in_project(project: Project, week: dt.date) -> bool:
    week_end = week + dt.timedelta(days=6)
    if week_end < project.start_date:
        return False
    return project.end_date is None or week <= project.end_date


# --- the cadence ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelPlan:
    """What one channel publishes a week, and the hours each role spends on it."""

    channel_id: int
    network: str
    units: Mapping[str, float]  # format -> units a week
    hours: Mapping[str, Mapping[str, float]]  # format -> role -> hours a week
    own_cadence: bool  # the channel's own cadence replaced the playbook's
    planned: bool  # False: the playbook plans nothing for this network

    def role_hours(self) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        for per_role in self.hours.values():
            for role, hours in per_role.items():
                totals[role] += hours
        return dict(totals)


def _units(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value > 0 else None


def channel_plans(f: Facts) -> list[ChannelPlan]:
    """Each active channel's weekly units and hours at the project's cadence."""
    if f.playbook is None:
        return []
    by_network = {plan.network: plan.formats for plan in f.playbook.networks}
    factor = CADENCE_FACTOR.get(f.cadence, 1.0)
    plans = []
    for channel in f.channels:
        if channel.network in NOT_PUBLISHING:
            continue
        own = isinstance(channel.cadence, dict) and bool(channel.cadence)
        if own:
            raw, scale = channel.cadence, 1.0
        else:
            raw, scale = by_network.get(channel.network, {}), factor
        units = {fmt: n * scale for fmt, value in raw.items() if (n := _units(value)) is not None}
        hours = {
            fmt: {role: count * per_unit for role, per_unit in f.playbook.effort[fmt].items()}
            for fmt, count in units.items()
            if fmt in f.playbook.effort
        }
        planned = own or channel.network in by_network
        plans.append(ChannelPlan(channel.pk, channel.network, units, hours, own, planned))
    return plans


def allocate(f: Facts, role: str, hours: float, week: dt.date, source: str) -> Iterator[Demand]:
    """A role's hours split among its holders; else the SMM's (reported uncovered)."""
    holders = f.holders(role)
    if holders:
        share = hours / len(holders)
        for member in holders:
            yield Demand(member.pk, role, week, share, source)
    elif role == EXPERT:
        yield Demand(None, role, week, hours, source)  # missing expert input
    else:
        taker = f.fallback_taker
        yield Demand(taker.pk if taker else None, role, week, hours, source, fallback=True)


# (project, weeks) -> {(channel id, week)} the content plan covers; filled by the content app.
PLAN_COVERAGE: list[Callable[[Project, list[dt.date]], Iterable[tuple[int, dt.date]]]] = []


def covered_weeks(project: Project, weeks: list[dt.date]) -> set[tuple[int, dt.date]]:
    """(channel id, week) pairs where planned content items replace the cadence estimate."""
    covered: set[tuple[int, dt.date]] = set()
    for provider in PLAN_COVERAGE:
        covered.update(provider(project, weeks))
    return covered


def cadence_demand(project: Project, weeks: list[dt.date]) -> Iterator[Demand]:
    f = facts(project)
    plans = channel_plans(f)
    if not plans or project.status != ProjectStatus.ACTIVE:
        return
    covered = covered_weeks(project, weeks)
    active = [week for week in weeks if _in_project(project, week)]
    for plan in plans:
        for week in active:
            if (plan.channel_id, week) in covered:
                continue
            for fmt, per_role in plan.hours.items():
                source = f"cadence:{plan.network}/{fmt}"
                for role, hours in per_role.items():
                    yield from allocate(f, role, hours, week, source)


# --- tasks ------------------------------------------------------------------------------------


def _task_weeks(task: Task, today: dt.date) -> list[dt.date]:
    due = task.due_date or (task.stage.end_date if task.stage else None)
    if due is None or due < today:
        return [monday(today)]
    begin = max(today, task.stage.start_date if task.stage else today)
    begin = min(begin, due)
    first, last = monday(begin), monday(due)
    return [first + dt.timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]


def task_demand(project: Project, weeks: list[dt.date]) -> Iterator[Demand]:
    f = facts(project)
    today = f.today
    wanted = set(weeks)
    tasks = f.open_tasks if f.open_tasks is not None else _open_tasks([project.pk])[project.pk]
    for task in tasks:
        spread = _task_weeks(task, today)
        share = float(task.estimate_hours) / len(spread)
        for week in spread:
            if week in wanted:
                yield Demand(task.assignee_id, TASK_ROLE, week, share, f"task:{task.pk}")


DEMAND_SOURCES: list[Callable[[Project, list[dt.date]], Iterable[Demand]]] = [
    cadence_demand,
    task_demand,
]


# --- the load ---------------------------------------------------------------------------------


def _percent(hours: float, capacity: float) -> int | None:
    if capacity <= 0:
        return None
    return round(hours * 100 / capacity)


@dataclass(frozen=True)
class Cell:
    """One member's load in one week."""

    week: dt.date
    hours: float
    percent: int | None  # None: no capacity
    over: bool

    @property
    def level(self) -> str:
        """A CSS class for the heat map."""
        if self.over:
            return "crit" if self.percent is None or self.percent > 150 else "over"
        if not self.hours:
            return "l0"
        if self.percent is None or self.percent >= 80:
            return "l3"
        return "l2" if self.percent >= 50 else "l1"


@dataclass
class MemberLoad:
    """A member's planned hours and load over the weeks."""

    membership: ProjectMembership
    cells: list[Cell]
    overloaded_weeks: int
    fallback_roles: list[str] = field(default_factory=list)

    @property
    def membership_id(self) -> int:
        return self.membership.pk

    @property
    def name(self) -> str:
        return self.membership.user.display_name

    @property
    def roles(self) -> list[str]:
        return list(self.membership.roles)

    @property
    def role_labels(self) -> list[str]:
        return self.membership.role_labels

    @property
    def capacity_hours(self) -> float:
        return float(self.membership.capacity_hours)

    @property
    def hours(self) -> list[float]:
        return [cell.hours for cell in self.cells]

    @property
    def percent(self) -> list[int | None]:
        return [cell.percent for cell in self.cells]

    @property
    def peak_percent(self) -> int | None:
        known = [p for p in self.percent if p is not None]
        if any(c.percent is None and c.hours for c in self.cells):
            return None
        return max(known, default=0)

    @property
    def is_expert_only(self) -> bool:
        return set(self.membership.roles) == {EXPERT}


@dataclass
class RoleGap:
    """Hours of a role nobody on the team holds, and who carries them instead."""

    role: str
    hours: list[float]
    taken_by: str | None

    @property
    def total(self) -> float:
        return round(sum(self.hours), 2)

    @property
    def label(self) -> str:
        return str(dict(JobRole.choices).get(self.role, self.role))


@dataclass
class Workload:
    """Members × weeks, with what nobody covers."""

    weeks: list[dt.date]
    threshold_percent: int
    members: list[MemberLoad]
    uncovered: list[RoleGap]
    missing_expert_hours: list[float]
    unassigned_task_hours: list[float]
    unplanned_networks: list[str]
    demands: list[Demand]

    @property
    def total_hours(self) -> list[float]:
        return [round(sum(m.hours[i] for m in self.members), 2) for i in range(len(self.weeks))]

    @property
    def capacity_hours(self) -> float:
        return sum(m.capacity_hours for m in self.members)

    @property
    def total_percent(self) -> list[int | None]:
        return [_percent(hours, self.capacity_hours) for hours in self.total_hours]

    @property
    def missing_expert_total(self) -> float:
        return round(sum(self.missing_expert_hours), 2)

    @property
    def unassigned_task_total(self) -> float:
        return round(sum(self.unassigned_task_hours), 2)

    @property
    def network_labels(self) -> list[str]:
        labels = dict(Network.choices)
        return [str(labels.get(n, n)) for n in self.unplanned_networks]

    @property
    def overloaded(self) -> list[MemberLoad]:
        return [m for m in self.members if m.overloaded_weeks]

    def member(self, membership_id: int) -> MemberLoad | None:
        return next((m for m in self.members if m.membership_id == membership_id), None)


def _over(hours: float, capacity: float, threshold: int) -> bool:
    if capacity <= 0:
        return hours > 0
    return hours * 100 > threshold * capacity


def project_load(project: Project, weeks: int = 4, start: dt.date | None = None) -> Workload:
    """Planned hours and load per member for ``weeks`` weeks from this week's Monday."""
    with shared_reads(project) as f:
        threshold = f.settings.overload_percent
        week_days = week_list(start or f.today, weeks)
        demands = [d for source in DEMAND_SOURCES for d in source(project, week_days)]
        return _summarise(f, week_days, demands, threshold)


def _summarise(f: Facts, weeks: list[dt.date], demands: list[Demand], threshold: int) -> Workload:
    index = {week: i for i, week in enumerate(weeks)}
    per_member: dict[int, list[float]] = {m.pk: [0.0] * len(weeks) for m in f.members}
    uncovered: dict[str, list[float]] = {}
    missing_expert = [0.0] * len(weeks)
    unassigned = [0.0] * len(weeks)
    for d in demands:
        i = index.get(d.week)
        if i is None:
            continue
        if d.membership_id in per_member:
            per_member[d.membership_id][i] += d.hours
        elif d.role == EXPERT:
            missing_expert[i] += d.hours
        elif d.role == TASK_ROLE:
            unassigned[i] += d.hours
        if d.fallback:
            uncovered.setdefault(d.role, [0.0] * len(weeks))[i] += d.hours
    taker = f.fallback_taker
    members = []
    for m in f.members:
        capacity = float(m.capacity_hours)
        cells = [
            Cell(week, round(h, 2), _percent(h, capacity), _over(h, capacity, threshold))
            for week, h in zip(weeks, per_member[m.pk], strict=True)
        ]
        mine = sorted(uncovered, key=_role_order) if taker is not None and taker.pk == m.pk else []
        members.append(MemberLoad(m, cells, sum(c.over for c in cells), mine))
    gaps = [
        RoleGap(role, [round(h, 2) for h in hours], taker.user.display_name if taker else None)
        for role, hours in sorted(uncovered.items(), key=lambda item: _role_order(item[0]))
    ]
    unplanned = sorted({p.network for p in channel_plans(f) if not p.planned})
    return Workload(
        weeks=weeks,
        threshold_percent=threshold,
        members=members,
        uncovered=gaps,
        missing_expert_hours=[round(h, 2) for h in missing_expert],
        unassigned_task_hours=[round(h, 2) for h in unassigned],
        unplanned_networks=unplanned,
        demands=demands,
    )


def _role_order(role: str) -> int:
    return JobRole.values.index(role) if role in JobRole.values else len(JobRole.values)
