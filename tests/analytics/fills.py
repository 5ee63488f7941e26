"""Values for the route parameters of analytics (and later) routes, for the persona x route test.

Each function gets the world and the route's name and returns the value to put in the URL.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

from django.utils import timezone


def _import(world, name):
    from zveno.analytics.models import Import

    batch = Import.objects.create(
        project=world.alpha, preset="zveno_posts", filename="posts.csv",
        file="imports/posts.csv", status="done", created_by=world.users["smm"],
    )  # fmt: skip
    return batch.pk


def _goal(world, name):
    return world.alpha.goals.first().pk


def _channel(world, name):
    return world.alpha.channels.first().pk


def _schedule(world, name):
    from zveno.analytics.models import ReportSchedule

    schedule = ReportSchedule.objects.create(
        project=world.alpha, frequency="weekly", formats=["pdf"], created_by=world.users["owner"]
    )
    schedule.recipients.set([world.users["expert"]])
    return schedule.pk


def _report_link_pk(world, name):
    return _report_link(world)[0].pk


def _report_token(world, name):
    return _report_link(world)[1]


def _report_link(world):
    """A live client link of Alpha's report; the database keeps only the token's SHA-256."""
    from zveno.analytics.models import ReportLink

    raw = secrets.token_urlsafe(24)
    link = ReportLink.objects.create(
        project=world.alpha, token_hash=hashlib.sha256(raw.encode()).hexdigest(),
        period_start=date(2026, 11, 1), period_end=date(2026, 11, 30),
        expires_at=timezone.now() + timedelta(days=7), created_by=world.users["owner"],
    )  # fmt: skip
    return link, raw


def _notification(world, name):
    from zveno.notifications.models import Notification

    note = Notification.objects.create(
        user=world.users["owner"], project=world.alpha, verb="goal_reached", key="goal:0", text="…"
    )
    return note.pk


def _comment(world, name):
    from tests.test_access_routes import content_item
    from zveno.content import collab

    return collab.add_comment(world.users["smm"], content_item(world), "Проверка").pk


def _webhook(world):
    from zveno.core import crypto
    from zveno.webhooks.models import Delivery, Endpoint

    endpoint = Endpoint.objects.filter(workspace=world.workspace_a).first()
    if endpoint is None:  # a documentation address: the guard refuses it before any connection
        endpoint = Endpoint.objects.create(
            workspace=world.workspace_a, url="http://192.0.2.1/hook", events=["goal.reached"],
            secret=crypto.encrypt({"secret": "whsec_test"}), secret_hint="whsec_test",
        )  # fmt: skip
        Delivery.objects.create(
            endpoint=endpoint, event="goal.reached", payload={}, not_before=timezone.now()
        )
    return endpoint


def _voice_note(world, name):
    from django.core.files.base import ContentFile

    from tests.test_access_routes import content_item
    from zveno.bots.models import VoiceNote

    item = content_item(world)
    note = VoiceNote.objects.create(
        item=item, user=world.users["expert"], file=ContentFile(b"OggS" + bytes(40), "v.ogg")
    )
    return note.pk


FILLS = {
    "import_id": _import,
    "goal_id": _goal,
    "channel_id": _channel,
    "schedule_id": _schedule,
    "link_id": _report_link_pk,
    "report_token": _report_token,
    "notification_id": _notification,
    "comment_id": _comment,
    "messenger": lambda world, name: "telegram",
    "ws": lambda world, name: world.workspace_a.slug,
    "note_id": _voice_note,
    "endpoint_id": lambda world, name: _webhook(world).pk,
    "delivery_id": lambda world, name: _webhook(world).deliveries.first().pk,
    "action": lambda world, name: "cancel",  # a publication's delivery action
    "chart": lambda world, name: "funnel",
    "preset": lambda world, name: "zveno_posts",
}
