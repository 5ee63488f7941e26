"""Starting a project and changing its settings: one transaction across workspaces, publishing
and playbooks, used by the pages, the API and the demo alike."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zveno.playbooks import loader
from zveno.playbooks import selectors as playbook_selectors
from zveno.playbooks import services as playbook_services
from zveno.playbooks.models import Cadence
from zveno.publishing import services as publishing_services
from zveno.workspaces import services as workspace_services
from zveno.workspaces.models import Project, Workspace


@transaction.atomic
def start_project(
    actor, workspace: Workspace, *, playbook: str = "", cadence: str = Cadence.MEDIUM,
    networks=(), my_roles=None, **fields,
) -> Project:  # fmt: skip
    """Creates a project with its channels and, when named, instantiates its playbook."""
    found = playbook_selectors.resolve(workspace, playbook) if playbook else None
    if playbook and found is None:
        raise ValidationError({"playbook": _("Unknown playbook: %(key)s") % {"key": playbook}})
    if found is not None:
        fields.setdefault("niche", playbook if playbook in loader.BUILTIN_KEYS else "other")
        fields.setdefault("goal_type", found.playbook.goal_type)
    project = workspace_services.create_project(actor, workspace, my_roles=my_roles, **fields)
    publishing_services.set_networks(actor, project, list(networks))
    if playbook:
        playbook_services.choose_playbook(actor, project, playbook, cadence)
    return project


@transaction.atomic
def update_settings(actor, project: Project, *, networks=None, **fields) -> Project:
    """The project's fields and, when given, the networks it is on, saved together or not at all.

    ``networks``: the networks whose channels are active; the others are paused, never deleted.
    """
    project = workspace_services.update_project(actor, project, **fields)
    if networks is not None:
        publishing_services.sync_networks(actor, project, [str(n) for n in networks])
    return project
