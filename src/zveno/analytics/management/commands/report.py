"""``zveno report <project> --from D --to D --format pdf|xlsx|json [--audience team|client]
[--output FILE]``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from zveno.analytics import reports
from zveno.analytics.services import reports as report_services
from zveno.workspaces import access


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "A project's period report as PDF, XLSX or JSON, to a file or to standard output."

    def add_arguments(self, parser):
        parser.add_argument("project", help="the project's slug")
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument("--format", choices=["pdf", "xlsx", "json"], default="json")
        parser.add_argument("--output", "-o", help="write here instead of standard output")
        parser.add_argument("--language", choices=["ru", "en"], default=None)
        parser.add_argument(
            "--audience",
            choices=reports.AUDIENCES,
            default=reports.TEAM,
            help="team (default) keeps the team's health findings; client leaves them out",
        )

    def handle(self, *args, **o):
        try:
            project = access.operator_project(o["project"])
        except Http404:
            raise CommandError(f"No project {o['project']!r}.") from None
        try:
            start, end = report_services.check_period(_day(o["start"]), _day(o["end"]))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        language = o["language"] or settings.LANGUAGE_CODE.split("-")[0]
        report = reports.build(project, start, end, language, o["audience"])
        if o["format"] == "json":
            body = json.dumps(report.as_dict(), ensure_ascii=False, indent=2).encode() + b"\n"
        elif o["format"] == "pdf":
            body = reports.to_pdf(report)
        else:
            body = reports.to_xlsx(report)
        if o["output"]:
            Path(o["output"]).write_bytes(body)
            self.stderr.write(f"{o['output']}: {len(body)} bytes")
            return
        out = self.stdout._out
        self.stdout.flush()
        binary = getattr(out, "buffer", None)
        if binary is not None:  # a real stream: write the bytes untouched
            binary.write(body)
            binary.flush()
        elif o["format"] == "json":
            out.write(body.decode())
        else:
            raise CommandError("Binary output needs --output FILE or a byte stream.")
