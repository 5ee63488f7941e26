"""Whatever file comes in, the import says what it is instead of failing: the type is read from
the content (XLSX renamed .csv, UTF-16 "Unicode text", cp1251, pictures, random bytes), every
path (page, API, command line, the plan import) answers with a plain message, and a finished
import opens the analytics on the days it covered."""

from __future__ import annotations

import io
import os
import random
import re
import sys

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from zveno.analytics.models import Import, Post

PAGE = "/p/alpha/analytics/imports/"
START = "/p/alpha/analytics/imports/preview/"
HEADER = ["Дата публикации", "Сеть", "Заголовок", "Охват"]
ROWS = [
    ["2026-11-02 10:00", "vk", "Квартира у парка", "1200"],
    ["2026-11-09 18:30", "vk", "Ипотека без мифов", "800"],
]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def table(delimiter: str = ";") -> str:
    return "\n".join(delimiter.join(r) for r in [HEADER, *ROWS]) + "\n"


def xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    for row in [HEADER, *ROWS]:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


TEXT_FILES = {
    "utf-8": table().encode("utf-8"),
    "utf-8 with a BOM": b"\xef\xbb\xbf" + table().encode("utf-8"),
    "utf-16 le, tabs (Excel's Unicode text)": b"\xff\xfe" + table("\t").encode("utf-16-le"),
    "utf-16 be, tabs": b"\xfe\xff" + table("\t").encode("utf-16-be"),
    "cp1251": table().encode("cp1251"),
    "xlsx named .csv": xlsx_bytes(),
}

BAD_FILES = {
    "random bytes": (random.Random(7).randbytes(5000), "двоичные данные, а не таблица"),
    "a PNG": (PNG, "PNG"),
    "a JPEG": (b"\xff\xd8\xff\xe0\x00\x10JFIF" + os.urandom(300), "JPEG"),
    "a PDF": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\n", "PDF"),
    "an old .xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), ".xls"),
    "a zip": (None, "ZIP"),
}


def zip_bytes() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


def bad(name: str) -> tuple[bytes, str]:
    data, says = BAD_FILES[name]
    return (zip_bytes() if data is None else data), says


def upload_page(client, data: bytes, name: str = "posts.csv"):
    return client.post(PAGE, {"file": ContentFile(data, name=name), "preset": "zveno_posts"})


@pytest.mark.parametrize("kind", list(TEXT_FILES))
def test_every_kind_of_table_previews_with_readable_text(world, client, kind):
    client.force_login(world.users["smm"])
    response = upload_page(client, TEXT_FILES[kind])
    assert response.status_code == 200
    html = response.content.decode()
    assert "Квартира у парка" in html and "Ипотека без мифов" in html, kind
    assert 'value="start" disabled' not in html


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_file_that_is_no_table_gets_a_message_on_the_page(world, client, kind):
    client.force_login(world.users["smm"])
    data, says = bad(kind)
    response = upload_page(client, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert says.lower() in html.lower(), kind
    assert 'value="start" disabled' in html
    # Starting anyway is refused with the same message; nothing is saved.
    token = re.search(r'name="staged" value="([^"]+)"', html).group(1)
    started = client.post(
        START, {"staged": token, "preset": "zveno_posts", "year": "", "action": "start"}
    )
    assert started.status_code == 200
    assert Import.objects.count() == 0 and Post.objects.count() == 0


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_the_api_answers_422_with_what_the_file_is(world, client, kind):
    data, says = bad(kind)
    response = client.post(
        "/api/v1/projects/alpha/imports",
        {"file": ContentFile(data, name="posts.csv"), "preset": "zveno_posts"},
        headers={"Authorization": f"Bearer {world.tokens['smm']}"},
    )
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert says.lower() in " ".join(error["fields"]["file"]).lower()
    assert Import.objects.count() == 0


def test_the_api_imports_utf16_and_gives_the_period(world, client):
    data = TEXT_FILES["utf-16 le, tabs (Excel's Unicode text)"]
    response = client.post(
        "/api/v1/projects/alpha/imports",
        {"file": ContentFile(data, name="export.txt"), "preset": "zveno_posts"},
        headers={"Authorization": f"Bearer {world.tokens['smm']}"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "done" and body["created"] == 2
    assert (body["period_start"], body["period_end"]) == ("2026-11-02", "2026-11-09")
    assert set(Post.objects.values_list("title", flat=True)) == {
        "Квартира у парка",
        "Ипотека без мифов",
    }


def test_the_command_line_says_what_the_file_is(world, tmp_path, capsys):
    path = tmp_path / "posts.csv"
    path.write_bytes(PNG)
    with pytest.raises(CommandError) as raised:
        call_command("import", "alpha", str(path), "--preset", "zveno_posts", stdout=sys.stdout)
    assert "PNG" in str(raised.value)
    assert Import.objects.count() == 0


def test_the_command_line_names_the_imported_period(world, tmp_path, capsys):
    path = tmp_path / "posts.csv"
    path.write_bytes(TEXT_FILES["cp1251"])
    call_command("import", "alpha", str(path), "--preset", "zveno_posts", stdout=sys.stdout)
    out = capsys.readouterr().out
    assert "2026-11-02 … 2026-11-09" in out
    assert "/p/alpha/analytics/?from=2026-11-02&to=2026-11-09" in out


def test_a_finished_import_opens_the_analytics_on_its_period(world, client):
    client.force_login(world.users["smm"])
    html = upload_page(client, TEXT_FILES["utf-8"]).content.decode()
    token = re.search(r'name="staged" value="([^"]+)"', html).group(1)
    started = client.post(
        START, {"staged": token, "preset": "zveno_posts", "year": "", "action": "start"}
    )
    assert started.status_code == 302
    assert started["Location"] == "/p/alpha/analytics/?from=2026-11-02&to=2026-11-09"
    page = client.get(started["Location"]).content.decode()
    assert "posts.csv" in page  # the message says what was imported
    assert "02.11.2026" in page and "09.11.2026" in page
    batch = Import.objects.get()
    detail = client.get(f"{PAGE}{batch.pk}/").content.decode()
    assert "?from=2026-11-02&amp;to=2026-11-09" in detail


def test_a_file_that_changes_encoding_midway_fails_with_words(world, client):
    """The head is UTF-8, a byte far below is not: the job fails with a message, not a trace."""
    client.force_login(world.users["smm"])
    good = table().encode("utf-8")
    filler = "".join(f"2026-11-{1 + d % 28:02d} 10:00;vk;Пост {d};{d}\n" for d in range(3000))
    data = good + filler.encode("utf-8") + b"2026-11-03 10:00;vk;\x98\xff\xfe;5\n"
    response = client.post(
        "/api/v1/projects/alpha/imports",
        {"file": ContentFile(data, name="posts.csv"), "preset": "zveno_posts"},
        headers={"Authorization": f"Bearer {world.tokens['smm']}"},
    )
    assert response.status_code == 422
    assert "дальше текст испорчен" in " ".join(response.json()["error"]["fields"]["file"])
    assert Post.objects.count() == 0


@pytest.mark.parametrize("kind", ["a PNG", "random bytes", "an old .xls"])
def test_the_plan_import_says_what_the_file_is(world, client, kind):
    data, says = bad(kind)
    response = client.post(
        "/api/v1/projects/alpha/plan/import",
        {"file": ContentFile(data, name="plan.csv")},
        headers={"Authorization": f"Bearer {world.tokens['smm']}"},
    )
    assert response.status_code in (200, 422), response.content
    assert says.lower() in str(response.json()).lower()
