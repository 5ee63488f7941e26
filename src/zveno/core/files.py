"""What an uploaded table really is, told by its first bytes rather than by its name.

People upload what their tools give them: an XLSX renamed ``.csv``, Excel's "Unicode text"
export (UTF-16 with a BOM, tab-separated), a cp1251 CSV from an old Excel, or by mistake a
picture or a Word file. :func:`sniff` reads the head of the file and answers XLSX or text with
its encoding; anything else is refused with a ``ValidationError`` on ``file`` that says what
the file is and what to upload instead, so no import ever fails with a decoding error.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

XLSX = "xlsx"
TEXT = "text"
HEAD = 65536  # bytes read to decide

# Signatures of files that are certainly not a table, and what to call them.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"RIFF", "RIFF"),
    (b"%PDF-", "PDF"),
    (b"\x1f\x8b", "GZIP"),
    (b"Rar!\x1a\x07", "RAR"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = frozenset(range(32)) - {9, 10, 12, 13}  # tab, newlines and form feed are text


@dataclass(frozen=True)
class FileType:
    """An uploaded table: ``xlsx``, or ``text`` in ``encoding``."""

    kind: str
    encoding: str = ""


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def _not_a_table(what: str) -> ValidationError:
    return _refuse(
        _("This file is %(what)s, not a table. Upload a CSV or XLSX file.") % {"what": what}
    )


def _zip_kind(binary) -> FileType:
    try:
        with zipfile.ZipFile(binary) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype") if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise _refuse(_("The file looks like an XLSX but is damaged or cut short.")) from exc
    finally:
        binary.seek(0)
    if "xl/workbook.xml" in names:
        return FileType(XLSX)
    if b"opendocument.spreadsheet" in mimetype:
        raise _refuse(
            _("This is an OpenDocument spreadsheet (.ods). Save it as XLSX or CSV and upload it.")
        )
    if "word/document.xml" in names:
        raise _not_a_table(_("a Word document"))
    if "ppt/presentation.xml" in names:
        raise _not_a_table(_("a PowerPoint presentation"))
    raise _not_a_table(_("a ZIP archive"))


def _described(what: str) -> str:
    if what in ("PNG", "JPEG", "GIF"):
        return _("an image (%(kind)s)") % {"kind": what}
    if what == "RIFF":
        return _("an image, a sound or a video")
    if what == "PDF":
        return _("a PDF document")
    return _("an archive (%(kind)s)") % {"kind": what}


def _utf16_without_bom(head: bytes) -> str:
    """``utf-16-le``/``-be`` when every other byte is zero, as in Latin text saved in UTF-16."""
    even, odd = head[0::2], head[1::2]
    if len(head) >= 4 and odd.count(0) > 0.4 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if len(head) >= 4 and even.count(0) > 0.4 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return ""


def _decodes(head: bytes, encoding: str) -> str | None:
    """The head as text, or None; a character cut by the head's end still counts."""
    try:
        return codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError:
        return None


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text if ord(ch) in _CONTROL)
    return controls > max(2, len(text) // 1000)


def sniff(binary) -> FileType:
    """The type of a seekable binary file from its first bytes; the position is left at 0.

    Raises ``ValidationError({"file": …})`` for anything that is not an XLSX or a text table."""
    binary.seek(0)
    head = binary.read(HEAD)
    binary.seek(0)
    if not head:
        raise _refuse(_("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(binary)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise _refuse(
            _("This is an old Excel file (.xls). Save it as XLSX or CSV and upload it again.")
        )
    for signature, what in _MAGIC:
        if head.startswith(signature):
            raise _not_a_table(_described(what))
    encoding = next((enc for bom, enc in _BOMS if head.startswith(bom)), "")
    if not encoding and b"\0" in head:
        encoding = _utf16_without_bom(head)
        if not encoding:
            raise _not_a_table(_("binary data"))
    candidates = [encoding] if encoding else ["utf-8", "cp1251"]
    for candidate in candidates:
        text = _decodes(head, candidate)
        if text is None:
            continue
        if _looks_binary(text):
            raise _not_a_table(_("binary data"))
        return FileType(TEXT, candidate)
    raise _refuse(
        _("The file's text is in no encoding Zveno reads (UTF-8, UTF-16 or Windows-1251).")
    )


def unreadable_text() -> ValidationError:
    """For a decoding error past the sniffed head: the file changes its encoding midway."""
    return _refuse(
        _("The file's text cannot be read past its beginning: save it again as UTF-8 CSV or XLSX.")
    )


def text_stream(binary, file_type: FileType) -> io.TextIOWrapper:
    """The text of a sniffed text file, newlines left to the csv module."""
    return io.TextIOWrapper(binary, encoding=file_type.encoding, newline="")


def delimiter(first_line: str) -> str:
    """``;``, ``,`` or tab: whichever the header line has most of (a comma when none)."""
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
