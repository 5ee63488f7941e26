"""The project's Publishing page: the next 7 days per channel, what needs a person (failed,
needs a check, held), the channels' connection states and the rule for missed publications.

The page is the content plan's view of delivery, so it lives with content, above publishing.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zveno.content import selectors
from zveno.content.models import Publication, State
from zveno.publishing import delivery
from zveno.publishing import services as publishing
from zveno.publishing.models import Dispatch, DispatchState, MissedPolicy, PublishingSettings
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

ATTENTION = (DispatchState.FAILED, DispatchState.NEEDS_CHECK, DispatchState.HELD)


class MissedForm(forms.Form):
    missed = forms.ChoiceField(
        label=gettext_lazy("A publication missed while nothing ran"),
        choices=MissedPolicy.choices,
    )


@access.member_required
def queue(request, slug: str):
    """The next 7 days per channel, what needs a person (failed, needs a check, held), the
    channels' connection states, and the project's rule for missed publications."""
    granted = access.grant_for(request.user, slug)
    project = granted.project
    if request.method == "POST":
        form = MissedForm(request.POST)
        if form.is_valid():
            publishing.set_missed_policy(request.user, project, form.cleaned_data["missed"])
            messages.success(request, _("Saved."))
        return redirect("content:publishing", project.slug)
    delivery.sync()
    now = timezone.now()
    week = list(
        Publication.objects.filter(item__project=project, channel__is_active=True)
        .exclude(item__state=State.CANCELLED)
        .annotate(when=Coalesce("planned_at", "item__planned_at"))
        .filter(when__gte=now - dt.timedelta(hours=1), when__lt=now + dt.timedelta(days=7))
        .select_related("item", "channel").order_by("when", "pk")
    )  # fmt: skip
    sent = selectors.deliveries(p.pk for p in week)
    attention = list(
        Dispatch.objects.filter(channel__project=project, state__in=ATTENTION)
        .select_related("channel").order_by("due_at")
    )  # fmt: skip
    pubs = {
        p.pk: p for p in Publication.objects.filter(pk__in=[d.ref for d in attention])
        .select_related("item", "channel")
    }  # fmt: skip
    for d in attention:
        d.publication = pubs.get(d.ref)
    by_channel: dict = {}
    for p in week:
        p.delivery = sent.get(p.pk)
        p.shown = selectors.publication_status(p, p.delivery)
        by_channel.setdefault(p.channel, []).append(p)
    setting = PublishingSettings.objects.filter(project=project).first()
    channels = list(project.channels.filter(is_active=True).order_by("network", "name"))
    for channel in channels:
        channel.can_connect = publishing.can_connect(channel)
    context = {
        "project": project, "granted": granted, "tab": "publishing",
        "by_channel": sorted(by_channel.items(), key=lambda kv: (kv[0].network, kv[0].name)),
        "attention": [d for d in attention if d.publication is not None],
        "channels": channels,
        "missed_form": MissedForm(initial={"missed": setting.missed if setting else "auto"}),
        "manage": granted.can(Capability.MANAGE_PROJECT),
        "next": reverse("content:publishing", args=[project.slug]),
    }  # fmt: skip
    return render(request, "content/publishing.html", context)


urls = [path("p/<slug:slug>/publishing/", queue, name="publishing")]
