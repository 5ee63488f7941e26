"""Analytics pages: the period report (web, PDF, XLSX), its schedules and client links, and the
public page a client opens from a link."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zveno.analytics import reports
from zveno.analytics.models import Frequency
from zveno.analytics.services import reports as report_services
from zveno.core import throttle
from zveno.core.pdf import PdfUnavailable
from zveno.core.timezones import today_in
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

XLSX = report_services.XLSX
PERIODS = ("this_week", "last_week", "this_month", "last_month", "custom")


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


def period_of(request, project) -> tuple[str, dt.date, dt.date]:
    """The period asked for in the query string (a preset or from/to), this month by default."""
    today = today_in(project.timezone)
    choice = request.GET.get("period") or ("custom" if request.GET.get("from") else "this_month")
    if choice == "custom":
        start, end = _date(request.GET.get("from")), _date(request.GET.get("to"))
        try:
            return choice, *report_services.check_period(start, end)
        except ValidationError:
            choice = "this_month"
    if choice == "this_week":
        return choice, today - dt.timedelta(days=today.weekday()), today
    if choice == "last_week":
        return choice, *report_services.last_period(Frequency.WEEKLY, today)
    if choice == "last_month":
        return choice, *report_services.last_period(Frequency.MONTHLY, today)
    return "this_month", today.replace(day=1), today


def _query(start: dt.date, end: dt.date, audience: str = reports.TEAM) -> str:
    return f"?from={start:%Y-%m-%d}&to={end:%Y-%m-%d}&audience={audience}"


def _audience(request) -> str:
    return reports.audience_of(request.GET.get("audience"))


def _pdf(built: reports.Report) -> HttpResponse:
    try:
        body = reports.to_pdf(built)
    except PdfUnavailable:
        message = _("PDF export is not available on this server; download the XLSX instead.")
        return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    return _attachment(body, "application/pdf", reports.file_name(built, "pdf"))


def _attachment(body: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@access.member_required
def report(request, slug):
    granted = access.grant_for(request.user, slug, Capability.VIEW_ANALYTICS)
    project = granted.project
    choice, start, end = period_of(request, project)
    audience = _audience(request)
    context = {
        "project": project, "granted": granted, "tab": "reports",
        "report": reports.build(project, start, end, get_language() or "ru", audience),
        "choice": choice, "periods": _period_labels(), "query": _query(start, end, audience),
        "can_manage": granted.can(Capability.MANAGE_ANALYTICS),
        "link_days": report_services.LINK_DAYS, "default_days": report_services.DEFAULT_LINK_DAYS,
    }  # fmt: skip
    return render(request, "analytics/report.html", context)


def _period_labels() -> list[tuple[str, str]]:
    return [
        ("this_week", _("This week")), ("last_week", _("Last week")),
        ("this_month", _("This month")), ("last_month", _("Last month")),
        ("custom", _("Custom")),
    ]  # fmt: skip


@access.member_required
def report_pdf(request, slug):
    project = access.project_for(request.user, slug, Capability.VIEW_ANALYTICS)
    _choice, start, end = period_of(request, project)
    built = reports.build(project, start, end, get_language() or "ru", _audience(request))
    return _pdf(built)


@access.member_required
def report_xlsx(request, slug):
    project = access.project_for(request.user, slug, Capability.VIEW_ANALYTICS)
    _choice, start, end = period_of(request, project)
    built = reports.build(project, start, end, get_language() or "ru", _audience(request))
    return _attachment(reports.to_xlsx(built), XLSX, reports.file_name(built, "xlsx"))


# --- schedules ----------------------------------------------------------------------------------


@access.member_required
def report_schedules(request, slug):
    granted = access.grant_for(request.user, slug, Capability.MANAGE_ANALYTICS)
    project = granted.project
    errors: dict = {}
    if request.method == "POST":
        try:
            report_services.create_schedule(
                request.user, project, request.POST.get("frequency", ""),
                [v for v in request.POST.getlist("recipients") if v.isdigit()],
                request.POST.getlist("formats"),
            )  # fmt: skip
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("The report will be sent on schedule."))
            return redirect("analytics:report_schedules", slug=project.slug)
    context = {
        "project": project, "granted": granted,
        "tab": "reports", "errors": errors, "frequencies": Frequency.choices,
        "members": project.memberships.select_related("user").order_by("user__name", "pk"),
        "schedules": project.report_schedules.prefetch_related("recipients", "deliveries"),
        "posted": request.POST if request.method == "POST" else None,
    }  # fmt: skip
    return render(
        request, "analytics/report_schedules.html", context, status=422 if errors else 200
    )


@require_POST
@access.member_required
def report_schedule_delete(request, slug, schedule_id: int):
    project = access.project_for(request.user, slug, Capability.MANAGE_ANALYTICS)
    report_services.delete_schedule(request.user, project, schedule_id)
    messages.success(request, _("The schedule was deleted."))
    return redirect("analytics:report_schedules", slug=project.slug)


# --- client links -------------------------------------------------------------------------------


@access.member_required
def report_links(request, slug):
    granted = access.grant_for(request.user, slug, Capability.MANAGE_ANALYTICS)
    project = granted.project
    new_url, errors = None, {}
    if request.method == "POST":
        try:
            days = int(request.POST.get("days") or report_services.DEFAULT_LINK_DAYS)
            _link, raw = report_services.create_link(
                request.user, project, _date(request.POST.get("from")),
                _date(request.POST.get("to")), days,
            )  # fmt: skip
        except (ValidationError, ValueError) as exc:
            errors = getattr(exc, "message_dict", {"days": [str(exc)]})
        else:  # the token is shown this once: the database keeps only its hash
            new_url = request.build_absolute_uri(reverse("analytics:report_public", args=[raw]))
    context = {
        "project": project, "granted": granted,
        "tab": "reports", "new_url": new_url, "errors": errors,
        "links": project.report_links.select_related("created_by"),
        "now": dt.datetime.now(dt.UTC),
    }  # fmt: skip
    return render(request, "analytics/report_links.html", context, status=422 if errors else 200)


@require_POST
@access.member_required
def report_link_revoke(request, slug, link_id: int):
    project = access.project_for(request.user, slug, Capability.MANAGE_ANALYTICS)
    report_services.revoke_link(request.user, project, link_id)
    messages.success(request, _("The link was revoked; it no longer opens."))
    return redirect("analytics:report_links", slug=project.slug)


# --- the client's page ------------------------------------------------------------------------


def _gone(request) -> HttpResponse:
    response = render(request, "analytics/report_expired.html", status=404)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@access.public
@throttle.guard_link
def report_public(request, report_token: str):
    link = report_services.live_link(report_token)
    if link is None:
        return _gone(request)
    built = reports.build(
        link.project, link.period_start, link.period_end, get_language() or "ru", reports.CLIENT
    )
    context = {"report": built, "link": link, "token": report_token}
    response = render(request, "analytics/report_public.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@access.public
@throttle.guard_link
def report_public_pdf(request, report_token: str):
    link = report_services.live_link(report_token)
    if link is None:
        return _gone(request)
    built = reports.build(
        link.project, link.period_start, link.period_end, get_language() or "ru", reports.CLIENT
    )
    response = _pdf(built)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


urls = [
    path("p/<slug:slug>/analytics/reports/", report, name="reports"),
    path("p/<slug:slug>/analytics/reports/report.pdf", report_pdf, name="report_pdf"),
    path("p/<slug:slug>/analytics/reports/report.xlsx", report_xlsx, name="report_xlsx"),
    path("p/<slug:slug>/analytics/reports/schedules/", report_schedules, name="report_schedules"),
    path(
        "p/<slug:slug>/analytics/reports/schedules/<int:schedule_id>/delete/",
        report_schedule_delete,
        name="report_schedule_delete",
    ),
    path("p/<slug:slug>/analytics/reports/links/", report_links, name="report_links"),
    path(
        "p/<slug:slug>/analytics/reports/links/<int:link_id>/revoke/",
        report_link_revoke,
        name="report_link_revoke",
    ),
    path("r/<str:report_token>/", report_public, name="report_public"),
    path("r/<str:report_token>/report.pdf", report_public_pdf, name="report_public_pdf"),
]
