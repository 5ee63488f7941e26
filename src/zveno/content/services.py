"""The only way content items, their publications, steps and approvals change.

The workflow: idea → copy → design → the approval levels of the project's policy → approved →
scheduled → published; "changes requested" sends an item back to the step the reviewer names,
"cancelled" ends it. Who may move what is checked here, inside the transaction.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from zveno.content import handover, outbound
from zveno.content.checks import FINAL, step_schedule
from zveno.content.delivery import as_post
from zveno.content.models import (
    REDO_STEPS,
    Activity,
    Approval,
    ApprovalLevel,
    ApprovalPolicy,
    ContentItem,
    Decision,
    LevelRule,
    PolicyMode,
    Publication,
    PublicationStatus,
    Rubric,
    State,
    Step,
    StepKind,
)
from zveno.content.policy import Level, assignee_for, levels_of, policy_of, step_kinds
from zveno.core import bounds
from zveno.publishing import services as publishing
from zveno.publishing.models import Dispatch
from zveno.team import summary as team_summary
from zveno.workspaces import access
from zveno.workspaces.models import Project, ProjectMembership
from zveno.workspaces.roles import Capability, capabilities_for
from zveno.workspaces.services import make_slug

C = Capability

EDITABLE = (
    "title", "format", "goal", "campaign", "planned_at", "text", "visual_brief", "link",
    "is_ad", "erid", "advertiser",
)  # fmt: skip
# --- rubrics and assignments -------------------------------------------------------------------


def ensure_rubrics(project: Project) -> None:
    """The playbook's content mix becomes the project's rubrics the first time they are needed."""
    if project.rubrics.exists():
        return
    Rubric.objects.bulk_create(playbook_rubrics(project))


def playbook_rubrics(project: Project) -> list[Rubric]:
    """The rubrics ``ensure_rubrics`` would create, unsaved (read without writing anything)."""
    row = getattr(project, "playbook", None)
    if row is None:
        return []
    language = get_language() or "ru"
    return [
        Rubric(project=project, code=r.code, name=r.name.get(language)[:200], target_share=r.share)
        for r in row.playbook.content_mix
    ]


@transaction.atomic
def add_rubric(actor, project: Project, name: str, target_share: int = 0) -> Rubric:
    """A new rubric of the project's content mix (a plan brought from another project names its
    own); its code comes from the name, unique in the project."""
    access.require(actor, project, C.MANAGE_PROJECT)
    name = name.strip()[:200]
    if not name:
        raise ValidationError({"name": _("Give the rubric a name.")})
    taken = set(project.rubrics.values_list("code", flat=True))
    code = make_slug(name, taken=taken, max_length=40)
    return Rubric.objects.create(project=project, code=code, name=name, target_share=target_share)


@transaction.atomic
def update_rubric(actor, rubric: Rubric, *, name: str, target_share: int) -> Rubric:
    """A project's own name and target share for one rubric of its content mix."""
    access.require(actor, rubric.project, C.MANAGE_PROJECT)
    if not 0 <= target_share <= 100:
        raise ValidationError({"target_share": _("A share is between 0 and 100%.")})
    rubric.name, rubric.target_share = name.strip()[:200] or rubric.name, target_share
    rubric.save(update_fields=["name", "target_share"])
    return rubric


def _plan_steps(item: ContentItem) -> None:
    """Creates the steps the policy needs and (re)computes every open step's due time."""
    kinds = step_kinds(levels_of(policy_of(item.project)))
    existing = {step.kind: step for step in item.steps.all()}
    done = [kind for kind, step in existing.items() if step.done_at is not None]
    due = step_schedule(item, kinds, done).due
    for kind in kinds:
        step = existing.get(kind)
        if step is None:
            Step.objects.create(
                item=item, kind=kind, assignee=assignee_for(item.project, kind), due_at=due[kind]
            )
        elif step.done_at is None and step.due_at != due[kind]:
            step.due_at = due[kind]
            step.save(update_fields=["due_at"])
    item.steps.exclude(kind__in=kinds).filter(done_at__isnull=True).delete()


def _log(item: ContentItem, actor, verb: str, **data) -> Activity:
    found = Activity.objects.create(item=item, actor=actor, verb=verb, data=data)
    outbound.activity(item, actor, verb, data)
    return found


