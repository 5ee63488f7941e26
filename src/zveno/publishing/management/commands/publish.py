"""`zveno publish --due`: one pass of the scheduler (for cron), or `--loop` to keep passing."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from zveno.publishing import delivery


class Command(BaseCommand):
    help = (
        "Deliver what is due: keep dispatches in step with the plan, claim due publications, "
        "reconcile unknown attempts, hold missed ones by the project's rule, and exit."
    )

    def add_arguments(self, parser):
        parser.add_argument("--due", action="store_true", help="one pass over everything due")
        parser.add_argument(
            "--loop", type=float, default=0, metavar="SECONDS",
            help="keep passing, resting this long when nothing is due (a worker without Celery)",
        )  # fmt: skip

    def handle(self, *args, **options):
        if not options["due"] and not options["loop"]:
            raise CommandError("Say what to publish: --due (one pass) or --loop SECONDS.")
        owner = delivery.worker_id()
        while True:
            report = delivery.run_until_empty(owner, max_seconds=3600)
            if report.claimed or not options["loop"]:
                self.stdout.write(
                    f"claimed {report.claimed}, published {report.published}, "
                    f"retrying {report.retried + report.waits}, held {report.held}, "
                    f"needs a check {report.checks}, failed {report.failed}"
                )
                self.stdout.flush()
            if not options["loop"]:
                return
            time.sleep(options["loop"])
