"""Login-free links: answering a request and approving items from a phone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.content.conftest import make_item, to_review
from tests.content.test_requests import make_request
from zveno.content import links, services
from zveno.content import requests as expert_requests
from zveno.content.models import Decision, RequestStatus, State
from zveno.core.timezones import today_in
from zveno.workspaces import services as ws


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[-1].split("/", 1)[1]


def expert_waiting_item(world, **fields):
    """An item of Alpha waiting for the expert (the SMM has approved the review)."""
    item = to_review(world, make_item(world, **fields))
    services.approve(world.users["smm"], item, "Ок")
    item.refresh_from_db()
    assert item.state == State.EXPERT_APPROVAL
    return item


def test_answer_by_link_without_logging_in(world, client, item):
    found = make_request(world, items=[item])
    url = _path(links.request_link(found))
    page = client.get(url)
    assert page.status_code == 200
    assert "Расскажите историю сделки" in page.content.decode()
    upload = SimpleUploadedFile("voice.ogg", b"OggS fake", content_type="audio/ogg")
    response = client.post(url, {"text": "Записала голосовое", "files": [upload]})
    assert response.status_code == 302
    found.refresh_from_db()
    answer = found.answers.get()
    assert found.status == RequestStatus.ANSWERED
    assert answer.via_link and answer.answered_by is None and answer.files.count() == 1
    assert [a.pk for a in expert_requests.answers_for_item(item)] == [answer.pk]
    # The link now shows the answer and refuses a second one.
    again = client.post(url, {"text": "Ещё ответ"})
    assert again.status_code == 200
    assert found.answers.count() == 1


def test_an_empty_answer_by_link_is_refused_with_a_message(world, client):
    found = make_request(world)
    response = client.post(_path(links.request_link(found)), {"text": ""})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    found.refresh_from_db()
    assert found.status == RequestStatus.OPEN


def test_a_wrong_signature_is_a_404_page(world, client):
    found = make_request(world)
    token = links.request_token(found)
    week_token = links.create_approval_link(
        world.users["smm"], world.alpha, week=dt.date(2026, 11, 16)
    )[1]
    for bad in (token[:-2] + "xx", "nonsense", week_token):
        response = client.get(reverse("content:request_link", args=[bad]))
        assert response.status_code == 404
        assert "content/requests/link_broken.html" in [t.name for t in response.templates]


def test_an_expired_link_is_a_404_page(world, client, settings):
    found = make_request(world)
    token = links.request_token(found)
    fifteen_days = dt.timedelta(days=15).total_seconds()
    real_time = signing.time.time
    signing.time.time = lambda: real_time() + fifteen_days
    try:
        response = client.get(reverse("content:request_link", args=[token]))
    finally:
        signing.time.time = real_time
    assert response.status_code == 404


def test_a_new_nonce_revokes_old_links(world, client, login):
    found = make_request(world)
    old = links.request_token(found)
    smm = login(world.users["smm"])
    smm.post(reverse("content:request", args=["alpha", found.pk]), {"action": "new_link"})
    client.logout()
    found.refresh_from_db()
    assert client.get(reverse("content:request_link", args=[old])).status_code == 404
    assert (
        client.post(reverse("content:request_link", args=[old]), {"text": "x"}).status_code == 404
    )
    assert client.get(_path(links.request_link(found))).status_code == 200


def test_the_approval_link_approves_as_the_expert(world, client):
    item = expert_waiting_item(world)
    url = _path(_approval(world, item=item))
    page = client.get(url)
    assert page.status_code == 200 and item.title in page.content.decode()
    response = client.post(url, {"item": item.pk, "decision": "approve", "comment": "Отлично"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == State.APPROVED
    last = item.approvals.last()
    assert (last.user, last.decision, last.comment) == (
        world.users["expert"], Decision.APPROVED, "Отлично"
    )  # fmt: skip
    assert item.activities.last().actor == world.users["expert"]


def test_the_weekly_link_requests_changes(world, client):
    first = expert_waiting_item(world, title="Первый", planned_at=dt.datetime(2026, 11, 17, 11))
    second = expert_waiting_item(world, title="Второй", planned_at=dt.datetime(2026, 11, 19, 11))
    next_week = dt.datetime(2026, 11, 25, 11)
    later = expert_waiting_item(world, title="Следующая неделя", planned_at=next_week)
    url = _path(_approval(world, week=dt.date(2026, 11, 18)))
    body = client.get(url).content.decode()
    assert "Первый" in body and "Второй" in body and "Следующая неделя" not in body
    form = {
        "item": second.pk,
        "decision": "changes",
        "comment": "Другое фото",
        "return_to": "design",
    }
    client.post(url, form)
    second.refresh_from_db()
    assert (second.state, second.changes_from) == (State.CHANGES_REQUESTED, "design")
    assert second.approvals.last().user == world.users["expert"]
    # An item of another week cannot be decided through this link.
    client.post(url, {"item": later.pk, "decision": "approve"})
    later.refresh_from_db()
    assert later.state == State.EXPERT_APPROVAL
    first.refresh_from_db()
    assert first.state == State.EXPERT_APPROVAL


def test_the_requests_page_gives_the_smm_a_weekly_approval_link(world, login, client):
    noon = dt.datetime.combine(today_in(world.alpha.timezone), dt.time(12))
    item = expert_waiting_item(world, planned_at=noon)
    smm = login(world.users["smm"])
    page = smm.post(reverse("content:week_link_new", args=["alpha"]), follow=True)
    url = page.context["week_link"]["new"]
    assert url  # shown once …
    again = smm.get(reverse("content:requests", args=["alpha"]))
    assert again.context["week_link"]["new"] == ""  # … and never again
    client.logout()
    assert item.title in client.get(_path(url)).content.decode()
    expert_page = login(world.users["expert"]).get(reverse("content:requests", args=["alpha"]))
    assert "week_link" not in expert_page.context


def test_a_link_for_an_item_not_waiting_shows_a_clear_message(world, client, item):
    url = _path(_approval(world, item=item))
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'class="done-note"' in body and item.title in body and 'name="decision"' not in body
    response = client.post(url, {"item": item.pk, "decision": "approve"}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    item.refresh_from_db()
    assert item.state == State.IDEA and not item.approvals.exists()


def test_an_approval_link_of_someone_no_longer_the_expert_is_404(world, client):
    item = expert_waiting_item(world)
    url = _approval(world, item=item)
    assert client.get(url).status_code == 200
    expert = world.alpha.memberships.get(user=world.users["expert"])
    ws.remove_member(world.users["owner"], expert)
    assert client.get(url).status_code == 404
    # Added back, the expert gets new links; the old ones stay dead.
    ws.add_member(world.users["owner"], world.alpha, world.users["expert"], ["expert"], 3)
    assert client.get(url).status_code == 404
    assert client.get(_approval(world, item=item)).status_code == 200
    forged = reverse("content:approval_link", args=["abc:def"])
    assert client.get(forged).status_code == 404


@pytest.mark.parametrize("persona", ["smm", "other_expert"])
def test_the_link_works_whoever_is_logged_in(world, login, persona):
    found = make_request(world)
    client = login(world.users[persona])
    assert client.get(_path(links.request_link(found))).status_code == 200


# --- for the persona x route test (tests/test_access_routes.py) --------------------------------


def first_request(world):
    """An open request of Alpha, created once per world."""
    return world.alpha.expert_requests.first() or make_request(world)


def signed_link(world, route_name: str) -> str:
    """A real signed link for a public route, so that the page really answers."""
    if route_name.endswith("approval_link"):
        return links.create_approval_link(
            world.users["smm"], world.alpha, week=dt.date(2026, 11, 16)
        )[1]
    return links.request_token(first_request(world))


def test_the_approval_link_works_on_a_custom_level_naming_the_expert(world, client):
    from zveno.content.models import PolicyMode

    members = {m.user.username: m for m in world.alpha.memberships.select_related("user")}
    services.set_policy(
        world.users["owner"], world.alpha, PolicyMode.CUSTOM,
        [{"name": "SMM", "rule": "any", "approvers": [members["smm"]]},
         {"name": "Клиент и продюсер", "rule": "all",
          "approvers": [members["expert"], members["owner"]]}],
    )  # fmt: skip
    item = to_review(world, make_item(world))
    url = _path(_approval(world, item=item))

    def decision_form_shown() -> bool:
        return f'name="item" value="{item.pk}"' in client.get(url).content.decode()

    assert not decision_form_shown()  # level 1 is the SMM's
    services.approve(world.users["smm"], item)
    assert decision_form_shown()
    client.post(url, {"item": item.pk, "decision": "approve", "comment": "Да"})
    item.refresh_from_db()
    assert (item.state, item.current_level) == (State.REVIEW, 2)  # the owner has not approved
    assert not decision_form_shown()  # the expert has decided; the owner has not
    services.approve(world.users["owner"], item)
    item.refresh_from_db()
    assert item.state == State.APPROVED


def _approval(world, **target) -> str:
    """A new approval link made by the SMM, as a path."""
    _link, raw = links.create_approval_link(world.users["smm"], world.alpha, **target)
    return _path(links.approval_url(raw))


def test_approval_links_are_stored_hashed_listed_on_the_item_and_revoked_one_by_one(
    world, login, client
):
    from zveno.content.models import ApprovalLink

    item = expert_waiting_item(world)
    smm = login(world.users["smm"])
    page = smm.post(reverse("content:item_link_new", args=["alpha", item.pk]), follow=True)
    first = page.context["expert_link"]["new"]
    page = smm.post(reverse("content:item_link_new", args=["alpha", item.pk]), follow=True)
    second = page.context["expert_link"]["new"]
    raw = first.rstrip("/").rsplit("/", 1)[-1]
    # Random, not a signed payload: nothing in it names the project, the expert or the item.
    assert raw.startswith("zva_") and ":" not in raw
    with pytest.raises(signing.BadSignature):
        signing.loads(raw)
    stored = ApprovalLink.objects.filter(item=item)
    assert stored.count() == 2 and not stored.filter(token_hash__contains=raw).exists()
    rows = page.context["expert_link"]["rows"]
    assert len(rows) == 2 and "approval-links" in page.content.decode()
    assert (
        smm.get(reverse("content:item", args=["alpha", item.pk])).context["expert_link"]["new"]
        == ""
    )  # shown once
    smm.post(reverse("content:approval_revoke", args=["alpha", rows[-1].pk]))  # the first one
    anonymous = client.__class__()
    assert anonymous.get(_path(first)).status_code == 404
    assert anonymous.get(_path(second)).status_code == 200
    # The expert and outsiders cannot revoke.
    expert = login(world.users["expert"])
    assert expert.post(
        reverse("content:approval_revoke", args=["alpha", rows[0].pk])
    ).status_code in (403, 404)
    assert anonymous.get(_path(second)).status_code == 200
