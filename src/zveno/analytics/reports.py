"""The period report of a project: build it, and render it as a PDF or an XLSX.

``build`` gathers the report's sections (key metrics against the previous period, goals, the
funnel, top posts, content mix, team and expert involvement, health findings) into plain data,
with every label already translated into the report's language; ``to_pdf`` and ``to_xlsx``
render that data. The web page, the client link, the API, the CLI and the scheduled e-mails
all go through ``build``. Schedules and client links are in ``services.reports``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from zveno.analytics import charts, formulas, goals, selectors, summary
from zveno.analytics.formulas import FORMULAS
from zveno.analytics.models import Goal, Post
from zveno.content.plan import mix_between
from zveno.content.requests import answered_on_time
from zveno.content.selectors import day_range_utc
from zveno.core import exports
from zveno.core.pdf import css_string, html_to_pdf
from zveno.publishing.models import Network
from zveno.team import health
from zveno.workspaces.models import Project

TOP_POSTS = 10
TEAM, CLIENT = "team", "client"
AUDIENCES = (TEAM, CLIENT)


def network_name(code: str) -> str:
    """A network's human name ("ВКонтакте", "Дзен") for its code; the code when unknown."""
    return str(Network(code).label) if code in Network.values else code


# Sums need no named formula; these texts say what is summed.
SUM_TEXT = {
    "posts": gettext_lazy("number of posts published in the period"),
    "reach": gettext_lazy("Σ reach of the posts published in the period (latest capture)"),
    "impressions": gettext_lazy("Σ impressions of the posts published in the period"),
    "views": gettext_lazy("Σ views of the posts published in the period"),
    "interactions": gettext_lazy("Σ (likes + comments + shares) of the period's posts"),
    "followers": gettext_lazy("followers at the end of the period, all channels"),
    "dialogues": gettext_lazy("Σ dialogues of the daily business figures"),
    "leads": gettext_lazy("Σ leads of the daily business figures"),
    "sales": gettext_lazy("Σ sales of the daily business figures"),
    "revenue": gettext_lazy("Σ revenue of the daily business figures"),
}
METRIC_LABELS = {
    "posts": gettext_lazy("Posts"),
    "reach": gettext_lazy("Post reach"),
    "impressions": gettext_lazy("Impressions"),
    "views": gettext_lazy("Views"),
    "interactions": gettext_lazy("Interactions"),
    "err": gettext_lazy("ERR (by reach)"),
    "followers": gettext_lazy("Followers"),
    "dialogues": gettext_lazy("Dialogues"),
    "leads": gettext_lazy("Leads"),
    "sales": gettext_lazy("Sales"),
    "revenue": gettext_lazy("Revenue"),
}
FUNNEL_LABELS = {
    "reach": gettext_lazy("Channel reach"),
    "dialogues": gettext_lazy("Dialogues"),
    "leads": gettext_lazy("Leads"),
    "sales": gettext_lazy("Sales"),
}
BUSINESS_SUMS = ("dialogues", "leads", "sales", "revenue")
WEEKDAYS = (
    gettext_lazy("Mon"), gettext_lazy("Tue"), gettext_lazy("Wed"), gettext_lazy("Thu"),
    gettext_lazy("Fri"), gettext_lazy("Sat"), gettext_lazy("Sun"),
)  # fmt: skip
HOUR_BANDS = 8  # three hours each


# --- the data --------------------------------------------------------------------------------


@dataclass
class Figure:
    """One key metric: this period, the previous one, the change, and the formula behind it."""

    key: str
    label: str
    value: float | None
    previous: float | None
    change: float | None  # percent against the previous period
    unit: str
    formula: str


@dataclass
class GoalLine:
    name: str
    metric: str
    state: str
    state_label: str
    baseline: float | None
    current: float | None
    target: float | None
    progress: float | None  # percent of the way from the baseline to the target


@dataclass
class FunnelStep:
    step: str
    label: str
    value: float | None
    conversion: float | None  # percent of the previous step


