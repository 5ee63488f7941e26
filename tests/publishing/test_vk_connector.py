"""The VK connector against the local VK API: every outcome, every fault, uploads, edits, figures.

The fake keeps its own clock (`advance`), so the per-second limit and the growth of figures are
driven by the test, never by the day it runs.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from tests.fakes.fixtures import VK_GROUP, VK_TOKEN
from zveno.publishing.clients.vk import VkClient
from zveno.publishing.connectors.base import MediaFile, OutcomeKind, Post, connector_for
from zveno.publishing.connectors.vk import VkConnector, group_id

vk = VkConnector()
K = OutcomeKind
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def photo(name="a.png", size=None, content_type="image/png", data=PNG) -> MediaFile:
    return MediaFile(name, content_type, size if size is not None else len(data), "photo",
                     lambda: data)  # fmt: skip


def video(name="clip.mp4", data=b"\x00\x00\x00\x18ftypmp42" + bytes(100)) -> MediaFile:
    return MediaFile(name, "video/mp4", len(data), "video", lambda: data)


def when(fake) -> dt.datetime:
    return dt.datetime.fromtimestamp(fake.now(), dt.UTC)


def settle(fake):
    """A second passes on the fake's clock: the per-second limit starts afresh."""
    fake.advance(1.1)


# --- registration, handles, validation --------------------------------------------------------


def test_the_connector_is_registered_for_vk():
    assert isinstance(connector_for("vk"), VkConnector)
    assert connector_for("vk").can_read_back


@pytest.mark.parametrize(
    ("handle", "expected"),
    [("-123", 123), ("123", 123), ("club123", 123), ("public123", 123),
     ("https://vk.com/club123", 123), ("vk.com/public123/", 123), ("mycommunity", None)],
)  # fmt: skip
def test_community_ids_from_handles(handle, expected):
    assert group_id(handle) == expected


def test_validate_accepts_a_plain_post_and_an_album():
    album = [photo(), photo("b.jpg", content_type="image/jpeg"), video()]
    assert vk.validate(Post("Привет", media=album)) == []


def test_validate_names_every_problem():
    media = [photo()] * 9 + [photo("big.png", size=51 * 2**20)]
    media.append(photo("scan.tiff", content_type="image/tiff"))
    codes = {p.code for p in vk.validate(Post("x" * 16385, media=media, is_ad=True))}
    assert codes == {"text_too_long", "too_many_media", "media_too_large", "unsupported_media",
                     "missing_erid"}  # fmt: skip
    assert [p.code for p in vk.validate(Post("  "))] == ["empty"]
    doc = MediaFile("a.pdf", "application/pdf", 10, "document", lambda: b"")
    assert [p.code for p in vk.validate(Post("t", media=[doc]))] == ["unsupported_media"]
    assert vk.validate(Post("Реклама", is_ad=True, erid="2VtzqvVH1bm")) == []


def test_validation_messages_are_russian_in_russian():
    from django.utils import translation

    with translation.override("ru"):
        (problem,) = vk.validate(Post("ad", is_ad=True))
    assert "erid" in problem.message and "рекламн" in problem.message.lower()


# --- publishing -------------------------------------------------------------------------------


def test_a_text_post_goes_on_the_community_wall_from_the_community(fake_vk):
    outcome = vk.publish(fake_vk.target(), Post("Первый пост", guid="pub-1"))
    assert outcome.kind is K.PUBLISHED, outcome
    (post,) = fake_vk.posts(VK_GROUP)
    assert outcome.external_id == f"-{VK_GROUP}_{post['id']}"
    assert outcome.url == f"https://vk.com/wall-{VK_GROUP}_{post['id']}"
    assert (post["text"], post["guid"], post["from_id"]) == ("Первый пост", "pub-1", -VK_GROUP)
    assert fake_vk.accepted[VK_GROUP] == 1