def as_utc(value: dt.datetime | None, tz_name: str) -> dt.datetime | None:
    """A naive time is read in the project's time zone; everything is stored in UTC."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(tz_name))
    return value.astimezone(dt.UTC)


# --- items -------------------------------------------------------------------------------------


def _apply_fields(item: ContentItem, fields: dict) -> list[str]:
    project = item.project
    changed = []
    for name, value in fields.items():
        if name == "rubric":
            ensure_rubrics(project)
            value = project.rubrics.filter(code=value).first() if value else None
            if fields["rubric"] and value is None:
                raise ValidationError({"rubric": _("Unknown rubric.")})
        elif name == "stage_id":
            if value is not None and not project.stages.filter(pk=value).exists():
                raise ValidationError({"stage_id": _("Unknown stage.")})
            name = "stage_id"
        elif name == "planned_at":
            bounds.require_days(planned_at=value)
            value = as_utc(value, project.timezone)
        elif name not in EDITABLE:
            raise ValidationError({name: _("This field cannot be changed.")})
        if getattr(item, name) != value:
            setattr(item, name, value)
            changed.append(name)
    return changed


def _sync_publications(item: ContentItem, channel_ids: list[int]) -> None:
    channels = {c.pk: c for c in item.project.channels.filter(pk__in=channel_ids)}
    unknown = set(channel_ids) - set(channels)
    if unknown:
        raise ValidationError({"channel_ids": _("Unknown channel.")})
    item.publications.exclude(channel_id__in=channels).exclude(
        status=PublicationStatus.PUBLISHED
    ).delete()
    have = set(item.publications.values_list("channel_id", flat=True))
    Publication.objects.bulk_create(
        Publication(item=item, channel=c) for pk, c in channels.items() if pk not in have
    )
    team_summary.mark_changed([item.project_id])  # publications came in bulk


@transaction.atomic
def create_item(
    actor, project: Project, *, title: str, format: str, channel_ids: list[int] | None = None,
    **fields,
) -> ContentItem:  # fmt: skip
    """A new item at the idea stage, one publication per channel, steps planned from the matrix."""
    access.require(actor, project, C.EDIT_CONTENT)
    ensure_rubrics(project)
    item = ContentItem(project=project, title=title.strip(), format=format, created_by=actor)
    _apply_fields(item, fields)
    item.full_clean(exclude=["project", "rubric", "stage", "created_by"])
    item.save()
    _sync_publications(item, channel_ids or [])
    _plan_steps(item)
    _log(item, actor, "created", title=item.title)
    return item


@transaction.atomic
def update_item(actor, item: ContentItem, *, channel_ids: list[int] | None = None, **fields):
    """Edits an item; the expert approves or asks for changes but never edits."""
    access.require(actor, item.project, C.EDIT_CONTENT)
    item = ContentItem.objects.select_for_update().get(pk=item.pk)
    if item.state in FINAL:
        raise ValidationError(_("A published or cancelled item cannot be edited."))
    changed = _apply_fields(item, fields)
    item.full_clean(exclude=["project", "rubric", "stage", "created_by"])
    item.save()
    if channel_ids is not None:
        _sync_publications(item, channel_ids)
        changed.append("channels")
    if {"planned_at", "format"} & set(changed):
        _plan_steps(item)
    if changed:
        _log(item, actor, "updated", fields=sorted(changed))
    if set(changed) & APPROVED_CONTENT:
        back_to_approval(item, actor)
    return item


# What an approver saw: changing any of it after approval sends the item through approval again.
APPROVED_CONTENT = {"title", "format", "text", "visual_brief", "link", "is_ad", "erid",
                    "advertiser", "channels"}  # fmt: skip


def back_to_approval(item: ContentItem, actor) -> None:
    """An approved (or scheduled) item that changed goes back to its first approval level, in a
    new round; its publications wait, so the scheduler does not send what nobody approved."""
    if item.state not in (State.APPROVED, State.SCHEDULED):
        return
    levels = levels_of(policy_of(item.project))
    if not levels:
        return
    before = item.state
    item.approval_round += 1
    item.state, item.current_level = levels[0].state, 1
    item.save(update_fields=["state", "current_level", "approval_round", "updated_at"])
    item.publications.filter(status=PublicationStatus.SCHEDULED).update(
        status=PublicationStatus.PLANNED
    )
    item.steps.filter(kind__in=[StepKind.REVIEW, StepKind.EXPERT_APPROVAL]).update(
        done_at=None, done_by=None
    )
    _log(item, actor, "back_to_approval", **{"from": before, "to": item.state})


@transaction.atomic
def update_publication(actor, publication: Publication, **fields) -> Publication:
    """A channel's own time (None: the item's) and text (empty: the item's)."""
    item = publication.item
    access.require(actor, item.project, C.EDIT_CONTENT)
    if item.state in FINAL or publication.status == PublicationStatus.PUBLISHED:
        raise ValidationError(_("A published or cancelled item cannot be edited."))
    unknown = set(fields) - {"planned_at", "text"}
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, _("This field cannot be changed.")))
    if "planned_at" in fields:
        bounds.require_days(planned_at=fields["planned_at"])
        publication.planned_at = as_utc(fields["planned_at"], item.project.timezone)
    if "text" in fields:
        publication.text = fields["text"] or ""
    text_changed = "text" in fields and publication.text != (
        Publication.objects.values_list("text", flat=True).get(pk=publication.pk)
    )
    publication.save(update_fields=["planned_at", "text"])
    channel = publication.channel_id
    _log(item, actor, "publication_updated", channel_id=channel, fields=sorted(fields))
    if text_changed:
        back_to_approval(_lock(item), actor)
    return publication


