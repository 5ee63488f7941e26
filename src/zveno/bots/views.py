"""The bot's web side: a deep link to link one's chat (profile), the messengers' webhooks (their
secret header checked), and voice comments (members of the item's project)."""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from zveno.bots import platforms, services
from zveno.bots.models import PollState, VoiceNote
from zveno.bots.platforms import webhook_mode
from zveno.notifications.models import MessengerAccount
from zveno.workspaces import access
from zveno.workspaces.roles import Capability


@access.member_required
def link(request, messenger: str):
    """GET: the page with the deep link (and whether the chat is linked yet); POST: a new link."""
    access.own_account(request.user)
    if platforms.platform(messenger) is None:
        raise Http404
    url = None
    if request.method == "POST":
        try:
            url = services.link_url(request.user, messenger)
        except ValidationError:
            raise Http404 from None
    account = MessengerAccount.objects.filter(user=request.user, messenger=messenger).first()
    later = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(later, {request.get_host()}, request.is_secure()):
        later = ""
    ctx = {"messenger": messenger, "url": url, "account": account, "next": later,
           "minutes": settings.ZVENO_BOT_LINK_MINUTES}  # fmt: skip
    if request.headers.get("HX-Request"):
        return render(request, "bots/_link_status.html", ctx)
    return render(request, "bots/link.html", ctx)


@csrf_exempt
@require_POST
@access.public
def webhook(request, messenger: str):
    """An update POSTed by the messenger; refused without the secret this installation set."""
    platform = platforms.platform(messenger)
    if platform is None:
        raise Http404
    sent = request.headers.get(platform.secret_header, "")
    if not hmac.compare_digest(sent, services.webhook_secret(messenger)):
        return HttpResponseForbidden()
    try:
        raw = json.loads(request.body)
    except ValueError:
        return HttpResponse(status=400)
    services.handle(platform, raw)
    return HttpResponse("ok")


@access.member_required
def voice(request, slug: str, note_id: int):
    project = access.project_for(request.user, slug)
    note = get_object_or_404(VoiceNote, pk=note_id, item__project=project)
    response = FileResponse(note.file.open("rb"), content_type="audio/ogg")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@access.member_required
def status(request, ws: str):
    """The workspace owner's check of the installation's bots: token, name, mode, last poll, who
    linked their chat and who blocked it."""
    workspace = access.workspace_for(request.user, ws, Capability.WORKSPACE_MANAGE)
    people = MessengerAccount.objects.filter(
        user__project_memberships__project__workspace=workspace
    ).distinct()
    rows = []
    for name in ("telegram", "max"):
        platform = platforms.platform(name)
        row = {"name": name, "configured": platform is not None, "username": "", "error": ""}
        if platform is not None:
            try:
                row["username"] = platform.username()
            except Exception as exc:  # the page says what is wrong instead of failing
                row["error"] = str(exc)[:300]
        row["mode"] = "webhook" if webhook_mode() else "polling"
        row["poll"] = PollState.objects.filter(messenger=name).first()
        row["linked"] = people.filter(messenger=name).count()
        row["blocked"] = list(people.filter(messenger=name, blocked_at__isnull=False)
                              .select_related("user"))  # fmt: skip
        rows.append(row)
    return render(request, "bots/status.html", {"workspace": workspace, "rows": rows})


urls = [
    path("w/<slug:ws>/bot/", status, name="status"),
    path("profile/messengers/<str:messenger>/link/", link, name="link"),
    path("bots/<str:messenger>/webhook/", webhook, name="webhook"),
    path("p/<slug:slug>/voice/<int:note_id>/", voice, name="voice"),
]
