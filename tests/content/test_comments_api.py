"""Comments on content items through the API: who comments, edits and deletes, and @mentions."""

from __future__ import annotations

import pytest

from tests.content.conftest import make_item
from zveno.content import collab
from zveno.content.models import Activity, Comment


@pytest.fixture
def base(world, item):
    return f"/api/v1/projects/alpha/items/{item.pk}/comments"


def test_members_list_and_post_comments_with_mentions(world, item, base, api):
    posted = api(world, "expert").post(base, {"text": "Добавьте цифры, @smm и @copywriter"})
    assert posted.status_code == 201
    data = posted.json()
    assert data["author"] == "Expert" and data["item_id"] == item.pk
    assert sorted(data["mentions"]) == ["copywriter", "smm"]
    listed = api(world, "copywriter").get(base)
    assert listed.status_code == 200
    assert [c["text"] for c in listed.json()] == ["Добавьте цифры, @smm и @copywriter"]
    assert Activity.objects.filter(item=item, verb="commented").count() == 1


def test_an_empty_comment_is_refused(world, base, api):
    refused = api(world, "smm").post(base, {"text": ""})
    assert refused.status_code == 422
    assert set(refused.json()["error"]) == {"code", "message", "fields"}
    assert api(world, "smm").post(base, {"text": "   "}).status_code == 422


def test_the_author_edits_and_mentions_are_recomputed(world, item, base, api):
    comment = collab.add_comment(world.users["copywriter"], item, "Готово, @smm")
    edited = api(world, "copywriter").patch(f"{base}/{comment.pk}", {"text": "Готово, @expert"})
    assert edited.status_code == 200
    assert edited.json()["mentions"] == ["expert"]
    comment.refresh_from_db()
    assert comment.text == "Готово, @expert"
    assert [u.username for u in comment.mentions.all()] == ["expert"]
    activity = Activity.objects.filter(item=item, verb="comment_edited").get()
    assert activity.actor == world.users["copywriter"]
    assert activity.data["comment"] == comment.pk


def test_nobody_else_edits_a_comment(world, item, base, api):
    comment = collab.add_comment(world.users["copywriter"], item, "Мой текст")
    for persona in ("smm", "owner", "expert"):
        refused = api(world, persona).patch(f"{base}/{comment.pk}", {"text": "Чужая правка"})
        assert refused.status_code == 422, persona
        assert "только его автор" in refused.json()["error"]["message"]  # Russian, the default
    comment.refresh_from_db()
    assert comment.text == "Мой текст"


def test_the_author_deletes_their_own_comment(world, item, base, api):
    comment = collab.add_comment(world.users["expert"], item, "Передумал")
    assert api(world, "expert").delete(f"{base}/{comment.pk}").status_code == 204
    assert not Comment.objects.filter(pk=comment.pk).exists()
    assert Activity.objects.filter(item=item, verb="comment_deleted").count() == 1


def test_smm_deletes_any_comment_the_copywriter_and_expert_do_not(world, item, base, api):
    comment = collab.add_comment(world.users["owner"], item, "Лишнее")
    for persona in ("copywriter", "expert"):
        refused = api(world, persona).delete(f"{base}/{comment.pk}")
        assert refused.status_code == 403, persona
        assert refused.json()["error"]["code"] == "forbidden"
    assert Comment.objects.filter(pk=comment.pk).exists()
    assert api(world, "smm").delete(f"{base}/{comment.pk}").status_code == 204
    assert not Comment.objects.filter(pk=comment.pk).exists()


def test_other_projects_see_nothing(world, item, base, api):
    comment = collab.add_comment(world.users["smm"], item, "Секрет")
    assert api(world, "other_expert").get(base).status_code == 404
    assert api(world, "other_expert").post(base, {"text": "Привет"}).status_code == 404
    assert api(world, "outsider").delete(f"{base}/{comment.pk}").status_code == 404
    assert Comment.objects.filter(pk=comment.pk).exists()


def test_a_comment_is_reached_only_through_its_own_item(world, item, api):
    other = make_item(world, title="Другой пост")
    comment = collab.add_comment(world.users["smm"], item, "Про первый")
    wrong = f"/api/v1/projects/alpha/items/{other.pk}/comments/{comment.pk}"
    assert api(world, "smm").patch(wrong, {"text": "Взлом"}).status_code == 404
    assert api(world, "smm").delete(wrong).status_code == 404


def test_list_queries_do_not_grow_with_comments(
    world, item, base, api, django_assert_max_num_queries
):
    for n in range(20):
        collab.add_comment(world.users["smm"], item, f"Комментарий {n} @copywriter")
    with django_assert_max_num_queries(12):
        assert len(api(world, "smm").get(base).json()) == 20


def test_the_api_answers_in_the_token_users_language(world, client):
    from tests.content.conftest import make_item

    item = make_item(world)
    world.users["smm"].language = "en"
    world.users["smm"].save()
    url = f"/api/v1/projects/alpha/items/{item.pk}/comments"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['smm']}"}
    response = client.post(url, {"text": ""}, content_type="application/json", **auth)
    assert response.status_code == 422
    assert "Write a comment first" in response.json()["error"]["message"]
