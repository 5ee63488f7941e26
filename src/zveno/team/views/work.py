"""Stages (the timeline) and tasks (a board and a list), with checklists."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zveno.core.forms import apply_errors
from zveno.core.timezones import today_in
from zveno.team import selectors, services
from zveno.team.forms import StageForm, TaskForm
from zveno.team.models import ChecklistItem, TaskStatus
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

BOARD_DONE_LIMIT = 12


def _column(items, value: str, label: str) -> tuple:
    """(status, label, cards shown, total); finished work shows only its newest cards."""
    cards = [t for t in items if t.status == value]
    if value == TaskStatus.DONE:
        cards.sort(key=lambda t: t.completed_at or t.created_at, reverse=True)
        return value, label, cards[:BOARD_DONE_LIMIT], len(cards)
    return value, label, cards, len(cards)


def _context(granted, tab, **extra) -> dict:
    return {
        "project": granted.project,
        "granted": granted,
        "tab": tab,
        **extra,
    }


def project_today(project):
    return today_in(project.timezone)


@access.member_required
def stages(request, slug: str):
    granted = access.grant_for(request.user, slug)
    project = granted.project
    timeline = selectors.timeline(project, project_today(project))
    return render(request, "team/stages.html", _context(granted, "stages", timeline=timeline))


@access.member_required
def stage_form(request, slug: str, stage: int | None = None):
    granted = access.grant_for(request.user, slug, need=Capability.MANAGE_PROJECT)
    project = granted.project
    obj = get_object_or_404(project.stages, pk=stage) if stage else None
    initial = (
        {n: getattr(obj, n) for n in ("name", "purpose", "start_date", "end_date", "area")}
        if obj
        else {}
    )
    form = StageForm(request.POST or None, initial=initial, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            if obj:
                services.update_stage(request.user, obj, **form.cleaned_data)
            else:
                services.create_stage(request.user, project, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Stage saved."))
            return redirect("team:stages", project.slug)
    return render(
        request, "team/stage_form.html", _context(granted, "stages", form=form, stage=obj)
    )


@access.member_required
def tasks(request, slug: str):
    """The board (columns by status) or the list (?view=list), filtered by stage or person."""
    granted = access.grant_for(request.user, slug)
    project = granted.project
    items = selectors.tasks(project)
    if stage := request.GET.get("stage"):
        items = items.filter(stage_id=stage) if stage.isdigit() else items
    mine = request.GET.get("mine") == "1"
    if mine and granted.membership:
        items = items.filter(assignee=granted.membership)
    if (status := request.GET.get("status")) in TaskStatus.values:
        items = items.filter(status=status)
    view = "list" if request.GET.get("view") == "list" else "board"
    columns = [_column(items, value, label) for value, label in TaskStatus.choices]
    context = _context(
        granted, "tasks", view=view, columns=columns, items=items, mine=mine,
        stages=project.stages.all(), today=project_today(project),
    )  # fmt: skip
    return render(request, "team/tasks.html", context)


@access.member_required
def task_form(request, slug: str, task: int | None = None):
    granted = access.grant_for(request.user, slug, need=Capability.MANAGE_PROJECT)
    project = granted.project
    obj = get_object_or_404(project.tasks, pk=task) if task else None
    fields = (
        "title",
        "description",
        "stage",
        "area",
        "assignee",
        "due_date",
        "estimate_hours",
        "status",
    )
    initial = {n: getattr(obj, n) for n in fields} if obj else {"stage": request.GET.get("stage")}
    form = TaskForm(
        request.POST or None, initial=initial, project=project, language=request.LANGUAGE_CODE
    )
    if request.method == "POST" and form.is_valid():
        try:
            if obj:
                obj = services.update_task(request.user, obj, **form.cleaned_data)
            else:
                obj = services.create_task(request.user, project, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Task saved."))
            return redirect("team:task", project.slug, obj.pk)
    return render(request, "team/task_form.html", _context(granted, "tasks", form=form, task=obj))


@access.member_required
def task_detail(request, slug: str, task: int):
    granted = access.grant_for(request.user, slug)
    project = granted.project
    obj = get_object_or_404(selectors.tasks(project), pk=task)
    context = _context(
        granted, "tasks", task=obj, may_work=services.may_work_on(request.user, obj),
        statuses=TaskStatus.choices,
    )  # fmt: skip
    return render(request, "team/task.html", context)


@access.member_required
@require_POST
def task_status(request, slug: str, task: int):
    """The assignee (or a manager) moves a task; htmx swaps the card."""
    granted = access.grant_for(request.user, slug)
    project = granted.project
    obj = get_object_or_404(selectors.tasks(project), pk=task)
    try:
        services.update_task(request.user, obj, status=request.POST.get("status", ""))
    except ValidationError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages))
    if request.headers.get("HX-Request"):
        context = {
            "project": project,
            "t": obj,
            "today": project_today(project),
            "granted": granted,
        }
        return render(request, "team/partials/_task_card.html", context)
    return redirect("team:task", project.slug, obj.pk)


@access.member_required
@require_POST
def checklist_add(request, slug: str, task: int):
    project = access.project_for(request.user, slug)
    obj = get_object_or_404(project.tasks, pk=task)
    try:
        services.add_checklist_item(request.user, obj, request.POST.get("text", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("team:task", project.slug, obj.pk)


@access.member_required
@require_POST
def checklist_tick(request, slug: str, item: int):
    project = access.project_for(request.user, slug)
    obj = get_object_or_404(
        ChecklistItem.objects.select_related("task"), pk=item, task__project=project
    )
    services.tick(request.user, obj, request.POST.get("done") == "1")
    if request.headers.get("HX-Request"):
        return render(
            request,
            "team/partials/_checklist_item.html",
            {"project": project, "item": obj, "may_work": True},
        )
    return redirect("team:task", project.slug, obj.task_id)


urls = [
    path("p/<slug:slug>/stages/", stages, name="stages"),
    path("p/<slug:slug>/stages/new/", stage_form, name="stage_new"),
    path("p/<slug:slug>/stages/<int:stage>/edit/", stage_form, name="stage_edit"),
    path("p/<slug:slug>/tasks/", tasks, name="tasks"),
    path("p/<slug:slug>/tasks/new/", task_form, name="task_new"),
    path("p/<slug:slug>/tasks/<int:task>/", task_detail, name="task"),
    path("p/<slug:slug>/tasks/<int:task>/edit/", task_form, name="task_edit"),
    path("p/<slug:slug>/tasks/<int:task>/status/", task_status, name="task_status"),
    path("p/<slug:slug>/tasks/<int:task>/checklist/", checklist_add, name="checklist_add"),
    path("p/<slug:slug>/checklist/<int:item>/tick/", checklist_tick, name="checklist_tick"),
]
