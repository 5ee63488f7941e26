"""Many new items at once (the plan import): prepared outside any transaction, written in one short.

``prepare`` does what ``services.create_item`` does for each item — fields checked, times read in
the project's zone, publications, steps from the matrix with their due times, the "created"
activity — but builds unsaved rows and reads the project once, so a file of thousands of rows is
checked while other people write. ``write`` then saves them all with a few bulk inserts in one
transaction, or none: SQLite's write lock is held for the inserts only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zveno.content import outbound, services
from zveno.content.checks import schedule_context, step_schedule
from zveno.content.models import Activity, ContentItem, Publication, Rubric, Step
from zveno.content.policy import assignee_for, levels_of, policy_of, step_kinds
from zveno.core import bounds
from zveno.team import summary as team_summary
from zveno.workspaces import access
from zveno.workspaces.models import Project
from zveno.workspaces.roles import Capability

BATCH = 500  # rows an INSERT carries; SQLite's limit on variables stays far away


@dataclass
class Draft:
    """One item to create: its fields as a form gives them (naive times in the project's zone,
    the rubric by code) and its channels, each with its own time and text when they differ."""

    number: int  # the file's row, for the report
    fields: dict
    channels: list[tuple[int, dt.datetime | None, str]] = field(default_factory=list)


@dataclass
class Prepared:
    """Unsaved rows of every draft; channel ids may still be placeholders (< 0) and rubrics codes
    until ``write`` resolves them."""

    items: list[ContentItem] = field(default_factory=list)
    rubrics: list[str] = field(default_factory=list)  # the code of each item's rubric, or ""
    publications: list[list[Publication]] = field(default_factory=list)
    steps: list[list[Step]] = field(default_factory=list)
    activities: list[list[Activity]] = field(default_factory=list)


class Refused(Exception):
    """A draft the model refuses; ``number`` names its row."""

    def __init__(self, number: int, error: ValidationError):
        super().__init__(number)
        self.number, self.error = number, error


def prepare(actor, project: Project, drafts: list[Draft]) -> Prepared:
    """Checks and builds every item (reads only; no transaction needed). Raises ``Refused``."""
    kinds = step_kinds(levels_of(policy_of(project)))
    assignees = {kind: assignee_for(project, kind) for kind in kinds}
    context = schedule_context(project)
    prepared = Prepared()
    for draft in drafts:
        try:
            _prepare_one(actor, project, draft, prepared, kinds, assignees, context)
        except ValidationError as exc:
            raise Refused(draft.number, exc) from exc
    return prepared


def _prepare_one(actor, project, draft: Draft, prepared: Prepared, kinds, assignees, context):
    values = dict(draft.fields)
    rubric = values.pop("rubric", "") or ""
    title = values.pop("title")
    item = ContentItem(project=project, title=title.strip(), created_by=actor, **values)
    bounds.require_days(planned_at=item.planned_at)
    item.planned_at = services.as_utc(item.planned_at, project.timezone)
    # The state is the default idea and no field is unique: the model's constraints need no query.
    skip = ["project", "rubric", "stage", "created_by"]
    item.full_clean(exclude=skip, validate_constraints=False)
    publications, activities, seen = [], [Activity(actor=actor, verb="created")], set()
    for channel_id, own_time, own_text in draft.channels:
        if channel_id in seen:
            continue
        seen.add(channel_id)
        pub = Publication(channel_id=channel_id, text=own_text or "")
        own = {"text"} if own_text else set()
        if own_time is not None:
            bounds.require_days(planned_at=own_time)
            pub.planned_at, own = services.as_utc(own_time, project.timezone), own | {"planned_at"}
        publications.append(pub)
        if own:
            data = {"channel_id": channel_id, "fields": sorted(own)}
            activities.append(Activity(actor=actor, verb="publication_updated", data=data))
    activities[0].data = {"title": item.title}
    due = step_schedule(item, kinds, [], context).due
    steps = [Step(kind=kind, assignee=assignees[kind], due_at=due[kind]) for kind in kinds]
    prepared.items.append(item)
    prepared.rubrics.append(rubric)
    prepared.publications.append(publications)
    prepared.steps.append(steps)
    prepared.activities.append(activities)


@transaction.atomic
def write(actor, project: Project, prepared: Prepared, channels: dict[int, int] | None = None,
          rubrics: dict[str, str] | None = None) -> int:  # fmt: skip
    """Saves every prepared item with its rows in one transaction: a handful of statements per
    table, none per item. ``channels`` and ``rubrics`` map placeholders to what was created for
    them (in this same transaction)."""
    access.require(actor, project, Capability.EDIT_CONTENT)  # re-checked inside the transaction
    channels, rubrics = channels or {}, rubrics or {}
    services.ensure_rubrics(project)
    by_code = dict(Rubric.objects.filter(project=project).values_list("code", "pk"))
    wanted = {channels.get(p.channel_id, p.channel_id) for ps in prepared.publications for p in ps}
    have = set(project.channels.filter(pk__in=wanted).values_list("pk", flat=True))
    if wanted - have:
        raise ValidationError({"channel_ids": _("Unknown channel.")})
    for item, code in zip(prepared.items, prepared.rubrics, strict=True):
        code = rubrics.get(code, code)
        if code and code not in by_code:
            raise ValidationError({"rubric": _("Unknown rubric.")})
        item.rubric_id = by_code.get(code) if code else None
    ContentItem.objects.bulk_create(prepared.items, batch_size=BATCH)
    rows: dict[type, list] = {Publication: [], Step: [], Activity: []}
    for n, item in enumerate(prepared.items):
        for pub in prepared.publications[n]:
            pub.item, pub.channel_id = item, channels.get(pub.channel_id, pub.channel_id)
            rows[Publication].append(pub)
        for row in prepared.steps[n] + prepared.activities[n]:
            row.item = item
            rows[type(row)].append(row)
    for model, objects in rows.items():
        model.objects.bulk_create(objects, batch_size=BATCH)
    for n, item in enumerate(prepared.items):  # what the workflow tells webhooks (no queries)
        for activity in prepared.activities[n]:
            outbound.activity(item, actor, activity.verb, activity.data)
    team_summary.mark_changed([project.pk])  # bulk inserts send no save signals
    return len(prepared.items)
