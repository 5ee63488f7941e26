"""Reading an import file: its type told by the content, its rows streamed with their numbers.

XLSX whatever its name (openpyxl in read-only mode, the first sheet); text in UTF-8 with or
without a BOM, UTF-16 with its BOM (Excel's "Unicode text") or cp1251, as CSV with ``;``, ``,`` or
tab detected from the header line (``core.files``). Pictures, archives and other binaries are
refused with a message that says what the file is.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from zveno.core import files
from zveno.core.rows import cell_text

EXTENSIONS = (".csv", ".tsv", ".txt", ".xlsx")


def _blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


@contextlib.contextmanager
def open_rows(binary, name: str) -> Iterator[Iterator[tuple[int, list]]]:
    """Yields an iterator of (row number, cell values), the header being row 1; blank rows are
    skipped but keep their numbers. ``binary`` is a seekable binary file."""
    file_type = files.sniff(binary)
    if file_type.kind == files.XLSX:
        import openpyxl

        try:
            book = openpyxl.load_workbook(binary, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ValidationError({"file": [_("This is not a readable XLSX file.")]}) from exc
        try:
            sheet = book.worksheets[0]
            rows = (
                (n, list(values))
                for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)
                if n == 1 or not _blank(values)
            )
            yield rows
        finally:
            book.close()
    else:
        text = files.text_stream(binary, file_type)
        try:
            delimiter = files.delimiter(text.readline())
            text.seek(0)
            reader = csv.reader(text, delimiter=delimiter)
            yield _text_rows(reader)
        except UnicodeDecodeError as exc:  # the head decoded, a later part does not
            raise files.unreadable_text() from exc
        finally:
            text.detach()


def _text_rows(reader) -> Iterator[tuple[int, list]]:
    try:
        for n, values in enumerate(reader, start=1):
            if n == 1 or "".join(values).strip():  # not blank (the cells of a CSV are texts)
                yield n, values
    except UnicodeDecodeError as exc:
        raise files.unreadable_text() from exc
    except csv.Error as exc:
        raise ValidationError({"file": [_("This is not a readable CSV file.")]}) from exc


def read_header(binary, name: str) -> list[str]:
    """The file's header row as text."""
    with open_rows(binary, name) as rows:
        return next(([cell_text(v) for v in values] for _n, values in rows), [])


def count_rows(binary, name: str) -> int:
    """Data rows (not the header, not blank rows) in the file."""
    try:
        with open_rows(binary, name) as rows:
            return sum(1 for n, _values in rows if n > 1)
    except UnicodeDecodeError as exc:
        raise files.unreadable_text() from exc
