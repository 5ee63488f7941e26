"""What an item's page and API warn about before anyone acts: a text longer than a network
allows, and open steps that no longer fit before the publication. Warnings, never refusals."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from zveno.content import deadlines
from zveno.content.models import ContentItem, State
from zveno.publishing.models import Network
from zveno.workspaces.models import Project

# Per-network text limits from the networks' API documentation; Telegram allows 1024 characters
# under media. The previews and the warnings read the same table.
TELEGRAM_TEXT, TELEGRAM_CAPTION = 4096, 1024
LIMITS = {Network.INSTAGRAM: 2200, Network.VK: 16384, Network.MAX: 4000}
MEDIA_FORMATS = {"carousel", "stories", "reels", "video"}
FINAL = {State.PUBLISHED, State.CANCELLED}


def text_limit(network: str, *, has_media: bool) -> int | None:
    """The longest text the network takes for a post (None: no limit known)."""
    if network == Network.TELEGRAM:
        return TELEGRAM_CAPTION if has_media else TELEGRAM_TEXT
    return LIMITS.get(network)


def length_warnings(item: ContentItem) -> list[dict]:
    """Publications whose text is longer than the network allows (a warning, never a refusal)."""
    has_media = item.format in MEDIA_FORMATS or bool(item.visual_brief.strip())
    warnings = []
    for publication in item.publications.all():
        network = publication.channel.network
        limit = text_limit(network, has_media=has_media)
        length = len(publication.text or item.text)
        if limit is not None and length > limit:
            warnings.append(
                {"channel_id": publication.channel_id, "network": network, "limit": limit,
                 "length": length}
            )  # fmt: skip
    return warnings


def _effort(project: Project) -> dict:
    row = getattr(project, "playbook", None)
    return row.playbook.effort if row is not None else {}


@dataclass(frozen=True)
class ScheduleContext:
    """What scheduling reads about a project once: its effort norms and days off."""

    effort: dict
    days_off: tuple


def schedule_context(project: Project) -> ScheduleContext:
    days_off = tuple(project.days_off.values_list("date", flat=True))
    return ScheduleContext(_effort(project), days_off)


def step_schedule(
    item: ContentItem, kinds: list[str], done, context: ScheduleContext | None = None
) -> deadlines.Schedule:
    project = item.project
    context = context or schedule_context(project)
    return deadlines.schedule(
        item.planned_at, item.format, context.effort, kinds, project.timezone,
        days_off=context.days_off, now=timezone.now(), done=done,
    )  # fmt: skip


def schedule_warning(item: ContentItem, context: ScheduleContext | None = None) -> dict | None:
    """{"needed": h, "available": h} when the open steps do not fit before the publication
    (``context`` from :func:`schedule_context` when many items of one project are read)."""
    if item.state in FINAL or item.planned_at is None:
        return None
    steps = list(item.steps.all())
    done = [step.kind for step in steps if step.done_at is not None]
    if not steps or len(done) == len(steps):
        return None
    found = step_schedule(item, [step.kind for step in steps], done, context)
    if not found.tight:
        return None
    return {"needed": round(found.needed, 1), "available": round(max(found.available, 0), 1)}