def edit_published(actor, publication: Publication, text: str) -> Publication:
    """Changes the text of a post Zveno published, on the network first, then here."""
    item = publication.item
    access.require(actor, item.project, C.PUBLISH)
    dispatch = Dispatch.objects.filter(ref=publication.pk).first()
    if dispatch is None or not dispatch.went_out:
        raise ValidationError(_("Only a post Zveno published can be changed on the network."))
    publication.text = text or ""
    post = as_post(publication, dispatch.guid)
    publishing.edit_sent(actor, dispatch, post)  # raises with the network's reason
    Publication.objects.filter(pk=publication.pk).update(text=publication.text)
    _log(item, actor, "publication_edited", channel_id=publication.channel_id)
    return publication


@transaction.atomic
def set_policy(actor, project: Project, mode: str, levels: list[dict] | None = None):
    """Sets the approval policy; ``levels`` [{name, rule, approvers: [membership]}] for custom."""
    access.require(actor, project, C.MANAGE_PROJECT)
    policy, _created = ApprovalPolicy.objects.update_or_create(
        project=project, defaults={"mode": mode}
    )
    policy.levels.all().delete()
    if mode == PolicyMode.CUSTOM:
        if not levels:
            raise ValidationError({"levels": _("A custom policy needs at least one level.")})
        for order, spec in enumerate(levels, start=1):
            level = ApprovalLevel.objects.create(
                policy=policy, order=order, name=spec["name"], rule=spec.get("rule", "any")
            )
            level.approvers.set(spec["approvers"])
    return policy


# --- the workflow ------------------------------------------------------------------------------


def _lock(item: ContentItem) -> ContentItem:
    return ContentItem.objects.select_related("project").select_for_update().get(pk=item.pk)


def _require_mover(granted: access.ProjectAccess, item: ContentItem, kind: str) -> None:
    """The step's assignee or a REVIEW_CONTENT holder moves copy and design."""
    granted.require(C.EDIT_CONTENT)
    if granted.can(C.REVIEW_CONTENT):
        return
    step = item.steps.filter(kind=kind).first()
    mine = granted.membership is not None and step is not None
    if mine and step.assignee_id == granted.membership.pk:
        return
    granted.require(C.REVIEW_CONTENT)  # refuses with 403


def _finish_step(item: ContentItem, kind: str, actor) -> None:
    item.steps.filter(kind=kind).update(done_at=timezone.now(), done_by=actor)
    team_summary.mark_changed([item.project_id])  # a step done is load no more


def _enter_approval(item: ContentItem, levels: list[Level], number: int) -> None:
    """Waits for level ``number``; past the last level, the item is approved."""
    if number > len(levels):
        _require_erid(item)
        item.state, item.current_level = State.APPROVED, 0
    else:
        item.state, item.current_level = levels[number - 1].state, number


def _require_erid(item: ContentItem) -> None:
    if item.is_ad and not item.erid.strip():
        raise ValidationError(
            {"erid": _("An advertising item cannot be approved without an erid.")}
        )