@dataclass
class TopPost:
    title: str
    url: str
    network: str
    published: dt.datetime  # local time of the project
    reach: int | None
    interactions: int | None
    err: float | None
    has_expert_input: bool
    network_name: str = ""  # the network as people call it: "ВКонтакте", not "vk"


@dataclass
class MixLine:
    rubric: str
    target: int
    planned: int
    published: int
    planned_share: float
    published_share: float


@dataclass
class Team:
    """The expert's involvement in the period."""

    asked: int
    answered_on_time: int
    on_time_percent: float | None
    posts_with_input: int
    posts_without_input: int
    reach_with_input: float | None  # average reach per post
    reach_without_input: float | None


@dataclass
class HealthLine:
    code: str
    severity: str
    severity_label: str
    title: str
    explanation: str
    fix: str


@dataclass
class Report:
    """Everything a period report shows, labels already in ``language``."""

    project: str
    slug: str
    start: dt.date
    end: dt.date
    previous_start: dt.date
    previous_end: dt.date
    language: str
    generated_at: dt.datetime
    metrics: list[Figure] = field(default_factory=list)
    goals: list[GoalLine] = field(default_factory=list)
    funnel: list[FunnelStep] = field(default_factory=list)
    funnel_formula: str = ""
    reach_by_day: list[tuple[dt.date, float | None]] = field(default_factory=list)
    reach_formula: str = ""
    top_by_reach: list[TopPost] = field(default_factory=list)
    top_by_err: list[TopPost] = field(default_factory=list)
    err_formula: str = ""
    mix: list[MixLine] = field(default_factory=list)
    mix_planned: int = 0
    mix_published: int = 0
    posts_outside_plan: int = 0  # posts of the key metrics that no plan item published
    audience: str = "team"  # "client" leaves out the team's internal diagnostics
    team: Team | None = None
    health: list[HealthLine] = field(default_factory=list)
    charts: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def top_lists(self) -> list[tuple[str, list[TopPost]]]:
        return [
            (_("Top %(n)s by reach") % {"n": TOP_POSTS}, self.top_by_reach),
            (_("Top %(n)s by ERR") % {"n": TOP_POSTS}, self.top_by_err),
        ]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data (dates as ISO strings), without the rendered charts."""
        data = dataclasses.asdict(self)
        data.pop("charts")
        data["reach_by_day"] = [{"date": d, "value": v} for d, v in self.reach_by_day]
        return _jsonable(data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


# --- building ---------------------------------------------------------------------------------


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before [start, end]."""
    days = (end - start).days + 1
    return start - dt.timedelta(days=days), start - dt.timedelta(days=1)


def audience_of(value: str | None) -> str:
    """``client`` or ``team`` (the default) from a query string or an option."""
    return CLIENT if value == CLIENT else TEAM


def build(
    project: Project, start: dt.date, end: dt.date, language: str, audience: str = "team"
) -> Report:
    """The report of ``project`` for the days [start, end] of its time zone, in ``language``.

    ``audience="client"`` is the version for the client: the same figures, without the team's
    internal diagnostics (health findings: overload, team size, roles)."""
    prev_start, prev_end = previous_period(start, end)
    with translation.override(language):
        report = Report(
            project=project.name, slug=project.slug, start=start, end=end,
            previous_start=prev_start, previous_end=prev_end, language=language,
            generated_at=timezone.now(), audience=audience_of(audience),
        )  # fmt: skip
        report.metrics = _metrics(project, start, end, prev_start, prev_end)
        report.goals = _goals(project, end)
        report.funnel, report.funnel_formula = _funnel(project, start, end)
        report.reach_by_day, report.reach_formula = _reach_by_day(project, start, end)
        posts = _posts(project, start, end)
        report.err_formula = _formula("err", "interactions / reach × 100 %")
        report.top_by_reach = sorted(posts, key=lambda p: -(p.reach or 0))[:TOP_POSTS]
        with_err = [p for p in posts if p.err is not None]
        report.top_by_err = sorted(with_err, key=lambda p: -p.err)[:TOP_POSTS]
        report.mix, report.mix_planned, report.mix_published = _mix(project, start, end)
        report.posts_outside_plan = _outside_plan(project, start, end)
        report.team = _team(project, start, end, posts)
        report.health = _health(project) if report.audience == TEAM else []
        report.charts = _charts(report, _heat(posts))
    return report


