"""The channels page of a project: list, add, edit, deactivate, delete an unused one.

Everybody on the project sees the channels; only MANAGE_PROJECT changes them. A channel with
publications or figures is never deleted (the API's DELETE answers 409 for it too): deactivate it.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from zveno.core.forms import apply_errors
from zveno.publishing import services, vk_id
from zveno.publishing.models import (
    Channel,
    Format,
    Network,
)
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

WEEKDAYS = {
    **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{name: i for i, name in enumerate(("пн", "вт", "ср", "чт", "пт", "сб", "вс"))},
    **{name: i for i, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
    **{name: i for i, name in enumerate(
        ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"))},
}  # fmt: skip
TOKEN = re.compile(r"[^\s,;/]+")


def parse_slots(text: str) -> list[dict]:
    """ "Mon, Wed, Fri 10:00, 19:00" (one group a line; "Mon-Fri" ranges; Russian day names too)
    → [{"weekday", "time"}]: every day of a line at every time of that line."""
    slots = []
    for number, line in enumerate(text.splitlines(), start=1):
        days, times = [], []
        for typed in TOKEN.findall(line.strip()):
            token = typed.lower().rstrip(".")
            if ":" in token or token.isdigit():
                times.append(token if ":" in token else f"{token}:00")
            elif "-" in token and all(p.rstrip(".") in WEEKDAYS for p in token.split("-", 1)):
                first, last = (WEEKDAYS[p.rstrip(".")] for p in token.split("-", 1))
                days += list(range(first, last + 1)) if first <= last else []
            elif token in WEEKDAYS:
                days.append(WEEKDAYS[token])
            else:
                raise forms.ValidationError(
                    _("Line %(n)s: “%(token)s” is neither a weekday nor a time.")
                    % {"n": number, "token": typed}
                )
        if bool(days) != bool(times):
            raise forms.ValidationError(
                _("Line %(n)s: give weekdays and times, e.g. “Mon, Wed, Fri 10:00, 19:00”.")
                % {"n": number}
            )
        slots += [{"weekday": day, "time": time} for day in days for time in times]
    return slots


def format_slots(slots) -> list[str]:
    """Slots as lines grouped by their times: ["Mon, Wed, Fri 10:00, 19:00", …]."""
    by_day: dict[int, list[str]] = {}
    for slot in slots or []:
        by_day.setdefault(slot["weekday"], []).append(slot["time"])
    groups: dict[tuple[str, ...], list[int]] = {}
    for day in sorted(by_day):
        groups.setdefault(tuple(sorted(by_day[day])), []).append(day)
    return [
        f"{', '.join(services.weekday_label(d) for d in days)} {', '.join(times)}"
        for times, days in groups.items()
    ]


class ChannelForm(forms.Form):
    network = forms.ChoiceField(label=gettext_lazy("Network"), choices=Network.choices)
    name = forms.CharField(
        label=gettext_lazy("Name"), max_length=120, required=False,
        help_text=gettext_lazy("Empty: the network's name."),
    )  # fmt: skip
    handle = forms.CharField(
        label=gettext_lazy("Handle or address"), max_length=200, required=False,
        widget=forms.TextInput(attrs={"placeholder": "@channel, https://…"}),
    )  # fmt: skip
    slots = forms.CharField(
        label=gettext_lazy("Posting slots"), required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Пн, Ср, Пт 10:00, 19:00"}),
        help_text=gettext_lazy(
            "One group a line: weekdays and times in the project's time zone, e.g. "
            "“Mon, Wed, Fri 10:00, 19:00” or “Sat 12:00”. The draft plan puts items on them."
        ),
    )  # fmt: skip
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in Format.choices:
            self.fields[f"cadence_{value}"] = forms.FloatField(
                label=label, required=False, min_value=0, max_value=services.MAX_UNITS,
                widget=forms.NumberInput(attrs={"step": "0.5", "min": "0", "class": "units"}),
            )  # fmt: skip

    @staticmethod
    def initial_for(channel) -> dict:
        initial = {
            "network": channel.network, "name": channel.name, "handle": channel.handle,
            "slots": "\n".join(format_slots(channel.slots)), "is_active": channel.is_active,
        }  # fmt: skip
        for fmt, units in (channel.cadence or {}).items():
            initial[f"cadence_{fmt}"] = units
        return initial

    def cadence_fields(self):
        return [self[f"cadence_{value}"] for value in Format.values]

    def main_fields(self):
        return [self[name] for name in ("network", "name", "handle", "slots", "is_active")]

    def clean_slots(self):
        return parse_slots(self.cleaned_data.get("slots") or "")

    def service_fields(self) -> dict:
        data = self.cleaned_data
        cadence = {
            fmt: data[f"cadence_{fmt}"] for fmt in Format.values
            if data.get(f"cadence_{fmt}") not in (None, 0)
        }  # fmt: skip
        return {
            "network": data["network"], "name": data["name"], "handle": data["handle"],
            "cadence": cadence, "slots": data["slots"], "is_active": data["is_active"],
        }  # fmt: skip


class ConnectForm(forms.Form):
    """The token a network needs; never filled back in (it is never shown again)."""

    token = forms.CharField(
        label=gettext_lazy("Token"), required=False, max_length=1000, strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=gettext_lazy("Stored encrypted; Zveno never shows it again."),
    )  # fmt: skip


def _connect_context(channel) -> dict:
    field = services.SECRET_FIELDS.get(channel.network, ("",))[0]
    vk = channel.network == Network.VK and services.can_connect(channel)
    return {
        "can_connect": services.can_connect(channel),
        "secret_field": field,
        "connect_form": ConnectForm(),
        "vk_id_offered": vk and not vk_id.unavailable_reason(),
        "vk_id_missing": vk_id.unavailable_reason() if vk else "",
        "via_vk_id": vk and vk_id.via_vk_id(channel),
    }


def _rows(project) -> list:
    labels = dict(Format.choices)
    rows = list(
        project.channels.annotate(used=Count("publications")).order_by(
            "-is_active", "network", "name"
        )
    )
    for row in rows:
        row.slot_lines = format_slots(row.slots)
        row.cadence_parts = [
            (labels.get(fmt, fmt), units) for fmt, units in (row.cadence or {}).items()
        ]
        row.is_url = row.handle.startswith(("http://", "https://"))
        row.deletable = not row.used and not services.is_used(row)
    return rows


def _context(granted, **extra) -> dict:
    project = granted.project
    manage = granted.can(Capability.MANAGE_PROJECT)
    return {"project": project, "granted": granted, "tab": "settings", "manage": manage, **extra}


def _save(request, project, form, channel=None) -> bool:
    """Runs the service for a valid form; its refusals show on the form."""
    if not form.is_valid():
        return False
    fields = form.service_fields()
    try:
        if channel is None:
            services.add_channel(
                request.user, project, fields.pop("network"), fields.pop("name"),
                fields.pop("handle"), **fields,
            )  # fmt: skip
        else:
            if not fields["name"]:
                fields["name"] = str(dict(Network.choices)[fields["network"]])
            services.update_channel(request.user, channel, **fields)
    except ValidationError as exc:
        apply_errors(form, exc)
        return False
    return True


@access.member_required
def channels(request, slug: str):
    """The list for everybody on the project, with the add form for managers."""
    granted = access.grant_for(request.user, slug)
    project = granted.project
    form = ChannelForm(request.POST or None)
    if request.method == "POST":
        granted.require(Capability.MANAGE_PROJECT)
        if _save(request, project, form):
            messages.success(request, _("Channel added."))
            return redirect("publishing:channels", project.slug)
    context = _context(granted, rows=_rows(project), form=form)
    return render(request, "publishing/channels.html", context)


@access.member_required
def channel_edit(request, slug: str, channel_id: int):
    granted = access.grant_for(request.user, slug, need=Capability.MANAGE_PROJECT)
    project = granted.project
    channel = get_object_or_404(project.channels, pk=channel_id)
    form = ChannelForm(request.POST or None, initial=ChannelForm.initial_for(channel))
    if request.method == "POST" and _save(request, project, form, channel):
        messages.success(request, _("Channel saved."))
        return redirect("publishing:channels", project.slug)
    context = _context(granted, form=form, channel=channel, **_connect_context(channel))
    return render(request, "publishing/channel_form.html", context)


@access.member_required
@require_POST
def channel_connect(request, slug: str, channel_id: int):
    """Stores a new token (encrypted) and tests it at once; "disconnect" forgets it."""
    project = access.project_for(request.user, slug, need=Capability.MANAGE_PROJECT)
    channel = get_object_or_404(project.channels, pk=channel_id)
    form = ConnectForm(request.POST)
    if "disconnect" in request.POST:
        services.connect_channel(request.user, channel, {})
        messages.success(request, _("The channel is disconnected; its token is forgotten."))
        return redirect("publishing:channel_edit", project.slug, channel.pk)
    token = form.data.get("token", "").strip()
    field = services.SECRET_FIELDS.get(channel.network, ("token",))[0]
    try:
        channel = services.connect_channel(request.user, channel, {field: token})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("publishing:channel_edit", project.slug, channel.pk)
    _say_result(request, services.test_connection(request.user, channel))
    return redirect("publishing:channel_edit", project.slug, channel.pk)


@access.member_required
@require_POST
def channel_test(request, slug: str, channel_id: int):
    project = access.project_for(request.user, slug, need=Capability.MANAGE_PROJECT)
    channel = get_object_or_404(project.channels, pk=channel_id)
    _say_result(request, services.test_connection(request.user, channel))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("publishing:channel_edit", args=[project.slug, channel.pk])
    return redirect(back)


@access.member_required
@require_POST
def channel_vk_id(request, slug: str, channel_id: int):
    """ "Connect with VK ID": off to VK ID with a signed state and a PKCE challenge."""
    project = access.project_for(request.user, slug, need=Capability.MANAGE_PROJECT)
    channel = get_object_or_404(project.channels, pk=channel_id)
    try:
        return redirect(vk_id.start(request.user, channel, request.session))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("publishing:channel_edit", project.slug, channel.pk)


@access.member_required
@require_GET
def vk_id_callback(request):
    """VK ID sends the person back here (the app's one redirect URL) with a code for tokens."""
    params = request.GET
    try:
        channel_id, verifier = vk_id.read_state(request.user, params.get("state"), request.session)
    except vk_id.StateRefused as exc:
        access.own_account(request.user)  # nothing of any project is touched or shown
        messages.error(request, " ".join(exc.messages))
        return redirect("home")
    slug = Channel.objects.filter(pk=channel_id).values_list("project__slug", flat=True).first()
    project = access.project_for(request.user, slug or "", need=Capability.MANAGE_PROJECT)
    channel = get_object_or_404(project.channels, pk=channel_id)
    back = redirect("publishing:channel_edit", project.slug, channel.pk)
    if params.get("error") or not params.get("code"):
        detail = params.get("error_description") or params.get("error") or _("no code")
        messages.error(
            request, _("VK ID did not connect the community: %(why)s.") % {"why": detail}
        )
        return back
    device_id = params.get("device_id", "")
    try:
        tokens = vk_id.exchange(verifier, params["code"], device_id, params["state"])
        channel = vk_id.store(request.user, channel, vk_id.secrets_of(tokens, device_id))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return back
    _say_result(request, services.test_connection(request.user, channel))
    return back


def _say_result(request, channel) -> None:
    result = channel.connection_result or {}
    if channel.connection == "ok":
        title = result.get("title") or channel.name
        members = result.get("members")
        text = _("Connected: %(title)s.") % {"title": title}
        if members is not None:
            text += " " + _("Members: %(n)s.") % {"n": members}
        messages.success(request, text)
    else:
        messages.error(request, result.get("reason") or _("The test failed."))


@access.member_required
@require_POST
def channel_toggle(request, slug: str, channel_id: int):
    """Deactivates an active channel, or activates it again; its history stays."""
    project = access.project_for(request.user, slug, need=Capability.MANAGE_PROJECT)
    channel = get_object_or_404(project.channels, pk=channel_id)
    services.update_channel(request.user, channel, is_active=not channel.is_active)
    done = _("Channel activated.") if channel.is_active else _("Channel deactivated.")
    messages.success(request, done)
    return redirect("publishing:channels", project.slug)


@access.member_required
@require_POST
def channel_delete(request, slug: str, channel_id: int):
    """Deletes an unused channel; one with publications or figures is refused (deactivate it)."""
    project = access.project_for(request.user, slug, need=Capability.MANAGE_PROJECT)
    channel = get_object_or_404(project.channels, pk=channel_id)
    try:
        services.remove_channel(request.user, channel)
    except services.ChannelInUse as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Channel deleted."))
    return redirect("publishing:channels", project.slug)


urls = [
    path("p/<slug:slug>/channels/", channels, name="channels"),
    path("p/<slug:slug>/channels/<int:channel_id>/", channel_edit, name="channel_edit"),
    path("p/<slug:slug>/channels/<int:channel_id>/toggle/", channel_toggle, name="channel_toggle"),
    path("p/<slug:slug>/channels/<int:channel_id>/delete/", channel_delete, name="channel_delete"),
    path(
        "p/<slug:slug>/channels/<int:channel_id>/connect/", channel_connect, name="channel_connect"
    ),
    path("p/<slug:slug>/channels/<int:channel_id>/test/", channel_test, name="channel_test"),
    path("p/<slug:slug>/channels/<int:channel_id>/vk-id/", channel_vk_id, name="channel_vk_id"),
    path("channels/vk-id/callback/", vk_id_callback, name="vk_id_callback"),
]
