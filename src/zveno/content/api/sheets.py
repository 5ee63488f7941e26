"""The plan as a file: XLSX and CSV export, and the all-or-nothing import.

``POST /projects/{slug}/plan/import`` (multipart ``file``) answers ``{created, errors}``: 201 with
``created`` = N and ``errors`` = [] when every item was created; 200 with ``created`` = 0 and the
row-level ``errors`` ([{row, column, message}], the header is row 1) when nothing was.
``missing_rubrics`` and ``missing_networks`` name what the file uses and the project lacks (a
plan exported from another project); send ``create_missing=true`` (a form field or in the query
string) to create those rubrics and channels first — it needs ``manage_project``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from zveno.content import sheets
from zveno.core.api import ErrorDetail
from zveno.core.bounds import Day
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

router = Router(tags=["content"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PlanPeriod(Schema):
    start: Day | None = Field(None, alias="from", description="First day, project time")
    end: Day | None = Field(None, alias="to", description="Last day, project time")


class PlanProblemOut(Schema):
    row: int = Field(description="Spreadsheet row; the header is row 1")
    column: str
    message: str


class PlanImportOut(Schema):
    created: int
    errors: list[PlanProblemOut]
    missing_rubrics: list[str] = Field(
        default_factory=list, description="Rubrics the file names and the project lacks"
    )
    missing_networks: list[str] = Field(
        default_factory=list, description="Networks the file names where the project has no channel"
    )
    created_rubrics: list[str] = Field(default_factory=list)
    created_channels: list[str] = Field(default_factory=list)


def attachment(body: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/projects/{slug}/plan.xlsx")
def plan_xlsx(request, slug: str, period: Query[PlanPeriod]):
    """The plan as an XLSX file, one row per publication, in the project's time zone."""
    project = access.project_for(request.auth, slug)
    body = sheets.to_xlsx(project, get_language() or "ru", start=period.start, end=period.end)
    return attachment(body, XLSX, f"{project.slug}-plan.xlsx")


@router.get("/projects/{slug}/plan.csv")
def plan_csv(request, slug: str, period: Query[PlanPeriod]):
    """The plan as CSV (UTF-8 with a BOM; ';' separated in Russian, ',' in English)."""
    project = access.project_for(request.auth, slug)
    body = sheets.to_csv(project, get_language() or "ru", start=period.start, end=period.end)
    return attachment(body, "text/csv; charset=utf-8", f"{project.slug}-plan.csv")


class PlanImportRefused(PlanImportOut):
    """The one error shape, with the import's report beside it (absent when no file was sent)."""

    error: ErrorDetail
    created: int = 0
    errors: list[PlanProblemOut] = Field(default_factory=list)


@router.post("/projects/{slug}/plan/import", response={201: PlanImportOut, 422: PlanImportRefused})
def plan_import(
    request, slug: str, file: File[UploadedFile] = None, create_missing: Form[bool] = False
):
    """Imports an XLSX or CSV plan: 201 when all items were created; otherwise 422 with nothing
    created, the error shape and the report's problems by row (also 422 when no file was sent)."""
    project = access.project_for(request.auth, slug, need=Capability.EDIT_CONTENT)
    if file is None:  # checked after access, so that outsiders learn nothing
        raise ValidationError({"file": [_("Send the plan as a multipart file field.")]})
    create_missing = create_missing or request.GET.get("create_missing") in ("1", "true")
    report = sheets.import_plan(
        request.auth, project, file.read(), file.name or "", create_missing=create_missing
    )
    body = {
        "created": report.created,
        "errors": report.errors,
        "missing_rubrics": report.missing_rubrics,
        "missing_networks": report.missing_networks,
        "created_rubrics": report.created_rubrics,
        "created_channels": report.created_channels,
    }
    if report.created:
        return Status(201, body)
    message = _("Nothing was imported: fix the rows listed and upload the file again.")
    error = {"code": "invalid", "message": message, "fields": {}}
    return Status(422, {**body, "error": error})
