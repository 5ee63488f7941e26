"""Who holds an item after it moves, and telling them.

Every hand-over in the workflow notifies the person who now holds the item, once the move is
committed (``transaction.on_commit``; a refused or rolled-back move tells nobody):

- the item goes to copy or design: the step's assignee (``item_moved``);
- it waits for an approval level: the level's approvers (``approval_requested``): the review
  step's assignee (the SMM) and the expert approval step's assignee (the expert) for the
  built-in levels, the people a custom level names;
- the last level approves it: the SMM who reviews it (``approval_decided``);
- an approver requests changes: the assignee of the step that must redo it and the SMM
  (``changes_requested``).

The person who made the move is never told about it. Each person reads the text in their own
language; the channels (inbox, e-mail, messengers) follow their preferences
(``notifications.services.notify``).
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from zveno.content.models import Activity, ContentItem, State, Step, StepKind
from zveno.notifications.services import notify
from zveno.workspaces.models import ProjectMembership

LEVEL_STEP = {State.REVIEW: StepKind.REVIEW, State.EXPERT_APPROVAL: StepKind.EXPERT_APPROVAL}


def _text(verb: str, actor, item: ContentItem, **extra) -> str:
    values = {"name": actor.display_name, "title": item.title, **extra}
    if verb == "item_moved":
        return _("%(name)s handed “%(title)s” over to you: %(step)s") % values
    if verb == "approval_requested":
        return _("%(name)s asks for your approval of “%(title)s”") % values
    if verb == "approval_decided":
        return _("%(name)s approved “%(title)s”") % values
    if extra.get("comment"):
        return _("%(name)s requested changes to “%(title)s”: %(comment)s") % values
    return _("%(name)s requested changes to “%(title)s”") % values


def _assignee(item: ContentItem, kind: str):
    step = Step.objects.filter(item=item, kind=kind).select_related("assignee__user").first()
    return step.assignee.user if step is not None and step.assignee is not None else None


def approvers(item: ContentItem, level) -> list:
    """Who decides at ``level`` of ``item``: a custom level's people, else the step's assignee."""
    if level.capability is None:
        members = ProjectMembership.objects.filter(pk__in=level.approver_ids)
        return [m.user for m in members.select_related("user")]
    holder = _assignee(item, LEVEL_STEP.get(level.state, StepKind.REVIEW))
    return [holder] if holder is not None else []


def tell(verb: str, people, *, actor, item: ContentItem, activity: Activity, **extra) -> None:
    """After the commit, tells each of ``people`` (less the actor) about the hand-over."""
    found = {p.pk: p for p in people if p is not None and p.pk != getattr(actor, "pk", None)}
    if not found:
        return
    project = item.project
    url = reverse("content:item", args=(project.slug, item.pk))
    key = f"item:{item.pk}:{activity.pk}"
    comment = Truncator(extra.pop("comment", "") or "").chars(120)

    def send() -> None:
        for person in found.values():
            with translation.override(getattr(person, "language", "") or "ru"):
                step = str(StepKind(extra["step"]).label) if "step" in extra else ""
                text = _text(verb, actor, item, step=step, comment=comment)
            notify(
                [person], project=project, verb=verb, key=key, text=text, url=url,
                data={"item": item.pk, "state": item.state},
            )  # fmt: skip

    transaction.on_commit(send)


def after_move(item: ContentItem, actor, activity: Activity, levels) -> None:
    """The item entered ``item.state`` by a transition or a completed approval level."""
    state = item.state
    if state in (State.COPY, State.DESIGN):
        holder = _assignee(item, state)
        tell("item_moved", [holder], actor=actor, item=item, activity=activity, step=state)
    elif state in LEVEL_STEP and 0 < item.current_level <= len(levels):
        level = levels[item.current_level - 1]
        people = approvers(item, level)
        tell("approval_requested", people, actor=actor, item=item, activity=activity)
    elif state == State.APPROVED:
        smm = _assignee(item, StepKind.REVIEW)
        tell("approval_decided", [smm], actor=actor, item=item, activity=activity)


def after_changes(item: ContentItem, actor, activity: Activity, return_to: str, comment: str):
    """An approver sent the item back: the redo step's assignee and the SMM hold it now."""
    people = [_assignee(item, return_to), _assignee(item, StepKind.REVIEW)]
    tell("changes_requested", people, actor=actor, item=item, activity=activity, comment=comment)
