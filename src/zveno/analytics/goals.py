"""Goals: how each goal metric is measured over a window, and how a goal is doing.

A goal's window is ``starts_on`` + ``window_days`` (both ends inclusive); its baseline window is
the same number of days immediately before it. The daily values come from
``zveno.analytics.summary.series``; each metric folds them one way (``METRICS``):

- flows (reach, dialogues, leads, …) — the sum of the days;
- stocks (followers) — the last known value (the end of the window against the end of the
  baseline window);
- ``post_reach`` — the largest single post's reach;
- rates — ``er_reach`` is ERR by reach as a ratio of sums (interactions / reach × 100 % of the
  window's posts), ``err_telegram`` the Telegram ERR (average views of the window's Telegram posts
  / subscribers at the end of the window × 100 %).

Target value: absolute → the target; multiple → baseline × target; growth_pct → baseline ×
(1 + target / 100). Progress is ``current / target`` for absolute goals and
``(current − baseline) / (target value − baseline)`` otherwise (raw; pages clip it to 0..100 %).
The forecast carries the pace so far to the end of the window. A goal that reached its target
stays reached; reaching it writes one ``GoalEvent`` and notifies the project's leads and the
expert once (``evaluate_project``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, Max, Subquery, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from zveno.analytics import formulas, summary
from zveno.analytics.models import (
    BaselineMode,
    ChannelDay,
    Collection,
    Goal,
    GoalEvent,
    GoalKind,
    GoalState,
    GoalStatus,
    Import,
)
from zveno.core.timezones import today_in
from zveno.notifications.services import notify
from zveno.webhooks.services import emit
from zveno.workspaces.models import Project

SUM, LAST, MAX, RATE = "sum", "last", "max", "rate"


@dataclass(frozen=True)
class Metric:
    """A goal metric: how its days fold into one figure, and which formula that figure shows."""

    key: str
    label: object  # lazy, translatable
    aggregation: str  # sum | last | max | rate
    caption: object  # lazy: how the figure is computed, printed under it
    formula: str | None = None  # a key of zveno.analytics.formulas.FORMULAS
    unit: str = ""  # "" a count, "%" a percentage, "money" roubles

    @property
    def is_flow(self) -> bool:
        return self.aggregation == SUM


def _flow(key, label, unit=""):
    return Metric(key, label, SUM, _("sum of the days of the window"), None, unit)


METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        _flow("reach", _("Reach")),
        Metric(
            "post_reach",
            _("Reach of one post"),
            MAX,
            _("the largest reach of a single post published in the window"),
        ),
        Metric(
            "followers",
            _("Followers"),
            LAST,
            _("followers at the end of the window, all channels"),
            "follower_growth",
        ),
        Metric(
            "er_reach",
            _("ERR (by reach)"),
            RATE,
            _("ratio of sums over the posts published in the window"),
            "err",
            "%",
        ),
        Metric(
            "err_telegram",
            _("ERR (Telegram)"),
            RATE,
            _("Telegram posts published in the window; subscribers at its end"),
            "tg_err",
            "%",
        ),
        _flow("dialogues", _("Dialogues")),
        _flow("leads", _("Leads")),
        _flow("lead_magnet_downloads", _("Lead magnet downloads")),
        _flow("email_subscribers", _("New e-mail subscribers")),
        _flow("site_visits", _("Site visits")),
        _flow("sales", _("Sales")),
        _flow("revenue", _("Revenue"), "money"),
    )
}


def metric_choices() -> list[tuple[str, object]]:
    return [(m.key, m.label) for m in METRICS.values()]


@dataclass(frozen=True)
class Evaluation:
    """How one goal stands on one day. Numbers are floats; None means no data."""

    window_start: dt.date
    window_end: dt.date
    baseline_start: dt.date
    baseline_end: dt.date
    baseline: float | None
    current: float | None
    target_value: float | None
    progress: float | None  # raw, may be < 0 or > 1
    forecast: float | None
    state: str
    today: dt.date | None = None
    days_elapsed: int = 0
    kind: str = ""

    @property
    def progress_pct(self) -> float | None:
        """Progress clipped to 0..100 for a bar."""
        if self.progress is None:
            return None
        return max(0.0, min(100.0, self.progress * 100))

    @property
    def forecast_pct(self) -> float | None:
        """Where the forecast lands on the same bar (0..100)."""
        return _position(self.forecast, self)

    @property
    def change(self) -> float | None:
        """current / baseline (for multiples) — the "×5" a page prints."""
        if self.current is None or not self.baseline:
            return None
        return self.current / self.baseline

    @property
    def growth_pct(self) -> float | None:
        if self.change is None:
            return None
        return (self.change - 1) * 100


def _position(value, ev: Evaluation) -> float | None:
    if value is None or ev.target_value is None:
        return None
    start = 0.0
    if ev.kind != GoalKind.ABSOLUTE and ev.baseline is not None:
        start = ev.baseline
    if ev.target_value == start:
        return None
    return max(0.0, min(100.0, (value - start) / (ev.target_value - start) * 100))


# --- windows ------------------------------------------------------------------------------------


def window(goal: Goal) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """(window start, window end, baseline start, baseline end), all inclusive."""
    start = goal.starts_on or goal.project.start_date
    days = max(int(goal.window_days or 1), 1)
    end = start + dt.timedelta(days=days - 1)
    return start, end, start - dt.timedelta(days=days), start - dt.timedelta(days=1)


# --- measuring ----------------------------------------------------------------------------------


def _num(value) -> float | None:
    return None if value is None else float(value)


def daily(project, metric: str, start: dt.date, end: dt.date) -> list[tuple[dt.date, float | None]]:
    """The metric's daily values in [start, end] (every day; None for a day without data)."""
    if metric == "err_telegram":
        return _telegram_daily(project, start, end)
    key = "err" if metric == "er_reach" else metric
    return [(day, _num(v)) for day, v in summary.series(project, key, start, end)]


