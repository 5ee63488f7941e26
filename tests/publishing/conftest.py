"""Publishing fixtures: project Alpha with a connected VK community on the local fake."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.fakes.fixtures import VK_GROUP, VK_TOKEN
from zveno.content import services as content
from zveno.publishing import services
from zveno.publishing.models import Dispatch


@pytest.fixture
def vk(world, fake_vk, settings):
    """Alpha's VK community, connected with the fake's administrator token."""
    settings.ZVENO_VK_API_URL = f"{fake_vk.url}/method"
    channel = services.add_channel(world.users["smm"], world.alpha, "vk", "ВК", f"-{VK_GROUP}")
    return services.connect_channel(world.users["smm"], channel, {"access_token": VK_TOKEN})


def approved(world, channels, *, at=None, text="Пост о новостройке", title="Новостройка", **more):
    """An item walked to "approved" (SMM, then the expert) on the given channels."""
    at = at or timezone.now()
    item = content.create_item(
        world.users["smm"], world.alpha, title=title, format="post", text=text,
        planned_at=at, channel_ids=[c.pk for c in channels], **more,
    )  # fmt: skip
    content.transition(world.users["smm"], item, "copy")
    content.transition(world.users["copywriter"], item, "design")
    content.transition(world.users["smm"], item, "review")
    content.approve(world.users["smm"], item)
    content.approve(world.users["expert"], item)
    item.refresh_from_db()
    return item


def dispatch_of(item, channel=None) -> Dispatch:
    publication = item.publications.get(channel=channel) if channel else item.publications.get()
    return Dispatch.objects.get(ref=publication.pk)


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)
