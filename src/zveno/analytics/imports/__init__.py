"""Metric imports: read a CSV or XLSX file, check every row, then write all rows or none.

The package in five parts: ``reading`` (the file's type and its rows), ``parsing`` (the
request's options, a preset's columns, each row into a record or row-level problems, the
preview), ``staging`` (checked rows in a table of the import's own, batch by batch),
``writing`` (the swap that makes them visible) and ``job`` (storing, queueing, claiming, the
passes and their progress, the sweep). What callers use is importable from here.

The :class:`~zveno.analytics.models.Import` row is the record of a job. ``create_import`` checks
the request (preset, year, channel, a readable non-empty file), stores the file and either runs
it at once (files of up to ``INLINE_ROWS`` rows) or leaves it ``queued`` for the Celery task
``run_import``, which calls :func:`run`. ``run`` claims the row with a conditional UPDATE
(queued → running), so two workers never run one import, and reads the streamed file once:

1. check: every row is parsed and validated outside any long transaction; the good rows are
   staged ``BATCH`` rows per short transaction into the import's staging table, so other
   people's writes get in between; ``processed_rows`` is written every ``PROGRESS_EVERY`` rows,
   so the page and the API see it move;
2. swap: if no row had a problem, the staged rows are made visible in one short transaction of
   set-based statements (``UPDATE … FROM`` what changed, ``INSERT … SELECT`` what is new), else
   nothing is and the import is ``failed`` with the row-level errors ``[{row, column, message}]``
   (the header is row 1, rows numbered as in the file). The staging table is dropped either way;
   one left by a killed process is dropped by the sweep.

Re-importing a file creates nothing: posts are found by their key (``Post.external_id``, built by
the preset), snapshots by (post, capture time), channel days by (channel, date), business days by
(date, channel, campaign); identical rows count as ``unchanged``. ``Post.latest_*`` and
``last_captured_at`` always equal the newest snapshot.

Files are streamed (``reading``): the type is told by the content (``core.files.sniff``: XLSX
whatever its name, CSV in UTF-8 with or without a BOM, UTF-16 with its BOM as Excel's "Unicode
text", else cp1251; pictures, archives and other binaries are refused with a message), CSV with
``;``, ``,`` or tab detected from the header line, XLSX with openpyxl in read-only mode (the first
sheet).
"""

from __future__ import annotations

from zveno.analytics.imports.job import (
    INLINE_ROWS,
    Progress,
    create_import,
    run,
    sweep,
)
from zveno.analytics.imports.parsing import Options, check_options, preview, suggest_mapping
from zveno.analytics.imports.reading import EXTENSIONS, count_rows, open_rows, read_header
from zveno.analytics.imports.staging import BATCH, staged_rows
from zveno.analytics.imports.writing import Counts

__all__ = [
    "BATCH",
    "EXTENSIONS",
    "INLINE_ROWS",
    "Counts",
    "Options",
    "Progress",
    "check_options",
    "count_rows",
    "create_import",
    "open_rows",
    "preview",
    "read_header",
    "run",
    "staged_rows",
    "suggest_mapping",
    "sweep",
]
