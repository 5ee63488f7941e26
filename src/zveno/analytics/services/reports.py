"""Writes around reports: delivery schedules, client links, and the scheduled e-mails.

The database is the record of work: one ReportDelivery per schedule and period (a unique
constraint), claimed atomically before sending, so a repeated or concurrent ``send_due`` sends
nothing twice. Client links keep only the SHA-256 of their token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zveno.analytics import reports
from zveno.analytics.models import Frequency, ReportDelivery, ReportLink, ReportSchedule
from zveno.core import bounds
from zveno.workspaces import access
from zveno.workspaces.models import Project
from zveno.workspaces.roles import Capability

log = logging.getLogger(__name__)

FORMATS = ("pdf", "xlsx")
LINK_DAYS = (7, 30, 90)
DEFAULT_LINK_DAYS = 30
MAX_ATTEMPTS = 3
STALE_CLAIM = dt.timedelta(minutes=30)
MAX_PERIOD_DAYS = 366


# --- periods ------------------------------------------------------------------------------------


def last_period(frequency: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """Weekly: the previous Monday–Sunday; monthly: the previous calendar month."""
    if frequency == Frequency.WEEKLY:
        monday = today - dt.timedelta(days=today.weekday())
        return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def check_period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """A valid report period or ValidationError (422 in the API)."""
    if start is None or end is None:
        raise ValidationError({"from": [_("Give the first and the last day of the period.")]})
    if end < start:
        raise ValidationError({"to": [_("The last day is before the first one.")]})
    bounds.require_days(**{"from": start, "to": end})
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise ValidationError({"to": [_("A report covers at most a year.")]})
    return start, end


# --- schedules ----------------------------------------------------------------------------------


def _member_ids(project: Project) -> set[int]:
    return set(project.memberships.values_list("user_id", flat=True))


@transaction.atomic
def create_schedule(
    actor, project: Project, frequency: str, recipient_ids: list[int], formats: list[str]
) -> ReportSchedule:
    access.require(actor, project, Capability.MANAGE_ANALYTICS)
    errors = {}
    if frequency not in Frequency.values:
        errors["frequency"] = [_("Choose weekly or monthly.")]
    chosen = {int(pk) for pk in recipient_ids}
    if not chosen:
        errors["recipients"] = [_("Choose at least one recipient.")]
    elif not chosen <= _member_ids(project):
        errors["recipients"] = [_("Recipients must be members of the project.")]
    formats = [f for f in FORMATS if f in set(formats)]
    if not formats:
        errors["formats"] = [_("Choose PDF, XLSX or both.")]
    if errors:
        raise ValidationError(errors)
    schedule = ReportSchedule.objects.create(
        project=project, frequency=frequency, formats=formats, created_by=actor
    )
    schedule.recipients.set(chosen)
    return schedule


@transaction.atomic
def delete_schedule(actor, project: Project, schedule_id: int) -> None:
    access.require(actor, project, Capability.MANAGE_ANALYTICS)
    ReportSchedule.objects.filter(project=project, pk=schedule_id).delete()


# --- client links -------------------------------------------------------------------------------


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_link(
    actor, project: Project, start: dt.date, end: dt.date, days: int = DEFAULT_LINK_DAYS
) -> tuple[ReportLink, str]:
    """A read-only link to the period's report; the raw token is returned once, never stored."""
    access.require(actor, project, Capability.MANAGE_ANALYTICS)
    start, end = check_period(start, end)
    if days not in LINK_DAYS:
        raise ValidationError({"days": [_("Choose 7, 30 or 90 days.")]})
    raw = secrets.token_urlsafe(24)
    link = ReportLink.objects.create(
        project=project, token_hash=token_hash(raw), period_start=start, period_end=end,
        expires_at=timezone.now() + dt.timedelta(days=days), created_by=actor,
    )  # fmt: skip
    return link, raw