def fold(metric: str, values: Iterable[tuple[dt.date, float | None]]) -> float | None:
    """One figure from daily values: a sum, the last value or the maximum (None if no data)."""
    present = [(day, v) for day, v in values if v is not None]
    if not present:
        return None
    how = METRICS[metric].aggregation
    if how == SUM:
        return float(sum(v for _d, v in present))
    if how == MAX:
        return float(max(v for _d, v in present))
    if how == LAST:
        return float(max(present)[1])
    raise ValueError(f"{metric} is a rate: measure it with measure()")


def measure(project, metric: str, start: dt.date, end: dt.date) -> float | None:
    """The metric's figure over [start, end]."""
    m = METRICS[metric]
    if metric == "er_reach":
        figures = summary.summarize(project, start, end)
        return _num(((figures or {}).get("err") or {}).get("ratio_of_sums"))
    if metric == "err_telegram":
        return _telegram_err(project, start, end)
    if m.aggregation == RATE:  # pragma: no cover - every rate is handled above
        raise ValueError(metric)
    return fold(metric, daily(project, metric, start, end))


def _telegram_posts(project, start: dt.date, end: dt.date):
    return (
        summary.posts_in(project, start, end)
        .filter(network="telegram", latest_views__isnull=False)
        .order_by()
    )


def _telegram_subscribers(project, end: dt.date | None = None) -> dict[dt.date, float]:
    qs = ChannelDay.objects.filter(
        project=project, channel__network="telegram", followers__isnull=False
    )
    if end is not None:
        qs = qs.filter(date__lte=end)
    rows = qs.order_by().values("date").annotate(total=Sum("followers"))
    return {row["date"]: float(row["total"]) for row in rows}


def _telegram_err(project, start: dt.date, end: dt.date) -> float | None:
    posts = _telegram_posts(project, start, end).aggregate(
        views=Avg("latest_views"), n=Count("pk"), followers=Avg("followers_at_publication")
    )
    if not posts["n"]:
        return None
    subscribers = _telegram_subscribers(project, end)
    found = subscribers[max(subscribers)] if subscribers else posts["followers"]
    return formulas.tg_err(_num(posts["views"]), _num(found))


