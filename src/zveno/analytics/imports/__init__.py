"""Metric imports: read a CSV or XLSX file, check every row, then write all rows or none.

The package in four parts: ``reading`` (the file's type and its rows), ``parsing`` (the
request's options, a preset's columns, each row into a record or row-level problems, the
preview), ``writing`` (records into posts, snapshots and days, in bulk) and ``job`` (storing,
queueing, claiming, the passes and their progress, the sweep). What callers use is importable
from here.

The :class:`~zveno.analytics.models.Import` row is the record of a job. ``create_import`` checks
the request (preset, year, channel, a readable non-empty file), stores the file and either runs
it at once (files of up to ``INLINE_ROWS`` rows) or leaves it ``queued`` for the Celery task
``run_import``, which calls :func:`run`. ``run`` claims the row with a conditional UPDATE
(queued → running), so two workers never run one import, and works in two passes over the
streamed file:

1. check: every row is parsed and validated; ``processed_rows`` is written every
   ``PROGRESS_EVERY`` rows outside any transaction, so the page and the API see it move;
2. write: if no row had a problem, all rows are written in one transaction, in batches of
   ``BATCH`` rows (bulk inserts; existing rows are compared and updated), else nothing is and the
   import is ``failed`` with the row-level errors ``[{row, column, message}]`` (the header is
   row 1, rows numbered as in the file).

On PostgreSQL both passes are one: rows are checked and written as they are read, inside one
transaction that is rolled back when any row has a problem (the rest are still checked), and the
progress goes through a second connection so it is visible outside that transaction.

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
    ImportFailed,
    Progress,
    create_import,
    run,
    sweep,
)
from zveno.analytics.imports.parsing import Options, check_options, preview, suggest_mapping
from zveno.analytics.imports.reading import EXTENSIONS, count_rows, open_rows, read_header
from zveno.analytics.imports.writing import BATCH, Counts, write

__all__ = [
    "BATCH",
    "EXTENSIONS",
    "INLINE_ROWS",
    "Counts",
    "ImportFailed",
    "Options",
    "Progress",
    "check_options",
    "count_rows",
    "create_import",
    "open_rows",
    "preview",
    "read_header",
    "run",
    "suggest_mapping",
    "sweep",
    "write",
]
