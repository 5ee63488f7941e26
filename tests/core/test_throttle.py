"""Throttling: wrong passwords, reset e-mails, unknown API tokens and links answer 429 in time."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/login/"


def _login(client, username, password, address="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_wrong_passwords_for_one_account_lock_it_for_a_while(client, world, settings):
    settings.ZVENO_THROTTLE = {"login-account": (5, 900)}
    for attempt in range(5):
        response = _login(client, "smm", "wrong", address=f"10.0.1.{attempt}")
        assert response.status_code == 200  # the form again, with its error
    # Even the right password waits now, from any address, whether named by login or e-mail.
    response = _login(client, "smm", PASSWORD, address="10.0.2.1")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 900
    assert _login(client, "smm@example.test", PASSWORD, address="10.0.2.2").status_code == 429
    # Another account is untouched.
    assert _login(client, "copywriter", PASSWORD).status_code == 302


def test_a_good_sign_in_clears_the_account_count(client, world, settings):
    settings.ZVENO_THROTTLE = {"login-account": (3, 900)}
    for _ in range(2):
        _login(client, "smm", "wrong")
    assert _login(client, "smm", PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        assert _login(client, "smm", "wrong").status_code == 200
    assert _login(client, "smm", PASSWORD).status_code == 302


def test_one_address_guessing_many_accounts_is_throttled(client, world, settings):
    settings.ZVENO_THROTTLE = {"login-address": (4, 900)}
    for name in ("owner", "smm", "copywriter", "expert"):
        assert _login(client, name, "wrong", address="10.9.9.9").status_code == 200
    assert _login(client, "outsider", PASSWORD, address="10.9.9.9").status_code == 429
    assert _login(client, "outsider", PASSWORD, address="10.9.9.10").status_code == 302


def test_password_reset_mails_are_limited_per_address(client, world):
    for _ in range(5):
        client.post(reverse("accounts:password_reset"), {"email": "smm@example.test"})
    assert len(mail.outbox) == 3
    response = client.post(reverse("accounts:password_reset"), {"email": "smm@example.test"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_unknown_api_tokens_are_throttled_per_address(client, world, api, settings):
    settings.ZVENO_THROTTLE = {"token-address": (5, 600)}
    headers = {"Authorization": "Bearer zv_guess"}
    for _ in range(5):
        assert client.get("/api/v1/me", headers=headers).status_code == 401
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    # A good token from another address is heard.
    good = {"Authorization": f"Bearer {world.tokens['smm']}"}
    assert client.get("/api/v1/me", headers=good, REMOTE_ADDR="10.1.1.1").status_code == 200


@pytest.mark.parametrize(
    "path", ["/r/nothing/", "/x/r/nothing/", "/x/a/nothing/", "/ical/nothing.ics", "/invite/x/"]
)
def test_unknown_links_are_throttled_per_address(client, world, settings, path):
    settings.ZVENO_THROTTLE = {"link-address": (4, 600)}
    for _ in range(4):
        assert client.get(path).status_code in (404, 410)
    response = client.get(path)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert client.get(path, REMOTE_ADDR="10.2.2.2").status_code in (404, 410)


def test_counts_live_in_the_shared_database_table(client, world, settings):
    if not settings.CACHES["throttle"]["BACKEND"].endswith("DatabaseCache"):
        pytest.skip("the throttle cache is Redis here")
    _login(client, "smm", "wrong")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM zveno_cache WHERE cache_key LIKE %s", ["%throttle%"])
        assert cursor.fetchone()[0] == 2  # the account and the address