def _telegram_daily(project, start: dt.date, end: dt.date) -> list[tuple[dt.date, float | None]]:
    rows = (
        _telegram_posts(project, start, end)
        .annotate(_day=TruncDate("published_at", tzinfo=summary.project_zone(project)))
        .values("_day")
        .annotate(views=Avg("latest_views"), followers=Avg("followers_at_publication"))
    )
    by_day = {row["_day"]: row for row in rows}
    subscribers = _telegram_subscribers(project, end)
    out, last = [], None
    earlier = [d for d in subscribers if d < start]
    if earlier:
        last = subscribers[max(earlier)]
    day = start
    while day <= end:
        last = subscribers.get(day, last)
        row = by_day.get(day)
        value = None
        if row is not None:
            value = formulas.tg_err(_num(row["views"]), last or _num(row["followers"]))
        out.append((day, value))
        day += dt.timedelta(days=1)
    return out


# --- evaluating ---------------------------------------------------------------------------------


def target_value(kind: str, target, baseline: float | None) -> float | None:
    target = float(target)
    if kind == GoalKind.ABSOLUTE:
        return target
    if baseline is None:
        return None
    if kind == GoalKind.MULTIPLE:
        return baseline * target
    return baseline * (1 + target / 100)


def progress(kind: str, current, baseline, target_val) -> float | None:
    if current is None or target_val is None:
        return None
    if kind == GoalKind.ABSOLUTE:
        return current / target_val if target_val else (1.0 if current >= target_val else 0.0)
    if target_val == baseline:
        return 1.0 if current >= target_val else 0.0
    return (current - baseline) / (target_val - baseline)


def forecast(metric: str, values: list[tuple[dt.date, float | None]], current, start, end, upto):
    """The current window's pace carried to its end."""
    if current is None:
        return None
    how = METRICS[metric].aggregation
    if upto >= end:
        return current
    elapsed = (upto - start).days + 1
    total = (end - start).days + 1
    if how == SUM:
        return current / elapsed * total
    if how == LAST:
        points = [((day - start).days, v) for day, v in values if v is not None]
        if len(points) < 2:
            return current
        n = len(points)
        mx = sum(x for x, _v in points) / n
        my = sum(v for _x, v in points) / n
        sxx = sum((x - mx) ** 2 for x, _v in points)
        if not sxx:
            return current
        slope = sum((x - mx) * (v - my) for x, v in points) / sxx
        return current + slope * (total - 1 - max(x for x, _v in points))
    return current  # the maximum so far; a rate keeps its level


def evaluate(goal: Goal, today: dt.date | None = None) -> Evaluation:
    """How the goal stands on ``today`` (the project's today by default). Saves nothing."""
    project = goal.project
    today = today or today_in(project.timezone)
    start, end, b_start, b_end = window(goal)
    m = METRICS.get(goal.metric)
    upto = min(today, end)
    elapsed = max((upto - start).days + 1, 0)
    if m is None:
        return Evaluation(start, end, b_start, b_end, None, None, None, None, None,
                          GoalState.NO_DATA, today, elapsed, goal.kind)  # fmt: skip
    if m.aggregation == RATE:
        values: list = []
        baseline = measure(project, goal.metric, b_start, b_end)
        current = measure(project, goal.metric, start, upto) if elapsed else None
    else:
        values = daily(project, goal.metric, b_start, upto) if elapsed else []
        baseline_days = [(d, v) for d, v in values if d <= b_end]
        window_days = [(d, v) for d, v in values if d >= start]
        if not elapsed:
            baseline_days = daily(project, goal.metric, b_start, b_end)
        baseline = fold(goal.metric, baseline_days)
        current = fold(goal.metric, window_days) if elapsed else None
        values = window_days
    if goal.baseline_mode == BaselineMode.ENTERED and goal.baseline_value is not None:
        baseline = float(goal.baseline_value)
    target_val = target_value(goal.kind, goal.target, baseline)
    needs_baseline = goal.kind != GoalKind.ABSOLUTE
    if needs_baseline and (baseline is None or baseline <= 0):
        target_val = None
    prog = progress(goal.kind, current, baseline, target_val)
    fc = forecast(goal.metric, values, current, start, end, upto) if elapsed else None
    state = _state(goal, current, target_val, fc, today, end)
    return Evaluation(start, end, b_start, b_end, baseline, current, target_val, prog, fc, state,
                      today, elapsed, goal.kind)  # fmt: skip


