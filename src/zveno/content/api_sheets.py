"""The plan as a file: XLSX and CSV export, and the all-or-nothing import.

``POST /projects/{slug}/plan/import`` (multipart ``file``) answers ``{created, errors}``: 201 with
``created`` = N and ``errors`` = [] when every item was created; 200 with ``created`` = 0 and the
row-level ``errors`` ([{row, column, message}], the header is row 1) when nothing was.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from zveno.content import sheets
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

router = Router(tags=["content"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Period(Schema):
    start: dt.date | None = Field(None, alias="from", description="First day, project time")
    end: dt.date | None = Field(None, alias="to", description="Last day, project time")


class ProblemOut(Schema):
    row: int = Field(description="Spreadsheet row; the header is row 1")
    column: str
    message: str


class ImportOut(Schema):
    created: int
    errors: list[ProblemOut]


def attachment(body: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/projects/{slug}/plan.xlsx")
def plan_xlsx(request, slug: str, period: Query[Period]):
    """The plan as an XLSX file, one row per publication, in the project's time zone."""
    project = access.project_for(request.auth, slug)
    body = sheets.to_xlsx(project, get_language() or "ru", start=period.start, end=period.end)
    return attachment(body, XLSX, f"{project.slug}-plan.xlsx")


@router.get("/projects/{slug}/plan.csv")
def plan_csv(request, slug: str, period: Query[Period]):
    """The plan as CSV (UTF-8 with a BOM; ';' separated in Russian, ',' in English)."""
    project = access.project_for(request.auth, slug)
    body = sheets.to_csv(project, get_language() or "ru", start=period.start, end=period.end)
    return attachment(body, "text/csv; charset=utf-8", f"{project.slug}-plan.csv")


@router.post("/projects/{slug}/plan/import", response={200: ImportOut, 201: ImportOut})
def plan_import(request, slug: str, file: File[UploadedFile] = None):
    """Imports an XLSX or CSV plan: 201 when all items were created, 200 with errors and nothing
    created otherwise; 422 (the usual error shape) when no file was sent."""
    project = access.project_for(request.auth, slug, need=Capability.EDIT_CONTENT)
    if file is None:  # checked after access, so that outsiders learn nothing
        raise ValidationError({"file": [_("Send the plan as a multipart file field.")]})
    report = sheets.import_plan(request.auth, project, file.read(), file.name or "")
    body = {"created": report.created, "errors": report.errors}
    return Status(201 if report.created else 200, body)
