"""Files from outside: the types and sizes an upload may have, told by its first bytes.

The signatures an item's media are told by too (``content.media_rules`` reads them from here): an
image (PNG, JPEG, GIF, WebP, HEIC, AVIF) or a video (MP4, MOV, WebM) of at most 50 MB, stored under
a name that carries the sniffed type, so nothing uploaded is ever served as HTML or SVG. An
expert's answer may also carry a voice note or audio (OGG, MP3, M4A, WAV) and a PDF. The whole
request body is capped before it is read (``core.middleware.BodySizeLimitMiddleware``,
``ZVENO_MAX_UPLOAD_MB``).
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_FILE_BYTES = 50 * 1024 * 1024
IMAGE, VIDEO, AUDIO, DOCUMENT = "image", "video", "audio", "document"
MEDIA = (IMAGE, VIDEO)
ANSWER = (IMAGE, VIDEO, AUDIO, DOCUMENT)


def sniff(head: bytes) -> tuple[str, str] | None:
    """(kind, extension) from a file's first 16 bytes; None for anything not listed here."""
    signatures = (
        (b"OggS", AUDIO, "ogg"),
        (b"ID3", AUDIO, "mp3"),
        (b"\xff\xfb", AUDIO, "mp3"),
        (b"\xff\xf3", AUDIO, "mp3"),
        (b"fLaC", AUDIO, "flac"),
        (b"%PDF-", DOCUMENT, "pdf"),
        (b"\x89PNG\r\n\x1a\n", IMAGE, "png"),
        (b"\xff\xd8\xff", IMAGE, "jpg"),
        (b"GIF87a", IMAGE, "gif"),
        (b"GIF89a", IMAGE, "gif"),
        (b"\x1a\x45\xdf\xa3", VIDEO, "webm"),
    )
    for magic, kind, ext in signatures:
        if head.startswith(magic):
            return kind, ext
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return IMAGE, "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return AUDIO, "wav"
    if head[4:8] == b"ftyp":  # the ISO box layout of MP4, MOV, HEIC and AVIF
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1"):
            return IMAGE, "heic"
        if brand == b"avif":
            return IMAGE, "avif"
        if brand in (b"M4A ", b"M4B "):
            return AUDIO, "m4a"
        return VIDEO, "mov" if brand == b"qt  " else "mp4"
    return None


def check_upload(upload, field: str = "file", kinds=MEDIA) -> str:
    """The upload's kind (one of ``kinds``); its name is set to carry the sniffed type.
    ValidationError (naming ``field`` and the file) for anything else or above 50 MB."""
    name = Path(getattr(upload, "name", "") or "file").name
    if upload.size > MAX_FILE_BYTES:
        raise ValidationError({field: _("“%(name)s” is larger than 50 MB.") % {"name": name[:80]}})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    found = sniff(head)
    if found is None or found[0] not in kinds:
        message = (
            _("“%(name)s” is neither an image nor a video.")
            if kinds == MEDIA
            else _("“%(name)s” is not an image, a video, audio or a PDF.")
        )
        raise ValidationError({field: message % {"name": name[:80]}})
    kind, ext = found
    upload.name = f"{Path(name).stem[:80] or 'file'}.{ext}"
    return kind
