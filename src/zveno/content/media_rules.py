"""What an uploaded file may be, and how a stored one is answered.

One place for the rules every upload follows (an item's media, an expert's answer files):

- :func:`check_upload` tells the type by the file's first bytes, never by its name or the
  browser's word, refuses what is not allowed or too large with a clear message, and gives the
  name to store it under (the sniffed extension, so a file is never served as, say, HTML);
- :func:`file_response` answers a stored file: ``nosniff``, a sandboxing content policy, private
  caching, and ``Content-Disposition: attachment`` for anything that is not an image.

Who may fetch a file is decided before, by the view (the access module, or a signed link).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _

from zveno.content.models import MediaKind
from zveno.core import uploads

MB = 1024 * 1024
MAX_MEDIA_BYTES = 50 * MB
VISUALS = frozenset({MediaKind.IMAGE, MediaKind.VIDEO})
EVERY_KIND = frozenset({MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.OTHER})
OFFICE = {"docx", "xlsx", "pptx"}  # ZIP containers told apart by the name the person gave

SAFE_TYPES = {
    "png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
    "heic": "image/heic", "avif": "image/avif", "mp4": "video/mp4", "mov": "video/quicktime",
    "webm": "video/webm", "pdf": "application/pdf",
}  # fmt: skip


@dataclass(frozen=True)
class Checked:
    """An upload that passed: its kind, the extension its content shows and the name to store."""

    kind: str
    ext: str
    name: str


def sniff(head: bytes, name: str = "") -> tuple[str, str] | None:
    """(kind, extension) of a file from its first bytes; None when it is nothing we know. The
    signatures are core's (``core.uploads``, shared with the expert's answers); office files are
    ZIP containers told apart by the name the person gave."""
    found = uploads.sniff(head)
    if found is not None:
        kind, ext = found
        return _KINDS.get(kind, MediaKind.OTHER), ext
    if head.startswith(b"PK\x03\x04"):
        suffix = Path(name or "").suffix.lower().lstrip(".")
        return MediaKind.OTHER, suffix if suffix in OFFICE else "zip"
    return None


_KINDS = {uploads.IMAGE: MediaKind.IMAGE, uploads.VIDEO: MediaKind.VIDEO}


def _refusal(kinds: frozenset) -> str:
    if kinds <= VISUALS:
        return _("Only images and videos can be attached.")
    return _("Attach images, videos, PDF or office documents (DOCX, XLSX, PPTX, ZIP).")


def check_upload(
    upload, *, kinds: frozenset = VISUALS, max_bytes: int = MAX_MEDIA_BYTES, field: str = "file"
) -> Checked:
    """The upload's kind and the name to store it under, or a ValidationError on ``field``."""
    if upload is None:
        raise ValidationError({field: _("Choose a file.")})
    if upload.size is not None and upload.size > max_bytes:
        limit = max_bytes // MB
        raise ValidationError({field: _("A file may be at most %(n)s MB.") % {"n": limit}})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    found = sniff(head, upload.name or "")
    if found is None or found[0] not in kinds:
        raise ValidationError({field: _refusal(kinds)})
    kind, ext = found
    stem = Path(upload.name or "file").stem[:80] or "file"
    return Checked(kind=kind, ext=ext, name=f"{stem}.{ext}")


def content_type(name: str) -> str:
    """The type a stored file is answered with: known images, videos and PDF, else bytes."""
    return SAFE_TYPES.get(Path(name).suffix.lower().lstrip("."), "application/octet-stream")


def file_response(stored, *, cache_seconds: int = 3600) -> FileResponse:
    """A stored file as a response that a browser never runs or sniffs into something else."""
    name = Path(stored.name).name
    kind = content_type(name)
    inline = kind.startswith("image/")
    response = FileResponse(
        stored.open("rb"), filename=name, content_type=kind, as_attachment=not inline
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = f"private, max-age={cache_seconds}"
    response["Referrer-Policy"] = "no-referrer"
    return response
