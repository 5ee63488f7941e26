"""``zveno collect <project> | --all``: read post and channel figures from the networks now."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from zveno.analytics import collection
from zveno.workspaces import access


class Command(BaseCommand):
    help = "Reads a project's post and channel figures from its networks (VK, MAX, Telegram) now."

    def add_arguments(self, parser):
        parser.add_argument("project", nargs="?", help="the project's slug")
        parser.add_argument("--all", action="store_true", help="every active project")

    def handle(self, *args, **o):
        if o["all"] == bool(o["project"]):
            raise CommandError("Name one project, or --all.")
        if o["all"]:
            count = collection.collect_all()
            self.stdout.write(f"{count} channel(s) passed over.")
            return
        try:
            project = access.operator_project(o["project"])
        except Http404:
            raise CommandError(f"No project {o['project']!r}.") from None
        failed = False
        for row in collection.collect_project(project, trigger="command"):
            line = (
                f"{row.channel.get_network_display()} «{row.channel.name}»: {row.status}; "
                f"{row.snapshots} snapshot(s), {row.picked_up} new post(s) "
                f"({row.matched} matched to the plan), {row.days} day(s), {row.requests} request(s)"
            )
            if row.message:
                line += f" — {row.message}"
            self.stdout.write(line)
            failed = failed or row.status == "failed"
        if failed:
            raise CommandError("Some channels could not be read (see above).")
