"""Scale-out: two Celery worker processes on the real Redis and PostgreSQL deliver 500
publications due in the same minute, each exactly once."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.conftest import require_service
from tests.core.helpers import child_env, database_url_for_children, start_worker, stop, wait_for
from tests.fakes.fixtures import VK_GROUP, VK_TOKEN
from tests.fakes.vk import FakeVk
from tests.publishing.bulk import approved_in_bulk
from zveno.core.celery import app
from zveno.publishing import delivery, services
from zveno.publishing.models import Attempt, Dispatch, DispatchState
from zveno.publishing.tasks import publish_due

pytestmark = [
    pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.postgres,
    pytest.mark.real_clock,
]  # fmt: skip
DUE = 500


@pytest.fixture
def scaled_out():
    require_service("redis")
    require_service("postgres")
    if connection.vendor != "postgresql":
        pytest.skip("the scale-out test runs on PostgreSQL: DATABASE_URL=postgres://…")


def test_two_celery_workers_deliver_500_due_posts_exactly_once(scaled_out, world, settings,
                                                               tmp_path):  # fmt: skip
    redis_url = "redis://127.0.0.1:6379/14"
    fake = FakeVk(limits=False)
    fake.honour_guid = False  # every wall.post is a post: a double delivery would show
    fake.add_group(VK_GROUP, "Альфа ВК")
    fake.add_token(VK_TOKEN, manages={VK_GROUP: 3})
    with fake:
        settings.ZVENO_VK_API_URL = f"{fake.url}/method"
        channel = services.add_channel(world.users["smm"], world.alpha, "vk", "ВК", "-123")
        services.connect_channel(world.users["smm"], channel, {"access_token": VK_TOKEN})
        texts = approved_in_bulk(world.alpha, channel, DUE)
        delivery.sync()
        env = child_env(
            DATABASE_URL=database_url_for_children(), REDIS_URL=redis_url,
            ZVENO_VK_API_URL=f"{fake.url}/method", ZVENO_PUBLISHING_RATE_LIMITS="0",
            ZVENO_PUBLISHING_BATCH="10",
        )  # fmt: skip
        workers = [start_worker(env, tmp_path / f"worker{n}.log") for n in range(2)]
        try:
            with app.connection_for_write(redis_url) as conn:
                for _ in range(4):  # rounds overlap on both workers; the claim shares the work
                    publish_due.apply_async(connection=conn)
            wait_for(
                lambda: not Dispatch.objects.exclude(state=DispatchState.PUBLISHED).exists(),
                timeout=180, interval=0.5, what="500 posts delivered",
            )  # fmt: skip
        finally:
            for worker in workers:
                stop(worker)
        wall = [post["text"] for post in fake.posts(VK_GROUP)]
    assert len(wall) == DUE and sorted(wall) == sorted(texts)  # once each: none twice, none lost
    assert fake.method_calls("wall.post") == DUE
    pids = {w.split(":")[1] for w in Attempt.objects.values_list("worker", flat=True)}
    assert len(pids) >= 2, "both worker processes delivered"
