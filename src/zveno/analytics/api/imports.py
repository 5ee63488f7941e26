"""API: metric imports.

``POST /projects/{slug}/imports`` (multipart ``file``, ``preset``, optional ``year``, ``channel``
and, for the generic presets, ``mapping`` as a JSON object {column: field}) answers 201 with
``{id, status, created, updated, unchanged, total_rows, processed_rows, errors}``; a small file has
already run (``done`` or ``failed`` with row-level ``errors`` [{row, column, message}], the header
being row 1), a large one is ``queued``; a finished one gives the days its rows cover
(``period_start``, ``period_end``). A bad request (unknown preset, no year for
``facebook_insights``, an empty file, a picture or another file that is not a table) answers
422 in the usual error shape, with a message that says what the file is.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from zveno.analytics import imports
from zveno.analytics.models import Import
from zveno.core.bounds import Id
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

router = Router(tags=["analytics"])


class ProblemOut(Schema):
    row: int = Field(description="Row in the file; the header is row 1")
    column: str
    message: str


class ImportOut(Schema):
    id: int
    status: str = Field(description="queued, running, done or failed")
    preset: str
    filename: str
    created: int
    updated: int
    unchanged: int
    total_rows: int
    processed_rows: int
    errors: list[ProblemOut]
    message: str
    period_start: dt.date | None = Field(
        None, description="The first day the imported rows cover (the project's time zone)"
    )
    period_end: dt.date | None = Field(None, description="The last day the imported rows cover")


class ImportForm(Schema):
    preset: str = ""
    year: str = ""
    channel: str = ""
    mapping: str = ""


def _out(batch: Import) -> dict:
    return {
        "id": batch.pk,
        "status": batch.status,
        "preset": batch.preset,
        "filename": batch.filename,
        "created": batch.created,
        "updated": batch.updated,
        "unchanged": batch.unchanged,
        "total_rows": batch.total_rows,
        "processed_rows": batch.processed_rows,
        "errors": batch.errors or [],
        "message": batch.message,
        "period_start": batch.period_start,
        "period_end": batch.period_end,
    }


@router.post("/projects/{slug}/imports", response={201: ImportOut})
def create_import(request, slug: str, form: Form[ImportForm], file: File[UploadedFile] = None):
    """Uploads a metrics file; small files are imported at once, larger ones are queued."""
    project = access.project_for(request.auth, slug, Capability.MANAGE_ANALYTICS)
    if file is None:
        raise ValidationError({"file": [_("Send the file as a multipart field “file”.")]})
    mapping = {}
    if form.mapping:
        try:
            mapping = json.loads(form.mapping)
        except ValueError:
            mapping = None
        if not isinstance(mapping, dict):
            message = _('Pair each column of the file with a field, e.g. {"Дата": "published_at"}.')
            raise ValidationError({"mapping": [message]})
    batch = imports.create_import(
        request.auth,
        project,
        file,
        preset=form.preset,
        year=form.year,
        channel=form.channel,
        mapping=mapping,
    )
    return Status(201, _out(batch))


@router.get("/projects/{slug}/imports", response=list[ImportOut])
def list_imports(request, slug: str):
    """The project's imports, newest first (the last 100)."""
    project = access.project_for(request.auth, slug, Capability.VIEW_ANALYTICS)
    return [_out(b) for b in project.imports.all()[:100]]


@router.get("/projects/{slug}/imports/{import_id}", response=ImportOut)
def get_import(request, slug: str, import_id: Id):
    """One import with its progress and row-level errors."""
    project = access.project_for(request.auth, slug, Capability.VIEW_ANALYTICS)
    return _out(get_object_or_404(Import, project=project, pk=import_id))
