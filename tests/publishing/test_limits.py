"""Rate limits shared by every worker: in the database, or in Redis when it is configured."""

from __future__ import annotations

import pytest

from tests.conftest import require_service
from zveno.publishing import limits

KEYS = {"vk:token:abc": 0.5, "telegram:channel:1": 3.0}


def check_slots() -> None:
    assert limits.take(KEYS) == 0  # a free slot of every key
    wait = limits.take(KEYS)
    assert 0 < wait <= 3.0  # the channel's 3 s is the longest wait
    assert limits.take({"vk:token:other": 0.5}) == 0  # other keys are free
    limits.block(["vk:token:other"], 17)
    assert 16 < limits.take({"vk:token:other": 0.5}) <= 17  # exactly as long as the network said


@pytest.mark.django_db
def test_slots_in_the_database():
    check_slots()


@pytest.mark.django_db
@pytest.mark.redis
def test_slots_in_redis(settings):
    require_service("redis")
    import redis

    settings.REDIS_URL = "redis://127.0.0.1:6379/13"
    limits._redis.cache_clear()
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    try:
        check_slots()
    finally:
        limits._redis.cache_clear()
