"""`zveno manage bot`: the messenger bot's long polling (what `zveno serve` runs), or, with
`--webhook`, register this installation's webhook (ZVENO_BASE_URL must be public HTTPS)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from zveno.bots import platforms, polling, services
from zveno.bots.platforms import webhook_mode


class Command(BaseCommand):
    help = "Run the messenger bot: long polling, or register the webhook with --webhook."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one polling round, then exit")
        parser.add_argument("--webhook", action="store_true", help="register the webhook, exit")
        parser.add_argument("--timeout", type=int, default=25)

    def handle(self, *args, **options):
        found = platforms.configured()
        if not found:
            raise CommandError("No bot token: set ZVENO_TELEGRAM_BOT_TOKEN or ZVENO_MAX_BOT_TOKEN.")
        if options["webhook"] or webhook_mode():
            # Registered now and again every hour (a webhook dropped by the network comes back);
            # `--webhook` registers once and exits.
            while True:
                for name, platform in found.items():
                    url = settings.BASE_URL + reverse("bots:webhook", args=[name])
                    try:
                        platform.set_webhook(url, services.webhook_secret(name))
                        self.stdout.write(f"{name}: webhook at {url}")
                    except Exception as exc:
                        self.stderr.write(f"{name}: webhook not registered: {exc}")
                if options["webhook"] or options["once"]:
                    return
                time.sleep(3600)
        for platform in found.values():
            platform.delete_webhook()  # polling and a webhook exclude each other
        self.stdout.write("Bot: long polling " + ", ".join(found))
        while True:
            for name in found:
                try:
                    polling.poll_once(name, 0 if options["once"] else options["timeout"])
                except Exception as exc:  # the network: wait, then ask again
                    self.stderr.write(f"{name}: {exc}")
                    time.sleep(5)
            if options["once"]:
                return
