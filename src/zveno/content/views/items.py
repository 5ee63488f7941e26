"""items pages of the content plan: the plan as a table, an item's form and page, "my work"."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zveno.accounts.services import user_for_token
from zveno.content import checks, collab, links, media_rules, policy, previews, selectors, services
from zveno.content.forms import ChangesForm, ItemForm
from zveno.content.models import AnswerFile, State
from zveno.content.views import approval_links
from zveno.core import throttle
from zveno.core.forms import apply_errors
from zveno.publishing.models import Network
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

C = Capability
LIST_LIMIT = 500
FINAL = {State.PUBLISHED, State.CANCELLED}


def _context(granted, **extra) -> dict:
    return {"project": granted.project, "granted": granted, "tab": "content", **extra}


def _refused(request, granted, item, exc: ValidationError):
    """A service said no: a 400 page that says why, with the way back."""
    context = _context(granted, item=item, reasons=exc.messages)
    return render(request, "content/items/refused.html", context, status=400)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


# --- the plan ----------------------------------------------------------------------------------


@access.member_required
def items(request, slug: str):
    """The plan as a table, filtered by state, channel, rubric or the current step's assignee."""
    granted = access.grant_for(request.user, slug)
    project = granted.project
    state = request.GET.get("state") if request.GET.get("state") in State.values else None
    channel, assignee = _int(request.GET.get("channel")), _int(request.GET.get("assignee"))
    qs = selectors.filtered(project, state=state, channel_id=channel)
    if rubric := request.GET.get("rubric"):
        qs = qs.filter(rubric__code=rubric)
    if assignee:
        current = Q(steps__kind=F("state")) | Q(
            state=State.CHANGES_REQUESTED, steps__kind=F("changes_from")
        )
        qs = qs.filter(current, steps__assignee_id=assignee).distinct()
    rows = selectors.plan_table(qs, LIST_LIMIT, project)
    context = _context(
        granted, rows=rows[:LIST_LIMIT], more=len(rows) > LIST_LIMIT,
        states=State.choices, channels=list(project.channels.all()),
        rubrics=list(project.rubrics.all()),
        members=list(project.memberships.select_related("user")),
        chosen={"state": state or "", "channel": channel, "assignee": assignee,
                "rubric": request.GET.get("rubric", "")},
    )  # fmt: skip
    return render(request, "content/items/list.html", context)


# --- the form ----------------------------------------------------------------------------------


def _preview_warnings(project, item, data) -> list[dict]:
    """Length warnings for the text being typed, before anything is saved."""
    ids = [int(x) for x in data.getlist("channel_ids") if x.isdigit()]
    own = {p.channel_id: p.text for p in item.publications.all()} if item else {}
    publications = [
        SimpleNamespace(channel=c, channel_id=c.pk, text=own.get(c.pk, ""))
        for c in project.channels.filter(pk__in=ids)
    ]
    draft = SimpleNamespace(
        format=data.get("format", ""), visual_brief=data.get("visual_brief", ""),
        text=data.get("text", ""), publications=SimpleNamespace(all=lambda: publications),
    )  # fmt: skip
    return checks.length_warnings(draft)


def _labelled(warnings: list[dict]) -> list[dict]:
    labels = dict(Network.choices)
    return [{**w, "label": labels.get(w["network"], w["network"])} for w in warnings]


NEW_ITEM_TIME = dt.time(12, 0)


def _day_initial(day: str) -> dict:
    """A new item started from a calendar day ("+" on the day): that day at noon, local time."""
    try:
        return {"planned_at": dt.datetime.combine(dt.date.fromisoformat(day), NEW_ITEM_TIME)}
    except ValueError:
        return {}


