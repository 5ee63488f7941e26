"""Fixtures for the content app: an item of project Alpha and helpers to walk the workflow."""

from __future__ import annotations

import datetime as dt

import pytest

from zveno.content import services

PLANNED = dt.datetime(2026, 11, 17, 11, 0)  # a Tuesday, in the project's time zone


def make_item(world, persona: str = "smm", **fields):
    fields.setdefault("title", "Как проверить застройщика")
    fields.setdefault("format", "carousel")
    fields.setdefault("planned_at", PLANNED)
    fields.setdefault("channel_ids", list(world.alpha.channels.values_list("pk", flat=True)))
    return services.create_item(world.users[persona], world.alpha, **fields)


@pytest.fixture
def item(world):
    return make_item(world)


def to_review(world, item):
    """idea → copy (SMM) → design (the copywriter) → review (the design step's assignee: SMM)."""
    services.transition(world.users["smm"], item, "copy")
    services.transition(world.users["copywriter"], item, "design")
    return services.transition(world.users["smm"], item, "review")