def test_the_same_guid_is_one_post(fake_vk):
    first = vk.publish(fake_vk.target(), Post("Один раз", guid="pub-7"))
    settle(fake_vk)
    again = vk.publish(fake_vk.target(), Post("Один раз", guid="pub-7"))
    assert again.external_id == first.external_id
    assert fake_vk.accepted[VK_GROUP] == 1 and len(fake_vk.posts(VK_GROUP)) == 1


def test_an_ad_carries_its_erid_and_the_ads_mark(fake_vk):
    outcome = vk.publish(fake_vk.target(), Post("Скидки", is_ad=True, erid="2VtzqvVH1bm"))
    assert outcome.ok
    (post,) = fake_vk.posts(VK_GROUP)
    assert "erid: 2VtzqvVH1bm" in post["text"] and post["marked_as_ads"]


def test_an_album_of_photos_and_a_video_arrive_in_one_post(fake_vk):
    media = [photo("1.png"), photo("2.png"), photo("3.png"), video()]
    outcome = vk.publish(fake_vk.target(), Post("Альбом", media=media, guid="album"))
    assert outcome.ok, outcome
    (post,) = fake_vk.posts(VK_GROUP)
    kinds = [a.rstrip("0123456789_-") for a in post["attachments"]]
    assert kinds == ["photo", "photo", "photo", "video"]
    assert [fake_vk.photos[a]["name"] for a in post["attachments"][:3]] == ["1.png", "2.png",
                                                                            "3.png"]  # fmt: skip
    assert fake_vk.videos[post["attachments"][3]]["size"] == len(media[3].read())
    # One upload server for the photos, one save per photo, one video.save, one wall.post.
    assert fake_vk.calls["photos.getWallUploadServer"] == 1
    assert fake_vk.calls["photos.saveWallPhoto"] == 3
    assert fake_vk.calls["video.save"] == 1 and fake_vk.calls["wall.post"] == 1


def test_a_community_by_its_short_name_is_resolved(fake_vk):
    target = fake_vk.target()
    target = type(target)("club123", target.credentials, target.base_url, target.timeout)
    assert vk.publish(target, Post("По имени")).ok


# --- faults -----------------------------------------------------------------------------------


def test_no_answer_in_time_is_unknown_and_reconciles_to_published(fake_vk):
    fake_vk.delay(1.5)
    sent = when(fake_vk)
    outcome = vk.publish(fake_vk.target(timeout=0.5), Post("Медленно", guid="slow"))
    assert outcome.kind is K.UNKNOWN
    fake_vk.advance(2)  # the fake finishes the post after its delay
    deadline = dt.datetime.now() + dt.timedelta(seconds=5)
    while not fake_vk.posts(VK_GROUP) and dt.datetime.now() < deadline:
        pass
    found = vk.find(fake_vk.target(), Post("Медленно", guid="slow"), sent)
    assert found.kind is K.PUBLISHED
    assert found.external_id == f"-{VK_GROUP}_{fake_vk.posts(VK_GROUP)[0]['id']}"


def test_a_dropped_answer_after_the_post_is_unknown_then_found_exactly_once(fake_vk):
    fake_vk.drop_after_accept()
    sent = when(fake_vk)
    post = Post("Связь оборвалась", guid="drop-1")
    assert vk.publish(fake_vk.target(), post).kind is K.UNKNOWN
    assert fake_vk.accepted[VK_GROUP] == 1
    settle(fake_vk)
    found = vk.find(fake_vk.target(), post, sent)
    assert found.kind is K.PUBLISHED
    assert found.url == f"https://vk.com/wall-{VK_GROUP}_{fake_vk.posts(VK_GROUP)[0]['id']}"
    assert fake_vk.accepted[VK_GROUP] == 1


