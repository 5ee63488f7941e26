"""Which playbooks a workspace can use: the built-in ones and its own copies."""

from __future__ import annotations

from dataclasses import dataclass

from zveno.playbooks import loader
from zveno.playbooks.models import CustomPlaybook
from zveno.playbooks.schema import Playbook
from zveno.playbooks.validation import validate
from zveno.workspaces.models import Workspace


@dataclass(frozen=True)
class Available:
    """A playbook as offered to a workspace."""

    key: str
    playbook: Playbook
    custom: CustomPlaybook | None  # None for a built-in one

    @property
    def builtin(self) -> bool:
        return self.custom is None


def as_playbook(custom: CustomPlaybook) -> Playbook:
    return validate(custom.document, source=f"workspace playbook {custom.key!r}")


def available(workspaces) -> list[Available]:
    """Built-in playbooks first, then the custom ones of the given workspaces."""
    found = [Available(key, pb, None) for key, pb in loader.load_builtin().items()]
    customs = (
        CustomPlaybook.objects.filter(workspace__in=list(workspaces))
        .select_related("workspace")
        .order_by("key")
    )
    found += [Available(c.key, as_playbook(c), c) for c in customs]
    return found


def resolve(workspace: Workspace, key: str) -> Available | None:
    """The workspace's own playbook with this key, else the built-in one, else None."""
    custom = CustomPlaybook.objects.filter(workspace=workspace, key=key).first()
    if custom is not None:
        return Available(key, as_playbook(custom), custom)
    builtin = loader.load_builtin().get(key)
    return Available(key, builtin, None) if builtin else None
