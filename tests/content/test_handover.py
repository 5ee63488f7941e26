"""Every hand-over in the workflow tells the person who now holds the item, once it is committed;
mentions reach people by the name the interface shows.

Before: only an @login in a comment notified anyone; moving an item, asking for an approval, or
the expert's decision reached nobody, and "@Елена" reached nobody either.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.content.conftest import make_item
from zveno.content import collab, services
from zveno.notifications import services as notifications
from zveno.notifications.models import Delivery, Notification


def _inbox(user) -> list[tuple[str, str]]:
    return [(n.verb, n.text) for n in Notification.objects.filter(user=user).order_by("pk")]


def test_each_hand_over_reaches_who_holds_the_item_now(world, django_capture_on_commit_callbacks):
    users = world.users
    users["copywriter"].name = "Елена Соколова"
    users["copywriter"].save()
    item = make_item(world, title="Как выбрать ипотеку")
    with django_capture_on_commit_callbacks(execute=True):
        services.transition(users["smm"], item, "copy")
    assert _inbox(users["copywriter"]) == [
        ("item_moved", "Smm передаёт вам «Как выбрать ипотеку»: Текст")
    ]

    with django_capture_on_commit_callbacks(execute=True):
        services.transition(users["copywriter"], item, "design")  # design falls to the SMM
        services.transition(users["smm"], item, "review")  # the SMM hands it to themself
    assert [v for v, _t in _inbox(users["smm"])] == ["item_moved"]

    with django_capture_on_commit_callbacks(execute=True):
        services.approve(users["smm"], item, "Ок")
    assert [v for v, _t in _inbox(users["expert"])] == ["approval_requested"]

    with django_capture_on_commit_callbacks(execute=True):
        services.request_changes(users["expert"], item, "Добавьте ставку", return_to="copy")
    assert [v for v, _t in _inbox(users["copywriter"])] == ["item_moved", "changes_requested"]
    assert "Добавьте ставку" in _inbox(users["copywriter"])[-1][1]
    assert [v for v, _t in _inbox(users["smm"])] == ["item_moved", "changes_requested"]

    with django_capture_on_commit_callbacks(execute=True):
        services.transition(users["copywriter"], item, "copy")
        services.transition(users["copywriter"], item, "design")
        services.transition(users["smm"], item, "review")
        services.approve(users["smm"], item)
        services.approve(users["expert"], item, "Отлично")
    assert [v for v, _t in _inbox(users["expert"])] == ["approval_requested"] * 2
    assert _inbox(users["smm"])[-1][0] == "approval_decided"
    assert not Notification.objects.filter(user=users["owner"]).exists()


def test_a_refused_move_tells_nobody(world, django_capture_on_commit_callbacks):
    item = make_item(world)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.transition(world.users["smm"], item, "published")
    assert not Notification.objects.exists()


def test_the_text_is_in_the_holder_s_language_and_mail_follows_preferences(
    world, django_capture_on_commit_callbacks
):
    writer = world.users["copywriter"]
    writer.language = "en"
    writer.save()
    notifications.save_preferences(writer, {"item_moved": ["in_app", "email"]})
    item = make_item(world, title="Mortgage")
    with django_capture_on_commit_callbacks(execute=True):
        services.transition(world.users["smm"], item, "copy")
    note = Notification.objects.get(user=writer)
    assert note.text.startswith("Smm handed “Mortgage” over to you")
    assert note.url == reverse("content:item", args=[world.alpha.slug, item.pk])
    assert Delivery.objects.filter(notification=note, channel="email").exists()


def test_moving_through_the_page_notifies(world, login, item, django_capture_on_commit_callbacks):
    client = login(world.users["smm"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            reverse("content:item_move", args=[world.alpha.slug, item.pk]), {"to": "copy"}
        )
    assert answer.status_code == 302
    assert [v for v, _t in _inbox(world.users["copywriter"])] == ["item_moved"]


# --- mentions by name ---------------------------------------------------------------------------


def test_a_mention_by_the_shown_name_or_first_name_reaches_the_person(world, item):
    writer = world.users["copywriter"]
    writer.name = "Елена Соколова"
    writer.save()
    for text in ("@Елена Соколова, проверьте цифры", "@елена, посмотрите", "спасибо, @copywriter!"):
        assert collab.mentioned(world.alpha, text) == [writer], text
    assert collab.mentioned(world.alpha, "@Еленаа и e-mail a@b.ru") == []
    comment = collab.add_comment(world.users["smm"], item, "@Елена Соколова, проверьте цифры")
    assert Notification.objects.get(user=writer, verb="mentioned").key == f"comment:{comment.pk}"


def test_a_shared_first_name_needs_the_full_name(world, item):
    from tests.conftest import make_user
    from zveno.workspaces import services as ws

    twin = make_user("elena2", name="Елена Петрова")
    ws.add_member(world.users["owner"], world.alpha, twin, ["designer"], 10)
    world.users["copywriter"].name = "Елена Соколова"
    world.users["copywriter"].save()
    assert collab.mentioned(world.alpha, "@Елена, привет") == []
    assert collab.mentioned(world.alpha, "@Елена Петрова, привет") == [twin]


def test_the_people_for_the_autocomplete_are_the_project_s_and_only_for_its_members(world, login):
    url = reverse("content:people", args=[world.alpha.slug])
    listed = login(world.users["expert"]).get(url).json()["people"]
    assert {p["username"] for p in listed} == {"owner", "smm", "copywriter", "expert"}
    assert all(p["name"] for p in listed)
    assert login(world.users["outsider"]).get(url).status_code == 404
