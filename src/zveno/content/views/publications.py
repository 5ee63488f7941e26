"""One publication of an item: its own planned time and text, edited inline on the item page.

The item page lists the item's publications (one per channel); a member with EDIT_CONTENT opens
a publication's form in place (htmx; without JavaScript the same form is a page of its own),
sets a time (empty: the item's) and a text (empty: the item's), and sees the network's length
warning as they type. ``services.update_publication`` saves and records the activity.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from types import SimpleNamespace

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zveno.content import checks, selectors, services
from zveno.content.models import Publication, PublicationStatus, State
from zveno.content.views.items import _labelled
from zveno.core.forms import DateTimeLocalInput, apply_errors
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

FINAL = {State.PUBLISHED, State.CANCELLED}


class PublicationForm(forms.Form):
    planned_at = forms.DateTimeField(
        label=gettext_lazy("Own time"), required=False, widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )  # fmt: skip
    text = forms.CharField(
        label=gettext_lazy("Own text"), required=False, max_length=20000,
        widget=forms.Textarea({"rows": 6}),
    )  # fmt: skip

    def clean_planned_at(self) -> dt.datetime | None:
        # Read in the active zone by Django; the service wants the project's wall clock.
        value = self.cleaned_data.get("planned_at")
        if value is not None and timezone.is_aware(value):
            value = timezone.make_naive(value)
        return value

    @staticmethod
    def initial_for(publication: Publication) -> dict:
        own = publication.planned_at
        if own is not None:
            zone = zoneinfo.ZoneInfo(publication.item.project.timezone)
            own = own.astimezone(zone).replace(tzinfo=None)
        return {"planned_at": own, "text": publication.text}


def warnings_for(publication: Publication, text: str) -> list[dict]:
    """The item page's per-network length warning, for this publication with ``text`` typed."""
    item = publication.item
    draft_pub = SimpleNamespace(
        channel=publication.channel, channel_id=publication.channel_id, text=text
    )
    draft = SimpleNamespace(
        format=item.format, visual_brief=item.visual_brief, text=item.text,
        publications=SimpleNamespace(all=lambda: [draft_pub]),
    )  # fmt: skip
    return _labelled(checks.length_warnings(draft))


def editable(item, publication) -> bool:
    return item.state not in FINAL and publication.status != PublicationStatus.PUBLISHED


def _context(granted, item, publication, **extra) -> dict:
    project = granted.project
    return {
        "project": project, "granted": granted, "tab": "content", "item": item, "p": publication,
        "final": item.state in FINAL, "warnings": warnings_for(publication, publication.text),
        "length": len(publication.text or item.text), **extra,
    }  # fmt: skip


@access.member_required
def publication_edit(request, slug: str, item: int, channel_id: int):
    """GET: the inline form (``?show=row``: the row again, for "cancel"); POST: save it."""
    granted = access.grant_for(request.user, slug, need=Capability.EDIT_CONTENT)
    project = granted.project
    obj = get_object_or_404(selectors.items(project), pk=item)
    publication = get_object_or_404(obj.publications.select_related("channel"), channel=channel_id)
    publication.item = obj
    htmx = request.headers.get("HX-Request") == "true"
    if request.method == "POST" and request.POST.get("_warnings"):
        typed = request.POST.get("text", "")
        warnings, length = warnings_for(publication, typed), len(typed or obj.text)
        context = {"warnings": warnings, "length": length, "p": publication}
        return render(request, "content/items/partials/_publication_warnings.html", context)
    if request.method == "GET" and request.GET.get("show") == "row":
        context = _context(granted, obj, publication)
        return render(request, "content/items/partials/_publication_row.html", context)
    form = PublicationForm(
        request.POST or None, initial=PublicationForm.initial_for(publication),
        auto_id=f"pub{publication.channel_id}-%s",
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            services.update_publication(request.user, publication, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if not htmx:
                messages.success(request, _("Publication saved."))
                return redirect("content:item", project.slug, obj.pk)
            publication.refresh_from_db()
            publication.item = obj
            context = _context(granted, obj, publication, saved=True)
            return render(request, "content/items/partials/_publication_row.html", context)
    context = _context(granted, obj, publication, form=form, may_edit=editable(obj, publication))
    template = "_publication_form.html" if htmx else "_publication_page.html"
    return render(request, f"content/items/partials/{template}", context)


urls = [
    path(
        "p/<slug:slug>/content/<int:item>/publications/<int:channel_id>/",
        publication_edit, name="publication_edit",
    ),
]  # fmt: skip
