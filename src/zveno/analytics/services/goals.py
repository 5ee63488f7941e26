"""Writing goals: create by hand, draft from the playbook's KPI templates, edit, activate,
delete. Every write checks MANAGE_ANALYTICS and leaves an entry in the goal's activity log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zveno.analytics import goals as goal_metrics
from zveno.analytics.models import BaselineMode, Goal, GoalEvent, GoalKind, GoalState, GoalStatus
from zveno.core import bounds
from zveno.core.timezones import today_in
from zveno.workspaces import access
from zveno.workspaces.models import Project
from zveno.workspaces.roles import Capability

FIELDS = ("name", "metric", "kind", "target", "window_days", "starts_on", "baseline_mode",
          "baseline_value")  # fmt: skip
MAX_WINDOW_DAYS = 366


def _clean(project: Project, data: dict) -> dict:
    """Validates goal fields (all of them, already merged with the goal's current values)."""
    errors: dict[str, str] = {}
    data["name"] = str(data.get("name") or "").strip()
    if not data["name"]:
        errors["name"] = _("Give the goal a name.")
    elif len(data["name"]) > 200:
        errors["name"] = _("At most 200 characters.")
    if data.get("metric") not in goal_metrics.METRICS:
        errors["metric"] = _("Choose a metric from the list.")
    if data.get("kind") not in GoalKind.values:
        errors["kind"] = _("Choose absolute, multiple or growth in %.")
    target = _decimal(data.get("target"))
    if target is None:
        errors["target"] = _("Enter a number.")
    elif target <= 0:
        errors["target"] = _("The target must be above zero.")
    elif data.get("kind") == GoalKind.MULTIPLE and target <= 1:
        errors["target"] = _("A multiple of the baseline must be above 1 (×2, ×5…).")
    elif target > _target_limit(data.get("kind"), data.get("metric")):
        errors["target"] = _("The target can be at most %(max)s.") % {
            "max": _target_limit(data.get("kind"), data.get("metric"))
        }
    data["target"] = target
    try:
        days = int(data.get("window_days"))
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_WINDOW_DAYS:
        errors["window_days"] = _("The window is 1 to %(max)s days.") % {"max": MAX_WINDOW_DAYS}
    data["window_days"] = days
    starts = data.get("starts_on")
    if isinstance(starts, str):
        try:
            starts = dt.date.fromisoformat(starts) if starts else None
        except ValueError:
            errors["starts_on"] = _("Enter a date as YYYY-MM-DD.")
            starts = None
    data["starts_on"] = starts
    bounds.check_days(errors, starts_on=starts)
    mode = data.get("baseline_mode") or BaselineMode.COMPUTED
    if mode not in BaselineMode.values:
        errors["baseline_mode"] = _("Choose computed or entered.")
    data["baseline_mode"] = mode
    baseline = data.get("baseline_value")
    baseline = None if baseline in (None, "") else _decimal(baseline)
    if data.get("baseline_value") not in (None, "") and baseline is None:
        errors["baseline_value"] = _("Enter a number.")
    elif baseline is not None and abs(baseline) > bounds.MAX_AMOUNT:
        errors["baseline_value"] = _("The baseline can be at most %(max)s.") % {
            "max": bounds.MAX_AMOUNT
        }
    elif (
        mode == BaselineMode.ENTERED
        and (baseline is None or baseline <= 0)
        and data.get("kind") != GoalKind.ABSOLUTE
    ):
        errors["baseline_value"] = _("Enter the baseline value (above zero).")
    data["baseline_value"] = baseline
    if errors:
        raise ValidationError(errors)
    return data


def _target_limit(kind, metric) -> Decimal:
    """The largest target a person could mean for this kind of goal and metric."""
    if kind == GoalKind.MULTIPLE:
        return bounds.MAX_MULTIPLE
    found = goal_metrics.METRICS.get(metric)
    if kind == GoalKind.GROWTH_PCT or (found is not None and found.unit == "%"):
        return bounds.MAX_PERCENT
    return bounds.MAX_AMOUNT


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).replace(",", ".").replace(" ", ""))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _log(goal: Goal, actor, verb: str, **data) -> None:
    GoalEvent.objects.create(goal=goal, actor=actor, verb=verb, data=data)