def _state(goal, current, target_val, fc, today, end) -> str:
    if goal.reached_at is not None:
        return GoalState.REACHED
    if current is None or target_val is None:
        return GoalState.MISSED if today > end and target_val is not None else GoalState.NO_DATA
    if current >= target_val:
        return GoalState.REACHED
    if today > end:
        return GoalState.MISSED
    if fc is not None and fc < target_val:
        return GoalState.AT_RISK
    return GoalState.ON_TRACK


def _dec(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 4)))


def recipients(project) -> list:
    """Who hears about a goal: the project's SMM specialists, producers and experts, and the
    workspace's owners."""
    from django.contrib.auth import get_user_model

    users = {}
    for membership in project.memberships.select_related("user"):
        if {"smm", "producer", "expert"} & set(membership.roles or []):
            users[membership.user_id] = membership.user
    owners = get_user_model().objects.filter(
        workspace_memberships__workspace_id=project.workspace_id,
        workspace_memberships__role="owner",
        is_active=True,
    )
    for user in owners:
        users[user.pk] = user
    return [u for u in users.values() if u.is_active]


@transaction.atomic
def record(goal: Goal, ev: Evaluation) -> Goal:
    """Saves an evaluation on the goal; the first "reached" (or "missed") writes its event and
    notifies, once, however often the goal is evaluated."""
    goal = Goal.objects.select_for_update().select_related("project").get(pk=goal.pk)
    now = timezone.now()
    state = GoalState.REACHED if goal.reached_at else ev.state
    goal.state = state
    goal.current_value = _dec(ev.current)
    goal.baseline_figure = _dec(ev.baseline)
    goal.target_figure = _dec(ev.target_value)
    goal.forecast_figure = _dec(ev.forecast)
    goal.evaluated_for = ev.today
    goal.evaluated_at = now
    fields = ["state", "current_value", "baseline_figure", "target_figure", "forecast_figure",
              "evaluated_for", "evaluated_at"]  # fmt: skip
    if state == GoalState.REACHED and goal.reached_at is None:
        goal.reached_at = now
        fields.append("reached_at")
    goal.save(update_fields=fields)
    if state in (GoalState.REACHED, GoalState.MISSED):
        _announce(goal, ev, state)
    return goal


def _announce(goal: Goal, ev: Evaluation, verb: str) -> None:
    if GoalEvent.objects.filter(goal=goal, verb=verb).exists():
        return
    GoalEvent.objects.create(
        goal=goal,
        verb=verb,
        data={
            "baseline": ev.baseline,
            "current": ev.current,
            "target_value": ev.target_value,
            "window": [ev.window_start.isoformat(), ev.window_end.isoformat()],
        },
    )
    if verb != GoalState.REACHED:
        return
    project = goal.project
    url = reverse("analytics:goal", args=[project.slug, goal.pk])
    with override(settings.LANGUAGE_CODE):
        text = str(_("Goal reached: %(goal)s")) % {"goal": goal.name}
    notify(recipients(project), project=project, verb="goal_reached", key=f"goal:{goal.pk}",
           text=text, url=url)  # fmt: skip
    emit(project.workspace, "goal.reached", {
        "project": {"slug": project.slug, "name": project.name},
        "goal": {"id": goal.pk, "name": goal.name, "metric": goal.metric,
                 "baseline": _number(ev.baseline), "current": _number(ev.current),
                 "target": _number(ev.target_value)},
        "url": settings.BASE_URL + url,
    })  # fmt: skip


