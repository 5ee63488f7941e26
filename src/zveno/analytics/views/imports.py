"""Analytics pages: metric imports.

Upload (file, preset, year, channel) → preview (the file's columns, the first parsed rows, the
problems so far; for the generic presets a select per column to map it to a field) → import →
the import's page with a progress bar (htmx polls while the job is queued or running) and the
row-level error report. The uploaded file waits for the confirmation in the storage under
``imports/staging/``; the form carries a signed reference to it, bound to the project.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from zveno.analytics import imports as service
from zveno.analytics import presets, selectors
from zveno.analytics.models import Import, ImportStatus
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

SALT = "zveno.analytics.imports.staged"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 200 * 1024 * 1024


def _preset_choices():
    return [(p.key, p.name) for p in presets.PRESETS.values()]


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File (CSV or XLSX)"))
    preset = forms.ChoiceField(label=gettext_lazy("Preset"), choices=_preset_choices)
    year = forms.IntegerField(
        label=gettext_lazy("Year"),
        required=False,
        min_value=1990,
        max_value=2100,
        help_text=gettext_lazy("For Facebook Insights: the file has months, not years."),
    )
    channel = forms.TypedChoiceField(
        label=gettext_lazy("Channel"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, project, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", _("As the file says"))] + [
            (c.pk, str(c)) for c in project.channels.all()
        ]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(service.EXTENSIONS):
            raise ValidationError(_("Upload a CSV or XLSX file."))
        if upload.size > MAX_UPLOAD:
            raise ValidationError(_("The file is too large for the page; use the command line."))
        return upload


def _context(granted, **extra):
    project = granted.project
    return {
        "project": project,
        "granted": granted,
        "tab": "imports",
        "can_manage": granted.can(Capability.MANAGE_ANALYTICS),
        **extra,
    }


def _page(request, granted, form=None):
    project = granted.project
    recent = list(project.imports.select_related("created_by")[:30])
    for batch in recent:
        chosen = presets.get(batch.preset)
        batch.preset_name = chosen.name if chosen else batch.preset
    templates = [p for p in presets.PRESETS.values() if p.template]
    ctx = _context(
        granted,
        form=form or UploadForm(project),
        recent=recent,
        templates=templates,
        all_presets=list(presets.PRESETS.values()),
    )
    return render(request, "analytics/imports.html", ctx)


@access.member_required
def imports(request, slug):
    """The list of imports and the upload form; an upload shows its preview."""
    granted = access.grant_for(request.user, slug, Capability.VIEW_ANALYTICS)
    project = granted.project
    if request.method != "POST":
        return _page(request, granted)
    granted.require(Capability.MANAGE_ANALYTICS)
    form = UploadForm(project, request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, granted, form)
    upload = form.cleaned_data["file"]
    name = upload.name.rsplit("/", 1)[-1]
    stored = default_storage.save(f"imports/staging/{uuid.uuid4().hex}-{name}"[:250], upload)
    staged = signing.dumps({"p": project.pk, "f": stored, "n": name}, salt=SALT)
    data = {
        "preset": form.cleaned_data["preset"],
        "year": form.cleaned_data.get("year") or "",
        "channel": form.cleaned_data.get("channel") or "",
    }
    return _preview(request, granted, staged, data, mapping=None)


def _staged(project, token):
    try:
        value = signing.loads(token or "", salt=SALT, max_age=60 * 60 * 24)
    except signing.BadSignature:
        return None
    if value.get("p") != project.pk or not default_storage.exists(value.get("f", "")):
        return None
    return value


def _preview(request, granted, token, data, mapping):
    project = granted.project
    staged = _staged(project, token)
    if staged is None:
        messages.error(request, _("The uploaded file has expired; upload it again."))
        return redirect("analytics:imports", project.slug)
    preset = presets.get(data["preset"])
    problems, result, header = [], None, []
    try:
        options = service.check_options(
            project, data["preset"], data["year"], data["channel"], mapping
        )
    except ValidationError as exc:
        options = None
        problems = [
            {"row": 1, "column": key, "message": " ".join(msgs)}
            for key, msgs in exc.message_dict.items()
            if not (key == "mapping" and mapping is None)
        ]
    with default_storage.open(staged["f"], "rb") as binary:
        try:
            if options is None and preset is not None and preset.generic:
                options = service.Options(preset, None, None, {})
            if options is not None:
                result = service.preview(project, binary, staged["n"], options)
                header = result["header"]
                problems += result["errors"]
        except ValidationError as exc:
            problems.append({"row": 1, "column": "", "message": " ".join(exc.messages)})
    suggested = {}
    if preset is not None and preset.generic:
        suggested = mapping if mapping is not None else service.suggest_mapping(preset, header)
    columns = [(i, name, suggested.get(name, "")) for i, name in enumerate(header)]
    labels = {f.key: f.label for f in presets.FIELD_KINDS.get(preset.target, ())} if preset else {}
    rows = (result or {}).get("rows", [])
    for row in rows:
        row["figures"] = [(labels.get(k, k), v) for k, v in row["counters"].items()]
    ctx = _context(
        granted,
        preset=preset,
        staged=token,
        filename=staged["n"],
        data=data,
        columns=columns,
        fields=preset.fields if preset else [],
        rows=rows,
        problems=problems[:50],
        problem_count=len(problems),
        ready=not problems and (not preset.generic or bool(mapping)) if preset else False,
    )
    return render(request, "analytics/imports_preview.html", ctx)


@access.member_required
def import_preview(request, slug):
    """Re-previews with a new mapping, or starts the import of the staged file."""
    granted = access.grant_for(request.user, slug, Capability.MANAGE_ANALYTICS)
    project = granted.project
    if request.method != "POST":
        return redirect("analytics:imports", project.slug)
    token = request.POST.get("staged", "")
    data = {k: request.POST.get(k, "") for k in ("preset", "year", "channel")}
    preset = presets.get(data["preset"])
    mapping = None
    if preset is not None and preset.generic and "map_0" in request.POST:
        staged = _staged(project, token)
        header = []
        if staged:
            with default_storage.open(staged["f"], "rb") as binary:
                header = service.read_header(binary, staged["n"])
        mapping = {
            name: request.POST.get(f"map_{i}", "")
            for i, name in enumerate(header)
            if request.POST.get(f"map_{i}")
        }
    if request.POST.get("action") != "start":
        return _preview(request, granted, token, data, mapping)
    staged = _staged(project, token)
    if staged is None:
        messages.error(request, _("The uploaded file has expired; upload it again."))
        return redirect("analytics:imports", project.slug)
    try:
        with default_storage.open(staged["f"], "rb") as binary:
            binary.name = staged["n"]
            batch = service.create_import(
                request.user,
                project,
                binary,
                preset=data["preset"],
                year=data["year"],
                channel=data["channel"],
                mapping=mapping,
            )
    except ValidationError:
        return _preview(request, granted, token, data, mapping)
    default_storage.delete(staged["f"])
    if batch.status == ImportStatus.DONE and batch.period_start:
        # Straight to the figures of the imported days, not to an empty last-30-days view.
        messages.success(request, _done_message(batch))
        return redirect(figures_url(batch))
    return redirect("analytics:import_detail", project.slug, batch.pk)


def _done_message(batch) -> str:
    return _(
        "Imported %(name)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged. "
        "Showing %(start)s – %(end)s."
    ) % {
        "name": batch.filename,
        "created": batch.created,
        "updated": batch.updated,
        "unchanged": batch.unchanged,
        "start": date_format(batch.period_start, "SHORT_DATE_FORMAT"),
        "end": date_format(batch.period_end, "SHORT_DATE_FORMAT"),
    }


def figures_url(batch) -> str:
    """The analytics overview on the days the import covers (the default period without them)."""
    url = reverse("analytics:overview", args=[batch.project.slug])
    period = selectors.imported_period(batch)
    return f"{url}?{urlencode(period.params)}" if period else url


def _batch(request, slug, import_id):
    granted = access.grant_for(request.user, slug, Capability.VIEW_ANALYTICS)
    return granted, get_object_or_404(Import, project=granted.project, pk=import_id)


def _running(batch) -> bool:
    return batch.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)


@access.member_required
def import_detail(request, slug, import_id):
    granted, batch = _batch(request, slug, import_id)
    preset = presets.get(batch.preset)
    ctx = _context(
        granted,
        batch=batch,
        preset=preset,
        running=_running(batch),
        figures_url=figures_url(batch),
        imported=selectors.imported_period(batch),
    )
    return render(request, "analytics/imports_detail.html", ctx)


@access.member_required
def import_progress(request, slug, import_id):
    """The progress block alone, for htmx polling."""
    granted, batch = _batch(request, slug, import_id)
    ctx = {"project": granted.project, "batch": batch, "running": _running(batch)}
    response = render(request, "analytics/partials/_import_progress.html", ctx)
    if not _running(batch) and request.headers.get("HX-Request"):
        # The job ended: reload the page so the error report and counts appear in full.
        response["HX-Refresh"] = "true"
    return response


@access.member_required
def import_template(request, slug, preset):
    """Zveno's template for a preset, as XLSX (default) or CSV (?format=csv)."""
    access.project_for(request.user, slug, Capability.VIEW_ANALYTICS)
    chosen = presets.get(preset)
    if chosen is None or not chosen.template:
        raise Http404
    language = get_language()
    if request.GET.get("format") == "csv":
        body, kind, ext = presets.template_csv(chosen, language), "text/csv; charset=utf-8", "csv"
    else:
        body, kind, ext = presets.template_xlsx(chosen, language), XLSX, "xlsx"
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{chosen.key}.{ext}"'
    return response


def detail_url(batch) -> str:
    return reverse("analytics:import_detail", args=[batch.project.slug, batch.pk])


urls = [
    path("p/<slug:slug>/analytics/imports/", imports, name="imports"),
    path("p/<slug:slug>/analytics/imports/preview/", import_preview, name="import_preview"),
    path("p/<slug:slug>/analytics/imports/<int:import_id>/", import_detail, name="import_detail"),
    path(
        "p/<slug:slug>/analytics/imports/<int:import_id>/progress/",
        import_progress,
        name="import_progress",
    ),
    path(
        "p/<slug:slug>/analytics/imports/templates/<str:preset>/",
        import_template,
        name="import_template",
    ),
]
