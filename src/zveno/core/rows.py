"""What every file import reports: a problem at a row and column of the file."""

from __future__ import annotations

from dataclasses import dataclass

from zveno.core.exports import TRIGGERS


@dataclass
class Problem:
    """One problem of a file: the spreadsheet's row (the header is row 1) and column."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


def cell_text(value) -> str:
    """A spreadsheet cell as text: empty for None, 12 for a float 12.0, stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    # A text our own export escaped ('=…, '-…) comes back as it was typed.
    if text.startswith("'") and text[1:].startswith(TRIGGERS):
        return text[1:]
    return text