def _number(value) -> float | None:
    return None if value is None else float(value)


def evaluate_project(project, today: dt.date | None = None) -> list[tuple[Goal, Evaluation]]:
    """Evaluates and saves every active goal of the project."""
    out = []
    goals = project.goals.filter(status=GoalStatus.ACTIVE).select_related("project")
    for goal in goals:
        ev = evaluate(goal, today)
        out.append((record(goal, ev), ev))
    return out


def evaluate_all(today: dt.date | None = None) -> int:
    """The beat task: every active goal of every active project; repeating it changes nothing
    but the evaluation time. Returns how many goals were evaluated."""
    count = 0
    projects = Project.objects.filter(status="active", goals__status=GoalStatus.ACTIVE).distinct()
    for project in projects.select_related("workspace"):
        count += len(evaluate_project(project, today))
    return count


def for_project(project, today: dt.date | None = None) -> list[tuple[Goal, Evaluation]]:
    """The active goals of a project with their evaluation, for the overview page and the report.

    On the project's today (the default) this is the stored evaluation; a goal whose stored one is
    stale (``is_stale``) is evaluated and stored first, that goal only. Another day (a report of
    an earlier period) is evaluated live and stores nothing."""
    goals = list(project.goals.filter(status=GoalStatus.ACTIVE).select_related("project"))
    now_day = today_in(project.timezone)
    if today is not None and today != now_day:
        return [(goal, evaluate(goal, today)) for goal in goals]
    changed = figures_changed_at(project) if goals else None
    out = []
    for goal in goals:
        if is_stale(goal, now_day, changed):
            goal = record(goal, evaluate(goal, now_day))
        out.append((goal, stored(goal)))
    return out


def figures_changed_at(project) -> dt.datetime | None:
    """When an import or a collection last finished for the project (one query)."""
    imported = Import.objects.filter(project_id=project.pk).order_by().values("project_id")
    collected = Collection.objects.filter(project_id=project.pk).order_by().values("project_id")
    found = Project.objects.filter(pk=project.pk).values(
        imported=Subquery(imported.annotate(m=Max("finished_at")).values("m")[:1]),
        collected=Subquery(collected.annotate(m=Max("finished_at")).values("m")[:1]),
    )
    known = [v for row in found for v in row.values() if v is not None]
    return max(known, default=None)


def is_stale(goal: Goal, today: dt.date, figures_changed: dt.datetime | None = None) -> bool:
    """Never evaluated, evaluated on another day, or before its figures last changed."""
    at = goal.evaluated_at
    if at is None or goal.evaluated_for != today:
        return True
    if goal.inputs_changed_at is not None and goal.inputs_changed_at >= at:
        return True
    return figures_changed is not None and figures_changed >= at


def stored(goal: Goal) -> Evaluation:
    """The goal's last evaluation as saved on it (``record``), as ``evaluate`` returned it."""
    start, end, b_start, b_end = window(goal)
    today = goal.evaluated_for
    elapsed = max((min(today, end) - start).days + 1, 0) if today else 0
    baseline, current = _num(goal.baseline_figure), _num(goal.current_value)
    target_val = _num(goal.target_figure)
    prog = progress(goal.kind, current, baseline, target_val)
    forecast_val = _num(goal.forecast_figure)
    return Evaluation(start, end, b_start, b_end, baseline, current, target_val, prog,
                      forecast_val, goal.state, today, elapsed, goal.kind)  # fmt: skip


def figures_changed(project_id: int) -> None:
    """A manual entry changed the project's figures: its active goals are evaluated on next read
    (or by the beat task)."""
    Goal.objects.filter(project_id=project_id, status=GoalStatus.ACTIVE).update(
        inputs_changed_at=timezone.now()
    )
