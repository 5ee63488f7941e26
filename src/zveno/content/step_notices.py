"""Reminders of the workflow's steps: the person who holds an item hears the day before its step
is due (``step_due_soon``) and, once a day, while it is overdue (``step_overdue``). Quiet hours,
channels and the digest follow each person's settings (``notifications.services.notify``)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zveno.content.models import Step
from zveno.core.timezones import today_in
from zveno.notifications.services import notify

SOON = dt.timedelta(hours=24)


def remind(now: dt.datetime | None = None) -> int:
    """Open steps the item waits on, due within a day or past due; returns how many."""
    now = now or timezone.now()
    steps = Step.objects.filter(
        done_at__isnull=True,
        due_at__isnull=False,
        due_at__lt=now + SOON,
        assignee__isnull=False,
        item__state=F("kind"),
    ).select_related("item__project", "assignee__user")  # fmt: skip
    told = 0
    for step in steps:
        item, person = step.item, step.assignee.user
        overdue = step.due_at <= now
        if overdue:
            verb = "step_overdue"
            key = f"step:{step.pk}:late:{today_in(item.project.timezone)}"
        else:
            verb, key = "step_due_soon", f"step:{step.pk}:soon"
        with translation.override(person.language or "ru"):
            values = {"step": step.get_kind_display(), "title": item.title}
            text = (
                _("Overdue: %(step)s of “%(title)s”") % values
                if overdue
                else _("Due within a day: %(step)s of “%(title)s”") % values
            )
        with transaction.atomic():
            notify([person], project=item.project, verb=verb, key=key, text=text,
                   url=reverse("content:item", args=(item.project.slug, item.pk)),
                   data={"item": item.pk})  # fmt: skip
        told += 1
    return told
