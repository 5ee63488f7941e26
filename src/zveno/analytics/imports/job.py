"""The import job: storing the file as an ``Import``, running it at once or queueing it,
claiming it (queued → running with a conditional UPDATE), the passes over the file with their
progress, the outcome on the record, and the sweep of what a dead worker left."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import zoneinfo
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zveno.analytics import presets
from zveno.analytics.imports.parsing import Options, Record, check_options, parser_for
from zveno.analytics.imports.reading import EXTENSIONS, count_rows, open_rows
from zveno.analytics.imports.staging import BATCH, Staging, drop_leftovers, relaxed_commit
from zveno.analytics.imports.writing import Counts, swap
from zveno.analytics.models import Import, ImportStatus
from zveno.core import claims
from zveno.core.jobs import enqueue
from zveno.core.rows import Problem

logger = logging.getLogger(__name__)

INLINE_ROWS = 5000  # files up to this many rows run during the upload
# Larger files are not even counted during the upload (a 2 M-row XLSX takes minutes to walk):
# the job counts them, outside the request.
COUNT_INLINE_BYTES = 4 * 1024 * 1024
PROGRESS_EVERY = 1000  # rows between progress updates
MAX_ERRORS = 500  # row errors kept on the record (the message says how many there were)
CLAIM_GRACE = dt.timedelta(seconds=5)  # a claim is taken before the row says running
STUCK_QUEUED = dt.timedelta(minutes=10)

Progress = Callable[[str, int, int], None]  # (phase, rows done, rows in all): "check" as
# the rows are checked and staged, then "write" once they are visible


def _options_of(batch: Import) -> Options:
    stored = batch.mapping or {}
    channel = None
    if stored.get("channel"):
        channel = batch.project.channels.filter(pk=stored["channel"]).first()
    return Options(presets.get(batch.preset), batch.year, channel, stored.get("columns") or {})


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def create_import(
    actor,
    project,
    upload,
    *,
    preset: str,
    year=None,
    channel=None,
    mapping=None,
    run_now: bool | None = None,
    dispatch: bool = True,
) -> Import:
    """Checks the request and stores the file as an import. ``run_now`` None runs small files
    (up to ``INLINE_ROWS`` rows) at once and queues larger ones (dispatching the Celery task on
    commit unless ``dispatch`` is false — the CLI runs the job itself)."""
    options = check_options(project, preset, year, channel, mapping)
    name = (getattr(upload, "name", "") or "upload.csv").rsplit("/", 1)[-1]
    size = getattr(upload, "size", None)
    if not size:
        raise ValidationError({"file": [_("The file is empty.")]})
    if not name.lower().endswith(EXTENSIONS):
        raise ValidationError({"file": [_("Upload a CSV or XLSX file.")]})
    total = count_rows(upload, name) if size <= COUNT_INLINE_BYTES else None
    if total == 0:
        raise ValidationError({"file": [_("The file has no rows below the header.")]})
    stored = {"columns": options.mapping} if options.mapping else {}
    if options.channel is not None:
        stored["channel"] = options.channel.pk
    batch = Import(
        project=project,
        preset=options.preset.key,
        mapping=stored,
        year=options.year,
        filename=name[:255],
        sha256=_sha256(upload),
        total_rows=total or 0,  # 0 until the job has counted a large file
        created_by=actor,
    )
    upload.seek(0)
    batch.file.save(name, File(upload, name=name), save=False)
    batch.save()
    if run_now is None:
        run_now = total is not None and total <= INLINE_ROWS
    if run_now:
        run(batch.pk)
        batch.refresh_from_db()
    elif dispatch:
        transaction.on_commit(lambda: enqueue("zveno.analytics.tasks.run_import", batch.pk))
    return batch


def _progress(batch_id: int, done: int) -> None:
    with relaxed_commit():  # a hint for the page: it need not wait for the disk
        Import.objects.filter(pk=batch_id).update(processed_rows=done)


def run(import_id: int, progress: Progress | None = None) -> Import | None:
    """Runs a queued import; returns it, or None when another worker has claimed it. The claim
    is held (``core.claims``) while the import runs, so a sweep knows at once if its worker died."""
    try:
        with claims.holding(f"import-{import_id}"):
            return _run_claimed(import_id, progress)
    except claims.Busy:
        return None


def _run_claimed(import_id: int, progress: Progress | None) -> Import | None:
    claimed = Import.objects.filter(pk=import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now(), processed_rows=0
    )
    if not claimed:
        return None
    batch = Import.objects.select_related("project").get(pk=import_id)
    try:
        _execute(batch, progress)
    except ValidationError as exc:  # the file as a whole: say why in words
        Import.objects.filter(pk=import_id).update(
            status=ImportStatus.FAILED,
            message=" ".join(exc.messages)[:2000],
            finished_at=timezone.now(),
        )
    except Exception as exc:  # the job must end, whatever broke
        logger.exception("import %s failed", import_id)
        Import.objects.filter(pk=import_id).update(
            status=ImportStatus.FAILED,
            message=str(exc)[:2000] or exc.__class__.__name__,
            finished_at=timezone.now(),
        )
    batch.refresh_from_db()
    return batch


def _fail(batch: Import, errors: list[Problem], count: int, processed: int) -> None:
    message = _("%(count)s problems found; nothing was imported.") % {"count": count}
    Import.objects.filter(pk=batch.pk).update(
        status=ImportStatus.FAILED,
        errors=[p.as_dict() for p in errors[:MAX_ERRORS]],
        message=message,
        processed_rows=processed,
        created=0,
        updated=0,
        unchanged=0,
        finished_at=timezone.now(),
    )


def _done(batch: Import, done: int, counts: Counts) -> None:
    Import.objects.filter(pk=batch.pk).update(
        status=ImportStatus.DONE,
        total_rows=done,
        processed_rows=done,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        errors=[],
        message="",
        period_start=batch.period_start,
        period_end=batch.period_end,
        finished_at=timezone.now(),
    )


def _count(batch: Import) -> None:
    """The rows of a file too large to count during its upload, counted by the job."""
    with batch.file.open("rb") as binary:
        total = count_rows(binary, batch.filename)
    if total == 0:
        raise ValidationError(_("The file has no rows below the header."))
    batch.total_rows = total
    Import.objects.filter(pk=batch.pk).update(total_rows=total)


def _execute(batch: Import, progress: Progress | None) -> None:
    if not batch.total_rows:
        _count(batch)
    options = _options_of(batch)
    staging = Staging(batch.pk, options.preset.target)
    staging.create()
    try:
        done = _check_and_stage(batch, options, staging, progress)
        if done is None:
            return
        # The swap: one short transaction, all or nothing, that reads no file, parses nothing
        # and moves no row through Python (WAL, busy timeout: config/env.py).
        staging.prepare()
        with transaction.atomic():
            _done(batch, done, swap(batch.project, batch.pk, staging))
        if progress:
            progress("write", done, done)
    finally:
        staging.drop()


def _check_and_stage(
    batch: Import, options: Options, staging: Staging, progress: Progress | None
) -> int | None:
    """The check pass, outside any long transaction: every row parsed and checked, the good
    ones staged ``BATCH`` rows per short transaction (others write in between); progress is
    visible. Returns the rows checked, or None when a row had a problem (the import is then
    failed, with nothing visible)."""
    errors: list[Problem] = []
    error_count = done = 0
    total = batch.total_rows
    check = parser_for(batch.project, options)
    with batch.file.open("rb") as binary, open_rows(binary, batch.filename) as rows:
        pending: list[Record] = []
        for number, values in rows:
            if number == 1:
                header_errors = check.read_header(values)
                if header_errors:
                    _fail(batch, header_errors, len(header_errors), 0)
                    return None
                continue
            record, problems = check.parse(number, values)
            if problems:
                error_count += len(problems)
                if len(errors) < MAX_ERRORS:
                    errors.extend(problems)
            elif not error_count:
                pending.append(record)
                if len(pending) >= BATCH:
                    _widen_period(batch, pending)
                    staging.put(pending)
                    pending = []
            done += 1
            if done % PROGRESS_EVERY == 0:
                _progress(batch.pk, done)
                if progress:
                    progress("check", done, total)
    if progress:
        progress("check", done, total)
    if error_count:
        _fail(batch, errors, error_count, done)
        return None
    _widen_period(batch, pending)
    staging.put(pending)
    _progress(batch.pk, done)
    return done


def _day_of(record: Record, tz: dt.tzinfo) -> dt.date | None:
    published = record.attrs.get("published_at")
    if isinstance(published, dt.datetime):
        return published.astimezone(tz).date() if published.tzinfo else published.date()
    return next((part for part in record.key if isinstance(part, dt.date)), None)


def _widen_period(batch: Import, records: list[Record]) -> None:
    """Keeps on ``batch`` (in memory; ``_done`` saves it) the first and last day written."""
    tz = zoneinfo.ZoneInfo(batch.project.timezone or "UTC")
    moments = [r.attrs.get("published_at") for r in records]
    if moments and all(isinstance(m, dt.datetime) and m.tzinfo for m in moments):
        # Posts (times in UTC): the local day grows with the moment, so the first and last
        # moments give the first and last days.
        records = [Record(0, (), {"published_at": m}) for m in (min(moments), max(moments))]
    days = [d for d in (_day_of(r, tz) for r in records) if d is not None]
    if days:
        low, high = min(days), max(days)
        batch.period_start = min(filter(None, (batch.period_start, low)))
        batch.period_end = max(filter(None, (batch.period_end, high)))


def sweep() -> int:
    """Requeues imports a dead worker left behind and sends them to the queue again; returns how
    many were sent. Running with nobody holding its claim means its worker died: queued again at
    once (the sweep runs every minute). Queued for more than 10 minutes means its message was
    lost: sent again."""
    now = timezone.now()
    dead = [
        pk
        for pk in Import.objects.filter(
            status=ImportStatus.RUNNING, started_at__lt=now - CLAIM_GRACE
        ).values_list("pk", flat=True)
        if not claims.alive(f"import-{pk}")
    ]
    requeued = Import.objects.filter(pk__in=dead, status=ImportStatus.RUNNING).update(
        status=ImportStatus.QUEUED
    )
    if requeued:
        logger.warning("requeued %s import(s) whose worker died: %s", requeued, dead)
    stale = set(
        Import.objects.filter(status=ImportStatus.QUEUED)
        .filter(created_at__lt=now - STUCK_QUEUED)
        .values_list("pk", flat=True)
    )
    leftovers = drop_leftovers()  # staged rows of killed imports, never made visible
    if leftovers:
        logger.warning("dropped the staged rows of import(s) %s", leftovers)
    for pk in sorted(stale | set(dead)):
        enqueue("zveno.analytics.tasks.run_import", pk)
    return len(stale | set(dead))
