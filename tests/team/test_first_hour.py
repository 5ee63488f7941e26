"""What a new team meets in its first hour: plain words instead of internal codes, legends for
the matrix's letters and dashed cells, "My work" for a copywriter, a first day without a wall
of critical findings, honest texts, and Russian that reads natural."""

from __future__ import annotations

import datetime as dt
import io
import re
from contextlib import redirect_stdout

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from tests.team.test_health import start
from zveno import cli
from zveno.content import services as content_services
from zveno.content.models import ContentItem
from zveno.team import health

pytestmark = pytest.mark.django_db
CODE = re.compile(r"\bH\d{1,2}\b")


def visible(html: str) -> str:
    """The page's text as a person reads it (no tags, attributes or scripts)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_health_codes_stay_in_the_api_not_in_the_pages(world, client, api):
    client.force_login(world.users["owner"])
    page = client.get("/p/alpha/").content.decode()
    assert 'data-code="H' in page  # the findings are there
    assert not CODE.search(visible(page)), CODE.findall(visible(page))
    settings = client.get("/w/ws-a/settings/health/").content.decode()
    assert "Перегрузка" in visible(settings)
    assert not CODE.search(visible(settings)), CODE.findall(visible(settings))
    body = api(world, "owner").get("/api/v1/projects/alpha/health").json()
    assert all(CODE.fullmatch(f["code"]) for f in body)


def test_the_matrix_explains_letter_combinations_and_dashed_cells(world, client):
    client.force_login(world.users["owner"])
    page = visible(client.get("/p/alpha/matrix/").content.decode())
    assert "«RAI»" in page and "Буквы в одной клетке складываются" in page
    assert "пунктирной рамкой" in page


def test_the_api_mapping_error_speaks_plain_words(world, client):
    from django.core.files.base import ContentFile

    response = client.post(
        "/api/v1/projects/alpha/imports",
        {"file": ContentFile(b"a;b\n1;2\n", name="a.csv"), "preset": "generic_posts",
         "mapping": "[1, 2]"},
        headers={"Authorization": f"Bearer {world.tokens['smm']}"},
    )  # fmt: skip
    assert response.status_code == 422
    message = " ".join(response.json()["error"]["fields"]["mapping"])
    assert "JSON" not in message and "колонку файла с полем" in message


def test_a_copywriter_lands_on_my_work_and_the_smm_on_the_agency(world, client):
    client.force_login(world.users["copywriter"])
    assert client.get("/")["Location"] == "/p/alpha/my-work/"
    client.force_login(world.users["smm"])
    assert client.get("/")["Location"] == "/w/ws-a/"


def test_zveno_serve_help_names_the_command_as_typed():
    out = io.StringIO()
    with redirect_stdout(out), pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    assert out.getvalue().startswith("usage: zveno serve ")


def test_a_new_projects_first_day_has_no_critical_finding(world, clock):
    """The owner starts a project alone (the default 20 h a week) on three networks: the team
    is not invited yet, so the staffing findings are warnings, not three criticals."""
    project = start(world, networks=("telegram", "instagram", "vk"), hours=20)
    found = health.evaluate(project)
    assert {"H6", "H7", "H9"} <= {f.code for f in found}
    assert not [f for f in found if f.severity == "critical"], found
    h7 = next(f for f in found if f.code == "H7")
    assert "команду ещё не пригласили" in h7.explanation or "not invited yet" in h7.explanation
    # A week on, still alone: the findings are critical again.
    clock.shift(dt.timedelta(days=8))
    later = health.evaluate(project)
    assert {f.code for f in later if f.severity == "critical"} >= {"H6", "H9"}


def test_one_person_who_took_every_role_is_still_critical_on_day_one(world):
    from zveno.workspaces.roles import JobRole as R

    solo = start(world, playbook="info_product", networks=("telegram", "instagram", "vk", "dzen"),
                 roles=R.values, hours=20)  # fmt: skip
    assert [f for f in health.evaluate(solo) if f.severity == "critical"]


def test_the_draft_plan_says_what_happens_to_weekends(world, client):
    client.force_login(world.users["smm"])
    page = visible(client.get("/p/alpha/plan/draft/").content.decode())
    assert "Выходные пропускаются" not in page
    assert "субботы и воскресенья заполняются" in page


def test_the_history_names_the_person_without_a_gender_guess(world, client):
    item = content_services.create_item(
        world.users["smm"], world.alpha, title="Пост", format="post",
        planned_at=dt.datetime(2026, 12, 20, 10, 0),
    )  # fmt: skip
    content_services.transition(world.users["smm"], item, "copy")
    client.force_login(world.users["smm"])
    page = visible(client.get(f"/p/alpha/content/{item.pk}/").content.decode())
    assert "(а)" not in page
    assert "Smm — смена этапа" in re.sub(r"\s+", " ", page)
    assert ContentItem.objects.filter(pk=item.pk).exists()


def test_the_previous_period_is_named_with_its_year(world, client):
    from django.utils import timezone

    from zveno.analytics.models import Post

    Post.objects.create(
        project=world.alpha, external_id="p1", published_at=timezone.now(), network="telegram"
    )
    client.force_login(world.users["smm"])
    page = re.sub(r"\s+", " ", visible(client.get("/p/alpha/analytics/").content.decode()))
    assert re.search(r"сравниваем с \d{1,2} \w+ 20\d\d – \d{1,2} \w+ 20\d\d", page), page[:2000]


def test_awkward_russian_is_gone():
    with translation.override("ru"):
        text = _(
            "Each stage is written down: its purpose, its checklist as tasks, what it delivers."
        )
    assert text == "Каждый этап прописан: цель, чек-лист в виде задач, результат."