def _move(item: ContentItem, actor, granted, to: str, levels: list[Level]) -> None:
    """Checks who may take the item from its state to ``to`` (against ``granted``, the actor's
    grant read once for the whole move) and does it."""
    state = item.state
    first_level = levels[0].state if levels else State.APPROVED
    redo = item.changes_from if state == State.CHANGES_REQUESTED else ""
    if to == State.CANCELLED:
        granted.require(C.REVIEW_CONTENT)
        item.state, item.current_level = State.CANCELLED, 0
        return
    if state == State.IDEA and to == State.COPY:
        granted.require(C.EDIT_CONTENT)
        item.state = State.COPY
        return
    if redo and to == redo:  # the redo begins: the step is open again
        _require_mover(granted, item, redo)
        item.state, item.changes_from = redo, ""
        return
    if to == State.DESIGN and StepKind.COPY in (state, redo):
        _require_mover(granted, item, StepKind.COPY)
        _finish_step(item, StepKind.COPY, actor)
        item.state, item.changes_from = State.DESIGN, ""
        return
    if to == first_level and StepKind.DESIGN in (state, redo):
        _require_mover(granted, item, StepKind.DESIGN)
        _finish_step(item, StepKind.DESIGN, actor)
        item.changes_from = ""
        _enter_approval(item, levels, 1)
        return
    if state == State.APPROVED and to == State.SCHEDULED:
        granted.require(C.PUBLISH)
        _require_erid(item)
        item.state = State.SCHEDULED
        item.publications.filter(status=PublicationStatus.PLANNED).update(
            status=PublicationStatus.SCHEDULED
        )
        return
    if state == State.SCHEDULED and to == State.PUBLISHED:
        granted.require(C.PUBLISH)
        _require_erid(item)
        item.state = State.PUBLISHED
        item.publications.exclude(status=PublicationStatus.PUBLISHED).update(
            status=PublicationStatus.PUBLISHED, published_at=timezone.now()
        )
        return
    raise _bad_move(state, to)


def _bad_move(state: str, to: str) -> ValidationError:
    labels = dict(State.choices)
    names = {"from": labels.get(state, state), "to": labels.get(to, to)}
    return ValidationError({"to": _("An item cannot go from %(from)s to %(to)s.") % names})


@transaction.atomic
def transition(actor, item: ContentItem, to: str, comment: str = "", *, grant=None) -> ContentItem:
    """Moves an item along the workflow; approval levels are passed only by approve().
    ``grant``: the actor's grant in the project when the caller has it (a page, the API)."""
    item = _lock(item)
    granted = access.require(actor, item.project, C.VIEW_PROJECT, grant)
    if item.state in FINAL:
        raise _bad_move(item.state, to)
    if to not in State.values or to == State.CHANGES_REQUESTED:
        raise _bad_move(item.state, to)
    before, levels = item.state, levels_of(policy_of(item.project))
    _move(item, actor, granted, to, levels)
    item.save(update_fields=["state", "changes_from", "current_level", "updated_at"])
    activity = _log(
        item, actor, "transition", **{"from": before, "to": item.state, "comment": comment}
    )
    if item.state != before:
        handover.after_move(item, actor, activity, levels)
    return item


def _current_level(actor, item: ContentItem, grant=None) -> tuple[Level, list[Level]]:
    """The level the item waits for, after checking that ``actor`` may decide on it."""
    granted = access.require(actor, item.project, C.VIEW_PROJECT, grant)
    levels = levels_of(policy_of(item.project))
    waiting = item.state in {State.REVIEW, State.EXPERT_APPROVAL}
    if not waiting or not 0 < item.current_level <= len(levels):
        raise ValidationError(_("This item is not waiting for an approval."))
    level = levels[item.current_level - 1]
    if level.capability is not None:
        granted.require(level.capability)
    else:
        member = granted.membership
        if member is None or member.pk not in level.approver_ids:
            raise PermissionDenied
    return level, levels


def awaits(user, item: ContentItem) -> bool:
    """Whether the item waits for a decision ``user`` may take now: the built-in expert level for
    the project's expert, or a custom level that names the user among its approvers."""
    return bool(awaiting(user, [item]))


