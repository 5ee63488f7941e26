"""Approval links for the expert: made on demand, shown once, listed and revoked one by one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zveno.content import links
from zveno.core.timezones import today_in
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

NEW_LINK = "zveno_new_approval_link"  # session key: the raw link, shown on the next page once


def pop_new_link(request, key: str) -> str:
    """The link made a moment ago for ``key`` (an item id or "week"), once."""
    found = request.session.get(NEW_LINK)
    if found and found.get("key") == key:
        del request.session[NEW_LINK]
        return found["url"]
    return ""


def _make(request, project, key: str, **target):
    try:
        _link, raw = links.create_approval_link(request.user, project, **target)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:  # the token is shown this once: the database keeps only its hash
        request.session[NEW_LINK] = {"key": key, "url": links.approval_url(raw, request)}


@access.member_required
@require_POST
def item_link_new(request, slug: str, item: int):
    project = access.project_for(request.user, slug, Capability.REVIEW_CONTENT)
    found = get_object_or_404(project.content_items, pk=item)
    _make(request, project, str(found.pk), item=found)
    return redirect("content:item", project.slug, found.pk)


@access.member_required
@require_POST
def week_link_new(request, slug: str):
    project = access.project_for(request.user, slug, Capability.REVIEW_CONTENT)
    _make(request, project, "week", week=today_in(project.timezone))
    return redirect("content:requests", project.slug)


@access.member_required
@require_POST
def link_revoke(request, slug: str, link_id: int):
    project = access.project_for(request.user, slug, Capability.REVIEW_CONTENT)
    link = get_object_or_404(project.approval_links, pk=link_id)
    links.revoke_approval_link(request.user, link)
    messages.success(request, _("The link was revoked; it no longer opens."))
    if link.item_id is not None:
        return redirect("content:item", project.slug, link.item_id)
    return redirect("content:requests", project.slug)


urls = [
    path("p/<slug:slug>/content/<int:item>/approval-links/", item_link_new, name="item_link_new"),
    path("p/<slug:slug>/requests/approval-links/", week_link_new, name="week_link_new"),
    path("p/<slug:slug>/approval-links/<int:link_id>/revoke/", link_revoke, name="approval_revoke"),
]