@transaction.atomic
def revoke_link(actor, project: Project, link_id: int) -> None:
    access.require(actor, project, Capability.MANAGE_ANALYTICS)
    ReportLink.objects.filter(project=project, pk=link_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def live_link(raw: str) -> ReportLink | None:
    """The link of a token if it is neither revoked nor expired."""
    return (
        ReportLink.objects.select_related("project")
        .filter(token_hash=token_hash(raw), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )


# --- delivery -----------------------------------------------------------------------------------


@dataclass
class Attachment:
    name: str
    body: bytes
    mime: str


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def send_due(now: dt.datetime | None = None) -> int:
    """Creates the delivery of each active schedule's last finished period and sends the ones
    due (new, or failed fewer than MAX_ATTEMPTS times). Returns the number sent."""
    now = now or timezone.now()
    sent = 0
    for schedule in ReportSchedule.objects.filter(is_active=True).select_related("project"):
        today = now.astimezone(zoneinfo.ZoneInfo(schedule.project.timezone)).date()
        start, end = last_period(schedule.frequency, today)
        try:
            with transaction.atomic():
                ReportDelivery.objects.get_or_create(
                    schedule=schedule, period_start=start, period_end=end
                )
        except IntegrityError:  # another worker created it first: fine
            pass
    due = ReportDelivery.objects.filter(_claimable(now), schedule__is_active=True)
    for delivery_id in list(due.values_list("pk", flat=True)):
        sent += deliver(delivery_id, now) == "sent"
    return sent


def _claimable(now: dt.datetime) -> Q:
    # While a delivery is "sending", sent_at holds the claim's time: a claim older than
    # STALE_CLAIM belongs to a worker that died mid-send, and may be taken again.
    return Q(status="queued") | Q(
        Q(status="failed") | Q(status="sending", sent_at__lt=now - STALE_CLAIM),
        attempts__lt=MAX_ATTEMPTS,
    )


def deliver(delivery_id: int, now: dt.datetime | None = None) -> str:
    """Sends one delivery unless another worker claimed it or it is done."""
    now = now or timezone.now()
    claimed = ReportDelivery.objects.filter(_claimable(now), pk=delivery_id).update(
        status="sending", attempts=F("attempts") + 1, sent_at=now
    )
    if not claimed:
        return "skipped"
    delivery = ReportDelivery.objects.select_related("schedule__project").get(pk=delivery_id)
    schedule = delivery.schedule
    try:
        for message in _messages(delivery):
            message.send()
    except Exception as exc:  # rendering, SMTP and socket errors alike: record, retry later
        log.warning("report delivery %s failed: %s", delivery_id, exc)
        ReportDelivery.objects.filter(pk=delivery_id).update(
            status="failed", error=str(exc)[:500], sent_at=None
        )
        return "failed"
    ReportDelivery.objects.filter(pk=delivery_id).update(
        status="sent", sent_at=timezone.now(), error=""
    )
    ReportSchedule.objects.filter(pk=schedule.pk).update(last_period_end=delivery.period_end)
    return "sent"


def _messages(delivery: ReportDelivery) -> list[EmailMultiAlternatives]:
    """One e-mail per recipient who is still a member, in the recipient's language."""
    schedule = delivery.schedule
    project = schedule.project
    members = _member_ids(project)
    built: dict[str, list[Attachment]] = {}
    messages = []
    for user in schedule.recipients.filter(is_active=True).order_by("pk"):
        if user.pk not in members or not user.email:
            continue
        language = user.language or "ru"
        if language not in built:
            report = reports.build(project, delivery.period_start, delivery.period_end, language)
            built[language] = _attachments(report, schedule.formats or ["pdf"])
        context = {"project": project, "delivery": delivery, "schedule": schedule, "user": user}
        with translation.override(language):
            subject = render_to_string("analytics/email/report_subject.txt", context).strip()
            text = render_to_string("analytics/email/report_body.txt", context)
            html = render_to_string("analytics/email/report_body.html", context)
        message = EmailMultiAlternatives(subject, text, to=[user.email])
        message.attach_alternative(html, "text/html")
        for item in built[language]:
            message.attach(item.name, item.body, item.mime)
        messages.append(message)
    return messages


def _attachments(report: reports.Report, formats: list[str]) -> list[Attachment]:
    out = []
    if "pdf" in formats:
        out.append(Attachment(reports.file_name(report, "pdf"), reports.to_pdf(report),
                              "application/pdf"))  # fmt: skip
    if "xlsx" in formats:
        out.append(Attachment(reports.file_name(report, "xlsx"), reports.to_xlsx(report), XLSX))
    return out
