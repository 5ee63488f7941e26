"""The inbox and the notification settings: the signed-in user's own (account-scoped, like the
profile)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zveno.core.forms import apply_errors
from zveno.notifications import messengers, selectors, services
from zveno.notifications.events import CHANNEL_LABELS, CHANNELS, EVENTS, MESSENGERS
from zveno.notifications.forms import SettingsForm
from zveno.notifications.models import Notification
from zveno.workspaces import access

PAGE = 30


@access.member_required
def inbox(request):
    access.own_account(request.user)
    notes = Notification.objects.filter(user=request.user, in_app=True).select_related("project")
    if request.GET.get("unread"):
        notes = notes.filter(read_at__isnull=True)
    page = Paginator(notes, PAGE).get_page(request.GET.get("page"))
    unread = Notification.objects.filter(
        user=request.user, in_app=True, read_at__isnull=True
    ).count()
    ctx = {"page": page, "unread": unread, "only_unread": bool(request.GET.get("unread"))}
    return render(request, "notifications/inbox.html", ctx)


@access.member_required
@require_POST
def read(request, notification_id: int):
    """Marks one of the user's own notifications read; opens its subject when asked to."""
    access.own_account(request.user)
    note = get_object_or_404(Notification, pk=notification_id, user=request.user)
    services.mark_read(request.user, [note.pk])
    if request.POST.get("open") and note.url and _safe(request, note.url):
        return redirect(note.url)
    return redirect("notifications:inbox")


@access.member_required
@require_POST
def read_all(request):
    access.own_account(request.user)
    services.mark_read(request.user)
    return redirect("notifications:inbox")


@access.member_required
def preferences(request):
    """Channels per event (a table of checkboxes), quiet hours, the digest, linked messengers."""
    access.own_account(request.user)
    user = request.user
    current = selectors.settings_for(user)
    initial = {
        "quiet_from": current.quiet_from,
        "quiet_to": current.quiet_to,
        "digest": current.digest,
        "digest_at": current.digest_at,
    }
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and request.POST.get("reset"):
        services.reset_preferences(user)
        messages.success(request, _("Notifications are back to the defaults for your role."))
        return redirect("notifications:preferences")
    if request.method == "POST" and form.is_valid():
        choices = {
            verb: [c for c in CHANNELS if request.POST.get(f"{verb}:{c}")] for verb in EVENTS
        }
        defaults = {row["verb"]: row["channels"] for row in selectors.preference_table(user)}
        changed = {v: c for v, c in choices.items() if frozenset(c) != defaults[v]}
        try:
            services.save_settings(user, **form.cleaned_data)
            services.save_preferences(user, changed)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Notification settings saved."))
            return redirect("notifications:preferences")
    groups: dict = {}
    for row in selectors.preference_table(user):
        groups.setdefault(str(row["group"]), []).append(row)
    accounts = selectors.messenger_accounts(user)
    ctx = {
        "form": form,
        "groups": groups,
        "channels": [(c, CHANNEL_LABELS[c]) for c in CHANNELS],
        "messengers": [
            {
                "name": m,
                "label": CHANNEL_LABELS[m],
                "account": accounts.get(m),
                "bot": m in messengers.available(),
            }
            for m in MESSENGERS
        ],
    }
    return render(request, "notifications/preferences.html", ctx)


@access.member_required
@require_POST
def unlink(request, messenger: str):
    """Unlinks the person's own messenger account (the bot forgets the chat too)."""
    access.own_account(request.user)
    if messenger not in MESSENGERS:
        raise Http404
    if services.unlink_messenger(request.user, messenger):
        messages.success(request, _("The messenger is unlinked."))
    return redirect("notifications:preferences")


def _safe(request, url: str) -> bool:
    return url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure())


urls = [
    path("inbox/", inbox, name="inbox"),
    path("inbox/<int:notification_id>/read/", read, name="read"),
    path("inbox/read-all/", read_all, name="read_all"),
    path("profile/notifications/", preferences, name="preferences"),
    path("profile/notifications/unlink/<str:messenger>/", unlink, name="unlink"),
]
