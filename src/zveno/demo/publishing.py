"""The demo's deliveries: a newcomer sees every state of a publication without connecting a
network — published with its log, published late after a network error, failed with the
network's reason, and one waiting for a person's check."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zveno.content.models import Publication, State
from zveno.publishing import services
from zveno.publishing.models import DispatchState

S = DispatchState
PROJECT = "realtor-msk"


def _attempt(at: dt.datetime, outcome: str, ms: int, response: str, reason: str = "",
             kind: str = "publish", network: str = "vk", chars: int = 900) -> dict:  # fmt: skip
    return {
        "kind": kind, "worker": "demo:1:1", "started_at": at,
        "finished_at": at + dt.timedelta(milliseconds=ms) if outcome else None,
        "duration_ms": ms if outcome else None, "outcome": outcome, "response": response,
        "reason": reason,
        "request": {"method": kind, "network": network, "text_chars": chars, "media": 1},
    }  # fmt: skip


def load(workspace, users: dict, today: dt.date) -> None:
    project = workspace.projects.filter(slug=PROJECT).first()
    if project is None:
        return
    pubs = list(
        Publication.objects.filter(item__project=project, channel__network__in=("vk", "telegram"))
        .select_related("item", "channel").order_by("item__planned_at", "pk")
    )  # fmt: skip
    done = [p for p in pubs if p.item.state == State.PUBLISHED]
    waiting = [p for p in pubs if p.item.state in (State.APPROVED, State.SCHEDULED)]
    now = timezone.now()
    for n, p in enumerate(done[:4]):
        when = p.effective_planned_at or now
        net = p.channel.network
        post = 4200 + p.item_id
        url = p.url or (f"https://vk.com/wall-218000_{post}" if net == "vk"
                        else f"https://t.me/realtor_msk/{post}")  # fmt: skip
        chars = len(p.effective_text)
        if n == 1:  # late: VK was down at its time, the second try went out 40 minutes on
            attempts = [
                _attempt(when, "transient", 30012, "HTTP 502 from wall.post",
                         "ВКонтакте ответил ошибкой (HTTP 502); будет ещё попытка.", network=net,
                         chars=chars),
                _attempt(when + dt.timedelta(minutes=40), "published", 612,
                         f"wall.post: post_id {post} · -218000_{post} · {url}", network=net,
                         chars=chars),
            ]  # fmt: skip
            state = S.LATE
        else:
            attempts = [_attempt(when, "published", 380 + 90 * n, f"{post} · {url}",
                                 network=net, chars=chars)]  # fmt: skip
            state = S.PUBLISHED
        services.record_delivery(p.channel, p.pk, state, due_at=when, url=url,
                                 external_id=str(post), attempts=attempts)  # fmt: skip
    vk = [p for p in waiting if p.channel.network == "vk"]
    tg = [p for p in waiting if p.channel.network == "telegram"]
    # A refusal shows best on VK (it can be read back); a check is Telegram's case.
    chosen = [(vk or waiting)[:1], [p for p in (tg or waiting) if p not in (vk or waiting)[:1]][:1]]
    for n, group in enumerate(chosen):
        if not group:
            continue
        p = group[0]
        when = p.effective_planned_at or now
        chars = len(p.effective_text)
        net = p.channel.network
        if n == 0:
            reason = "Это сообщество не разрешает ссылки в постах."
            attempts = [_attempt(when, "rejected", 420, "wall.post: 222 Hyperlinks are forbidden",
                                 reason, network=net, chars=chars)]  # fmt: skip
            services.record_delivery(p.channel, p.pk, S.FAILED, due_at=when, reason=reason,
                                     attempts=attempts)  # fmt: skip
        else:
            reason = ("Сеть не ответила, вышел ли пост, а прочитать канал нельзя: проверьте "
                      "канал и скажите, вышел ли пост.")  # fmt: skip
            attempts = [_attempt(when, "unknown", 30000, "ReadTimeout: timed out",
                                 network=net, chars=chars)]  # fmt: skip
            services.record_delivery(p.channel, p.pk, S.NEEDS_CHECK, due_at=when,
                                     reason=reason, attempts=attempts)  # fmt: skip