@transaction.atomic
def create_goal(actor, project: Project, *, activate: bool = False, **fields) -> Goal:
    access.require(actor, project, Capability.MANAGE_ANALYTICS)
    data = _clean(project, {name: fields.get(name) for name in FIELDS})
    goal = Goal.objects.create(project=project, status=GoalStatus.DRAFT, **data)
    _log(goal, actor, "created")
    if activate:
        goal = activate_goal(actor, goal)
    return goal


@transaction.atomic
def update_goal(actor, goal: Goal, **fields) -> Goal:
    """Edits a goal; a change of what is measured forgets an earlier "reached"."""
    access.require(actor, goal.project, Capability.MANAGE_ANALYTICS)
    data = {name: getattr(goal, name) for name in FIELDS}
    data.update({k: v for k, v in fields.items() if k in FIELDS})
    data = _clean(goal.project, data)
    changed = {k: str(v) for k, v in data.items() if getattr(goal, k) != v}
    if not changed:
        return goal
    for name, value in data.items():
        setattr(goal, name, value)
    measured = {"metric", "kind", "target", "window_days", "starts_on", "baseline_mode",
                "baseline_value"}  # fmt: skip
    if measured & set(changed):
        goal.reached_at = None
        goal.state = GoalState.NO_DATA
        goal.current_value = None
        goal.evaluated_at = None
    goal.save()
    _log(goal, actor, "edited", fields=changed)
    if goal.status == GoalStatus.ACTIVE:
        _evaluate_later(goal)
    return goal


def default_start(goal: Goal, today: dt.date) -> dt.date:
    """The project's start date while a window from it is still open, otherwise today."""
    start = goal.project.start_date
    if start and start + dt.timedelta(days=goal.window_days - 1) >= today:
        return start
    return today


@transaction.atomic
def activate_goal(actor, goal: Goal, starts_on: dt.date | None = None) -> Goal:
    access.require(actor, goal.project, Capability.MANAGE_ANALYTICS)
    if goal.status == GoalStatus.ACTIVE and starts_on is None:
        return goal
    today = today_in(goal.project.timezone)
    goal.starts_on = starts_on or goal.starts_on or default_start(goal, today)
    goal.status = GoalStatus.ACTIVE
    goal.save(update_fields=["starts_on", "status"])
    _log(goal, actor, "activated", starts_on=goal.starts_on.isoformat())
    _evaluate_later(goal)
    return goal


@transaction.atomic
def delete_goal(actor, goal: Goal) -> None:
    access.require(actor, goal.project, Capability.MANAGE_ANALYTICS)
    goal.delete()


@transaction.atomic
def draft_from_playbook(actor, project: Project) -> list[Goal]:
    """(Re)drafts goals from the project's playbook's KPI templates (earlier drafts replaced)."""
    access.require(actor, project, Capability.MANAGE_ANALYTICS)
    chosen = getattr(project, "playbook", None)
    if chosen is None:
        raise ValidationError({"playbook": _("Choose a playbook for the project first.")})
    language = getattr(actor, "language", "ru") or "ru"
    return draft_goals_from_playbook(project, chosen.playbook, language)


def playbook_chosen(project: Project, playbook, language: str, actor) -> None:
    """``playbooks.PLAYBOOK_CHOSEN``: the playbook's KPI templates become draft goals."""
    draft_goals_from_playbook(project, playbook, language)


def draft_goals_from_playbook(project: Project, playbook, language: str = "ru") -> list[Goal]:
    """Draft goals from the KPI templates; drafts of an earlier playbook are replaced."""
    project.goals.filter(status=GoalStatus.DRAFT, source__startswith="playbook:").delete()
    return Goal.objects.bulk_create(
        Goal(
            project=project,
            name=kpi.name.get(language),
            metric=kpi.metric,
            kind=kpi.kind,
            target=Decimal(str(kpi.value)),
            window_days=kpi.window_days,
            status=GoalStatus.DRAFT,
            source=f"playbook:{playbook.key}",
        )
        for kpi in playbook.kpis
    )


def _evaluate_later(goal: Goal) -> None:
    """Evaluates an active goal right after a write, so the state shown is current (notifying
    and logging "reached" are rows in the same transaction)."""
    goal_metrics.record(goal, goal_metrics.evaluate(goal))
