"""Working together on content items: comments with @mentions, media, and "my work".

Writes go through the functions here (each in one transaction, access re-checked inside);
the workflow itself stays in ``services.py``.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zveno.content import media_rules
from zveno.content.models import (
    Activity,
    Comment,
    ContentItem,
    Media,
    State,
    Step,
    StepKind,
)
from zveno.content.services import back_to_approval
from zveno.notifications.services import notify
from zveno.workspaces import access
from zveno.workspaces.models import ProjectMembership
from zveno.workspaces.roles import Capability

C = Capability
MAX_MEDIA_BYTES = media_rules.MAX_MEDIA_BYTES
FINAL = {State.PUBLISHED, State.CANCELLED}


# --- comments ----------------------------------------------------------------------------------


def _named(text: str, name: str) -> bool:
    """``@name`` stands in ``text`` as a whole (not the start of a longer word)."""
    pattern = r"(?<![\w@])@" + re.escape(name) + r"(?![\w])"
    return bool(name) and re.search(pattern, text, flags=re.IGNORECASE) is not None


def mentioned(project, text: str) -> list:
    """People on ``project`` named in ``text`` as ``@login``, ``@Full Name`` (what the
    autocomplete inserts) or ``@First`` when only one member has that first name."""
    if "@" not in (text or ""):
        return []
    users = list(get_user_model().objects.filter(project_memberships__project=project).distinct())
    firsts: dict[str, list] = {}
    for user in users:
        first = user.display_name.split()[0].lower() if user.display_name.strip() else ""
        firsts.setdefault(first, []).append(user)
    found = []
    for user in users:
        names = {user.username, user.display_name.strip()}
        first = user.display_name.split()[0] if user.display_name.strip() else ""
        if first and len(firsts.get(first.lower(), [])) == 1:
            names.add(first)
        if any(_named(text, name) for name in names):
            found.append(user)
    return found


def people(project) -> list[dict]:
    """The project's members as the mention autocomplete offers them: name, login, roles."""
    memberships = project.memberships.select_related("user").order_by("user__name", "pk")
    return [
        {"name": m.user.display_name, "username": m.user.username, "roles": list(m.roles)}
        for m in memberships
        if m.user.is_active
    ]


@transaction.atomic
def add_comment(actor, item: ContentItem, text: str) -> Comment:
    """Any member who sees the project may comment (the expert too); @mentions are recorded."""
    access.require(actor, item.project, C.VIEW_PROJECT)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write a comment first.")})
    comment = Comment.objects.create(item=item, author=actor, text=text[:5000])
    people = mentioned(item.project, text)
    comment.mentions.set(people)
    Activity.objects.create(
        item=item, actor=actor, verb="commented", data={"mentions": [u.pk for u in people]}
    )
    _notify_mentioned(actor, comment, people)
    return comment


def _notify_mentioned(actor, comment: Comment, people: list) -> None:
    """Each person @mentioned gets one inbox notification per comment (not the author)."""
    item = comment.item
    text = _("%(name)s mentioned you on “%(title)s”") % {
        "name": actor.display_name, "title": item.title
    }  # fmt: skip
    notify(
        [p for p in people if p.pk != actor.pk], project=item.project, verb="mentioned",
        key=f"comment:{comment.pk}", text=text,
        url=reverse("content:item", args=(item.project.slug, item.pk)) + f"#comment-{comment.pk}",
    )  # fmt: skip


@transaction.atomic
def edit_comment(actor, comment: Comment, text: str) -> Comment:
    """Only its author edits a comment; the @mentions are recomputed from the new text."""
    item = comment.item
    access.require(actor, item.project, C.VIEW_PROJECT)
    if comment.author_id != actor.pk:
        raise ValidationError(_("Only its author can edit a comment."))
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write a comment first.")})
    comment.text = text[:5000]
    comment.save(update_fields=["text"])
    people = mentioned(item.project, text)
    comment.mentions.set(people)
    Activity.objects.create(
        item=item, actor=actor, verb="comment_edited",
        data={"comment": comment.pk, "mentions": [u.pk for u in people]},
    )  # fmt: skip
    _notify_mentioned(actor, comment, people)  # only people newly mentioned get one
    return comment


@transaction.atomic
def delete_comment(actor, comment: Comment) -> None:
    """Its author deletes a comment; the SMM and the lead (REVIEW_CONTENT) delete any."""
    item = comment.item
    access.require(actor, item.project, C.VIEW_PROJECT)
    if comment.author_id != actor.pk:
        access.require(actor, item.project, C.REVIEW_CONTENT)
    Activity.objects.create(
        item=item, actor=actor, verb="comment_deleted",
        data={"comment": comment.pk, "author": comment.author_id},
    )  # fmt: skip
    comment.delete()


# --- media -------------------------------------------------------------------------------------


@transaction.atomic
def attach_media(actor, item: ContentItem, upload) -> Media:
    """An image or a video (``media_rules.check_upload``), stored privately for the project."""
    access.require(actor, item.project, C.EDIT_CONTENT)
    if item.state in FINAL:
        raise ValidationError(_("A published or cancelled item cannot be edited."))
    checked = media_rules.check_upload(upload)
    # The stored name carries the sniffed type, so the file is never served as, say, HTML.
    upload.name = checked.name
    media = Media.objects.create(item=item, file=upload, kind=checked.kind, uploaded_by=actor)
    Activity.objects.create(
        item=item, actor=actor, verb="media_added", data={"media": media.pk, "kind": checked.kind}
    )
    back_to_approval(item, actor)  # what an approver saw changed
    return media


# --- the current step and "my work" ------------------------------------------------------------


def current_kind(item: ContentItem) -> str | None:
    """The step an item is waiting for, by its state."""
    if item.state == State.CHANGES_REQUESTED:
        return item.changes_from or None
    return item.state if item.state in StepKind.values else None


def current_step(item: ContentItem) -> Step | None:
    """Uses the prefetched steps, so a list costs no query per row."""
    kind = current_kind(item)
    return next((s for s in item.steps.all() if s.kind == kind), None) if kind else None


@dataclass
class MyWork:
    """A member's open steps, grouped for the "my work" page."""

    overdue: list[Step] = field(default_factory=list)
    this_week: list[Step] = field(default_factory=list)
    later: list[Step] = field(default_factory=list)
    undated: list[Step] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.overdue) + len(self.this_week) + len(self.later) + len(self.undated)


def my_work(membership: ProjectMembership | None, now: dt.datetime | None = None) -> MyWork:
    """Open steps assigned to ``membership``: overdue first, then this week's, then later ones."""
    work = MyWork()
    if membership is None:
        return work
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(membership.project.timezone)
    local = now.astimezone(zone)
    monday = local.date() - dt.timedelta(days=local.weekday())
    week_end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time.min, tzinfo=zone)
    steps = (
        Step.objects.filter(assignee=membership, done_at__isnull=True)
        .exclude(item__state__in=FINAL)
        .select_related("item", "item__rubric")
        .order_by("due_at", "pk")
    )
    for step in steps:
        if step.due_at is None:
            work.undated.append(step)
        elif step.due_at < now:
            work.overdue.append(step)
        elif step.due_at < week_end:
            work.this_week.append(step)
        else:
            work.later.append(step)
    return work
