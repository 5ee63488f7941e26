"""API tokens, the profile, the interface language, password reset and signing in."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.conftest import PASSWORD
from zveno.accounts.models import ApiToken

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "Lantern-Orbit-7741"


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]*)"', response.content.decode())
    assert match, "no <html lang=...> in the page"
    return match.group(1)


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    return body["error"]


# --- API tokens -------------------------------------------------------------------------------


def test_token_is_shown_once_and_only_its_hash_is_stored(world, login):
    owner = world.users["owner"]
    client = login(owner)

    response = client.post(reverse("accounts:tokens"), {"name": "reporting script"})

    assert response.status_code == 200
    raw = response.context["created"]["raw"]
    assert raw.startswith("zv_")
    assert len(raw) > 30
    assert raw in response.content.decode()
    token = ApiToken.objects.get(user=owner, name="reporting script")
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert not any(raw in str(value) for value in row.values())
    # Shown once: the list afterwards has the token's name but not the token.
    again = client.get(reverse("accounts:tokens"))
    assert again.status_code == 200
    assert raw not in again.content.decode()
    assert token in list(again.context["tokens"])


def test_new_token_works_as_bearer_and_revoking_it_gives_401(world, login, api):
    owner = world.users["owner"]
    client = login(owner)
    raw = client.post(reverse("accounts:tokens"), {"name": "script"}).context["created"]["raw"]
    token = ApiToken.objects.get(user=owner, name="script")
    assert token.last_used_at is None

    me = api(raw).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["username"] == "owner"
    assert me.json()["id"] == owner.pk
    token.refresh_from_db()
    assert token.last_used_at is not None

    response = client.post(reverse("accounts:revoke_token", args=[token.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:tokens")
    token.refresh_from_db()
    assert token.revoked_at is not None

    error = assert_error_shape(api(raw).get("/api/v1/me"), 401, "unauthorized")
    assert error["fields"] == {}
    # The owner's other token still works.
    assert api(world, "owner").get("/api/v1/me").status_code == 200


@pytest.mark.parametrize(
    "header",
    [None, "Bearer zv_not-a-real-token", "Bearer not-even-prefixed", "Token something"],
)
def test_missing_or_bad_token_answers_401_with_the_error_shape(world, client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/me", headers=headers)
    assert_error_shape(response, 401, "unauthorized")


def test_a_signed_in_session_is_not_an_api_credential(world, login):
    client = login(world.users["owner"])
    assert_error_shape(client.get("/api/v1/projects"), 401, "unauthorized")


def test_revoking_another_users_token_is_404_and_leaves_it_active(world, login, api):
    owner_token = world.users["owner"].api_tokens.get()
    client = login(world.users["smm"])

    response = client.post(reverse("accounts:revoke_token", args=[owner_token.pk]))

    assert response.status_code == 404
    owner_token.refresh_from_db()
    assert owner_token.revoked_at is None
    assert api(world, "owner").get("/api/v1/me").status_code == 200


def test_tokens_page_lists_only_the_users_own_tokens(world, login):
    client = login(world.users["smm"])
    tokens = list(client.get(reverse("accounts:tokens")).context["tokens"])
    assert tokens == list(world.users["smm"].api_tokens.all())
    assert all(t.user_id == world.users["smm"].pk for t in tokens)


# --- profile ----------------------------------------------------------------------------------


def profile_form(user, **overrides):
    return {
        "name": user.name,
        "email": user.email,
        "language": user.language,
        "timezone": user.timezone,
        "telegram_username": user.telegram_username,
        **overrides,
    }


def test_profile_saves_name_time_zone_and_telegram(world, login, api):
    user = world.users["copywriter"]
    client = login(user)
    response = client.post(
        reverse("accounts:profile"),
        profile_form(
            user, name="Катя Копирайтер", timezone="Asia/Omsk", telegram_username="@katya_copy"
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    user.refresh_from_db()
    assert user.name == "Катя Копирайтер"
    assert user.timezone == "Asia/Omsk"
    assert user.telegram_username == "katya_copy"
    me = api(world, "copywriter").get("/api/v1/me").json()
    assert me["name"] == "Катя Копирайтер"
    assert me["timezone"] == "Asia/Omsk"
    assert me["telegram_username"] == "katya_copy"
    page = client.get(reverse("accounts:profile"))
    assert page.context["form"].initial["telegram_username"] == "katya_copy"


@pytest.mark.parametrize("telegram", ["ivan smm", "1ivan_smm", "iv", "иван_смм", "a" * 40])
def test_invalid_telegram_username_shows_an_error_and_saves_nothing(world, login, telegram):
    user = world.users["copywriter"]
    client = login(user)
    response = client.post(
        reverse("accounts:profile"),
        profile_form(user, name="Другое Имя", timezone="Asia/Omsk", telegram_username=telegram),
    )
    assert response.status_code == 200
    assert "telegram_username" in response.context["form"].errors
    user.refresh_from_db()
    assert user.name == "Copywriter"
    assert user.timezone == ""
    assert user.telegram_username == ""


def test_four_letter_telegram_username_is_refused(world, login):
    user = world.users["copywriter"]
    client = login(user)
    response = client.post(
        reverse("accounts:profile"), profile_form(user, telegram_username="abcd")
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.telegram_username == ""


def test_profile_refuses_an_email_another_account_uses(world, login):
    user = world.users["copywriter"]
    client = login(user)
    response = client.post(
        reverse("accounts:profile"), profile_form(user, email="SMM@example.test", name="X")
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    user.refresh_from_db()
    assert user.email == "copywriter@example.test"
    assert user.name == "Copywriter"


# --- language ---------------------------------------------------------------------------------


def test_login_page_is_russian_by_default_even_when_the_browser_asks_for_english(client):
    response = client.get(reverse("accounts:login"), headers={"Accept-Language": "en-US,en;q=0.9"})
    assert response.status_code == 200
    assert html_lang(response) == "ru"
    assert response["Content-Language"] == "ru"


def test_switching_to_english_in_the_profile_changes_the_next_page(world, login):
    user = world.users["copywriter"]
    client = login(user)
    assert html_lang(client.get(reverse("projects:project", args=["alpha"]))) == "ru"

    response = client.post(reverse("accounts:profile"), profile_form(user, language="en"))

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "en"
    page = client.get(reverse("projects:project", args=["alpha"]))
    assert html_lang(page) == "en"
    assert page["Content-Language"] == "en"


def test_set_language_for_a_signed_in_user_is_saved_on_the_profile(world, login):
    user = world.users["smm"]
    client = login(user)
    target = reverse("projects:project", args=["alpha"])

    response = client.post(reverse("accounts:set_language"), {"language": "en", "next": target})

    assert response.status_code == 302
    assert response["Location"] == target
    user.refresh_from_db()
    assert user.language == "en"
    assert html_lang(client.get(target)) == "en"
    # And back to Russian.
    client.post(reverse("accounts:set_language"), {"language": "ru", "next": target})
    assert html_lang(client.get(target)) == "ru"


def test_set_language_for_an_anonymous_visitor_uses_a_cookie(client):
    login_url = reverse("accounts:login")
    response = client.post(reverse("accounts:set_language"), {"language": "en", "next": login_url})
    assert response.status_code == 302
    assert response["Location"] == login_url
    assert html_lang(client.get(login_url)) == "en"


def test_set_language_ignores_unknown_languages_and_foreign_redirects(world, login):
    user = world.users["smm"]
    client = login(user)
    response = client.post(
        reverse("accounts:set_language"), {"language": "de", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    user.refresh_from_db()
    assert user.language == "ru"


# --- password reset and signing in ------------------------------------------------------------


def test_password_reset_by_email_sets_a_new_password(world, client):
    response = client.post(reverse("accounts:password_reset"), {"email": "SMM@example.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["smm@example.test"]
    match = re.search(r"https?://\S+/password-reset/[^/\s]+/[^/\s]+/", mail.outbox[0].body)
    assert match, mail.outbox[0].body
    reset_path = urlsplit(match.group(0)).path

    step = client.get(reset_path)
    assert step.status_code == 302  # to the set-password form, the token kept in the session
    form_page = client.get(step["Location"])
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    done = client.post(
        step["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:password_reset_complete")

    signed_in = client.post(
        reverse("accounts:login"), {"username": "smm", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(world.users["smm"].pk)
    client.logout()
    old = client.post(reverse("accounts:login"), {"username": "smm", "password": PASSWORD})
    assert old.status_code == 200
    assert "_auth_user_id" not in client.session
    # The link works once.
    reused = client.get(reset_path, follow=True)
    assert reused.context["validlink"] is False


def test_password_reset_for_an_unknown_address_sends_nothing_but_looks_the_same(world, client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


@pytest.mark.parametrize("login_as", ["smm", "smm@example.test", "SMM@Example.Test"])
def test_login_by_username_or_email(world, client, login_as):
    response = client.post(reverse("accounts:login"), {"username": login_as, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(world.users["smm"].pk)
    # The only workspace of the smm is where "home" leads.
    home = client.get(response["Location"])
    assert home["Location"] == reverse("projects:workspace", args=["ws-a"])


@pytest.mark.parametrize("login_as", ["smm", "smm@example.test", "nobody@example.test"])
def test_wrong_password_shows_an_error(world, client, login_as):
    response = client.post(
        reverse("accounts:login"), {"username": login_as, "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302  # still bounced to the log-in page
