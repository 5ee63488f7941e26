"""Expert requests: asking, answering in the app, the API, the involvement index and H4."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.content.conftest import make_item
from zveno.content import links
from zveno.content import requests as expert_requests
from zveno.content.models import ContentItem, ExpertRequest, RequestStatus, State
from zveno.team import health

DUE = dt.date(2026, 11, 20)


def make_request(world, persona: str = "smm", items=(), due=DUE, **fields) -> ExpertRequest:
    fields.setdefault("question", "Расскажите историю сделки с ипотекой")
    fields.setdefault("kind", "story")
    return expert_requests.ask(
        world.users[persona], world.alpha, due_date=due, item_ids=[i.pk for i in items], **fields
    )


def test_smm_asks_through_the_page(world, login, item):
    client = login(world.users["smm"])
    url = reverse("content:request_new", args=["alpha"])
    assert client.get(url).status_code == 200
    form = {"question": "Нужен ваш комментарий", "kind": "opinion", "due_date": "2026-11-20",
            "item_ids": [item.pk]}  # fmt: skip
    response = client.post(url, form)
    found = world.alpha.expert_requests.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("content:request", args=["alpha", found.pk])
    assert list(found.items.all()) == [item]
    assert found.asked_by == world.users["smm"] and found.link_nonce
    page = client.get(reverse("content:requests", args=["alpha"]))
    assert "Нужен ваш комментарий" in page.content.decode()


def test_copywriter_and_expert_cannot_ask(world, login):
    for persona in ("copywriter", "expert"):
        with pytest.raises(PermissionDenied):
            make_request(world, persona)
        client = login(world.users[persona])
        assert client.get(reverse("content:request_new", args=["alpha"])).status_code == 403


def test_expert_answers_in_the_app_with_a_file(world, login, item):
    found = make_request(world, items=[item])
    client = login(world.users["expert"])
    page = client.get(reverse("content:requests", args=["alpha"])).content.decode()
    assert "Расскажите историю" in page  # the "what we need from you" list
    upload = SimpleUploadedFile("deal.jpg", b"\xff\xd8\xff fake jpeg", content_type="image/jpeg")
    url = reverse("content:request", args=["alpha", found.pk])
    response = client.post(url, {"text": "Клиент купил квартиру за 3 недели", "files": [upload]})
    assert response.status_code == 302
    found.refresh_from_db()
    assert found.status == RequestStatus.ANSWERED and found.answered_at is not None
    answer = found.answers.get()
    assert answer.answered_by == world.users["expert"] and not answer.via_link
    assert answer.files.count() == 1
    # The answer is attached to the linked item.
    attached = list(expert_requests.answers_for_item(item))
    assert [a.pk for a in attached] == [answer.pk]
    assert item.activities.filter(verb="expert_answer").exists()


def test_the_answers_file_opens_for_the_team_and_on_the_link_never_from_media(world, login, client):
    import re

    found = make_request(world)
    expert = login(world.users["expert"])
    jpeg = b"\xff\xd8\xff\xe0 a deal photo"
    upload = SimpleUploadedFile("deal.jpg", jpeg, content_type="image/jpeg")
    expert.post(
        reverse("content:request", args=["alpha", found.pk]), {"text": "Вот", "files": [upload]}
    )
    smm = login(world.users["smm"])
    page = smm.get(reverse("content:request", args=["alpha", found.pk])).content.decode()
    [href] = re.findall(r'class="answer-files"><li><a href="([^"]+)"', page)
    assert "/media/" not in href
    served = smm.get(href)
    assert served.status_code == 200 and b"".join(served.streaming_content) == jpeg
    assert login(world.users["outsider"]).get(href).status_code == 404
    link = reverse("content:request_link", args=[links.request_token(found)])
    public = client.get(link).content.decode()
    [signed] = re.findall(r'class="answer-files"><li><a href="([^"]+)"', public)
    assert signed.startswith("/x/f/")
    client.logout()
    assert client.get(signed).status_code == 200
    assert client.get(signed[:-3] + "abc/").status_code == 404


def test_an_answered_request_cannot_be_answered_twice(world, login):
    found = make_request(world)
    expert_requests.answer(world.users["expert"], found, text="Первый ответ")
    with pytest.raises(ValidationError):
        expert_requests.answer(world.users["expert"], found, text="Второй ответ")
    client = login(world.users["expert"])
    client.post(reverse("content:request", args=["alpha", found.pk]), {"text": "Третий"})
    assert list(found.answers.values_list("text", flat=True)) == ["Первый ответ"]


def test_an_empty_answer_is_refused(world):
    found = make_request(world)
    with pytest.raises(ValidationError):
        expert_requests.answer(world.users["expert"], found, text="  ")
    found.refresh_from_db()
    assert found.status == RequestStatus.OPEN


def test_smm_cannot_answer_for_the_expert(world, login):
    found = make_request(world)
    client = login(world.users["smm"])
    url = reverse("content:request", args=["alpha", found.pk])
    assert client.post(url, {"text": "Отвечу сам"}).status_code == 403


def test_expert_of_another_project_gets_404(world, login, api):
    found = make_request(world)
    client = login(world.users["other_expert"])
    url = reverse("content:request", args=["alpha", found.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"text": "Чужой ответ"}).status_code == 404
    caller = api(world, "other_expert")
    path = f"/api/v1/projects/alpha/expert-requests/{found.pk}/answer"
    assert caller.post(path, {"text": "Чужой ответ"}).status_code == 404
    assert caller.get("/api/v1/projects/alpha/expert-requests").status_code == 404
    found.refresh_from_db()
    assert found.status == RequestStatus.OPEN


def test_the_api_asks_reads_and_answers(world, api, item):
    smm, expert = api(world, "smm"), api(world, "expert")
    body = {"question": "Фото с объекта", "kind": "photo", "due_date": "2026-11-25",
            "item_ids": [item.pk]}  # fmt: skip
    created = smm.post("/api/v1/projects/alpha/expert-requests", body)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["item_ids"] == [item.pk] and data["status"] == "open"
    assert (
        api(world, "copywriter").post("/api/v1/projects/alpha/expert-requests", body).status_code
        == 403
    )
    path = f"/api/v1/projects/alpha/expert-requests/{data['id']}"
    assert smm.post(path + "/answer", {"text": "Я сам"}).status_code == 403
    answered = expert.post(path + "/answer", {"text": "Загрузила фото в облако"})
    assert answered.status_code == 200
    assert answered.json()["status"] == "answered"
    assert answered.json()["answers"][0]["text"] == "Загрузила фото в облако"
    again = expert.post(path + "/answer", {"text": "Ещё раз"})
    assert again.status_code == 422
    assert [r["id"] for r in smm.get("/api/v1/projects/alpha/expert-requests").json()] == [
        data["id"]
    ]
    assert expert.get(path).json()["answers"][0]["via_link"] is False


def _set_times(found: ExpertRequest, asked: dt.datetime, answered: dt.datetime | None = None):
    ExpertRequest.objects.filter(pk=found.pk).update(asked_at=asked, answered_at=answered)


def _publish(world, item: ContentItem, when: dt.datetime) -> None:
    ContentItem.objects.filter(pk=item.pk).update(state=State.PUBLISHED, planned_at=when)


def test_involvement_index_by_hand(world):
    """Today 27 Nov 2026 (Moscow). The window is 29 Oct .. 27 Nov.

    Asked in the window: r1 (answered on 10 Nov, due 12 Nov: on time), r2 (answered 15 Nov,
    due 12 Nov: late), r3 (open, due 20 Nov: overdue), r4 (open, due 30 Nov). r5 was asked
    on 1 Oct, outside the window. On time / asked = 1 / 4 = 25 %.
    Published in the window: a, b, c; a is linked to r1 (answered), b to r3 (open), c to none;
    d was published on 1 Oct. Share with the expert's input = 1 / 3.
    """
    utc = dt.UTC
    today = dt.date(2026, 11, 27)
    a, b, c, d = (make_item(world, title=t) for t in "abcd")
    r1 = make_request(world, items=[a], due=dt.date(2026, 11, 12))
    r2 = make_request(world, due=dt.date(2026, 11, 12))
    r3 = make_request(world, items=[b], due=dt.date(2026, 11, 20))
    r4 = make_request(world, due=dt.date(2026, 11, 30))
    r5 = make_request(world, items=[d], due=dt.date(2026, 10, 5))
    for r in (r1, r2, r5):
        expert_requests.answer(world.users["expert"], r, text="Ответ")
    _set_times(
        r1, dt.datetime(2026, 11, 5, 9, tzinfo=utc), dt.datetime(2026, 11, 10, 9, tzinfo=utc)
    )
    _set_times(
        r2, dt.datetime(2026, 11, 5, 9, tzinfo=utc), dt.datetime(2026, 11, 15, 9, tzinfo=utc)
    )
    _set_times(r3, dt.datetime(2026, 11, 6, 9, tzinfo=utc))
    _set_times(r4, dt.datetime(2026, 11, 26, 9, tzinfo=utc))
    _set_times(r5, dt.datetime(2026, 10, 1, 9, tzinfo=utc), dt.datetime(2026, 10, 2, 9, tzinfo=utc))
    for item, day in ((a, 10), (b, 16), (c, 20)):
        _publish(world, item, dt.datetime(2026, 11, day, 9, tzinfo=utc))
    _publish(world, d, dt.datetime(2026, 10, 1, 9, tzinfo=utc))
    index = expert_requests.involvement(world.alpha, today)
    assert (index.asked, index.answered_on_time) == (4, 1)
    assert index.on_time_percent == 25.0
    assert (index.published, index.with_input) == (3, 1)
    assert index.share_percent == pytest.approx(100 / 3)
    assert index.overdue == 1
    assert [r.pk for r in expert_requests.overdue_requests(world.alpha, today)] == [r3.pk]


def _h4_request_findings(project):
    return [
        f for f in health.evaluate(project)
        if f.code == "H4" and "unanswered_requests" in f.evidence
    ]  # fmt: skip


def test_h4_fires_when_requests_go_unanswered(world):
    make_request(world, due=dt.date(2026, 11, 3))
    make_request(world, due=dt.date(2026, 11, 4))
    findings = _h4_request_findings(world.alpha)
    assert len(findings) == 1
    assert findings[0].evidence["unanswered_requests"] == 2


@pytest.mark.dated
def test_h4_is_quiet_when_requests_are_answered_on_time(world):
    """Both requests are due in the future (fixed relative to today) and answered now."""
    future = dt.date.today() + dt.timedelta(days=5)
    item = make_item(world)
    for n in range(2):
        found = make_request(world, items=[item] if n == 0 else [], due=future)
        expert_requests.answer(world.users["expert"], found, text="Готово")
    ContentItem.objects.filter(pk=item.pk).update(
        state=State.PUBLISHED, planned_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    )
    assert _h4_request_findings(world.alpha) == []
    index = expert_requests.involvement(world.alpha)
    assert (index.asked, index.answered_on_time, index.share_percent) == (2, 2, 100.0)


def test_list_page_highlights_overdue_and_keeps_queries_bounded(
    world, login, django_assert_max_num_queries
):
    for n in range(5):
        make_request(world, due=dt.date(2026, 11, 3 + n), question=f"Вопрос {n}")
    client = login(world.users["smm"])
    with django_assert_max_num_queries(30):
        page = client.get(reverse("content:requests", args=["alpha"]))
    assert page.status_code == 200
    assert page.content.decode().count('class="overdue"') == 5
