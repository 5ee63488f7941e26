"""REST endpoints of the content app: items, their publications, workflow and approvals."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from zveno.content import checks, selectors, services
from zveno.content.api.delivery import AttemptOut, attempt_out
from zveno.content.models import ContentItem, Goal, PublicationStatus, State, StepKind
from zveno.core.bounds import Day, Id, Moment
from zveno.publishing.models import Format
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

router = Router(tags=["content"])


class PublicationOut(Schema):
    id: int
    channel_id: int
    network: str
    planned_at: dt.datetime | None = Field(description="UTC; the item's time when not overridden")
    text: str = Field(description="Own text; empty means the item's text")
    status: str = Field(
        description="planned, scheduled, sending, published, late, needs_check, failed, held, "
        "cancelled (the delivery's state once the scheduler has one)"
    )
    url: str
    external_id: str = Field("", description="The post's id on the network")
    last_error: str = Field("", description="Why the last attempt failed, for people")
    published_at: dt.datetime | None
    attempts: list[AttemptOut] = Field([], description="The delivery log, oldest first")


class StepOut(Schema):
    kind: str
    assignee_id: int | None = Field(description="Membership id")
    assignee: str | None
    due_at: dt.datetime | None
    done_at: dt.datetime | None


class WarningOut(Schema):
    channel_id: int
    network: str
    limit: int
    length: int


class TightOut(Schema):
    needed: float = Field(description="Working hours the open steps need before the publication")
    available: float = Field(description="Working hours left from now to the publication")


class ItemOut(Schema):
    id: int
    title: str
    rubric: str | None = Field(description="Rubric code")
    format: str
    goal: str
    stage_id: int | None
    campaign: str
    planned_at: dt.datetime | None = Field(description="UTC")
    timezone: str = Field(description="The project's time zone name")
    text: str
    visual_brief: str
    link: str
    is_ad: bool
    erid: str
    advertiser: str
    state: str
    changes_from: str
    current_level: int
    publications: list[PublicationOut]
    steps: list[StepOut]
    length_warnings: list[WarningOut]
    schedule_warning: TightOut | None = Field(
        None, description="Set when the open steps do not fit before the publication"
    )


class ItemIn(Schema):
    title: str = Field(min_length=1, max_length=300)
    format: Format
    goal: Goal = Goal.REACH
    rubric: str | None = None
    stage_id: Id | None = None
    campaign: str = ""
    planned_at: Moment | None = Field(None, description="Naive: the project's time zone")
    text: str = ""
    visual_brief: str = ""
    link: str = ""
    is_ad: bool = False
    erid: str = ""
    advertiser: str = ""
    channel_ids: list[Id] = []


class ItemPatch(Schema):
    title: str | None = None
    format: Format | None = None
    goal: Goal | None = None
    rubric: str | None = None
    stage_id: Id | None = None
    campaign: str = None  # omitted: unchanged; null is refused
    planned_at: Moment | None = None
    text: str = None  # omitted: unchanged; null is refused
    visual_brief: str = None  # omitted: unchanged; null is refused
    link: str = None  # omitted: unchanged; null is refused
    is_ad: bool | None = None
    erid: str = None  # omitted: unchanged; null is refused
    advertiser: str = None  # omitted: unchanged; null is refused
    channel_ids: list[Id] | None = None


class PublicationPatch(Schema):
    planned_at: Moment | None = Field(None, description="None: the item's time")
    text: str | None = Field(None, description="Empty: the item's text")


class TransitionIn(Schema):
    to: State
    comment: str = ""


class ApproveIn(Schema):
    comment: str = ""


class ChangesIn(Schema):
    comment: str = Field(min_length=1)
    return_to: StepKind = Field(StepKind.COPY, description="copy or design: the step to redo")


class ApprovalOut(Schema):
    level: int
    round: int
    user: str | None
    decision: str
    comment: str
    created_at: dt.datetime


class ActivityOut(Schema):
    verb: str
    actor: str | None
    data: dict
    created_at: dt.datetime


class HistoryOut(Schema):
    activities: list[ActivityOut]
    approvals: list[ApprovalOut]


class ItemFilters(Schema):
    start: Day | None = Field(None, alias="from", description="First day, project time")
    end: Day | None = Field(None, alias="to", description="Last day, project time")
    state: State | None = None
    channel: Id | None = Field(None, description="Channel id")


class Period(Schema):
    start: Day = Field(alias="from")
    end: Day = Field(alias="to")


class CalendarOut(Schema):
    timezone: str
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    items: list[ItemOut]


def item_out(
    item: ContentItem, sent: dict | None = None, context: checks.ScheduleContext | None = None
) -> dict:
    publications = list(item.publications.all())
    if sent is None:
        sent = selectors.deliveries(p.pk for p in publications)
    return {
        "id": item.pk,
        "title": item.title,
        "rubric": item.rubric.code if item.rubric else None,
        "format": item.format,
        "goal": item.goal,
        "stage_id": item.stage_id,
        "campaign": item.campaign,
        "planned_at": item.planned_at,
        "timezone": item.project.timezone,
        "text": item.text,
        "visual_brief": item.visual_brief,
        "link": item.link,
        "is_ad": item.is_ad,
        "erid": item.erid,
        "advertiser": item.advertiser,
        "state": item.state,
        "changes_from": item.changes_from,
        "current_level": item.current_level,
        "publications": [
            {
                "id": p.pk,
                "channel_id": p.channel_id,
                "network": p.channel.network,
                "planned_at": p.planned_at or item.planned_at,
                "text": p.text,
                "status": selectors.publication_status(p, sent.get(p.pk)),
                "url": p.url,
                "external_id": getattr(sent.get(p.pk), "external_id", ""),
                "last_error": getattr(sent.get(p.pk), "reason", ""),
                "attempts": [attempt_out(a) for a in sent[p.pk].attempts.all()]
                if p.pk in sent
                else [],
                "published_at": p.published_at,
            }
            for p in publications
        ],
        "steps": [
            {
                "kind": s.kind,
                "assignee_id": s.assignee_id,
                "assignee": s.assignee.user.display_name if s.assignee else None,
                "due_at": s.due_at,
                "done_at": s.done_at,
            }
            for s in item.steps.all()
        ],
        "length_warnings": checks.length_warnings(item),
        "schedule_warning": checks.schedule_warning(item, context),
    }


def _item(project, item_id: Id) -> ContentItem:
    return get_object_or_404(selectors.items(project), pk=item_id)


def _fresh(project, item_id: Id) -> dict:
    return item_out(_item(project, item_id))


@router.get("/projects/{slug}/items", response=list[ItemOut])
def list_items(request, slug: str, filters: Query[ItemFilters]):
    project = access.project_for(request.auth, slug)
    rows = list(
        selectors.filtered(project, filters.start, filters.end, filters.state, filters.channel)
    )
    sent = selectors.deliveries(p.pk for i in rows for p in i.publications.all())
    context = checks.schedule_context(project)  # read once for every item
    return [item_out(i, sent, context) for i in rows]


@router.post("/projects/{slug}/items", response={201: ItemOut})
def create_item(request, slug: str, payload: ItemIn):
    project = access.project_for(request.auth, slug, need=Capability.EDIT_CONTENT)
    item = services.create_item(request.auth, project, **payload.dict())
    return Status(201, _fresh(project, item.pk))


@router.get("/projects/{slug}/items/{item_id}", response=ItemOut)
def get_item(request, slug: str, item_id: Id):
    return _fresh(access.project_for(request.auth, slug), item_id)


@router.patch("/projects/{slug}/items/{item_id}", response=ItemOut)
def patch_item(request, slug: str, item_id: Id, payload: ItemPatch):
    """Edits an item. The expert approves and comments but never edits (403)."""
    project = access.project_for(request.auth, slug, need=Capability.EDIT_CONTENT)
    services.update_item(request.auth, _item(project, item_id), **payload.dict(exclude_unset=True))
    return _fresh(project, item_id)


@router.delete("/projects/{slug}/items/{item_id}", response=ItemOut)
def cancel_item(request, slug: str, item_id: Id):
    """Cancels the item (it stays in the history, in the state "cancelled")."""
    granted = access.grant_for(request.auth, slug, need=Capability.REVIEW_CONTENT)
    project = granted.project
    services.cancel(request.auth, _item(project, item_id), grant=granted)
    return _fresh(project, item_id)


@router.patch("/projects/{slug}/items/{item_id}/publications/{publication_id}", response=ItemOut)
def patch_publication(
    request, slug: str, item_id: Id, publication_id: Id, payload: PublicationPatch
):
    """Sets one channel's own time or text; answers with the whole item."""
    project = access.project_for(request.auth, slug, need=Capability.EDIT_CONTENT)
    publication = get_object_or_404(_item(project, item_id).publications, pk=publication_id)
    fields = payload.dict(exclude_unset=True)
    if publication.status == PublicationStatus.PUBLISHED and set(fields) == {"text"}:
        # A post Zveno published is changed on the network too.
        services.edit_published(request.auth, publication, fields["text"])
    else:
        services.update_publication(request.auth, publication, **fields)
    return _fresh(project, item_id)


