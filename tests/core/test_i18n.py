"""Both catalogues are complete, current, and compiled without anyone running a command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

import zveno
from zveno.core.i18n import compile_catalogues

PACKAGE = Path(zveno.__file__).resolve().parent
LOCALE = PACKAGE / "locale"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_catalogue_is_complete(language):
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert len(catalogue) > 100
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    # .po files merge by union: two branches translating one new string leave it twice, which
    # GNU msgfmt refuses and a lenient compiler settles by chance.
    keys = [(e.msgctxt, e.msgid) for e in catalogue]
    assert sorted({k for k in keys if keys.count(k) > 1}, key=str) == []
    header = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text().split("msgid", 1)[0]
    assert "fuzzy" not in header  # a fuzzy header would make gettext ignore the catalogue


def test_catalogue_matches_the_source(tmp_path):
    """Every translatable string in code and templates is in the catalogue, and nothing else."""
    if shutil.which("xgettext") is None:
        if settings.TESTING and os.environ.get("CI") == "true":
            pytest.fail("GNU gettext (xgettext) is needed in CI to check the catalogue")
        pytest.skip("GNU gettext (xgettext) is not installed")
    copy = tmp_path / "zveno"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    shutil.rmtree(copy / "locale")
    (copy / "locale").mkdir()
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "ru", "--no-location",
         "--no-obsolete"],
        cwd=copy, check=True, capture_output=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "zveno.config.settings"},
    )  # fmt: skip
    fresh = {e.msgid for e in polib.pofile(str(copy / "locale/ru/LC_MESSAGES/django.po"))}
    kept = {e.msgid for e in polib.pofile(str(LOCALE / "ru/LC_MESSAGES/django.po"))}
    assert sorted(fresh - kept) == [], "run makemessages: these strings are not in the catalogue"
    assert sorted(kept - fresh) == [], "these catalogue entries are no longer used"


def test_catalogues_compile_by_themselves(tmp_path):
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE, locale, ignore=shutil.ignore_patterns("*.mo"))
    compiled = compile_catalogues(locale)
    assert {path.parent.parent.name for path in compiled} == {"ru", "en"}
    assert compile_catalogues(locale) == []  # up to date: nothing to do
    mo = polib.mofile(str(locale / "ru/LC_MESSAGES/django.mo"))
    assert mo.find("Log in").msgstr == "Войти"


def test_the_running_app_speaks_russian_by_default():
    with translation.override(settings.LANGUAGE_CODE):
        assert translation.gettext("Log in") == "Войти"
    with translation.override("en"):
        assert translation.gettext("Log in") == "Log in"
