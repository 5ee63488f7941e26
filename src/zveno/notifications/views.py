"""The inbox: the signed-in user's own notifications (account-scoped, like the profile)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from zveno.notifications import services
from zveno.notifications.models import Notification
from zveno.workspaces import access

PAGE = 30


@access.member_required
def inbox(request):
    access.own_account(request.user)
    notes = Notification.objects.filter(user=request.user).select_related("project")
    if request.GET.get("unread"):
        notes = notes.filter(read_at__isnull=True)
    page = Paginator(notes, PAGE).get_page(request.GET.get("page"))
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
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


def _safe(request, url: str) -> bool:
    return url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure())


urls = [
    path("inbox/", inbox, name="inbox"),
    path("inbox/<int:notification_id>/read/", read, name="read"),
    path("inbox/read-all/", read_all, name="read_all"),
]
