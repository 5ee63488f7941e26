"""``zveno import <project> <file> --preset NAME [--year YYYY] [--channel ID]``.

Runs the import in the foreground as the machine's operator, with a progress bar on stderr (first
the check of every row, then the write), and prints the result. Exits with 1 and the row errors
(the first 20 and their count) when the file has problems; nothing is saved then.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from zveno.analytics import imports, presets
from zveno.analytics.models import ImportStatus
from zveno.analytics.views.imports import figures_url
from zveno.workspaces import access

SHOWN_ERRORS = 20
WIDTH = 30


class ProgressBar:
    """A one-line text bar redrawn in place: ``check [#####-----]  50 % 250/500``."""

    def __init__(self, stream):  # a management command's OutputWrapper
        self.stream = stream
        self.last = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        share = done / total if total else 1.0
        state = (phase, int(share * 100))
        if state == self.last:
            return
        self.last = state
        filled = int(share * WIDTH)
        bar = "#" * filled + "-" * (WIDTH - filled)
        self.stream.write(f"\r{phase:<5} [{bar}] {share * 100:5.1f} % {done}/{total}", ending="")
        self.stream.flush()

    def end(self) -> None:
        if self.last is not None:
            self.stream.write("")
            self.stream.flush()


class Command(BaseCommand):
    help = "Import metrics from a CSV or XLSX file into a project, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("project", help="the project's slug")
        parser.add_argument("file", help="a .csv or .xlsx file")
        parser.add_argument("--preset", required=True, choices=sorted(presets.PRESETS))
        parser.add_argument("--year", type=int, help="the year (facebook_insights needs it)")
        parser.add_argument("--channel", help="the channel's ID for the whole file")
        parser.add_argument("--mapping", help='generic presets: JSON {"column": "field"}')

    def handle(self, *args, **o):
        try:
            project = access.operator_project(o["project"])
        except Http404:
            raise CommandError(f"No project {o['project']!r}.") from None
        path = Path(o["file"])
        if not path.is_file():
            raise CommandError(f"No file {str(path)!r}.")
        mapping = None
        if o["mapping"]:
            try:
                mapping = json.loads(o["mapping"])
            except ValueError:
                raise CommandError("--mapping is a JSON object.") from None
            if mapping is not None and not isinstance(mapping, dict):
                raise CommandError("--mapping is a JSON object.")
        with path.open("rb") as handle:
            upload = File(handle, name=path.name)
            try:
                batch = imports.create_import(
                    None, project, upload, preset=o["preset"], year=o["year"],
                    channel=o["channel"], mapping=mapping, run_now=False, dispatch=False,
                )  # fmt: skip
            except ValidationError as exc:
                lines = [f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()]
                raise CommandError("\n".join(lines)) from None
        bar = ProgressBar(self.stderr)
        batch = imports.run(batch.pk, progress=bar) or batch
        bar.end()
        if batch.status != ImportStatus.DONE:
            problems = batch.errors or []
            for p in problems[:SHOWN_ERRORS]:
                self.stderr.write(f"row {p['row']}, {p['column'] or '-'}: {p['message']}")
            if len(problems) > SHOWN_ERRORS:
                self.stderr.write(f"… and {len(problems) - SHOWN_ERRORS} more")
            raise CommandError(
                f"import {batch.pk} failed: {batch.message or 'see the errors above'}", returncode=1
            )
        self.stdout.write(
            f"import {batch.pk} done: {batch.total_rows} rows, {batch.created} created, "
            f"{batch.updated} updated, {batch.unchanged} unchanged"
        )
        if batch.period_start:
            self.stdout.write(
                f"the rows cover {batch.period_start:%Y-%m-%d} … {batch.period_end:%Y-%m-%d}; "
                f"see them at {figures_url(batch)}"
            )
