"""The inbox: one's own notifications only, read one or all, the unread count in the top bar."""

from __future__ import annotations

from django.urls import reverse

from zveno.notifications import services
from zveno.notifications.models import Notification


def _notes(world):
    owner, smm = world.users["owner"], world.users["smm"]
    services.notify([owner, smm], project=world.alpha, verb="goal_reached", key="goal:1",
                    text="Цель достигнута: Охват ×5", url="/p/alpha/analytics/goals/")  # fmt: skip
    services.notify([owner], project=world.alpha, verb="goal_reached", key="goal:2",
                    text="Цель достигнута: Диалоги ×3")  # fmt: skip
    return {n.key + n.user.username: n for n in Notification.objects.select_related("user")}


def test_notify_is_once_per_person_and_subject(world):
    _notes(world)
    again = services.notify([world.users["owner"]], project=world.alpha, verb="goal_reached",
                            key="goal:1", text="again")  # fmt: skip
    assert again == []
    assert Notification.objects.filter(key="goal:1").count() == 2


def test_the_inbox_lists_only_ones_own(world, login):
    _notes(world)
    client = login(world.users["smm"])
    page = client.get(reverse("notifications:inbox"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Охват ×5" in html
    assert "Диалоги ×3" not in html  # the owner's
    assert 'class="badge ok inbox-count">1<' in html  # the top bar's unread count
    owner_page = login(world.users["owner"]).get(reverse("notifications:inbox")).content.decode()
    assert "Диалоги ×3" in owner_page and 'inbox-count">2<' in owner_page


def test_read_one_and_all(world, login):
    notes = _notes(world)
    client = login(world.users["owner"])
    first = notes["goal:1owner"]
    response = client.post(reverse("notifications:read", args=[first.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/p/alpha/analytics/goals/"
    first.refresh_from_db()
    assert first.read_at is not None
    assert Notification.objects.filter(user=world.users["owner"], read_at__isnull=True).count() == 1
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(user=world.users["owner"], read_at__isnull=True).exists()
    # the SMM's copy of the same subject is untouched
    assert notes["goal:1smm"].__class__.objects.get(pk=notes["goal:1smm"].pk).read_at is None
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert "inbox-count" not in html


def test_anothers_notification_is_404_and_unchanged(world, login):
    notes = _notes(world)
    mine = notes["goal:2owner"]
    for persona in ("smm", "copywriter", "outsider"):
        client = login(world.users[persona])
        response = client.post(reverse("notifications:read", args=[mine.pk]))
        assert response.status_code == 404, persona
        assert response.access_decisions == ["account:self"]
        client.post(reverse("notifications:read_all"))
    mine.refresh_from_db()
    assert mine.read_at is None


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_inbox_has_a_bounded_query_count(world, login, django_assert_max_num_queries):
    for i in range(40):
        services.notify([world.users["owner"]], project=world.alpha, verb="goal_reached",
                        key=f"goal:{i}", text=f"Цель {i}")  # fmt: skip
    client = login(world.users["owner"])
    with django_assert_max_num_queries(15):
        page = client.get(reverse("notifications:inbox"))
    assert page.status_code == 200
    assert page.content.decode().count('class="inbox-item unread"') == 30  # one page
