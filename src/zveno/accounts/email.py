"""Invitation e-mails. The Invitation row records what is due and what was done."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from zveno.accounts.models import EmailStatus, Invitation
from zveno.accounts.services import invitation_link, job_role_labels

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
STALE_CLAIM = dt.timedelta(minutes=10)
RETRY_AFTER = dt.timedelta(minutes=2)


def deliver_invitation(invitation_id: int) -> str:
    """Sends one invitation e-mail unless it was sent, claimed by another worker, or is moot."""
    now = timezone.now()
    # Claim atomically, so two workers (or a retry and the sweeper) never both send.
    claimable = Q(email_status__in=[EmailStatus.PENDING, EmailStatus.FAILED]) | Q(
        email_status=EmailStatus.SENDING, email_claimed_at__lt=now - STALE_CLAIM
    )  # a claim older than STALE_CLAIM belongs to a worker that died mid-send
    claimed = Invitation.objects.filter(claimable, pk=invitation_id).update(
        email_status=EmailStatus.SENDING,
        email_claimed_at=now,
        email_attempts=F("email_attempts") + 1,
    )
    if not claimed:
        return "skipped"
    invitation = Invitation.objects.select_related("workspace", "project", "invited_by").get(
        pk=invitation_id
    )
    if not invitation.is_usable:
        Invitation.objects.filter(pk=invitation_id).update(email_status=EmailStatus.NONE)
        return "moot"
    try:
        _message(invitation).send()
    except Exception as exc:  # SMTP and socket errors alike: record, retry later
        log.warning("invitation %s: e-mail failed: %s", invitation_id, exc)
        Invitation.objects.filter(pk=invitation_id).update(
            email_status=EmailStatus.FAILED, email_error=str(exc)[:300]
        )
        return "failed"
    Invitation.objects.filter(pk=invitation_id).update(
        email_status=EmailStatus.SENT, email_sent_at=timezone.now(), email_error=""
    )
    return "sent"


def due_invitation_emails() -> list[int]:
    now = timezone.now()
    return list(
        Invitation.objects.pending()
        .filter(email_attempts__lt=MAX_ATTEMPTS)
        .filter(
            Q(email_status=EmailStatus.PENDING, created_at__lt=now - RETRY_AFTER)
            | Q(email_status=EmailStatus.FAILED, email_claimed_at__lt=now - RETRY_AFTER)
            | Q(email_status=EmailStatus.SENDING, email_claimed_at__lt=now - STALE_CLAIM)
        )
        .values_list("pk", flat=True)
    )


def _message(invitation: Invitation) -> EmailMultiAlternatives:
    context = {
        "invitation": invitation,
        "link": invitation_link(invitation),
        "inviter": invitation.invited_by.display_name if invitation.invited_by else "Zveno",
        "roles": job_role_labels(invitation.job_roles),
    }
    with translation.override(invitation.language):
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        text = render_to_string("accounts/email/invitation.txt", context)
        html = render_to_string("accounts/email/invitation.html", context)
    message = EmailMultiAlternatives(subject, text, to=[invitation.email])
    message.attach_alternative(html, "text/html")
    return message
