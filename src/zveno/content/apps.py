from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    """Content items and their production workflow: steps, approvals, publications, calendar."""

    name = "zveno.content"
    label = "content"
    verbose_name = _("Content")

    def ready(self) -> None:
        # The seams of the apps below: the plan's load and coverage, the expert's input for H4,
        # what waits for a person in their daily digest, what the scheduler sends.
        from zveno.content import delivery, expert_notices, requests, workload
        from zveno.content.models import ContentItem, ExpertAnswer, ExpertRequest, Publication, Step
        from zveno.notifications.delivery import DIGEST_SECTIONS
        from zveno.team import health, summary

        workload.register()
        DIGEST_SECTIONS.register(expert_notices.waiting_lines)
        delivery.register()  # the scheduler's seams: what is due, as a post, who is told
        if requests.expert_input not in health.EXPERT_INPUT_SOURCES:
            health.EXPERT_INPUT_SOURCES.append(requests.expert_input)
        if requests.prefetch_expert_input not in health.workload.PREFETCH:
            health.workload.PREFETCH.append(requests.prefetch_expert_input)
        # The plan and the expert's requests are inputs of the team's stored summaries.
        summary.watch(ContentItem, summary.own_project)
        summary.watch(ExpertRequest, summary.own_project)
        summary.watch(Step, summary.through("item"))
        summary.watch(Publication, summary.through("item"))
        summary.watch(ExpertAnswer, summary.through("request"))
