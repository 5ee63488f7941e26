"""The agreement of a project: the frozen matrix, who accepted it, its versions and exports."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from zveno.core.pdf import PdfUnavailable
from zveno.team import agreements, services
from zveno.team.models import Agreement
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

LANGUAGES = {code for code, _name in settings.LANGUAGES}


class NoteForm(forms.Form):
    note = forms.CharField(required=False, max_length=agreements.NOTE_MAX_LENGTH)


@access.member_required
def agreement(request, slug: str):
    """The newest version: what the team accepts now."""
    granted = access.grant_for(request.user, slug)
    project = granted.project
    return _page(request, granted, agreements.latest(project))


@access.member_required
def agreement_version(request, slug: str, version: int):
    granted = access.grant_for(request.user, slug)
    project = granted.project
    return _page(request, granted, agreements.version_for(project, version))


def _page(request, granted, agreement: Agreement | None, status: int = 200, **extra):
    project = granted.project
    context = {"project": project, "granted": granted, "tab": "agreement", **extra}
    if agreement is not None:
        language = request.LANGUAGE_CODE
        context.update(agreements.page_context(agreement, request.user, granted, language))
    return render(request, "team/agreement.html", context, status=status)


@access.member_required
@require_POST
def agreement_accept(request, slug: str, version: int):
    project = access.project_for(request.user, slug)
    agreement = agreements.version_for(project, version)
    seen = request.POST.get("digest", "")
    if agreement == agreements.latest(project) and seen != agreements.snapshot_digest(agreement):
        messages.error(request, _("This version changed while you were reading it: read it again."))
        return redirect("team:agreement", project.slug)
    try:
        services.accept_agreement(request.user, agreement)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("team:agreement_version", project.slug, agreement.version)
    messages.success(request, _("You accepted version %(version)s.") % {"version": version})
    return redirect("team:agreement", project.slug)


@access.member_required
@require_POST
def agreement_note(request, slug: str, version: int):
    """Managers write the note of an open version (htmx swaps the note card, else redirect)."""
    granted = access.grant_for(request.user, slug, need=Capability.MANAGE_TEAM)
    project = granted.project
    agreement = agreements.version_for(project, version)
    form = NoteForm(request.POST)
    error = ""
    if not form.is_valid():
        error = " ".join(form.errors["note"])
    else:
        try:
            services.set_agreement_note(request.user, agreement, form.cleaned_data["note"])
        except ValidationError as exc:
            error = " ".join(exc.messages)
    if request.headers.get("HX-Request"):
        return _note_card(request, granted, agreement, error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Note saved."))
    return redirect("team:agreement_version", project.slug, agreement.version)


def _note_card(request, granted, agreement: Agreement, error: str):
    project = granted.project
    context = agreements.page_context(agreement, request.user, granted, request.LANGUAGE_CODE)
    context.update(project=project, granted=granted, note_error=error, note_saved=not error)
    return render(request, "team/partials/_agreement_note.html", context)


@access.member_required
@require_safe
def agreement_markdown(request, slug: str, version: int):
    project = access.project_for(request.user, slug)
    agreement = agreements.version_for(project, version)
    text = agreements.render_markdown(agreement, _export_language(request))
    filename = agreements.export_filename(agreement, "md")
    return _download(text.encode(), "text/markdown; charset=utf-8", filename)


@access.member_required
@require_safe
def agreement_pdf(request, slug: str, version: int):
    granted = access.grant_for(request.user, slug)
    project = granted.project
    agreement = agreements.version_for(project, version)
    try:
        pdf = agreements.render_pdf(agreement, _export_language(request))
    except PdfUnavailable:
        return _page(request, granted, agreement, status=503, pdf_unavailable=True)
    return _download(pdf, "application/pdf", agreements.export_filename(agreement, "pdf"))


def _export_language(request) -> str:
    """The reader's language, or the one asked for (?lang=en: a document for the client)."""
    wanted = request.GET.get("lang", "")
    return wanted if wanted in LANGUAGES else request.LANGUAGE_CODE


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    patch_cache_control(response, private=True, no_cache=True)
    return response


urls = [
    path("p/<slug:slug>/agreement/", agreement, name="agreement"),
    path("p/<slug:slug>/agreement/<int:version>/", agreement_version, name="agreement_version"),
    path(
        "p/<slug:slug>/agreement/<int:version>/accept/", agreement_accept, name="agreement_accept"
    ),
    path("p/<slug:slug>/agreement/<int:version>/note/", agreement_note, name="agreement_note"),
    path(
        "p/<slug:slug>/agreement/<int:version>/export.md",
        agreement_markdown,
        name="agreement_markdown",
    ),
    path("p/<slug:slug>/agreement/<int:version>/export.pdf", agreement_pdf, name="agreement_pdf"),
]
