from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamConfig(AppConfig):
    """Responsibility matrix and agreements, stages and tasks, workload and health rules."""

    name = "zveno.team"
    label = "team"
    verbose_name = _("Team")

    def ready(self) -> None:
        # The seams of the apps below: a team follows its members and its playbook.
        from zveno.playbooks.services import PLAYBOOK_CHOSEN, PROJECT_STAGES
        from zveno.team import selectors, services, summary
        from zveno.workspaces.services import MEMBER_JOINED, MEMBER_LEFT

        MEMBER_JOINED.register(services.member_joined)
        MEMBER_LEFT.register(services.member_left)
        PLAYBOOK_CHOSEN.register(services.playbook_chosen)
        PROJECT_STAGES.register(selectors.stages)
        summary.register()  # the stored summaries follow their inputs