def awaiting(user, items: list[ContentItem]) -> list[ContentItem]:
    """Those of one project's ``items`` that wait for ``user`` (see :func:`awaits`), read with
    the policy, the membership and the user's approvals once for all of them."""
    if not items:
        return []
    project = items[0].project
    levels = levels_of(policy_of(project))
    membership = project.memberships.filter(user=user).first()
    if membership is None:
        return []
    roles = capabilities_for(membership.roles, None)
    decided = set(
        Approval.objects.filter(item__in=items, user=user, decision=Decision.APPROVED).values_list(
            "item_id", "level", "round"
        )
    )
    found = []
    for item in items:
        waiting = item.state in {State.REVIEW, State.EXPERT_APPROVAL}
        if not waiting or not 0 < item.current_level <= len(levels):
            continue
        level = levels[item.current_level - 1]
        if level.capability is not None:
            ok = level.capability in roles
        else:
            again = (item.pk, level.number, item.approval_round) in decided
            ok = membership.pk in level.approver_ids and not again
        if ok:
            found.append(item)
    return found


def _level_complete(item: ContentItem, level: Level) -> bool:
    approved = set(
        item.approvals.filter(
            level=level.number, round=item.approval_round, decision=Decision.APPROVED
        ).values_list("user_id", flat=True)
    )
    if level.rule == LevelRule.ANY or level.capability is not None:
        return bool(approved)
    members = ProjectMembership.objects.filter(pk__in=level.approver_ids)
    needed = set(members.values_list("user_id", flat=True))
    return needed <= approved


@transaction.atomic
def approve(actor, item: ContentItem, comment: str = "", *, grant=None) -> Approval:
    """One approver's yes at the current level; a complete level hands on to the next."""
    item = _lock(item)
    level, levels = _current_level(actor, item, grant)
    already = item.approvals.filter(
        level=level.number, round=item.approval_round, user=actor, decision=Decision.APPROVED
    )
    if already.exists():
        raise ValidationError(_("You have already approved this item at this level."))
    approval = Approval.objects.create(
        item=item, level=level.number, round=item.approval_round, user=actor,
        decision=Decision.APPROVED, comment=comment,
    )  # fmt: skip
    before = item.state
    if _level_complete(item, level):
        kind = StepKind.REVIEW if level.state == State.REVIEW else StepKind.EXPERT_APPROVAL
        if level.number == len(levels) or levels[level.number].state != level.state:
            _finish_step(item, kind, actor)
        _enter_approval(item, levels, level.number + 1)
        item.save(update_fields=["state", "current_level", "updated_at"])
    activity = _log(
        item, actor, "approved", level=level.number, comment=comment,
        **{"from": before, "to": item.state},
    )  # fmt: skip
    if item.state != before or item.current_level != level.number:
        handover.after_move(item, actor, activity, levels)
    return approval


@transaction.atomic
def request_changes(
    actor, item: ContentItem, comment: str, return_to: str = "copy", *, grant=None
) -> Approval:
    """Sends the item back to the step that must redo it; earlier approvals stop counting."""
    item = _lock(item)
    level, _levels = _current_level(actor, item, grant)
    if return_to not in REDO_STEPS:
        raise ValidationError({"return_to": _("Changes go back to copy or design.")})
    if not comment.strip():
        raise ValidationError({"comment": _("Say what should change.")})
    approval = Approval.objects.create(
        item=item, level=level.number, round=item.approval_round, user=actor,
        decision=Decision.CHANGES_REQUESTED, comment=comment,
    )  # fmt: skip
    before = item.state
    item.state, item.changes_from, item.current_level = State.CHANGES_REQUESTED, return_to, 0
    item.approval_round += 1
    item.save(
        update_fields=["state", "changes_from", "current_level", "approval_round", "updated_at"]
    )
    redo = list(REDO_STEPS)[list(REDO_STEPS).index(return_to) :]
    item.steps.filter(kind__in=[*redo, StepKind.REVIEW, StepKind.EXPERT_APPROVAL]).update(
        done_at=None, done_by=None
    )
    activity = _log(
        item, actor, "changes_requested", level=level.number, comment=comment,
        return_to=return_to, **{"from": before},
    )  # fmt: skip
    handover.after_changes(item, actor, activity, return_to, comment)
    return approval


@transaction.atomic
def cancel(actor, item: ContentItem, comment: str = "", *, grant=None) -> ContentItem:
    return transition(actor, item, State.CANCELLED, comment, grant=grant)