@router.post("/projects/{slug}/items/{item_id}/transition", response=ItemOut)
def transition(request, slug: str, item_id: Id, payload: TransitionIn):
    """Moves the item along the workflow; who may do it is checked per step."""
    granted = access.grant_for(request.auth, slug)
    project = granted.project
    item = _item(project, item_id)
    services.transition(request.auth, item, payload.to, payload.comment, grant=granted)
    return _fresh(project, item_id)


@router.post("/projects/{slug}/items/{item_id}/approve", response=ItemOut)
def approve(request, slug: str, item_id: Id, payload: ApproveIn):
    granted = access.grant_for(request.auth, slug)
    project = granted.project
    services.approve(request.auth, _item(project, item_id), payload.comment, grant=granted)
    return _fresh(project, item_id)


@router.post("/projects/{slug}/items/{item_id}/request-changes", response=ItemOut)
def request_changes(request, slug: str, item_id: Id, payload: ChangesIn):
    """Sends the item back to ``return_to`` (copy or design) with a comment."""
    granted = access.grant_for(request.auth, slug)
    project = granted.project
    item = _item(project, item_id)
    services.request_changes(request.auth, item, payload.comment, payload.return_to, grant=granted)
    return _fresh(project, item_id)


@router.get("/projects/{slug}/items/{item_id}/history", response=HistoryOut)
def history(request, slug: str, item_id: Id):
    project = access.project_for(request.auth, slug)
    activities, approvals = selectors.history(_item(project, item_id))
    return {
        "activities": [
            {
                "verb": a.verb,
                "actor": a.actor.display_name if a.actor else None,
                "data": a.data,
                "created_at": a.created_at,
            }
            for a in activities
        ],
        "approvals": [
            {
                "level": a.level,
                "round": a.round,
                "user": a.user.display_name if a.user else None,
                "decision": a.decision,
                "comment": a.comment,
                "created_at": a.created_at,
            }
            for a in approvals
        ],
    }


@router.get("/projects/{slug}/calendar", response=CalendarOut, by_alias=True)
def calendar(request, slug: str, period: Query[Period]):
    """Items planned between two dates of the project's calendar, with their publications."""
    project = access.project_for(request.auth, slug)
    start, end = period.start, period.end
    rows = selectors.filtered(project, start, end).exclude(state=State.CANCELLED)
    context = checks.schedule_context(project)
    return {
        "timezone": project.timezone,
        "from": start,
        "to": end,
        "items": [item_out(i, context=context) for i in rows],
    }
