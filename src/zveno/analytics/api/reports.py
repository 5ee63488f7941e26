"""API: the period report of a project as JSON, PDF or XLSX.

``GET /projects/{slug}/reports?from=YYYY-MM-DD&to=YYYY-MM-DD&format=json|pdf|xlsx
&audience=team|client`` — JSON (the default) is the report's data; PDF and XLSX come as
attachments. ``audience=client`` leaves out the team's internal diagnostics (the health
findings). Bad or missing dates, an unknown audience: 422.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from zveno.analytics import reports
from zveno.analytics.services import reports as report_services
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

router = Router(tags=["analytics"])

CONTENT_TYPES = {"pdf": "application/pdf", "xlsx": report_services.XLSX}


class ReportQuery(Schema):
    start: str = Field("", alias="from", description="First day, YYYY-MM-DD, project time")
    end: str = Field("", alias="to", description="Last day, YYYY-MM-DD, project time")
    format: str = Field("json", description="json (default), pdf or xlsx")
    audience: str = Field(
        "team",
        description="team (default): with the team's health findings; client: without the "
        "team's internal diagnostics (overload, team size), as the client link shows it",
    )


def _day(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: [_("Give a date as YYYY-MM-DD.")]}) from None


@router.get("/projects/{slug}/reports")
def project_report(request, slug: str, query: Query[ReportQuery]):
    """The report for the days [from, to]: its sections as JSON, or a PDF/XLSX attachment."""
    project = access.project_for(request.auth, slug, Capability.VIEW_ANALYTICS)
    if query.format not in ("json", "pdf", "xlsx"):
        raise ValidationError({"format": [_("Choose json, pdf or xlsx.")]})
    if query.audience not in reports.AUDIENCES:
        raise ValidationError({"audience": [_("Choose team or client.")]})
    start, end = report_services.check_period(_day(query.start, "from"), _day(query.end, "to"))
    report = reports.build(project, start, end, get_language() or "ru", query.audience)
    if query.format == "json":
        return report.as_dict()
    render = reports.to_pdf if query.format == "pdf" else reports.to_xlsx
    response = HttpResponse(render(report), content_type=CONTENT_TYPES[query.format])
    name = reports.file_name(report, query.format)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
