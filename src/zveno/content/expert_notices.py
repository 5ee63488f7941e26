"""What the expert and the SMM are told about expert requests, and what waits for a person.

- a request is asked: the project's experts (``expert_request_asked``, with the request's id so a
  messenger can offer an "Answer" button);
- it is due tomorrow (``expert_request_due_soon``) or overdue (``expert_request_overdue``, once a
  day): the experts; quiet hours and the digest follow each person's settings;
- it is answered: who asked, and the project's SMM specialists (``expert_request_answered``);
- the answer's photos and videos join the linked items' media.

``waiting_lines`` fills the daily digest's "waiting for you" (``notifications.DIGEST_SECTIONS``).
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zveno.content.media_rules import VISUALS, sniff
from zveno.content.models import ContentItem, ExpertRequest, Media, RequestStatus, State
from zveno.content.services import awaiting
from zveno.core.timezones import today_in
from zveno.notifications.services import notify
from zveno.workspaces.models import ProjectMembership


def experts(project) -> list:
    return [
        m.user
        for m in ProjectMembership.objects.filter(project=project).select_related("user")
        if "expert" in (m.roles or [])
    ]


def _smm(project) -> list:
    return [
        m.user
        for m in ProjectMembership.objects.filter(project=project).select_related("user")
        if {"smm", "producer"} & set(m.roles or [])
    ]


def _url(found: ExpertRequest) -> str:
    return reverse("content:requests", args=(found.project.slug,))


def _tell(people, found: ExpertRequest, verb: str, key: str, text_of) -> None:
    """Each person in their own language; in the caller's transaction, so a refused request or
    answer tells nobody (the messages themselves leave after the commit)."""
    for person in people:
        with translation.override(getattr(person, "language", "") or "ru"):
            text = text_of()
        notify([person], project=found.project, verb=verb, key=key, text=text,
               url=_url(found), data={"request": found.pk})  # fmt: skip


def asked(found: ExpertRequest) -> None:
    question = Truncator(found.question).chars(200)
    _tell(experts(found.project), found, "expert_request_asked", f"request:{found.pk}",
          lambda: _("A question for you (by %(date)s): %(question)s")
          % {"date": found.due_date.strftime("%d.%m"), "question": question})  # fmt: skip


def answered(found: ExpertRequest, answer) -> None:
    people = {u.pk: u for u in _smm(found.project)}
    if found.asked_by_id:
        people[found.asked_by_id] = found.asked_by
    people.pop(getattr(answer.answered_by, "pk", None), None)
    by = answer.answered_by

    def text() -> str:
        name = by.display_name if by else _("The expert")
        return _("%(name)s answered: %(question)s") % {
            "name": name, "question": Truncator(found.question).chars(120)
        }  # fmt: skip

    _tell(list(people.values()), found, "expert_request_answered", f"request:{found.pk}", text)
    _to_item_media(found, answer)


def _to_item_media(found: ExpertRequest, answer) -> None:
    """The answer's photos and videos join the media of every linked item still being made (an
    item in approval or approved keeps what its approvers saw; the SMM adds them by hand)."""
    making = (State.IDEA, State.COPY, State.DESIGN, State.CHANGES_REQUESTED)
    items = [i for i in found.items.all() if i.state in making]
    if not items:
        return
    for stored in answer.files.all():
        stored.file.open("rb")
        try:
            kind = sniff(stored.file.read(16))
        finally:
            stored.file.close()
        if kind is None or kind[0] not in VISUALS:  # documents stay with the answer
            continue
        for item in items:
            Media.objects.create(item=item, file=stored.file.name, kind=kind[0],
                                 uploaded_by=answer.answered_by)  # fmt: skip


def remind(now: dt.datetime | None = None) -> int:
    """Open requests due tomorrow or overdue (in the project's own calendar): the experts are
    reminded, once per request for "due soon" and once a day while overdue."""
    now = now or timezone.now()
    told = 0
    for found in ExpertRequest.objects.filter(status=RequestStatus.OPEN).select_related("project"):
        today = today_in(found.project.timezone)
        if found.due_date == today + dt.timedelta(days=1):
            verb, key = "expert_request_due_soon", f"request:{found.pk}:soon"
        elif found.due_date < today:
            verb, key = "expert_request_overdue", f"request:{found.pk}:late:{today}"
        else:
            continue
        with transaction.atomic():
            _tell(experts(found.project), found, verb, key, partial(_reminder, found, verb))
        told += 1
    return told


def _reminder(found: ExpertRequest, verb: str) -> str:
    values = {"date": found.due_date.strftime("%d.%m"), "q": Truncator(found.question).chars(200)}
    if verb == "expert_request_due_soon":
        return _("Due tomorrow: %(q)s") % values
    return _("Overdue since %(date)s: %(q)s") % values


def waiting_lines(user) -> list[str]:
    """What waits for ``user`` across their projects: approvals and expert requests."""
    lines = []
    memberships = ProjectMembership.objects.filter(user=user).select_related("project")
    for membership in memberships:
        project = membership.project
        items = list(
            ContentItem.objects.filter(
                project=project, state__in=[State.REVIEW, State.EXPERT_APPROVAL]
            ).select_related("project")
        )
        count = len(awaiting(user, items))
        if count:
            lines.append(ngettext("%(project)s: %(n)s item waits for your approval",
                                  "%(project)s: %(n)s items wait for your approval", count)
                         % {"project": project.name, "n": count})  # fmt: skip
        if "expert" in (membership.roles or []):
            open_requests = ExpertRequest.objects.filter(
                Q(project=project), status=RequestStatus.OPEN
            ).count()
            if open_requests:
                lines.append(ngettext("%(project)s: %(n)s question waits for your answer",
                                      "%(project)s: %(n)s questions wait for your answer",
                                      open_requests)
                             % {"project": project.name, "n": open_requests})  # fmt: skip
    return lines
