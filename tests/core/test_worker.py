"""Invitation e-mails go through a real worker process: on files (one machine) and on Redis."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from django.conf import settings
from django.utils import timezone

from tests.conftest import build_world, require_service
from tests.core.helpers import child_env, database_url_for_children, start_worker, stop, wait_for
from zveno.accounts import services
from zveno.accounts.models import EmailStatus, Invitation
from zveno.accounts.tasks import resend_pending_invitation_emails, send_invitation_email
from zveno.core.celery import app
from zveno.workspaces.roles import JobRole

pytestmark = pytest.mark.django_db(transaction=True)


def _status(pk: int) -> str:
    return Invitation.objects.get(pk=pk).email_status


def _mail_text(folder) -> str:
    return "\n".join(path.read_text(errors="replace") for path in sorted(folder.glob("*.log")))


@pytest.fixture(autouse=True)
def empty_queue():
    """Messages other tests left on the one-machine queue are not this test's work."""
    messages = settings.CELERY_QUEUE_DIR / "messages"
    shutil.rmtree(messages, ignore_errors=True)
    messages.mkdir(parents=True)


def _wait_ready(log) -> None:
    wait_for(
        lambda: log.exists() and " ready." in log.read_text(errors="replace"),
        timeout=120, what="the worker to start", log=log,
    )  # fmt: skip


def test_one_machine_worker_sends_invitations_and_recovers_lost_messages(tmp_path):
    world = build_world()
    mail_dir = tmp_path / "mail"
    env = child_env(
        DATABASE_URL=database_url_for_children(),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
    )
    # Queued while no worker runs: the message waits on disk.
    invitation = services.invite(
        world.users["owner"], project=world.alpha, email="designer@example.test",
        job_roles=[JobRole.DESIGNER],
    )  # fmt: skip
    assert _status(invitation.pk) == EmailStatus.PENDING
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        # A loaded machine may take long to boot a worker: wait for it, then for the work.
        _wait_ready(tmp_path / "worker.log")
        wait_for(
            lambda: _status(invitation.pk) == EmailStatus.SENT,
            timeout=60, what="the e-mail to be sent", log=tmp_path / "worker.log",
        )  # fmt: skip
        text = _mail_text(mail_dir)
        assert "designer@example.test" in text
        assert services.invitation_link(invitation) in text

        # A message lost with the queue: the database still says the e-mail is due.
        second = services.invite(
            world.users["owner"], project=world.alpha, email="reels@example.test",
            job_roles=[JobRole.REELS_MAKER],
        )  # fmt: skip
        stop(worker)
        shutil.rmtree(settings.CELERY_QUEUE_DIR / "messages", ignore_errors=True)
        (settings.CELERY_QUEUE_DIR / "messages").mkdir(parents=True)
        Invitation.objects.filter(pk=second.pk).update(
            created_at=timezone.now() - dt.timedelta(minutes=5)
        )
        worker = start_worker(env, tmp_path / "worker2.log")
        resend_pending_invitation_emails.delay()
        _wait_ready(tmp_path / "worker2.log")
        wait_for(
            lambda: _status(second.pk) == EmailStatus.SENT,
            timeout=60, what="the re-queued e-mail", log=tmp_path / "worker2.log",
        )  # fmt: skip
        assert "reels@example.test" in _mail_text(mail_dir)
    finally:
        assert stop(worker) in (0, -15), (tmp_path / "worker.log").read_text()[-3000:]


@pytest.mark.redis
def test_redis_worker_sends_invitations(tmp_path):
    require_service("redis")
    redis_url = "redis://127.0.0.1:6379/15"
    world = build_world()
    mail_dir = tmp_path / "mail"
    invitation = Invitation.objects.create(
        workspace=world.workspace_a, project=world.alpha, email="copy@example.test",
        job_roles=[JobRole.COPYWRITER], expires_at=timezone.now() + dt.timedelta(days=1),
        email_status=EmailStatus.PENDING, invited_by=world.users["owner"],
    )  # fmt: skip
    env = child_env(
        DATABASE_URL=database_url_for_children(),
        REDIS_URL=redis_url,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
    )
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        with app.connection_for_write(redis_url) as conn:
            send_invitation_email.apply_async(args=[invitation.pk], connection=conn)
        _wait_ready(tmp_path / "worker.log")
        wait_for(
            lambda: _status(invitation.pk) == EmailStatus.SENT,
            timeout=60, what="the e-mail via Redis", log=tmp_path / "worker.log",
        )  # fmt: skip
        assert "copy@example.test" in _mail_text(mail_dir)
        log = (tmp_path / "worker.log").read_text()
        assert "redis://" in log
    finally:
        stop(worker)
