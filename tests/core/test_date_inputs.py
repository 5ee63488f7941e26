"""Every date field sends its value in ISO: a browser's <input type=date> takes nothing else.

Before the fix the draft plan pre-filled ``07.12.2026`` (the Russian format) into its date inputs;
the browser rejected it, showed the fields blank and the required fields blocked the button.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

INPUT = re.compile(r"<input\b[^>]*\btype=\"(date|datetime-local)\"[^>]*>")
VALUE = re.compile(r"\bvalue=\"([^\"]*)\"")
ISO = {
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "datetime-local": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$"),
}

PAGES = [
    ("content:plan_draft", {}),
    ("content:request_new", {}),
    ("analytics:goal_new", {}),
    ("analytics:daily", {}),
    ("projects:project_edit", {}),
]


def _values(html: str) -> list[tuple[str, str]]:
    found = []
    for match in INPUT.finditer(html):
        value = VALUE.search(match.group(0))
        if value:
            found.append((match.group(1), value.group(1)))
    return found


@pytest.mark.dated
@pytest.mark.parametrize(("route", "query"), PAGES)
def test_date_inputs_carry_iso_values_in_a_russian_interface(world, login, route, query):
    client = login(world.users["owner"])
    page = client.get(reverse(route, args=[world.alpha.slug]), query)
    assert page.status_code == 200
    values = _values(page.content.decode())
    for kind, value in values:
        assert ISO[kind].match(value), (route, kind, value)
    if route in {"content:plan_draft", "projects:project_edit"}:
        assert values, f"{route} pre-fills its dates"
