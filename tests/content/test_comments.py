"""Comments on the item page: @mentions reach the inbox once; deleting is limited."""

from __future__ import annotations

from django.urls import reverse

from tests.content.conftest import make_item
from zveno.content import collab
from zveno.notifications.models import Notification


def test_a_mention_notifies_the_person_once_with_a_link_to_the_comment(world):
    item = make_item(world)
    comment = collab.add_comment(world.users["smm"], item, "@copywriter проверь цифры, @smm тоже")
    notes = Notification.objects.filter(verb="mentioned")
    assert [n.user for n in notes] == [world.users["copywriter"]]  # not the author herself
    assert notes.get().url.endswith(f"/content/{item.pk}/#comment-{comment.pk}")
    collab.edit_comment(world.users["smm"], comment, "@copywriter и @expert, посмотрите")
    assert sorted(n.user.username for n in notes.all()) == ["copywriter", "expert"]


def test_the_author_deletes_her_comment_and_a_copywriter_may_not_delete_others(world, client):
    item = make_item(world)
    comment = collab.add_comment(world.users["expert"], item, "Поменяйте фото")
    address = reverse("content:item_comment_delete", args=(world.alpha.slug, item.pk, comment.pk))
    client.force_login(world.users["copywriter"])
    assert client.post(address).status_code == 403
    assert item.comments.filter(pk=comment.pk).exists()
    client.force_login(world.users["expert"])
    page = client.get(reverse("content:item", args=(world.alpha.slug, item.pk)))
    assert address in page.content.decode()  # the author sees the button
    assert client.post(address).status_code == 302
    assert not item.comments.filter(pk=comment.pk).exists()
