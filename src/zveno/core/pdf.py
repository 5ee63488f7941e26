"""HTML to PDF with WeasyPrint, for every document Zveno prints (agreements, reports)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it needs (Pango) are not installed."""


def html_to_pdf(html: str) -> bytes:
    """A self-contained HTML document as PDF bytes; PdfUnavailable if WeasyPrint cannot run."""
    try:
        # Imported here: the rest of Zveno runs without WeasyPrint and its system libraries.
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango or its friends are not installed
        log.warning("PDF unavailable: %s", exc)
        raise PdfUnavailable(str(exc)) from exc
    return HTML(string=html, url_fetcher=_no_fetching).write_pdf()


def css_string(text: str) -> str:
    """Text as a quoted CSS string, safe inside a <style> element (for the PDF's margin boxes)."""
    escaped = "".join(
        f"\\{ord(ch):x} " if ch in '\\"<>' or ch in "\r\n\f" else ch for ch in str(text)
    )
    return f'"{escaped}"'


def _no_fetching(url: str, *args, **kwargs):
    # Documents are self-contained; text users wrote can never make the server fetch a URL.
    raise ValueError(f"external resource refused: {url}")
