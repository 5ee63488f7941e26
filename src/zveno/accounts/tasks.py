"""Background jobs of accounts: thin, idempotent wrappers around accounts.email."""

from __future__ import annotations

from celery import shared_task

from zveno.accounts import email


@shared_task(name="zveno.accounts.tasks.send_invitation_email")
def send_invitation_email(invitation_id: int) -> str:
    return email.deliver_invitation(invitation_id)


@shared_task(name="zveno.accounts.tasks.resend_pending_invitation_emails")
def resend_pending_invitation_emails() -> int:
    """The database says what is due: re-queue e-mails whose message was lost or failed."""
    due = email.due_invitation_emails()
    for invitation_id in due:
        send_invitation_email.delay(invitation_id)
    return len(due)
