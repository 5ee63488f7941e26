"""Compiling gettext catalogues in pure Python."""

from __future__ import annotations

import logging
from pathlib import Path

import polib

log = logging.getLogger(__name__)


def compile_catalogues(locale_dir: Path | str) -> list[Path]:
    """Compile every LC_MESSAGES/*.po under locale_dir whose .mo is missing or older."""
    compiled = []
    for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            catalogue = polib.pofile(str(po_path))
            tmp = mo_path.with_suffix(".mo.tmp")
            catalogue.save_as_mofile(str(tmp))
            tmp.replace(mo_path)
        except OSError as exc:  # a read-only install: keep serving what is there
            log.warning("could not compile %s: %s", po_path, exc)
            continue
        compiled.append(mo_path)
    return compiled