def _formula(key: str, fallback: str = "") -> str:
    """The expression of a named formula from ``formulas.FORMULAS``."""
    found = FORMULAS.get(key)
    return str(found.expression) if found is not None else fallback


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or not before:
        return None
    return round((now - before) * 100 / before, 1)


def _totals(project: Project, start: dt.date, end: dt.date) -> dict[str, float | None]:
    """The overview page's own totals (``selectors.totals``), so the page and the report
    never disagree on a figure."""
    return selectors.totals(project, selectors.Period(start, end, "custom"))


def _metrics(project, start, end, prev_start, prev_end) -> list[Figure]:
    now = _totals(project, start, end)
    before = _totals(project, prev_start, prev_end)
    figures = []
    for key, label in METRIC_LABELS.items():
        value, previous = now.get(key), before.get(key)
        if key == "err":
            formula, unit = _formula("err", "interactions / reach × 100 %"), "%"
            change = None if value is None or previous is None else round(value - previous, 2)
        else:
            formula, unit, change = str(SUM_TEXT[key]), "", _change(value, previous)
        figures.append(
            Figure(key, str(label), _float(value), _float(previous), change, unit, formula)
        )
    return figures


def _float(value) -> float | None:
    return None if value is None else float(value)


def _goals(project: Project, end: dt.date) -> list[GoalLine]:
    """The active goals as they stand on the last day of the period."""
    states = dict(Goal._meta.get_field("state").choices)
    return [
        GoalLine(
            goal.name, goal.metric, found.state, str(states.get(found.state, found.state)),
            _float(found.baseline), _float(found.current), _float(found.target_value),
            None if found.progress is None else round(float(found.progress) * 100, 1),
        )
        for goal, found in goals.for_project(project, today=end)
    ]  # fmt: skip


def _funnel(project, start, end) -> tuple[list[FunnelStep], str]:
    steps = [
        FunnelStep(
            row["step"], str(FUNNEL_LABELS.get(row["step"], row["step"])),
            _float(row.get("value")), _float(row.get("conversion")),
        )
        for row in summary.funnel(project, start, end)
    ]  # fmt: skip
    return steps, _formula("conversion", "step / previous step × 100 %")


def _reach_by_day(project, start, end) -> tuple[list, str]:
    series = [(day, _float(value)) for day, value in summary.series(project, "reach", start, end)]
    return series, str(SUM_TEXT["reach"])


def _outside_plan(project: Project, start: dt.date, end: dt.date) -> int:
    begin, finish = day_range_utc(project, start, end)
    posts = Post.objects.filter(project=project, published_at__gte=begin, published_at__lt=finish)
    return posts.filter(publication__isnull=True).count()


def _posts(project: Project, start: dt.date, end: dt.date) -> list[TopPost]:
    begin, finish = day_range_utc(project, start, end)
    zone = zoneinfo.ZoneInfo(project.timezone)
    out = []
    rows = Post.objects.filter(project=project, published_at__gte=begin, published_at__lt=finish)
    for post in rows:
        counters = {
            "likes": post.latest_likes, "comments": post.latest_comments,
            "shares": post.latest_shares, "saves": post.latest_saves,
        }  # fmt: skip
        interactions = formulas.interactions(counters)
        err = formulas.err(interactions, post.latest_reach)
        out.append(
            TopPost(
                post.title or post.external_id, post.url, post.network,
                post.published_at.astimezone(zone), post.latest_reach, interactions,
                None if err is None else round(float(err), 2), post.has_expert_input,
                network_name(post.network),
            )
        )  # fmt: skip
    out.sort(key=lambda p: p.published)
    return out