@access.member_required
def item_form(request, slug: str, item: int | None = None):
    """New or edit: managers and EDIT_CONTENT holders; the expert never edits."""
    granted = access.grant_for(request.user, slug, need=C.EDIT_CONTENT)
    project = granted.project
    obj = get_object_or_404(selectors.items(project), pk=item) if item else None
    if request.method == "POST" and request.POST.get("_warnings"):
        warnings = _labelled(_preview_warnings(project, obj, request.POST))
        length = len(request.POST.get("text", ""))
        context = {"warnings": warnings, "length": length}
        return render(request, "content/items/partials/_length_warnings.html", context)
    services.ensure_rubrics(project)
    initial = ItemForm.initial_for(obj) if obj else _day_initial(request.GET.get("date", ""))
    form = ItemForm(request.POST or None, initial=initial, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            if obj:
                obj = services.update_item(request.user, obj, **form.service_fields())
            else:
                obj = services.create_item(request.user, project, **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Item saved."))
            return redirect("content:item", project.slug, obj.pk)
    warnings = _labelled(checks.length_warnings(obj)) if obj else []
    context = _context(granted, form=form, item=obj, warnings=warnings)
    return render(request, "content/items/form.html", context)


# --- an item -----------------------------------------------------------------------------------


def _moves(granted, item, levels) -> list[tuple[str, str]]:
    """The transitions this user may make now (the services check them again)."""
    if item.state in FINAL:
        return []
    caps, me = granted.capabilities, getattr(granted.membership, "pk", None)

    def mover(kind: str) -> bool:
        if C.REVIEW_CONTENT in caps:
            return True
        step = next((s for s in item.steps.all() if s.kind == kind), None)
        return C.EDIT_CONTENT in caps and step is not None and me and step.assignee_id == me

    first = levels[0].state if levels else State.APPROVED
    state, targets = item.state, []
    if state == State.IDEA and C.EDIT_CONTENT in caps:
        targets.append(State.COPY)
    if state == State.COPY and mover("copy"):
        targets.append(State.DESIGN)
    if state == State.DESIGN and mover("design"):
        targets.append(first)
    if state == State.CHANGES_REQUESTED and item.changes_from and mover(item.changes_from):
        targets.append(item.changes_from)
    if state == State.APPROVED and C.PUBLISH in caps:
        targets.append(State.SCHEDULED)
    if state == State.SCHEDULED and C.PUBLISH in caps:
        targets.append(State.PUBLISHED)
    if C.REVIEW_CONTENT in caps:
        targets.append(State.CANCELLED)
    labels = dict(State.choices)
    return [(t, labels[t]) for t in targets]


def _may_decide(user, granted, item, levels, approvals) -> bool:
    if item.state not in (State.REVIEW, State.EXPERT_APPROVAL):
        return False
    if not 0 < item.current_level <= len(levels):
        return False
    level = levels[item.current_level - 1]
    if level.capability is not None:
        allowed = level.capability in granted.capabilities
    else:
        allowed = getattr(granted.membership, "pk", None) in level.approver_ids
    done = any(
        a.user_id == user.pk
        and a.level == level.number
        and a.round == item.approval_round
        and a.decision == "approved"
        for a in approvals
    )
    return allowed and not done


VERBS = {
    "created": gettext_lazy("created the item"),
    "updated": gettext_lazy("edited the item"),
    "transition": gettext_lazy("moved the item"),
    "approved": gettext_lazy("approved"),
    "changes_requested": gettext_lazy("requested changes"),
    "commented": gettext_lazy("commented"),
    "media_added": gettext_lazy("attached a file"),
    "publication_updated": gettext_lazy("changed a channel's publication"),
    "comment_edited": gettext_lazy("edited a comment"),
    "comment_deleted": gettext_lazy("deleted a comment"),
}


def _log_lines(activities) -> list[dict]:
    labels = dict(State.choices)
    lines = []
    for a in activities:
        data = a.data or {}
        moved = (labels.get(data.get("from"), ""), labels.get(data.get("to"), ""))
        lines.append(
            {"at": a.created_at, "actor": a.actor, "verb": str(VERBS.get(a.verb, a.verb)),
             "from": moved[0], "to": moved[1], "comment": data.get("comment", "")}
        )  # fmt: skip
    return lines


@access.member_required
def item_detail(request, slug: str, item: int):
    granted = access.grant_for(request.user, slug)
    project = granted.project
    obj = get_object_or_404(selectors.items(project).select_related("stage"), pk=item)
    levels = policy.levels_of(policy.policy_of(project))
    activities, approvals = selectors.history(obj)
    media = list(obj.media.all())
    image = next((m for m in media if m.kind == "image"), None)
    context = _context(
        granted, item=obj, media=media,
        previews=previews.previews(obj, has_image=image is not None),
        preview_image=reverse("content:media_file", args=[project.slug, image.pk]) if image else "",
        moves=_moves(granted, obj, levels),
        may_decide=_may_decide(request.user, granted, obj, levels, approvals),
        changes_form=ChangesForm(), approvals=approvals, log=_log_lines(activities),
        comments=obj.comments.select_related("author").prefetch_related("mentions"),
        warnings=_labelled(checks.length_warnings(obj)), tight=checks.schedule_warning(obj),
        current=collab.current_step(obj), final=obj.state in FINAL,
        expert_link=_expert_link(request, granted, obj),
    )  # fmt: skip
    return render(request, "content/items/detail.html", context)


def _expert_link(request, granted, item) -> dict | None:
    """For the team: the item's login-free links for the expert (listed, revocable), a new one
    made a moment ago (shown once), and whether the item waits for the expert now."""
    if not granted.can(Capability.REVIEW_CONTENT):
        return None
    expert = links.expert_of(item.project)
    rows = list(item.approval_links.select_related("created_by"))
    waiting = expert is not None and services.awaits(expert, item)
    if not rows and not waiting:
        return None
    new = approval_links.pop_new_link(request, str(item.pk))
    return {"rows": rows, "new": new, "waiting": waiting, "now": timezone.now()}


def _act(request, slug: str, item: int, action, done: str):
    """Runs a workflow service with the grant read here (the service checks against it again, so
    one request reads the memberships once); a refusal becomes a 403 or a 400 page."""
    granted = access.grant_for(request.user, slug)
    project = granted.project
    obj = get_object_or_404(project.content_items, pk=item)
    try:
        action(obj, granted)
    except ValidationError as exc:
        return _refused(request, granted, obj, exc)
    messages.success(request, done)
    return redirect("content:item", project.slug, obj.pk)


@access.member_required
@require_POST
def item_move(request, slug: str, item: int):
    to, comment = request.POST.get("to", ""), request.POST.get("comment", "")
    action = lambda obj, grant: services.transition(  # noqa: E731
        request.user, obj, to, comment, grant=grant
    )
    return _act(request, slug, item, action, _("Item moved."))


@access.member_required
@require_POST
def item_approve(request, slug: str, item: int):
    comment = request.POST.get("comment", "")
    action = lambda obj, grant: services.approve(request.user, obj, comment, grant=grant)  # noqa: E731
    return _act(request, slug, item, action, _("Approved."))


@access.member_required
@require_POST
def item_changes(request, slug: str, item: int):
    comment, redo = request.POST.get("comment", ""), request.POST.get("return_to", "copy")
    action = lambda obj, grant: services.request_changes(  # noqa: E731
        request.user, obj, comment, redo, grant=grant
    )
    return _act(request, slug, item, action, _("Changes requested."))


@access.member_required
@require_POST
def item_comment(request, slug: str, item: int):
    text = request.POST.get("text", "")
    action = lambda obj, _grant: collab.add_comment(request.user, obj, text)  # noqa: E731
    return _act(request, slug, item, action, _("Comment added."))


@access.member_required
@require_POST
def item_comment_delete(request, slug: str, item: int, comment_id: int):
    """Its author removes a comment; the SMM and the lead remove any (checked in the service)."""

    def action(obj, _grant):
        collab.delete_comment(request.user, get_object_or_404(obj.comments, pk=comment_id))

    return _act(request, slug, item, action, _("Comment deleted."))


@access.member_required
@require_POST
def item_media(request, slug: str, item: int):
    upload = request.FILES.get("file")
    action = lambda obj, _grant: collab.attach_media(request.user, obj, upload)  # noqa: E731
    return _act(request, slug, item, action, _("File attached."))


def _viewer(request):
    """The signed-in person, or the owner of the API token sent as ``Authorization: Bearer``
    (the ``url`` the media API gives opens for API clients too)."""
    if request.user.is_authenticated:
        return request.user
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    address = throttle.client_address(request)
    if throttle.wait("token-address", address):
        return None
    user = user_for_token(token.strip())
    if user is None:
        throttle.hit("token-address", address)
    return user


def media_file(request, slug: str, media: int):
    """Media are private to the project: served only to those who see it."""
    viewer = _viewer(request)
    if viewer is None:
        return redirect_to_login(request.get_full_path())
    project = access.project_for(viewer, slug)
    obj = get_object_or_404(selectors.media(project), pk=media)
    return media_rules.file_response(obj.file)


def answer_file(request, slug: str, file_id: int):
    """A file the expert attached to an answer: private to the project, like media."""
    viewer = _viewer(request)
    if viewer is None:
        return redirect_to_login(request.get_full_path())
    project = access.project_for(viewer, slug)
    found = get_object_or_404(AnswerFile, pk=file_id, answer__request__project=project)
    return media_rules.file_response(found.file)


@access.public
def answer_file_signed(request, token: str):
    """The same file on the expert's login-free request page (signed, expiring address)."""
    found = links.answer_file_from_token(token)
    if found is None:
        raise Http404
    return media_rules.file_response(found.file, cache_seconds=600)


@access.public
def media_signed(request, token: str):
    """A file shown on a login-free page (the approval link): the address is signed and expires."""
    obj = links.media_from_token(token)
    if obj is None:
        raise Http404
    return media_rules.file_response(obj.file, cache_seconds=600)


@access.member_required
def people(request, slug: str):
    """The project's members for the @mention autocomplete (whoever sees the project)."""
    project = access.project_for(request.user, slug)
    return JsonResponse({"people": collab.people(project)})


@access.member_required
def my_work(request, slug: str):
    """The signed-in member's open steps: overdue first, then this week's, then later."""
    granted = access.grant_for(request.user, slug)
    work = collab.my_work(granted.membership)
    return render(request, "content/items/my_work.html", _context(granted, work=work))


urls = [
    path("p/<slug:slug>/content/", items, name="items"),
    path("p/<slug:slug>/content/new/", item_form, name="item_new"),
    path("p/<slug:slug>/content/<int:item>/", item_detail, name="item"),
    path("p/<slug:slug>/content/<int:item>/edit/", item_form, name="item_edit"),
    path("p/<slug:slug>/content/<int:item>/move/", item_move, name="item_move"),
    path("p/<slug:slug>/content/<int:item>/approve/", item_approve, name="item_approve"),
    path("p/<slug:slug>/content/<int:item>/changes/", item_changes, name="item_changes"),
    path("p/<slug:slug>/content/<int:item>/comment/", item_comment, name="item_comment"),
    path(
        "p/<slug:slug>/content/<int:item>/comments/<int:comment_id>/delete/",
        item_comment_delete,
        name="item_comment_delete",
    ),
    path("p/<slug:slug>/content/<int:item>/media/", item_media, name="item_media"),
    path("p/<slug:slug>/media/<int:media>/", media_file, name="media_file"),
    path("x/m/<str:token>/", media_signed, name="media_signed"),
    path("p/<slug:slug>/answers/files/<int:file_id>/", answer_file, name="answer_file"),
    path("x/f/<str:token>/", answer_file_signed, name="answer_file_signed"),
    path("p/<slug:slug>/my-work/", my_work, name="my_work"),
    path("p/<slug:slug>/content/people.json", people, name="people"),
]
