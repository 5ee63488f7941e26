from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlaybooksConfig(AppConfig):
    """Niche playbooks: built-in data files, workspace copies, the project's chosen playbook."""

    name = "zveno.playbooks"
    label = "playbooks"
    verbose_name = _("Playbooks")
