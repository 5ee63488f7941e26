"""A workspace's thresholds for the health rules: read with defaults, written by one service.

Reading never creates a row: a workspace that never changed its thresholds gets an unsaved
``HealthSettings`` with the model's defaults.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zveno.team.models import HealthSettings
from zveno.workspaces import access
from zveno.workspaces.models import Workspace
from zveno.workspaces.roles import Capability

FIELDS = (
    "roles_alarm",
    "max_responsible_areas",
    "overload_percent",
    "overload_weeks",
    "horizon_weeks",
    "expert_min_share",
)

# The range a person may choose for each threshold (inclusive).
LIMITS: dict[str, tuple[int, int]] = {
    "roles_alarm": (2, 12),
    "max_responsible_areas": (1, 16),
    "overload_percent": (50, 300),
    "overload_weeks": (1, 26),
    "horizon_weeks": (1, 26),
    "expert_min_share": (0, 100),
}

# People read plain words: the rule codes (H4, H5, H6) stay in the API and the docs.
LABELS = {
    "roles_alarm": gettext_lazy("Job roles of one person that count as too many"),
    "max_responsible_areas": gettext_lazy("Areas one person may be Responsible for"),
    "overload_percent": gettext_lazy("Load counted as overload, %"),
    "overload_weeks": gettext_lazy("Overloaded weeks that count as a problem"),
    "horizon_weeks": gettext_lazy("Weeks looked ahead"),
    "expert_min_share": gettext_lazy("Minimum share of content with the expert's input, %"),
}
HELP = {
    "roles_alarm": gettext_lazy("Too many roles: a person with this many job roles or more."),
    "max_responsible_areas": gettext_lazy(
        "Too many areas: a person Responsible for more areas than this."
    ),
    "overload_percent": gettext_lazy("Overload: planned work above this share of capacity."),
    "overload_weeks": gettext_lazy(
        "Overload: this many overloaded weeks or more within the horizon."
    ),
    "horizon_weeks": gettext_lazy("Overload: how many weeks ahead the load is checked."),
    "expert_min_share": gettext_lazy(
        "Expert involvement: the share of content that should carry the expert's input."
    ),
}


def settings_for(workspace: Workspace | int) -> HealthSettings:
    """The saved thresholds, or the defaults (unsaved) when the workspace never changed them."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    found = HealthSettings.objects.filter(workspace_id=workspace_id).first()
    return found if found is not None else HealthSettings(workspace_id=workspace_id)


def settings_for_many(workspace_ids) -> dict[int, HealthSettings]:
    """``settings_for`` of several workspaces in one query."""
    ids = set(workspace_ids)
    found = {s.workspace_id: s for s in HealthSettings.objects.filter(workspace_id__in=ids)}
    return {pk: found.get(pk) or HealthSettings(workspace_id=pk) for pk in ids}


def _clean(values: dict) -> dict[str, int]:
    errors: dict[str, str] = {}
    clean: dict[str, int] = {}
    for name, value in values.items():
        if name not in LIMITS:
            continue
        low, high = LIMITS[name]
        try:
            number = int(value)
        except (TypeError, ValueError):
            errors[name] = _("Enter a whole number.")
            continue
        if not low <= number <= high:
            errors[name] = _("Enter a number from %(low)s to %(high)s.") % {
                "low": low,
                "high": high,
            }
            continue
        clean[name] = number
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def save_settings(actor, workspace: Workspace, **values) -> HealthSettings:
    """Changes the workspace's thresholds; fields not given keep their current value."""
    access.require_workspace(actor, workspace, Capability.WORKSPACE_MANAGE)
    current = settings_for(workspace)
    merged = {name: getattr(current, name) for name in FIELDS}
    merged.update(_clean(values))
    if merged["overload_weeks"] > merged["horizon_weeks"]:
        raise ValidationError({"overload_weeks": _("Cannot be more than the weeks looked ahead.")})
    row, _created = HealthSettings.objects.update_or_create(workspace=workspace, defaults=merged)
    return row
