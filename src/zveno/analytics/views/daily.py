"""The quick daily form of business figures: dialogues, leads, sales, money.

A sales manager (LOG_METRICS) logs a day's figures for the project, a channel or a campaign; the
page shows the last 14 days. Choosing a day (or a channel, a campaign) fills the form with what is
already logged for it, so saving replaces that row; an empty field means "not logged", not zero.
Everyone who may read analytics sees the table; only LOG_METRICS may save.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zveno.analytics import services
from zveno.analytics.models import BUSINESS_COUNTERS, MONEY_COUNTERS, BusinessDay
from zveno.core.forms import DateInput, apply_errors
from zveno.core.timezones import today_in
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

DAYS = 14
KEY_FIELDS = ("date", "channel", "campaign")


def _count(label):
    return forms.IntegerField(
        label=label, required=False, min_value=0, widget=forms.NumberInput(attrs={"min": 0})
    )


def _money(label):
    return forms.DecimalField(
        label=label, required=False, min_value=0, max_digits=16, decimal_places=2,
        widget=forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
    )  # fmt: skip


class DailyForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Day"), widget=DateInput())
    channel = forms.ModelChoiceField(
        label=gettext_lazy("Channel"), queryset=None, required=False,
        empty_label=gettext_lazy("The whole project"),
    )  # fmt: skip
    campaign = forms.CharField(label=gettext_lazy("Campaign"), max_length=120, required=False)
    dialogues = _count(gettext_lazy("Dialogues"))
    leads = _count(gettext_lazy("Leads"))
    lead_magnet_downloads = _count(gettext_lazy("Lead-magnet downloads"))
    email_subscribers = _count(gettext_lazy("E-mail subscribers"))
    site_visits = _count(gettext_lazy("Site visits"))
    sales = _count(gettext_lazy("Sales"))
    revenue = _money(gettext_lazy("Revenue, ₽"))
    ad_spend = _money(gettext_lazy("Ad spend, ₽"))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = project.channels.all()

    def key_fields(self):
        return [self[name] for name in KEY_FIELDS]

    def counter_fields(self):
        return [self[name] for name in BUSINESS_COUNTERS]


def _row_for(project, date, channel, campaign) -> BusinessDay | None:
    return (
        BusinessDay.objects.filter(
            project=project, date=date, channel=channel, campaign=(campaign or "").strip()
        )
        .order_by("pk")
        .first()
    )


def _initial(project, today: dt.date, query) -> dict:
    """The form's starting values: the key from the query (default today, the whole project) and
    whatever is already logged for that key."""
    probe = DailyForm(query, project=project)
    probe.is_valid()
    key = {name: probe.cleaned_data.get(name) for name in KEY_FIELDS}
    key["date"] = key["date"] or today
    initial = {**key, "campaign": key["campaign"] or ""}
    row = _row_for(project, key["date"], key["channel"], key["campaign"])
    if row is not None:
        initial.update({name: getattr(row, name) for name in BUSINESS_COUNTERS})
    return initial


def _recent(project, today: dt.date) -> list[dict]:
    """The last 14 days, newest first, each with the rows logged that day (maybe none)."""
    since = today - dt.timedelta(days=DAYS - 1)
    rows = (
        BusinessDay.objects.filter(project=project, date__gte=since, date__lte=today)
        .select_related("channel", "updated_by")
        .order_by("-date", "channel_id", "campaign", "pk")
    )
    by_day: dict = {}
    for row in rows:
        cells = [(getattr(row, name), name in MONEY_COUNTERS) for name in BUSINESS_COUNTERS]
        query = urlencode(_key_query({"date": row.date, **_row_key(row)}))
        by_day.setdefault(row.date, []).append({"row": row, "cells": cells, "query": query})
    return [
        {"date": today - dt.timedelta(days=n), "rows": by_day.get(today - dt.timedelta(days=n), [])}
        for n in range(DAYS)
    ]


def _row_key(row: BusinessDay) -> dict:
    return {"channel": row.channel, "campaign": row.campaign}


def _render(request, granted, form, today):
    project = granted.project
    ctx = {
        "project": project,
        "granted": granted,
        "tab": "daily",
        "form": form,
        "days": _recent(project, today),
        "counters": BUSINESS_COUNTERS,
        "money": MONEY_COUNTERS,
        "can_log": granted.can(Capability.LOG_METRICS),
        "today": today,
        "partial": request.headers.get("HX-Request") == "true",
    }
    partial = ctx["partial"]
    template = "analytics/partials/_daily.html" if partial else "analytics/daily.html"
    return render(request, template, ctx)


@access.member_required
def daily(request, slug):
    """GET: the form (filled for the chosen day) and the last 14 days; POST: save one day."""
    need = Capability.LOG_METRICS if request.method == "POST" else Capability.VIEW_ANALYTICS
    granted = access.grant_for(request.user, slug, need)
    project = granted.project
    today = today_in(project.timezone)
    if request.method != "POST":
        form = DailyForm(initial=_initial(project, today, request.GET), project=project)
        return _render(request, granted, form, today)
    form = DailyForm(request.POST, project=project)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.upsert_business_day(
                request.user, project, data["date"],
                {name: data[name] for name in BUSINESS_COUNTERS},
                channel=data["channel"], campaign=data["campaign"],
            )  # fmt: skip
        except ValidationError as exc:
            apply_errors(form, exc)
    if not form.is_valid():
        # 200, not 422: htmx swaps only successful answers, and the errors must show.
        return _render(request, granted, form, today)
    when = formats.date_format(form.cleaned_data["date"], "j E")
    messages.success(request, _("Saved the figures of %(day)s.") % {"day": when})
    if request.headers.get("HX-Request") != "true":
        return redirect(_again(request, project, form.cleaned_data))
    fresh = DailyForm(
        initial=_initial(project, today, _key_query(form.cleaned_data)), project=project
    )
    return _render(request, granted, fresh, today)


def _key_query(data) -> dict:
    channel = data.get("channel")
    return {
        "date": data["date"].isoformat(),
        "channel": channel.pk if channel else "",
        "campaign": data.get("campaign") or "",
    }


def _again(request, project, data) -> str:
    return f"{reverse('analytics:daily', args=[project.slug])}?{urlencode(_key_query(data))}"


urls = [
    path("p/<slug:slug>/analytics/daily/", daily, name="daily"),
]
