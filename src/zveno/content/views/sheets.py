"""The plan as a spreadsheet (export, import), the draft plan generator and the content mix."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zveno.content import plan, sheets
from zveno.content.api.sheets import XLSX
from zveno.core.forms import DateInput, apply_errors
from zveno.core.timezones import today_in
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

MIX_MONTHS = 3


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("XLSX or CSV file"))


DATE = DateInput()


class RangeForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=DATE)
    end = forms.DateField(label=gettext_lazy("To"), widget=DATE)


class DayOffForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Day off"), widget=DATE)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=120, required=False)


def _context(granted, **extra) -> dict:
    project = granted.project
    return {"project": project, "granted": granted, "tab": "plan", **extra}


def _file(request, slug: str, kind: str) -> HttpResponse:
    project = access.project_for(request.user, slug)
    language = request.LANGUAGE_CODE or "ru"
    if kind == "xlsx":
        body, content_type = sheets.to_xlsx(project, language), XLSX
    else:
        body, content_type = sheets.to_csv(project, language), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{project.slug}-plan.{kind}"'
    return response


@access.member_required
def plan_xlsx(request, slug: str):
    return _file(request, slug, "xlsx")


@access.member_required
def plan_csv(request, slug: str):
    return _file(request, slug, "csv")


STAGED_SALT = "zveno.content.plan_import.staged"


def _stage(project, upload, data: bytes) -> str:
    """Keeps the file for the "create what is missing and import" button; a signed reference."""
    name = (upload.name or "plan").rsplit("/", 1)[-1]
    stored = default_storage.save(
        f"plans/staging/{uuid.uuid4().hex}-{name}"[:250], ContentFile(data)
    )
    return signing.dumps({"p": project.pk, "f": stored, "n": name}, salt=STAGED_SALT)


def _staged(project, token: str) -> dict | None:
    try:
        value = signing.loads(token or "", salt=STAGED_SALT, max_age=60 * 60 * 24)
    except signing.BadSignature:
        return None
    if value.get("p") != project.pk or not default_storage.exists(value.get("f", "")):
        return None
    return value


def _imported(request, project, report) -> HttpResponse:
    made = report.created_rubrics + report.created_channels
    message = _("Items created: %(n)s.") % {"n": report.created}
    if made:
        message += " " + _("Also created: %(names)s.") % {"names": ", ".join(made)}
    messages.success(request, message)
    return redirect("content:plan_import", project.slug)


@access.member_required
def plan_import(request, slug: str):
    """Upload a plan; every problem is listed by row and nothing is saved until there are none.
    When the only problems are rubrics and channels the project lacks, the page offers to create
    them (the file waits, signed, for that second click)."""
    granted = access.grant_for(request.user, slug, need=Capability.EDIT_CONTENT)
    project = granted.project
    form = ImportForm(request.POST or None, request.FILES or None)
    report, staged = None, ""
    if request.method == "POST" and request.POST.get("staged"):
        found = _staged(project, request.POST["staged"])
        if found is None:
            messages.error(request, _("The uploaded file has expired; upload it again."))
            return redirect("content:plan_import", project.slug)
        with default_storage.open(found["f"], "rb") as handle:
            data = handle.read()
        report = sheets.import_plan(request.user, project, data, found["n"], create_missing=True)
        if report.created:
            default_storage.delete(found["f"])
            return _imported(request, project, report)
        form = ImportForm()
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        report = sheets.import_plan(request.user, project, data, upload.name)
        if report.created:
            return _imported(request, project, report)
        if report.only_missing:
            staged = _stage(project, upload, data)
    headers = sheets.headers(request.LANGUAGE_CODE)
    context = _context(
        granted, form=form, report=report, headers=headers, staged=staged,
        can_create=granted.can(Capability.MANAGE_PROJECT),
    )  # fmt: skip
    refused = report is not None and not report.created  # nothing saved: say so in the status
    return render(request, "content/sheets/import.html", context, status=422 if refused else 200)


def _range(request, project) -> RangeForm:
    today = today_in(project.timezone)
    monday = today + dt.timedelta(days=7 - today.weekday())
    initial = {"start": monday, "end": monday + dt.timedelta(days=13)}
    data = request.POST if request.method == "POST" else request.GET
    if "start" not in data and request.GET.get("welcome"):
        data = {name: day.isoformat() for name, day in initial.items()}  # preview at once
    return RangeForm(data if "start" in data else None, initial=initial)


def _day_off(request, project) -> tuple[DayOffForm, bool]:
    """Adds or removes a day off; True when done (the page then reloads by GET)."""
    action = request.POST.get("action")
    form = DayOffForm(request.POST if action == "day_off_add" else None)
    if action == "day_off_add" and form.is_valid():
        try:
            plan.add_day_off(request.user, project, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Day off added."))
            return form, True
    elif action == "day_off_remove":
        day = get_object_or_404(project.days_off, pk=request.POST.get("day_off") or 0)
        plan.remove_day_off(request.user, day)
        messages.success(request, _("Day off removed."))
        return form, True
    return form, False


@access.member_required
def plan_draft(request, slug: str):
    """A preview of the items the cadence asks for; a confirming POST creates them."""
    granted = access.grant_for(request.user, slug, need=Capability.REVIEW_CONTENT)
    project = granted.project
    day_form, done = _day_off(request, project)
    if done:
        return redirect("content:plan_draft", project.slug)
    form, slots = _range(request, project), None
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        try:
            if request.POST.get("action") == "confirm":
                created = plan.create_draft(request.user, project, start, end)
                messages.success(request, _("Ideas created: %(n)s.") % {"n": len(created)})
                return redirect(f"{request.path}?start={start}&end={end}")
            slots = plan.draft(project, start, end)
        except ValidationError as exc:
            apply_errors(form, exc)
    summary = Counter((s.channel, s.format_label) for s in slots or [])
    context = _context(
        granted, form=form, day_form=day_form, slots=slots,
        summary=sorted(summary.items()), days_off=project.days_off.all(),
        welcome=bool(request.GET.get("welcome")),
    )  # fmt: skip
    return render(request, "content/sheets/draft.html", context)


def _first_month(request, project) -> dt.date:
    try:
        return dt.datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
    except ValueError:
        return today_in(project.timezone).replace(day=1)


@access.member_required
def plan_mix(request, slug: str):
    """Planned and published share per rubric against the playbook's target, per month."""
    granted = access.grant_for(request.user, slug)
    project = granted.project
    first = _first_month(request, project)
    months = plan.mix(project, first, MIX_MONTHS)
    earlier = (first - dt.timedelta(days=1)).replace(day=1)
    later = plan.month_starts(first, MIX_MONTHS + 1)[-1]
    context = _context(granted, months=months, earlier=earlier, later=later)
    return render(request, "content/sheets/mix.html", context)


urls = [
    path("p/<slug:slug>/plan/export.xlsx", plan_xlsx, name="plan_xlsx"),
    path("p/<slug:slug>/plan/export.csv", plan_csv, name="plan_csv"),
    path("p/<slug:slug>/plan/import/", plan_import, name="plan_import"),
    path("p/<slug:slug>/plan/draft/", plan_draft, name="plan_draft"),
    path("p/<slug:slug>/plan/mix/", plan_mix, name="plan_mix"),
]