def test_find_says_not_found_when_the_wall_has_no_such_post(fake_vk):
    fake_vk.add_post(VK_GROUP, "Другой текст")
    sent = when(fake_vk)
    assert vk.find(fake_vk.target(), Post("Наш текст"), sent).kind is K.NOT_FOUND
    settle(fake_vk)
    old = Post("Старый пост")
    fake_vk.add_post(VK_GROUP, "Старый пост", date=fake_vk.now() - 86400)
    assert vk.find(fake_vk.target(), old, when(fake_vk)).kind is K.NOT_FOUND  # older than sent


def test_a_5xx_is_transient_and_posts_nothing(fake_vk):
    fake_vk.fail(502)
    outcome = vk.publish(fake_vk.target(), Post("Пост"))
    assert outcome.kind is K.TRANSIENT and outcome.status_code == 502
    assert fake_vk.accepted[VK_GROUP] == 0


def test_a_refused_connection_is_transient():
    from zveno.publishing.connectors.base import Target

    target = Target("-123", {"access_token": "t"}, "http://127.0.0.1:9/method", timeout=1)
    assert vk.publish(target, Post("Пост")).kind is K.TRANSIENT


def test_over_three_requests_a_second_is_rate_limited_for_one_second(fake_vk):
    fake_vk.freeze()  # the four requests fall in one second of the fake, however slow we are
    with VkClient(VK_TOKEN, fake_vk.url, min_interval=0) as client:
        for _ in range(3):
            client.call("wall.get", owner_id=-VK_GROUP)
    outcome = vk.publish(fake_vk.target(), Post("Четвёртый запрос"))
    assert (outcome.kind, outcome.retry_after) == (K.RATE_LIMITED, 1.0)
    assert fake_vk.accepted[VK_GROUP] == 0
    settle(fake_vk)
    assert vk.publish(fake_vk.target(), Post("Через секунду")).ok


def test_a_revoked_token_is_auth_lost(fake_vk):
    fake_vk.revoke(VK_TOKEN)
    outcome = vk.publish(fake_vk.target(), Post("Пост"))
    assert outcome.kind is K.AUTH_LOST
    assert "5" in outcome.detail and VK_TOKEN not in outcome.detail + outcome.reason


def test_a_token_of_someone_who_does_not_manage_the_community_is_auth_lost(fake_vk):
    fake_vk.add_token("stranger", user_id=9, manages={})
    outcome = vk.publish(fake_vk.target(token="stranger"), Post("Пост"))
    assert outcome.kind is K.AUTH_LOST and "15" in outcome.detail


@pytest.mark.parametrize(
    ("code", "message", "kind", "retry_after"),
    [
        (9, "Flood control", K.RATE_LIMITED, 60.0),
        (10, "Internal server error", K.TRANSIENT, None),
        (1, "Unknown error occurred", K.TRANSIENT, None),
        (15, "Access denied", K.AUTH_LOST, None),
        (203, "Access to group denied", K.AUTH_LOST, None),
        (214, "Access to adding post denied: access to the wall is closed", K.AUTH_LOST, None),
        (219, "Advertisement post was recently added", K.REJECTED, None),
        (100, "One of the parameters specified was missing or invalid: message", K.REJECTED, None),
        (210, "Access to wall's post denied", K.REJECTED, None),
    ],
)
def test_vk_errors_in_the_one_vocabulary(fake_vk, code, message, kind, retry_after):
    fake_vk.fail_next(code, "wall.post", message=message)
    outcome = vk.publish(fake_vk.target(), Post("Пост"))
    assert (outcome.kind, outcome.retry_after) == (kind, retry_after)
    assert str(code) in outcome.detail and outcome.reason
    assert fake_vk.accepted[VK_GROUP] == 0


def test_fifty_posts_a_day_then_the_post_waits_for_the_next_day(fake_vk):
    for n in range(50):
        assert vk.publish(fake_vk.target(), Post(f"Пост {n}")).ok
        fake_vk.advance(0.4)
    outcome = vk.publish(fake_vk.target(), Post("Пятьдесят первый"))
    assert outcome.kind is K.RATE_LIMITED and outcome.retry_after >= 60
    assert fake_vk.accepted[VK_GROUP] == 50
    fake_vk.advance(days=1)
    assert vk.publish(fake_vk.target(), Post("Завтра")).ok


