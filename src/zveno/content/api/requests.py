"""REST endpoints of expert requests: list, ask, read, and the expert's answer."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from zveno.content import requests as expert_requests
from zveno.content.models import ExpertRequest, RequestKind
from zveno.core.bounds import Day, Id
from zveno.core.timezones import today_in
from zveno.workspaces import access

router = Router(tags=["content"])


class AnswerOut(Schema):
    id: int
    text: str
    answered_by: str | None
    via_link: bool
    files: list[str] = Field(description="File URLs")
    created_at: dt.datetime


class RequestOut(Schema):
    id: int
    question: str
    kind: str
    due_date: dt.date
    status: str
    overdue: bool
    item_ids: list[int]
    asked_by: str | None
    asked_at: dt.datetime
    answered_at: dt.datetime | None
    answers: list[AnswerOut]


class RequestIn(Schema):
    question: str = Field(min_length=1)
    kind: RequestKind
    due_date: Day
    item_ids: list[Id] = []


class AnswerIn(Schema):
    text: str = Field(min_length=1)


def request_out(found: ExpertRequest, today: dt.date) -> dict:
    return {
        "id": found.pk,
        "question": found.question,
        "kind": found.kind,
        "due_date": found.due_date,
        "status": found.status,
        "overdue": expert_requests.is_overdue(found, today),
        "item_ids": [i.pk for i in found.items.all()],
        "asked_by": found.asked_by.display_name if found.asked_by else None,
        "asked_at": found.asked_at,
        "answered_at": found.answered_at,
        "answers": [
            {
                "id": a.pk,
                "text": a.text,
                "answered_by": a.answered_by.display_name if a.answered_by else None,
                "via_link": a.via_link,
                "files": [f.file.url for f in a.files.all()],
                "created_at": a.created_at,
            }
            for a in found.answers.all()
        ],
    }


def _fresh(project, request_id: Id) -> dict:
    found = get_object_or_404(expert_requests.requests_of(project), pk=request_id)
    return request_out(found, _today(project))


def _today(project) -> dt.date:
    return today_in(project.timezone)


@router.get("/projects/{slug}/expert-requests", response=list[RequestOut])
def list_requests(request, slug: str):
    project = access.project_for(request.auth, slug)
    today = _today(project)
    return [request_out(r, today) for r in expert_requests.requests_of(project)]


@router.post("/projects/{slug}/expert-requests", response={201: RequestOut})
def ask(request, slug: str, payload: RequestIn):
    """The SMM (or whoever manages the project) asks the expert for material."""
    project = access.project_for(request.auth, slug)
    created = expert_requests.ask(request.auth, project, **payload.dict())
    return Status(201, _fresh(project, created.pk))


@router.get("/projects/{slug}/expert-requests/{request_id}", response=RequestOut)
def get_request(request, slug: str, request_id: Id):
    return _fresh(access.project_for(request.auth, slug), request_id)


@router.post("/projects/{slug}/expert-requests/{request_id}/answer", response=RequestOut)
def answer(request, slug: str, request_id: Id, payload: AnswerIn):
    """The expert's answer (text); a request is answered once (422 after that)."""
    project = access.project_for(request.auth, slug)
    found = get_object_or_404(project.expert_requests, pk=request_id)
    expert_requests.answer(request.auth, found, text=payload.text)
    return _fresh(project, request_id)
