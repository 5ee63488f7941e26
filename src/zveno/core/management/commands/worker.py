"""`zveno worker`: the Celery worker (Redis when REDIS_URL is set, files otherwise)."""

from __future__ import annotations

from celery import beat
from django.conf import settings
from django.core.management.base import BaseCommand

from zveno.core.celery import app


class Command(BaseCommand):
    help = "Run the background worker. With REDIS_URL set, run it on as many machines as needed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--beat", action="store_true", help="also run the scheduler (on one machine only)"
        )
        parser.add_argument("--concurrency", type=int, default=None)
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args, **options):
        one_machine = not settings.REDIS_URL
        argv = ["worker", f"--loglevel={options['loglevel']}", "--without-gossip"]
        if one_machine:
            # Threads share one process: light on a single machine, kind to SQLite's one writer.
            argv += ["--pool=threads", f"--concurrency={options['concurrency'] or 2}"]
        elif options["concurrency"]:
            argv.append(f"--concurrency={options['concurrency']}")
        if options["beat"]:
            # The scheduler runs as a thread of this process: Celery's --beat would fork a process
            # of its own (as big as the worker) to wake once a minute. The in-memory scheduler
            # keeps no file: every periodic job is a sweep over what the database says is due,
            # so a restart that runs one early loses nothing.
            beat.EmbeddedService(app, thread=True, scheduler_cls=beat.Scheduler).start()
        app.worker_main(argv)
