"""The Celery app: Redis broker when REDIS_URL is set, files under the data dir otherwise."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zveno.config.settings")

app = Celery("zveno")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _configure() -> None:
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        queue = settings.CELERY_QUEUE_DIR
        (queue / "messages").mkdir(parents=True, exist_ok=True)
        app.conf.broker_transport_options = {
            "data_folder_in": str(queue / "messages"),
            "data_folder_out": str(queue / "messages"),
            "control_folder": str(queue / "control"),
            "store_processed": False,
            # Kombu looks at the folder again only after this pause once a message is taken, so
            # its default (1 s) caps the one-machine worker at one task a second: a burst of 100
            # notifications took 100 s. A tenth of a second costs an idle worker a directory
            # listing ten times a second.
            "polling_interval": 0.1,
        }
    app.conf.update(
        task_ignore_result=True,  # the database is the record of what was done
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        timezone=settings.TIME_ZONE,
        beat_schedule={
            "resend-pending-invitation-emails": {
                "task": "zveno.accounts.tasks.resend_pending_invitation_emails",
                "schedule": 300.0,
            },
            "sweep-stale-imports": {
                "task": "zveno.analytics.tasks.sweep_imports",
                "schedule": 60.0,  # a job whose worker died is queued again within a minute
            },
            "evaluate-goals": {"task": "zveno.analytics.tasks.evaluate_goals", "schedule": 900.0},
            # Stored team health and load: recomputed when inputs change; this is the net.
            "refresh-team-summaries": {
                "task": "zveno.team.tasks.refresh_team_summaries",
                "schedule": 3600.0,
            },
            "send-due-notifications": {
                "task": "zveno.notifications.tasks.send_due",
                "schedule": 60.0,
            },
            "remind-expert-requests": {
                "task": "zveno.content.tasks.remind_expert_requests",
                "schedule": 3600.0,
            },
            "remind-steps": {"task": "zveno.content.tasks.remind_steps", "schedule": 3600.0},
            "send-due-webhooks": {"task": "zveno.webhooks.tasks.send_due", "schedule": 60.0},
            "send-notification-digests": {
                "task": "zveno.notifications.tasks.send_digests",
                "schedule": 300.0,
            },
            # Publishing: due posts go out within seconds of their time; each round passes
            # until nothing is due, and rounds on several workers share the work.
            "publish-due": {
                "task": "zveno.publishing.tasks.publish_due",
                "schedule": float(getattr(settings, "PUBLISHING_TICK_SECONDS", 10)),
            },
            "collect-metrics": {
                "task": "zveno.analytics.tasks.collect_metrics",
                "schedule": float(settings.ZVENO_COLLECT_EVERY_SECONDS),
            },
            "send-due-reports": {
                "task": "zveno.analytics.tasks.send_due_reports",
                "schedule": 900.0,
            },
        },
    )


_configure()
app.autodiscover_tasks()
