"""Names of a playbook's codes (roles, networks, formats, metrics, cadences, goal types) in
the active language, for the editor and the read-only page."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from zveno.publishing.models import Network
from zveno.workspaces.models import GoalType
from zveno.workspaces.roles import JobRole

FORMAT_LABELS = {
    "post": gettext_lazy("Post"),
    "carousel": gettext_lazy("Carousel"),
    "stories": gettext_lazy("Stories"),
    "reels": gettext_lazy("Reels"),
    "video": gettext_lazy("Long video"),
    "article": gettext_lazy("Article"),
    "email": gettext_lazy("E-mail"),
    "live": gettext_lazy("Live broadcast"),
    "lead_magnet": gettext_lazy("Lead magnet"),
    "warmup_step": gettext_lazy("Warm-up step"),
}

METRIC_LABELS = {
    "reach": gettext_lazy("Reach"),
    "post_reach": gettext_lazy("Reach of a post"),
    "er_reach": gettext_lazy("Engagement rate by reach"),
    "followers": gettext_lazy("Followers"),
    "dialogues": gettext_lazy("Dialogues"),
    "leads": gettext_lazy("Leads"),
    "lead_magnet_downloads": gettext_lazy("Lead-magnet downloads"),
    "email_subscribers": gettext_lazy("E-mail subscribers"),
    "site_visits": gettext_lazy("Site visits"),
    "sales": gettext_lazy("Sales"),
    "revenue": gettext_lazy("Revenue"),
    "err_telegram": gettext_lazy("ERR in Telegram"),
}

CADENCE_LABELS = {
    "low": gettext_lazy("Low cadence"),
    "medium": gettext_lazy("Medium cadence"),
    "high": gettext_lazy("High cadence"),
}

_ROLE_LABELS = dict(JobRole.choices)
_NETWORK_LABELS = dict(Network.choices)
_GOAL_LABELS = dict(GoalType.choices)


def role_label(code: str) -> str:
    return str(_ROLE_LABELS.get(code, code))


def network_label(code: str) -> str:
    return str(_NETWORK_LABELS.get(code, code))


def format_label(code: str) -> str:
    return str(FORMAT_LABELS.get(code, code))


def goal_label(code: str) -> str:
    return str(_GOAL_LABELS.get(code, code))
