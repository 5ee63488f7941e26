"""Workers killed in the middle of deliveries (SIGKILL), again and again: every due post is on
the network exactly once, or (Telegram, which cannot be read back) waits as "needs a check" —
never twice, never lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from tests.core.helpers import ROOT, child_env, database_url_for_children, wait_for
from tests.fakes.fixtures import TG_CHANNEL, TG_CHANNEL_NAME, TG_TOKEN, VK_GROUP, VK_TOKEN
from tests.fakes.telegram import ADMIN_RIGHTS, FakeTelegram
from tests.fakes.vk import FakeVk
from tests.publishing.conftest import approved
from zveno.content.models import Publication
from zveno.publishing import services
from zveno.publishing.models import Attempt, Dispatch, DispatchState

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

S = DispatchState
KILLS = 12  # per network: 24 in this file


def start(env: dict, log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "zveno", "publish", "--loop", "0.2"], env=env, stdout=log,
        stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
    )  # fmt: skip


def in_flight(pid: int) -> bool:
    """The worker wrote an attempt and has no answer yet: a request is on its way."""
    return Attempt.objects.filter(worker__contains=f":{pid}:", outcome="").exists()


def kill_mid_delivery(env: dict, tmp_path, kills: int) -> int:
    """Starts a worker, waits until a request is in flight, SIGKILLs it; `kills` times.
    Returns how many kills landed with a request in flight."""
    landed = 0
    for n in range(kills):
        with (tmp_path / f"worker-{n}.log").open("w") as log:
            worker = start(env, log)
            try:
                wait_for(lambda w=worker: in_flight(w.pid) or w.poll() is not None,
                         timeout=60, interval=0.02, what="a request in flight")  # fmt: skip
                time.sleep(random.uniform(0, 0.25))
                landed += in_flight(worker.pid)
            finally:
                if worker.poll() is None:
                    os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        if not Dispatch.objects.exclude(state__in=(S.PUBLISHED, S.NEEDS_CHECK)).exists():
            break
    return landed


def finish(env: dict, tmp_path) -> None:
    """One last worker, left alone until nothing is due any more."""
    with (tmp_path / "worker-last.log").open("w") as log:
        worker = start(env, log)
        try:
            wait_for(
                lambda: not Dispatch.objects.exclude(
                    state__in=(S.PUBLISHED, S.LATE, S.NEEDS_CHECK)
                ).exists(),
                timeout=120, interval=0.2, what="every dispatch to settle",
            )  # fmt: skip
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def test_vk_posts_go_out_exactly_once_however_often_a_worker_dies(world, settings, tmp_path):
    fake = FakeVk(limits=False)
    fake.honour_guid = False  # VK's own dedup off: Zveno's reconciliation alone prevents twins
    fake.add_group(VK_GROUP, "Альфа ВК")
    fake.add_token(VK_TOKEN, manages={VK_GROUP: 3})
    with fake:
        fake.delay(0.4, times=10_000)  # every answer is slow: kills land mid-request
        settings.ZVENO_VK_API_URL = f"{fake.url}/method"
        channel = services.add_channel(world.users["smm"], world.alpha, "vk", "ВК", "-123")
        channel = services.connect_channel(world.users["smm"], channel, {"access_token": VK_TOKEN})
        texts = [f"Пост номер {n}" for n in range(12)]
        for n, text in enumerate(texts):
            approved(world, [channel], text=text, title=f"Пост {n}")
        env = child_env(
            DATABASE_URL=database_url_for_children(), ZVENO_VK_API_URL=f"{fake.url}/method",
            ZVENO_PUBLISHING_LEASE_SECONDS="4", ZVENO_PUBLISHING_BATCH="3",
        )  # fmt: skip
        landed = kill_mid_delivery(env, tmp_path, KILLS)
        finish(env, tmp_path)
        wall = [post["text"] for post in fake.posts(VK_GROUP)]
    assert sorted(wall) == sorted(texts)  # each once: no twin, none lost
    assert set(Dispatch.objects.values_list("state", flat=True)) <= {S.PUBLISHED, S.LATE}
    assert landed >= KILLS // 2, f"only {landed} kills hit a request in flight"


def test_telegram_posts_go_out_once_or_wait_for_a_check(world, settings, tmp_path):
    fake = FakeTelegram(limits=False)
    fake.add_bot(TG_TOKEN, "zveno_bot", "Звено")
    fake.add_channel(TG_CHANNEL, "Альфа ТГ", TG_CHANNEL_NAME, members=500,
                     admins={TG_TOKEN: ADMIN_RIGHTS})  # fmt: skip
    with fake:
        fake.delay(0.4, times=10_000)
        settings.ZVENO_TELEGRAM_API_URL = fake.url
        channel = services.add_channel(world.users["smm"], world.alpha, "telegram", "ТГ",
                                       f"@{TG_CHANNEL_NAME}")  # fmt: skip
        channel = services.connect_channel(world.users["smm"], channel, {"bot_token": TG_TOKEN})
        texts = [f"Сообщение {n}" for n in range(12)]
        for n, text in enumerate(texts):
            approved(world, [channel], text=text, title=f"Сообщение {n}")
        env = child_env(
            DATABASE_URL=database_url_for_children(), ZVENO_TELEGRAM_API_URL=fake.url,
            ZVENO_PUBLISHING_LEASE_SECONDS="4", ZVENO_PUBLISHING_BATCH="3",
        )  # fmt: skip
        kill_mid_delivery(env, tmp_path, KILLS)
        finish(env, tmp_path)
        sent = [m.get("text") for m in fake.messages(TG_CHANNEL)]
    text_of = dict(Publication.objects.values_list("pk", "item__text"))
    states = {text_of[d.ref]: d.state for d in Dispatch.objects.all()}
    assert len(sent) == len(set(sent))  # never twice
    assert set(states.values()) <= {S.PUBLISHED, S.LATE, S.NEEDS_CHECK}
    for text in texts:
        if states[text] in (S.PUBLISHED, S.LATE):
            assert text in sent  # "published" is on the channel
        elif text not in sent:
            assert states[text] == S.NEEDS_CHECK  # not lost: a person is asked
