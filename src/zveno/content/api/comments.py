"""REST endpoints of comments on content items.

Anybody who sees the project comments (the expert too). Only its author edits a comment (another
member gets 422 ``invalid``); its author deletes it, and so may the SMM and the lead
(REVIEW_CONTENT; anybody else gets 403). @mentions are recomputed on every edit.
"""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from zveno.content import collab, selectors
from zveno.content.models import Comment
from zveno.core.bounds import Id
from zveno.workspaces import access

router = Router(tags=["content"])


class CommentOut(Schema):
    id: int
    item_id: int
    author_id: int | None
    author: str | None
    text: str
    mentions: list[str] = Field(
        description="Logins of the people mentioned (@login, @Full Name, or a unique @First name)"
    )
    created_at: dt.datetime


class CommentIn(Schema):
    # Empty is refused by the service (422), after the access check: outsiders get 404 first.
    text: str = Field("", max_length=5000)


def comment_out(comment: Comment) -> dict:
    return {
        "id": comment.pk,
        "item_id": comment.item_id,
        "author_id": comment.author_id,
        "author": comment.author.display_name if comment.author else None,
        "text": comment.text,
        "mentions": [u.username for u in comment.mentions.all()],
        "created_at": comment.created_at,
    }


def _comments(project, item_id: Id):
    item = get_object_or_404(selectors.items(project), pk=item_id)
    return item, item.comments.select_related("author").prefetch_related("mentions")


def _comment(project, item_id: Id, comment_id: Id) -> Comment:
    return get_object_or_404(_comments(project, item_id)[1], pk=comment_id)


@router.get("/projects/{slug}/items/{item_id}/comments", response=list[CommentOut])
def list_comments(request, slug: str, item_id: Id):
    project = access.project_for(request.auth, slug)
    return [comment_out(c) for c in _comments(project, item_id)[1]]


@router.post("/projects/{slug}/items/{item_id}/comments", response={201: CommentOut})
def add_comment(request, slug: str, item_id: Id, payload: CommentIn):
    project = access.project_for(request.auth, slug)
    item, _rows = _comments(project, item_id)
    comment = collab.add_comment(request.auth, item, payload.text)
    return Status(201, comment_out(_comment(project, item_id, comment.pk)))


@router.patch("/projects/{slug}/items/{item_id}/comments/{comment_id}", response=CommentOut)
def edit_comment(request, slug: str, item_id: Id, comment_id: Id, payload: CommentIn):
    """Only the comment's author edits it."""
    project = access.project_for(request.auth, slug)
    collab.edit_comment(request.auth, _comment(project, item_id, comment_id), payload.text)
    return comment_out(_comment(project, item_id, comment_id))


@router.delete("/projects/{slug}/items/{item_id}/comments/{comment_id}", response={204: None})
def delete_comment(request, slug: str, item_id: Id, comment_id: Id):
    """The author, the SMM or the lead deletes a comment."""
    project = access.project_for(request.auth, slug)
    collab.delete_comment(request.auth, _comment(project, item_id, comment_id))
    return Status(204, None)
