"""403, 404 and 500 answer with the interface's own page: in the person's language, with a way back.

Before: Django's bare English "Not Found" / "Server Error (500)" with no link, inside a Russian
interface.
"""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views.defaults import server_error


def test_a_missing_page_for_a_member_keeps_the_chrome_and_says_it_in_russian(world, login):
    client = login(world.users["outsider"])
    page = client.get(reverse("projects:project", args=[world.alpha.slug]))
    html = page.content.decode()
    assert page.status_code == 404
    assert "Страница не найдена" in html and "Not Found" not in html
    assert f'href="{reverse("home")}"' in html  # a way back
    assert 'class="sidebar"' in html  # the person's own projects stay at hand
    assert world.alpha.name not in html  # a missing and a forbidden project look the same


def test_a_missing_page_for_a_visitor_offers_the_login(db, client):
    page = client.get("/nothing-here/")
    html = page.content.decode()
    assert page.status_code == 404
    assert "Страница не найдена" in html
    assert reverse("accounts:login") in html and 'class="sidebar"' not in html


def test_a_forbidden_action_explains_the_role_in_russian(world, login):
    client = login(world.users["copywriter"])
    page = client.get(reverse("content:plan_draft", args=[world.alpha.slug]))
    html = page.content.decode()
    assert page.status_code == 403
    assert "Недостаточно прав" in html and f'href="{reverse("home")}"' in html


def test_english_speakers_get_the_english_page(world, login):
    user = world.users["outsider"]
    user.language = "en"
    user.save()
    page = login(user).get("/nothing-here/")
    assert page.status_code == 404 and "Page not found" in page.content.decode()


@pytest.mark.urls("tests.core.boom_urls")
def test_a_server_error_answers_with_the_styled_page(world, login):
    client = login(world.users["smm"])
    client.raise_request_exception = False
    page = client.get("/boom/")
    html = page.content.decode()
    assert page.status_code == 500
    assert "Что-то пошло не так" in html and 'href="/"' in html
    assert "app.css" in html


def test_the_server_error_page_needs_no_database_and_no_request_context():
    """No ``db`` fixture: any query would fail the test."""
    request = RequestFactory().get("/anything/")
    with translation.override("ru"):
        page = server_error(request)
    assert page.status_code == 500
    assert "Что-то пошло не так" in page.content.decode()


def test_errors_in_the_api_stay_json(world):
    client = Client()
    answer = client.get(
        "/api/v1/projects/no-such-project",
        headers={"Authorization": f"Bearer {world.tokens['owner']}"},
    )
    assert answer.status_code == 404 and answer["Content-Type"].startswith("application/json")
