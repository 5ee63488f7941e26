"""``zveno import``: the Facebook file from the command line, the progress bar, the failures."""

from __future__ import annotations

import sys

import pytest
from django.core.management import CommandError, call_command

from tests.analytics.import_helpers import FACEBOOK
from zveno import cli
from zveno.analytics.models import Import, Post


def zveno(*args):
    """Runs ``zveno import …`` as the CLI does (the command ``zveno`` dispatches ``import`` to),
    printing to the captured stdout/stderr; returns the exit code."""
    assert args[0] in cli.OWN
    try:
        call_command(*args, stdout=sys.stdout, stderr=sys.stderr)
    except CommandError as exc:
        sys.stderr.write(f"{exc}\n")
        return exc.returncode
    return 0


def test_facebook_file_from_the_command_line(world, capsys):
    code = zveno(
        "import", "alpha", str(FACEBOOK), "--preset", "facebook_insights", "--year", "2014"
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "500 created" in out
    assert "\r" in err and "[" + "#" * 30 + "]" in err and "500/500" in err
    assert Post.objects.filter(project=world.alpha).count() == 500
    batch = Import.objects.get()
    assert batch.status == "done" and batch.created_by is None

    code = zveno(
        "import", "alpha", str(FACEBOOK), "--preset", "facebook_insights", "--year", "2014"
    )
    out, _err = capsys.readouterr()
    assert code == 0 and "0 created" in out and "500 unchanged" in out
    assert Post.objects.count() == 500


def test_row_errors_exit_1_with_the_first_twenty(world, capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    rows = ["Published;Network;Reach"] + [f"2026-11-{d:02d} 10:00;vk;-{d}" for d in range(1, 26)]
    bad.write_text("\n".join(rows) + "\n")
    code = zveno("import", "alpha", str(bad), "--preset", "zveno_posts")
    _out, err = capsys.readouterr()
    assert code == 1
    assert "row 2, Reach: " in err and err.count(", Reach: ") == 20
    assert "row 21, Reach" in err and "row 22, Reach" not in err
    assert "… and 5 more" in err
    assert Post.objects.count() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", str(FACEBOOK), "--preset", "facebook_insights", "--year", "2014"], "No project"),
        (["alpha", str(FACEBOOK), "--preset", "facebook_insights"], "year"),
        (["alpha", "/no/such.csv", "--preset", "zveno_posts"], "No file"),
    ],
)
def test_bad_requests_exit_nonzero(world, capsys, args, message):
    code = zveno("import", *args)
    _out, err = capsys.readouterr()
    assert code == 1
    assert message in err
    assert Import.objects.count() == 0