def test_reasons_are_russian_in_russian(fake_vk):
    from django.utils import translation

    fake_vk.revoke(VK_TOKEN)
    with translation.override("ru"):
        outcome = vk.publish(fake_vk.target(), Post("Пост"))
    assert "токен" in outcome.reason.lower()


def test_a_refused_photo_upload_is_rejected_and_nothing_is_posted(fake_vk):
    fake_vk.fail_next(129, "photos.saveWallPhoto", message="Invalid photo")
    outcome = vk.publish(fake_vk.target(), Post("Фото", media=[photo()]))
    assert outcome.kind is K.REJECTED
    assert fake_vk.posts(VK_GROUP) == []


# --- edit and delete --------------------------------------------------------------------------


def test_edit_and_delete_change_the_post_on_the_wall(fake_vk):
    published = vk.publish(fake_vk.target(), Post("Было", media=[photo()]))
    settle(fake_vk)
    edited = vk.edit(fake_vk.target(), published.external_id, Post("Стало"))
    assert edited.ok and edited.external_id == published.external_id
    (post,) = fake_vk.posts(VK_GROUP)
    assert (post["text"], post["attachments"], bool(post["edited"])) == ("Стало", [], True)
    settle(fake_vk)
    assert vk.delete(fake_vk.target(), published.external_id).ok
    assert fake_vk.posts(VK_GROUP) == []
    settle(fake_vk)
    assert vk.delete(fake_vk.target(), published.external_id).kind is K.NOT_FOUND
    settle(fake_vk)
    assert vk.edit(fake_vk.target(), published.external_id, Post("x")).kind is K.REJECTED


# --- the connection test ----------------------------------------------------------------------


def test_the_connection_test_reads_the_community_and_the_rights(fake_vk):
    outcome = vk.test(fake_vk.target())
    assert outcome.kind is K.PUBLISHED, outcome
    assert outcome.data["title"] == "Альфа ВК" and outcome.data["members"] == 1000
    assert outcome.data["admin_level"] == 3 and outcome.data["missing_scopes"] == []


def test_the_connection_test_names_missing_scopes_and_a_moderator(fake_vk):
    fake_vk.add_token("no-stats", manages={VK_GROUP: 2}, scopes=("wall", "photos", "groups"))
    outcome = vk.test(fake_vk.target(token="no-stats"))
    assert outcome.kind is K.AUTH_LOST
    assert outcome.data["missing_scopes"] == ["video", "stats", "offline"]
    assert "stats" in outcome.reason
    fake_vk.add_token("moderator", manages={VK_GROUP: 1})
    settle(fake_vk)
    assert vk.test(fake_vk.target(token="moderator")).kind is K.AUTH_LOST
    fake_vk.revoke(VK_TOKEN)
    settle(fake_vk)
    assert vk.test(fake_vk.target()).kind is K.AUTH_LOST


# --- figures ----------------------------------------------------------------------------------


def test_metrics_come_in_the_fewest_requests_and_grow_with_time(fake_vk):
    start = fake_vk.now()
    ids = [f"-{VK_GROUP}_{fake_vk.add_post(VK_GROUP, f'Пост {n}', date=start)['id']}"
           for n in range(130)]  # fmt: skip
    fake_vk.advance(days=1)
    before = len(fake_vk.requests)
    collected = vk.collect_post_metrics(fake_vk.target(), ids)
    minimum = math.ceil(130 / 100) + math.ceil(130 / 30)
    assert collected.requests == minimum == len(fake_vk.requests) - before == 7
    assert collected.problem is None and set(collected.metrics) == set(ids)
    first = collected.metrics[ids[0]]
    assert set(first) == {"views", "likes", "comments", "reposts", "reach_total",
                          "reach_subscribers", "reach_viral", "reach_ads", "links", "to_group",
                          "join_group", "hide", "unsubscribe"}  # fmt: skip
    fake_vk.advance(days=6)
    later = vk.fetch_post_metrics(fake_vk.target(), ids[:1])[ids[0]]
    assert later["views"] > first["views"] > 0 and later["reach_total"] > first["reach_total"]


