"""REST endpoints of an item's media: list them, upload one (multipart, field ``file``).

Anybody who sees the project lists the media; uploading needs EDIT_CONTENT (403 otherwise), and
the file passes ``media_rules.check_upload`` (images and videos up to 50 MB; 422 ``invalid``
otherwise). Each media's ``url`` is the members' address of the file: it opens in a signed-in
browser and for an API client sending its ``Authorization: Bearer`` token.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from zveno.content import collab, media_rules, selectors
from zveno.content.models import Media
from zveno.workspaces import access

router = Router(tags=["content"])


class MediaOut(Schema):
    id: int
    item_id: int
    kind: str
    name: str
    content_type: str
    size: int | None
    created_at: dt.datetime
    url: str


def media_out(request, media: Media) -> dict:
    name = Path(media.file.name).name
    try:
        size = media.file.size
    except OSError:  # the file is gone from the storage: still listed, honestly without a size
        size = None
    path = reverse("content:media_file", args=[media.item.project.slug, media.pk])
    return {
        "id": media.pk,
        "item_id": media.item_id,
        "kind": media.kind,
        "name": name,
        "content_type": media_rules.content_type(name),
        "size": size,
        "created_at": media.created_at,
        "url": request.build_absolute_uri(path),
    }


@router.get("/projects/{slug}/items/{item_id}/media", response=list[MediaOut])
def list_media(request, slug: str, item_id: int):
    project = access.project_for(request.auth, slug)
    item = get_object_or_404(selectors.items(project), pk=item_id)
    return [media_out(request, m) for m in selectors.media(project, item.pk)]


@router.post("/projects/{slug}/items/{item_id}/media", response={201: MediaOut})
def upload_media(request, slug: str, item_id: int, file: File[UploadedFile] = None):
    project = access.project_for(request.auth, slug)
    item = get_object_or_404(selectors.items(project), pk=item_id)
    media = collab.attach_media(request.auth, item, file)
    return Status(201, media_out(request, media))
