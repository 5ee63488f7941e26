"""A publication's fate reaches the workspace's webhooks: published and failed, signed."""

from __future__ import annotations

import pytest

from tests.fakes.fixtures import VK_GROUP
from tests.fakes.receiver import Receiver
from tests.publishing.conftest import approved
from zveno.publishing import delivery
from zveno.webhooks import sending
from zveno.webhooks import services as webhooks


@pytest.fixture
def receiver(settings, world):
    settings.ZVENO_WEBHOOKS_ALLOW_PRIVATE = True
    fake = Receiver().start()
    _endpoint, fake.secret = webhooks.create_endpoint(
        world.users["owner"], world.workspace_a, url=fake.url + "/crm",
        events=["publication.published", "publication.failed"],
    )  # fmt: skip
    try:
        yield fake
    finally:
        fake.stop()


def test_published_and_failed_publications_are_posted(world, vk, fake_vk, receiver):
    approved(world, [vk], title="Сдали дом", text="Сдали дом на Лесной")
    delivery.run_pass("test-worker")
    approved(world, [vk], title="Отказ", text="Второй пост")
    fake_vk.fail_next(219, method="wall.post")
    delivery.run_pass("test-worker")
    assert sending.send_due() == {"delivered": 2}
    published, failed = sorted(receiver.accepted, key=lambda d: d["created_at"])
    assert published["event"] == "publication.published"
    data = published["data"]
    assert data["channel"]["network"] == "vk" and data["publication"]["title"] == "Сдали дом"
    assert data["publication"]["url"].startswith(f"https://vk.com/wall-{VK_GROUP}_")
    assert failed["event"] == "publication.failed" and failed["data"]["publication"]["reason"]