def test_metrics_wait_out_the_per_second_limit(fake_vk):
    post = fake_vk.add_post(VK_GROUP, "Пост")
    fake_vk.set_counters(VK_GROUP, post["id"], views=1500, likes=10, reach_total=900)
    fake_vk.fail_next(6, "stats.getPostReach")
    collected = vk.collect_post_metrics(fake_vk.target(), [f"-{VK_GROUP}_{post['id']}"])
    figures = collected.metrics[f"-{VK_GROUP}_{post['id']}"]
    assert (figures["views"], figures["likes"], figures["reach_total"]) == (1500, 10, 900)
    assert collected.waits == 1.0 and collected.requests == 3


def test_without_the_stats_scope_counters_still_come(fake_vk):
    fake_vk.add_token("no-stats", manages={VK_GROUP: 3}, scopes=("wall", "photos", "groups"))
    post = fake_vk.add_post(VK_GROUP, "Пост")
    key = f"-{VK_GROUP}_{post['id']}"
    collected = vk.collect_post_metrics(fake_vk.target(token="no-stats"), [key])
    assert "views" in collected.metrics[key] and "reach_total" not in collected.metrics[key]
    assert collected.problem.kind is K.AUTH_LOST


def test_a_revoked_token_gives_no_figures_and_says_why(fake_vk):
    fake_vk.revoke(VK_TOKEN)
    collected = vk.collect_post_metrics(fake_vk.target(), [f"-{VK_GROUP}_1"])
    assert collected.metrics == {} and collected.problem.kind is K.AUTH_LOST


def test_a_channel_day_has_followers_reach_and_visitors(fake_vk):
    fake_vk.advance(days=3)
    day = (dt.datetime.fromtimestamp(fake_vk.now(), dt.UTC) + dt.timedelta(hours=3)).date()
    day -= dt.timedelta(days=1)
    figures = vk.fetch_channel_day(fake_vk.target(), day)
    assert figures["followers"] == fake_vk.members(VK_GROUP) == 1015
    assert {"reach", "reach_subscribers", "visitors", "views", "subscribed", "unsubscribed"} <= set(
        figures
    )


def test_a_channel_day_without_the_stats_right_keeps_followers_and_says_why(fake_vk):
    fake_vk.add_token("no-stats", manages={VK_GROUP: 3}, scopes=("wall", "photos", "groups"))
    day = (dt.datetime.fromtimestamp(fake_vk.now(), dt.UTC) + dt.timedelta(hours=3)).date()
    collected = vk.collect_channel_day(fake_vk.target(token="no-stats"), day)
    assert collected.metrics == {"followers": 1000}
    assert collected.problem.kind is K.AUTH_LOST and "15" in collected.problem.detail


def test_posts_made_by_hand_on_the_wall_are_listed_since_a_moment(fake_vk):
    since = when(fake_vk)
    fake_vk.add_post(VK_GROUP, "Вчерашний", date=fake_vk.now() - 86400)
    fake_vk.advance(60)
    hand = fake_vk.add_post(VK_GROUP, "Руками в ВК")
    posts = vk.recent_posts(fake_vk.target(), since)
    assert [(p["external_id"], p["text"]) for p in posts] == [
        (f"-{VK_GROUP}_{hand['id']}", "Руками в ВК")
    ]
    assert posts[0]["url"] == f"https://vk.com/wall-{VK_GROUP}_{hand['id']}"
