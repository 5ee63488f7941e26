"""Expert requests (list, new, detail) and the expert's login-free pages (answer, approve)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from zveno.content import links, previews, services
from zveno.content import requests as expert_requests
from zveno.content.models import RequestKind, RequestStatus, State, StepKind
from zveno.content.views import approval_links
from zveno.core import throttle
from zveno.core.forms import DateInput, apply_errors
from zveno.core.timezones import today_in
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

C = Capability


class RequestForm(forms.Form):
    question = forms.CharField(
        label=gettext_lazy("What do you need from the expert?"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=RequestKind.choices)
    due_date = forms.DateField(label=gettext_lazy("Needed by"), widget=DateInput())
    item_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("For the items"), coerce=int, required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )  # fmt: skip

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        items = project.content_items.exclude(state__in=[State.PUBLISHED, State.CANCELLED])
        self.fields["item_ids"].choices = [(i.pk, i.title) for i in items]


def _context(granted, **extra) -> dict:
    project = granted.project
    return {"project": project, "granted": granted, "tab": "requests", **extra}


def _may_ask(granted) -> bool:
    return granted.can(C.MANAGE_PROJECT) or granted.can(C.REVIEW_CONTENT)


@access.member_required
def request_list(request, slug: str):
    granted = access.grant_for(request.user, slug)
    project = granted.project
    today = today_in(project.timezone)
    rows = list(expert_requests.requests_of(project))
    for row in rows:
        row.overdue = expert_requests.is_overdue(row, today)
    open_rows = [r for r in rows if r.status == RequestStatus.OPEN]
    answered = sorted(
        (r for r in rows if r.status == RequestStatus.ANSWERED),
        key=lambda r: r.answered_at, reverse=True,
    )  # fmt: skip
    context = _context(
        granted, open_rows=open_rows, answered=answered, today=today,
        index=expert_requests.involvement(project, today),
    )  # fmt: skip
    context["may_ask"] = _may_ask(context["granted"])
    expert = links.expert_of(project) if context["may_ask"] else None
    if expert is not None:
        context["week_link"] = {
            "new": approval_links.pop_new_link(request, "week"),
            "rows": project.approval_links.filter(item__isnull=True).select_related("created_by"),
            "now": timezone.now(),
        }
    context["for_expert"] = context["granted"].can(C.ANSWER_EXPERT_REQUESTS)
    return render(request, "content/requests/list.html", context)


@access.member_required
def request_new(request, slug: str):
    granted = access.grant_for(request.user, slug)
    project = granted.project
    expert_requests._require_asker(request.user, project)
    initial = {"item_ids": [v for v in request.GET.getlist("item") if v.isdigit()]}
    form = RequestForm(request.POST or None, initial=initial, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            created = expert_requests.ask(request.user, project, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The request has been sent to the expert."))
            return redirect("content:request", project.slug, created.pk)
    return render(request, "content/requests/new.html", _context(granted, form=form))


@access.member_required
def request_detail(request, slug: str, request_id: int):
    granted = access.grant_for(request.user, slug)
    project = granted.project
    found = get_object_or_404(expert_requests.requests_of(project), pk=request_id)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "new_link":
                expert_requests.renew_link(request.user, found)
                messages.success(request, _("A new link is ready; the old ones no longer work."))
            else:
                expert_requests.answer(
                    request.user, found, text=request.POST.get("text", ""),
                    files=request.FILES.getlist("files"),
                )  # fmt: skip
                messages.success(request, _("Thank you! The answer is saved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("content:request", project.slug, found.pk)
    context = _context(granted, req=found, today=today_in(project.timezone))
    context["overdue"] = expert_requests.is_overdue(found, context["today"])
    if _may_ask(context["granted"]) and found.status == RequestStatus.OPEN:
        context["link"] = links.request_link(found, request)
    return render(request, "content/requests/detail.html", context)


def _link_broken(request):
    return render(request, "content/requests/link_broken.html", status=404)


@access.public
@throttle.guard_link
@require_http_methods(["GET", "POST"])
def request_link(request, link: str):
    """The expert answers from a phone, without logging in."""
    found = links.request_from_link(link)
    if found is None or found.status == RequestStatus.CANCELLED:
        return _link_broken(request)
    error = ""
    if request.method == "POST" and found.status == RequestStatus.OPEN:
        try:
            expert_requests.answer_by_link(
                found, text=request.POST.get("text", ""), files=request.FILES.getlist("files")
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect("content:request_link", link)
    context = {"req": found, "project": found.project, "error": error}
    return render(request, "content/requests/link.html", context)


def _decide(request, target) -> None:
    item = target.items().filter(pk=request.POST.get("item") or 0).first()
    decision = request.POST.get("decision")
    if item is None or decision not in {"approve", "changes"}:
        messages.error(request, _("Choose an item and a decision."))
        return
    if not services.awaits(target.expert, item):
        messages.error(request, _("This item is not waiting for your approval."))
        return
    comment = request.POST.get("comment", "")
    try:
        if decision == "approve":
            services.approve(target.expert, item, comment)
            messages.success(request, _("Approved: %(title)s") % {"title": item.title})
        else:
            redo = request.POST.get("return_to") or StepKind.COPY
            services.request_changes(target.expert, item, comment, redo)
            messages.success(request, _("Changes requested: %(title)s") % {"title": item.title})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        messages.error(request, _("This link may no longer approve items."))


@access.public
@throttle.guard_link
@require_http_methods(["GET", "POST"])
def approval_link(request, link: str):
    """The expert approves one item or this week's items from a phone, without logging in."""
    target = links.approval_from_link(link)
    if target is None:
        return _link_broken(request)
    if request.method == "POST":
        _decide(request, target)
        return redirect("content:approval_link", link)
    items = list(target.items())
    waiting = services.awaiting(target.expert, items)
    for item in waiting:  # how the post will look, with its first picture by a signed address
        image = next((m for m in item.media.all() if m.kind == "image"), None)
        item.preview_image = links.media_url(image) if image else ""
        item.previews = previews.previews(item, has_image=image is not None)
    context = {
        "project": target.project, "target": target, "waiting": waiting,
        "single": items[0] if target.item_id is not None and items else None,
        "redo_steps": [(StepKind.COPY, _("The text")), (StepKind.DESIGN, _("The visuals"))],
    }  # fmt: skip
    return render(request, "content/requests/approval.html", context)


urls = [
    path("p/<slug:slug>/requests/", request_list, name="requests"),
    path("p/<slug:slug>/requests/new/", request_new, name="request_new"),
    path("p/<slug:slug>/requests/<int:request_id>/", request_detail, name="request"),
    path("x/r/<str:link>/", request_link, name="request_link"),
    path("x/a/<str:link>/", approval_link, name="approval_link"),
]