def _heat(posts_: list[TopPost]) -> list[list[float | None]]:
    """Average reach per post by weekday x three-hour band of publication (project time)."""
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for post in posts_:
        if post.reach is not None:
            cells[(post.published.weekday(), post.published.hour // 3)].append(post.reach)
    return [
        [round(sum(v) / len(v), 1) if (v := cells.get((day, band))) else None
         for band in range(HOUR_BANDS)]
        for day in range(7)
    ]  # fmt: skip


def _mix(project: Project, start: dt.date, end: dt.date) -> tuple[list[MixLine], int, int]:
    """Planned (not cancelled) and published items per rubric in the period, against the
    playbook's target share (what the plan's mix page shows per month)."""
    period = mix_between(project, start, end)
    lines = [
        MixLine(r.name, r.target, r.planned, r.published, r.planned_share, r.published_share)
        for r in period.rows
    ]
    return lines, period.planned, period.published


def _team(project: Project, start: dt.date, end: dt.date, posts_: list[TopPost]) -> Team:
    """Expert requests asked in the period and answered by their due date; the period's posts
    with and without the expert's material, and their average reach."""
    begin, finish = day_range_utc(project, start, end)
    asked, on_time = answered_on_time(project, begin, finish)
    groups: dict[bool, list[int]] = defaultdict(list)
    counted: Counter = Counter()
    for post in posts_:
        counted[post.has_expert_input] += 1
        if post.reach is not None:  # a post without a reach says nothing about reach
            groups[post.has_expert_input].append(post.reach)

    def average(values: list[int]) -> float | None:
        return round(sum(values) / len(values), 1) if values else None

    return Team(
        asked, on_time, round(100 * on_time / asked, 1) if asked else None,
        counted[True], counted[False], average(groups[True]), average(groups[False]),
    )  # fmt: skip


def _health(project: Project) -> list[HealthLine]:
    return [
        HealthLine(f.code, f.severity, f.severity_label, str(f.title), str(f.explanation),
                   str(f.fix))
        for f in health.evaluate(project)
    ]  # fmt: skip


# --- rendering ----------------------------------------------------------------------------------


def _charts(report: Report, heat: list[list[float | None]]) -> dict[str, str]:
    """The report's charts as inline SVG, labels in the report's language."""
    empty = _("No data for the period")
    return {
        "funnel": charts.funnel(
            [(s.label, s.value, s.conversion if i else None) for i, s in enumerate(report.funnel)],
            title=_("Funnel"), empty=empty,
        ),
        "reach": charts.line(
            report.reach_by_day, title=_("Reach by day"), empty=empty, missing_as_zero=True
        ),
        "mix": charts.bar(
            [(m.rubric, m.planned_share) for m in report.mix],
            second=[m.published_share for m in report.mix],
            markers=[m.target for m in report.mix],
            unit="%", title=_("Content mix"), empty=empty,
            legend=[_("planned"), _("published"), _("target")],
        ),
        "heat": charts.heatmap(
            [str(day) for day in WEEKDAYS],
            [f"{band * 3:02d}–{band * 3 + 3:02d}" for band in range(HOUR_BANDS)],
            heat, title=_("Average reach by publication time"), empty=empty,
        ),
    }  # fmt: skip


def render_html(report: Report, template: str = "analytics/report_pdf.html") -> str:
    period = f"{report.start:%d.%m.%Y} – {report.end:%d.%m.%Y}"
    context = {"report": report, "footer_css": css_string(f"{report.project} · {period}")}
    with translation.override(report.language):
        return render_to_string(template, context)


def to_pdf(report: Report) -> bytes:
    """The report as an A4 PDF; charts are inline SVG drawn as vectors."""
    return html_to_pdf(render_html(report))


def file_name(report: Report, extension: str) -> str:
    return f"{report.slug}-report-{report.start:%Y%m%d}-{report.end:%Y%m%d}.{extension}"


def to_xlsx(report: Report) -> bytes:
    """The report as a workbook: one sheet per section, numbers as numbers."""
    from openpyxl import Workbook

    with translation.override(report.language):
        book = Workbook()
        book.remove(book.active)
        for title, header, rows, formats in _sheets(report):
            _sheet(book, title, header, rows, formats)
        out = io.BytesIO()
        book.save(out)
    return out.getvalue()


def _sheets(report: Report):
    """(title, header, rows, number formats by column) for each sheet."""
    period = f"{report.start:%d.%m.%Y} – {report.end:%d.%m.%Y}"
    yield (
        _("Summary"),
        [_("Metric"), period, _("Previous period"), _("Change"), _("Formula")],
        [[f.label, _pct(f.value) if f.unit == "%" else f.value,
          _pct(f.previous) if f.unit == "%" else f.previous,
          _pct(f.change) if f.unit != "%" else f.change, f.formula]
         for f in report.metrics],
        {2: "pct_or_num", 3: "pct_or_num", 4: "change"},
    )  # fmt: skip
    yield (
        _("Goals"),
        [_("Goal"), _("State"), _("Baseline"), _("Current"), pgettext("goal value", "Target"),
         _("Progress")],
        [[g.name, g.state_label, g.baseline, g.current, g.target, _pct(g.progress)]
         for g in report.goals],
        {3: "0.##", 4: "0.##", 5: "0.##", 6: "0.0%"},
    )  # fmt: skip
    yield (
        _("Funnel"),
        [_("Step"), _("Value"), _("Conversion")],
        [[s.label, s.value, _pct(s.conversion)] for s in report.funnel],
        {2: "#,##0", 3: "0.0%"},
    )
    posts = [(_("By reach"), p) for p in report.top_by_reach]
    posts += [(_("By ERR"), p) for p in report.top_by_err]
    yield (
        _("Top posts"),
        [_("List"), _("Published"), _("Post"), _("Network"), _("Reach"), _("Interactions"),
         "ERR", _("Link")],
        [[kind, p.published.replace(tzinfo=None), p.title, p.network_name, p.reach, p.interactions,
          _pct(p.err), p.url] for kind, p in posts],
        {2: "dd.mm.yyyy hh:mm", 5: "#,##0", 6: "#,##0", 7: "0.0%"},
    )  # fmt: skip
    yield (
        _("Content mix"),
        [_("Rubric"), _("Target"), _("Planned"), _("Planned share"), _("Published"),
         _("Published share")],
        [[m.rubric, _pct(m.target), m.planned, _pct(m.planned_share), m.published,
          _pct(m.published_share)] for m in report.mix],
        {2: "0%", 4: "0.0%", 6: "0.0%"},
    )  # fmt: skip
    team = report.team
    rows = []
    if team is not None:
        rows = [
            [_("Expert requests asked"), team.asked],
            [_("Answered on time"), team.answered_on_time],
            [_("Answered on time, share"), _pct(team.on_time_percent)],
            [_("Posts with the expert's material"), team.posts_with_input],
            [_("Posts without it"), team.posts_without_input],
            [_("Average reach, with the expert's material"), team.reach_with_input],
            [_("Average reach, without it"), team.reach_without_input],
        ]
    rows += [[f"{h.severity_label}: {h.title}", h.explanation] for h in report.health]
    yield _("Team"), [_("Figure"), _("Value")], rows, {}


def _pct(value: float | None) -> float | None:
    """A percent figure as the fraction a spreadsheet's % format expects."""
    return None if value is None else value / 100


def _sheet(book, title: str, header: list[str], rows: list[list], formats: dict) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    sheet = book.create_sheet(title[:31])
    exports.append_row(sheet, [str(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="3F51E0")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for row in rows:
        exports.append_row(sheet, row)
        line = sheet.max_row
        for column, fmt in formats.items():
            cell = sheet.cell(row=line, column=column)
            if fmt == "pct_or_num":
                fmt = "0.00%" if row[0] == str(METRIC_LABELS["err"]) else "#,##0.##"
            elif fmt == "change":
                fmt = "0.00" if row[0] == str(METRIC_LABELS["err"]) else "+0.0%;-0.0%;0%"
            cell.number_format = fmt
    sheet.freeze_panes = "A2"
    for index, column in enumerate(sheet.columns, start=1):
        longest = max((len(str(c.value)) for c in column if c.value is not None), default=8)
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = min(max(longest + 2, 10), 60)
