"""``core.updates.update_each``: each row gets its own values, nothing else moves."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from zveno.core import updates

pytestmark = pytest.mark.django_db
User = get_user_model()
AT = dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)


def people(n):
    User.objects.bulk_create(
        User(username=f"p{i}", email=f"p{i}@example.com", first_name="old") for i in range(n)
    )
    return list(User.objects.order_by("username"))


def test_each_row_gets_its_own_values_and_only_the_fields_named():
    anna, boris, vera = people(3)
    anna.first_name, anna.last_login, anna.is_active = "Анна 'O'Hara'; --", AT, False
    boris.first_name, boris.last_login = "", None
    anna.email = boris.email = "changed@example.com"  # not among the fields: stays as it was
    vera.first_name = "not written"  # not among the objects

    assert updates.update_each([anna, boris], ["first_name", "last_login", "is_active"]) == 2

    rows = {u.username: u for u in User.objects.all()}
    assert (rows["p0"].first_name, rows["p0"].last_login, rows["p0"].is_active) == (
        "Анна 'O'Hara'; --", AT, False)  # fmt: skip
    assert (rows["p1"].first_name, rows["p1"].last_login, rows["p1"].is_active) == ("", None, True)
    assert rows["p2"].first_name == "old"
    assert {rows["p0"].email, rows["p1"].email} == {"p0@example.com", "p1@example.com"}


def test_more_rows_than_one_statement_takes():
    everyone = people(updates.BATCH + 7)
    for i, person in enumerate(everyone):
        person.first_name = f"name {i}"
    assert updates.update_each(everyone, ["first_name"]) == len(everyone)
    names = dict(User.objects.values_list("pk", "first_name"))
    assert names == {p.pk: p.first_name for p in everyone}


def test_nothing_to_write_is_no_statement(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert updates.update_each([], ["first_name"]) == 0
