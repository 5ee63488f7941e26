"""Template tags of the goal pages and of anything that shows goals (overview, report, agency):
``{% load goal_tags %}{% goal_bar goal ev %}`` draws one goal's progress bar."""

from __future__ import annotations

from django import template
from django.utils.translation import pgettext_lazy

from zveno.analytics import goals as goal_metrics
from zveno.analytics.formulas import FORMULAS
from zveno.analytics.models import GoalKind, GoalState

register = template.Library()


def number(value, unit: str = "") -> str:
    """A figure as a page prints it: thin-space thousands, a % or ₽ unit."""
    if value is None:
        return "—"
    value = float(value)
    if unit == "%":
        text = f"{value:.0f}" if value == int(value) or abs(value) >= 100 else f"{value:.1f}"
        return text.replace(".", ",") + " %"
    text = f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.1f}"
    text = text.replace(",", "\u202f").replace(".", ",")
    return text + (" ₽" if unit == "money" else "")


@register.filter
def goal_number(value, unit: str = "") -> str:
    return number(value, unit)


def target_text(goal) -> str:
    if goal.kind == GoalKind.MULTIPLE:
        return "×" + number(goal.target)
    if goal.kind == GoalKind.GROWTH_PCT:
        return "+" + number(goal.target, "%")
    metric = goal_metrics.METRICS.get(goal.metric)
    return number(goal.target, metric.unit if metric else "")


def change_text(goal, ev) -> str:
    """What was achieved in the goal's own terms: ×5,3 or +281 %."""
    if ev.change is None:
        return ""
    if goal.kind == GoalKind.MULTIPLE:
        return "×" + f"{ev.change:.1f}".replace(".", ",")
    if goal.kind == GoalKind.GROWTH_PCT:
        sign = "+" if ev.growth_pct >= 0 else "−"
        return sign + number(abs(ev.growth_pct), "%")
    return ""


def formula_text(metric) -> str:
    if metric is None:
        return ""
    text = str(metric.caption)
    if metric.formula:
        found = FORMULAS.get(metric.formula)
        if found is not None:
            text = f"{found.name}: {found.expression} — {text}"
    return text


@register.inclusion_tag("analytics/partials/_goal_bar.html")
def goal_bar(goal, ev, link: bool = True):
    metric = goal_metrics.METRICS.get(goal.metric)
    unit = metric.unit if metric else ""
    return {
        "goal": goal,
        "ev": ev,
        "metric": metric,
        "link": link,
        "baseline": number(ev.baseline, unit),
        "current": number(ev.current, unit),
        "target_value": number(ev.target_value, unit),
        "forecast": number(ev.forecast, unit),
        "target_text": target_text(goal),
        "change_text": change_text(goal, ev),
        "progress_text": "—" if ev.progress is None else f"{ev.progress * 100:.0f} %",
        "fill": ev.progress_pct or 0,
        "forecast_at": ev.forecast_pct,
        "formula": formula_text(metric),
        "absolute": goal.kind == GoalKind.ABSOLUTE,
        "state_label": _state_label(ev.state),
    }


def _state_label(state: str) -> str:
    return str(dict(GoalState.choices).get(state, state))


@register.simple_tag
def goal_formula(metric) -> str:
    return formula_text(metric)


@register.simple_tag
def goal_target(goal) -> str:
    return target_text(goal)


VERBS = {
    "created": pgettext_lazy("goal event", "created"),
    "edited": pgettext_lazy("goal event", "edited"),
    "activated": pgettext_lazy("goal event", "activated"),
    "reached": pgettext_lazy("goal event", "reached"),
    "missed": pgettext_lazy("goal event", "missed"),
}


@register.filter
def goal_verb(verb: str) -> str:
    return str(VERBS.get(verb, verb))
