"""Playbook pages: the workspace's library, one playbook, the editor, import and export, and the
playbook a project follows."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from zveno.core.forms import apply_errors
from zveno.playbooks import loader, selectors, services
from zveno.playbooks.forms import (
    CadenceForm,
    ChoosePlaybookForm,
    CloneForm,
    ImportForm,
    YamlForm,
    display,
    editing,
    labels,
)
from zveno.playbooks.schema import PlaybookError
from zveno.workspaces import access
from zveno.workspaces.roles import Capability


def _found(workspace, key: str) -> selectors.Available:
    found = selectors.resolve(workspace, key)
    if found is None:
        raise Http404
    return found


def _custom(workspace, key: str):
    found = _found(workspace, key)
    if found.custom is None:  # built-in playbooks are cloned, never edited in place
        raise Http404
    return found.custom


def _row(found: selectors.Available, names: dict[str, str], language: str) -> dict:
    playbook = found.playbook
    based_on = found.custom.based_on if found.custom else ""
    return {
        "key": found.key,
        "builtin": found.builtin,
        "name": playbook.name.get(language),
        "goal": labels.goal_label(playbook.goal_type),
        "stages": len(playbook.stages),
        "days": playbook.total_duration_days,
        "based_on": names.get(based_on, based_on),
        "updated_at": found.custom.updated_at if found.custom else None,
    }


@access.member_required
@require_GET
def playbook_list(request, ws: str):
    workspace = access.workspace_for(request.user, ws)
    language = request.LANGUAGE_CODE
    found = selectors.available([workspace])
    names = {item.key: item.playbook.name.get(language) for item in found}
    rows = [_row(item, names, language) for item in found]
    context = {
        "workspace": workspace,
        "builtin": [row for row in rows if row["builtin"]],
        "custom": [row for row in rows if not row["builtin"]],
        "can_manage": access.can_workspace(request.user, workspace, Capability.WORKSPACE_MANAGE),
    }
    return render(request, "playbooks/list.html", context)


@access.member_required
@require_GET
def detail(request, ws: str, key: str):
    workspace = access.workspace_for(request.user, ws)
    found = _found(workspace, key)
    source = found.custom.based_on if found.custom else ""
    based_on = selectors.resolve(workspace, source) if source else None
    context = {
        "workspace": workspace,
        "found": found,
        "pb": display.page(found.playbook, request.LANGUAGE_CODE),
        "based_on": based_on.playbook.name.get(request.LANGUAGE_CODE) if based_on else "",
        "can_manage": access.can_workspace(request.user, workspace, Capability.WORKSPACE_MANAGE),
    }
    return render(request, "playbooks/detail.html", context)


@access.member_required
def clone(request, ws: str, key: str):
    workspace = access.workspace_for(request.user, ws, need=Capability.WORKSPACE_MANAGE)
    found = _found(workspace, key)
    form = CloneForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            custom = services.clone_playbook(
                request.user, workspace, found.key, form.cleaned_data["key"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("A copy is made: edit it to fit the niche."))
            return redirect("playbooks:edit", workspace.slug, custom.key)
    context = {
        "workspace": workspace,
        "found": found,
        "name": found.playbook.name.get(request.LANGUAGE_CODE),
        "form": form,
    }
    return render(request, "playbooks/clone.html", context)


@access.member_required
def edit(request, ws: str, key: str):
    """The form for the parts people change most, and the whole document as YAML.

    Stage buttons (add, remove, move) re-render the posted form without saving; with htmx only
    the stages are swapped.
    """
    workspace = access.workspace_for(request.user, ws, need=Capability.WORKSPACE_MANAGE)
    custom = _custom(workspace, key)
    language = request.LANGUAGE_CODE
    if request.method != "POST":
        return _editor(request, workspace, custom, editing.Editor(custom.document, None, language))
    if request.POST.get("mode") == "yaml":
        return _save_yaml(request, workspace, custom)
    action = request.POST.get("action", "save")
    if action != "save":
        data = editing.restructure(request.POST, action)
        editor = editing.Editor(custom.document, data, language)
        if request.headers.get("HX-Request"):
            context = {"editor": editor, "workspace": workspace, "custom": custom}
            return render(request, "playbooks/partials/_stages.html", context)
        return _editor(request, workspace, custom, editor)
    editor = editing.Editor(custom.document, request.POST, language)
    try:
        custom = services.save_playbook(request.user, custom, editor.document())
    except ValidationError as exc:
        editor.place(exc.message_dict)
        return _editor(request, workspace, custom, editor)
    messages.success(request, _("Playbook saved."))
    return redirect("playbooks:detail", workspace.slug, custom.key)


def _save_yaml(request, workspace, custom):
    form = YamlForm(request.POST)
    form.is_valid()
    try:
        playbook = loader.load_text(form.cleaned_data.get("document", ""), source=custom.key)
        custom = services.save_playbook(request.user, custom, playbook.to_dict())
    except PlaybookError as exc:
        errors = services.playbook_errors(exc).message_dict
    except ValidationError as exc:
        errors = exc.message_dict
    else:
        messages.success(request, _("Playbook saved."))
        return redirect("playbooks:detail", workspace.slug, custom.key)
    editor = editing.Editor(custom.document, None, request.LANGUAGE_CODE)
    editor.place(errors, yaml=True)
    return _editor(request, workspace, custom, editor, yaml_form=form)


def _editor(request, workspace, custom, editor, yaml_form=None):
    if yaml_form is None:
        text = services.export_playbook(selectors.as_playbook(custom))
        yaml_form = YamlForm(initial={"document": text})
    context = {
        "workspace": workspace,
        "custom": custom,
        "name": editor.head["name_" + ("en" if editor.language == "en" else "ru")].value()
        or custom.key,
        "editor": editor,
        "yaml_form": yaml_form,
    }
    return render(request, "playbooks/edit.html", context)


@access.member_required
@require_GET
def export(request, ws: str, key: str):
    workspace = access.workspace_for(request.user, ws)
    found = _found(workspace, key)
    response = HttpResponse(
        services.export_playbook(found.playbook), content_type="application/yaml; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{found.key}.yaml"'
    return response


@access.member_required
def import_playbook(request, ws: str):
    workspace = access.workspace_for(request.user, ws, need=Capability.WORKSPACE_MANAGE)
    posted = request.method == "POST"
    form = ImportForm(request.POST if posted else None, request.FILES if posted else None)
    problems: list[tuple[str, str]] = []
    if posted and form.is_valid():
        try:
            custom = _import(
                request.user, workspace, form.cleaned_data["file"], form.file_name,
                replace=form.cleaned_data["replace"],
            )  # fmt: skip
        except ValidationError as exc:
            problems = [(path, m) for path, msgs in exc.message_dict.items() for m in msgs]
        else:
            messages.success(request, _("Playbook “%(key)s” imported.") % {"key": custom.key})
            return redirect("playbooks:detail", workspace.slug, custom.key)
    context = {"workspace": workspace, "form": form, "problems": problems}
    return render(request, "playbooks/import.html", context)


def _import(user, workspace, text: str, source: str, *, replace: bool):
    """Imports a file; an existing playbook with the same key is replaced only when asked to."""
    try:
        key = loader.load_text(text, source=source).key
    except PlaybookError as exc:
        raise services.playbook_errors(exc) from None
    existing = selectors.resolve(workspace, key)
    if existing is not None and existing.custom is not None and not replace:
        raise ValidationError(
            {
                "key": _(
                    "The workspace already has a playbook with the key “%(key)s”. Change the "
                    "key in the file, or tick “replace” to overwrite it."
                )
                % {"key": key}
            }
        )
    return services.import_playbook(user, workspace, text, source=source, replace=replace)


# --- the project's playbook ---------------------------------------------------------------------


def _choices(workspace, language: str) -> list:
    found = selectors.available([workspace])
    builtin = [(f.key, f.playbook.name.get(language)) for f in found if f.builtin]
    custom = [(f.key, f"{f.playbook.name.get(language)} ({f.key})") for f in found if f.custom]
    choices = [(_("Built-in"), builtin)]
    if custom:
        choices.append((_("The workspace's own"), custom))
    return choices


@access.member_required
def project_playbook(request, slug: str):
    granted = access.grant_for(request.user, slug)
    project = granted.project
    language = request.LANGUAGE_CODE
    current = getattr(project, "playbook", None)  # the ProjectPlaybook, if one was chosen
    can_manage = granted.can(Capability.MANAGE_PROJECT)
    cadence_form = CadenceForm(initial={"cadence": current.cadence if current else "medium"})
    choose_form = None
    if can_manage:
        initial = {"playbook": current.key if current else project.niche}
        if current:
            initial["cadence"] = current.cadence
        choose_form = ChoosePlaybookForm(
            initial=initial, playbooks=_choices(project.workspace, language)
        )
    if request.method == "POST":
        granted.require(Capability.MANAGE_PROJECT)
        if request.POST.get("action") == "cadence" and current is not None:
            cadence_form = CadenceForm(request.POST)
            if cadence_form.is_valid():
                try:
                    cadence = cadence_form.cleaned_data["cadence"]
                    services.set_cadence(request.user, project, cadence)
                except ValidationError as exc:
                    apply_errors(cadence_form, exc)
                else:
                    messages.success(request, _("Cadence changed."))
                    return redirect("playbooks:project_playbook", project.slug)
        else:
            choose_form = ChoosePlaybookForm(
                request.POST, playbooks=_choices(project.workspace, language)
            )
            if choose_form.is_valid():
                try:
                    services.choose_playbook(
                        request.user, project, choose_form.cleaned_data["playbook"],
                        choose_form.cleaned_data["cadence"],
                    )  # fmt: skip
                except ValidationError as exc:
                    apply_errors(choose_form, exc)
                else:
                    messages.success(request, _applied_message(project))
                    return redirect("playbooks:project_playbook", project.slug)
    context = {
        "project": project,
        "granted": granted,
        "tab": "playbook",
        "current": current,
        "current_name": current.playbook.name.get(language) if current else "",
        "changed_since": _changed_since(project, current),
        "stages": services.project_stages(project) if current else [],
        "can_manage": can_manage,
        "cadence_form": cadence_form,
        "choose_form": choose_form,
    }
    return render(request, "playbooks/project.html", context)


def _applied_message(project) -> str:
    return _(
        "Playbook applied: %(stages)s stages, %(tasks)s tasks and %(goals)s draft goals; "
        "the responsibility matrix is rebuilt."
    ) % {
        "stages": project.stages.count(),
        "tasks": project.tasks.count(),
        "goals": project.goals.filter(status="draft", source__startswith="playbook:").count(),
    }


def _changed_since(project, current) -> bool:
    """Whether the playbook was edited (or upgraded) after the project froze its copy."""
    if current is None:
        return False
    if current.custom is not None:
        return current.custom.document != current.document
    builtin = loader.load_builtin().get(current.key)
    return builtin is not None and builtin.to_dict() != current.document
