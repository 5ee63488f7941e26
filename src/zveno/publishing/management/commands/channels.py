"""`zveno channels test <project>`: test every connected channel of a project."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from zveno.publishing import services
from zveno.workspaces import access


class Command(BaseCommand):
    help = "Channels of a project. `test <project>`: ask each connected network whether it works."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["test"])
        parser.add_argument("project", help="the project's slug")

    def handle(self, *args, **options):
        try:
            project = access.operator_project(options["project"])
        except Http404:
            raise CommandError(f"No project {options['project']!r}.") from None
        failed = 0
        channels = [c for c in project.channels.filter(is_active=True) if c.is_connected]
        if not channels:
            self.stdout.write("No connected channels.")
            return
        for channel in channels:
            channel = services.check_connection(channel)
            result = channel.connection_result or {}
            facts = ", ".join(
                f"{key} {result[key]}" for key in ("title", "members") if result.get(key)
            )
            line = f"{channel.get_network_display()} {channel.name}: {channel.connection}"
            if facts:
                line += f" ({facts})"
            if result.get("reason"):
                line += f" — {result['reason']}"
            self.stdout.write(line)
            failed += channel.connection != "ok"
        if failed:
            raise CommandError(f"{failed} channel(s) cannot publish.")
