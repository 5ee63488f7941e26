"""The MAX connector against the local MAX Bot API: every outcome, the three-step upload, edits,
deletes, reconciliation by reading the channel back, the connection test and the figures."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fakes.fixtures import MAX_CHANNEL, MAX_TOKEN
from zveno.publishing.connectors import max as max_module
from zveno.publishing.connectors.base import MediaFile, OutcomeKind, Post, Target, connector_for
from zveno.publishing.connectors.max import MaxConnector, chat_id

mx = MaxConnector()
K = OutcomeKind
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def photo(name="a.png", size=None, content_type="image/png", data=PNG) -> MediaFile:
    return MediaFile(name, content_type, size if size is not None else len(data), "photo",
                     lambda: data)  # fmt: skip


def video(name="clip.mp4", data=b"\x00\x00\x00\x18ftypmp42" + bytes(100), size=None,
          content_type="video/mp4") -> MediaFile:  # fmt: skip
    return MediaFile(name, content_type, size or len(data), "video", lambda: data)


def document(name="price.pdf", data=b"%PDF-1.4" + bytes(50)) -> MediaFile:
    return MediaFile(name, "application/pdf", len(data), "document", lambda: data)


def when(fake) -> dt.datetime:
    return dt.datetime.fromtimestamp(fake.now(), dt.UTC)


def posts(fake):
    return fake.posts(MAX_CHANNEL)


# --- registration, handles, validation --------------------------------------------------------


def test_the_connector_is_registered_for_max():
    assert isinstance(connector_for("max"), MaxConnector)
    assert connector_for("max").can_read_back


@pytest.mark.parametrize(
    ("handle", "expected"),
    [("-70000000001", -70000000001), ("70000000001", -70000000001), (" -5 ", -5),
     ("@alpha", None), ("https://max.ru/alpha", None)],
)  # fmt: skip
def test_chat_ids_from_handles(handle, expected):
    assert chat_id(handle) == expected


def test_validate_accepts_text_images_video_and_a_file_alone():
    assert mx.validate(Post("x" * 4000)) == []
    assert mx.validate(Post("альбом", media=[photo(), photo("b.jpg", content_type="image/jpeg"),
                                             video()])) == []  # fmt: skip
    assert mx.validate(Post("прайс", media=[document()])) == []


def test_validate_names_every_problem():
    assert [p.code for p in mx.validate(Post("x" * 4001))] == ["text_too_long"]
    assert [p.code for p in mx.validate(Post(""))] == ["empty"]
    assert [p.code for p in mx.validate(Post("t", media=[photo()] * 11))] == ["too_many_media"]
    assert [p.code for p in mx.validate(Post("t", media=[photo(), document()]))] == [
        "album_mixed_types"
    ]
    webp = photo("a.webp", content_type="image/webp")
    assert [p.code for p in mx.validate(Post("t", media=[webp]))] == ["unsupported_media"]
    avi = video("a.avi", content_type="video/x-msvideo")
    assert [p.code for p in mx.validate(Post("t", media=[avi]))] == ["unsupported_media"]
    big = video(size=251 * 2**20)
    (problem,) = mx.validate(Post("t", media=[big]))
    assert problem.code == "media_too_large" and "250" in problem.message
    assert [p.code for p in mx.validate(Post("Реклама", is_ad=True))] == ["missing_erid"]


def test_validation_messages_are_russian_in_russian():
    from django.utils import translation

    with translation.override("ru"):
        (problem,) = mx.validate(Post("x" * 4001))
    assert "4000" in problem.message and "символ" in problem.message


# --- publishing -------------------------------------------------------------------------------


def test_a_text_post_goes_to_the_channel_with_the_bare_token(fake_max, max_target):
    outcome = mx.publish(max_target, Post("Первый пост"))
    assert outcome.kind is K.PUBLISHED, outcome
    (message,) = posts(fake_max)
    assert outcome.external_id == message["body"]["mid"]
    assert outcome.url == message["url"] and outcome.url.startswith("https://max.ru/alpha_max/")
    assert message["body"]["text"] == "Первый пост" and message["sender"] is None
    assert fake_max.accepted[MAX_CHANNEL] == 1
    (sent,) = [r for r in fake_max.requests if r.path == "/messages"]
    assert sent.header("Authorization") == MAX_TOKEN and sent.query["chat_id"] == str(MAX_CHANNEL)
    assert sent.json()["notify"] is True


def test_an_ad_carries_its_erid(fake_max, max_target):
    assert mx.publish(max_target, Post("Скидки", is_ad=True, erid="2VtzqvVH1bm")).ok
    assert posts(fake_max)[0]["body"]["text"].endswith("Реклама. erid: 2VtzqvVH1bm")


def test_images_a_video_and_a_file_go_through_the_three_step_upload(fake_max, max_target):
    outcome = mx.publish(max_target, Post("Альбом", media=[photo("1.png"), photo("2.png"),
                                                            video()]))  # fmt: skip
    assert outcome.ok, outcome
    (message,) = posts(fake_max)
    kinds = [a["type"] for a in message["body"]["attachments"]]
    assert kinds == ["image", "image", "video"]
    tokens = [a["payload"]["token"] for a in message["body"]["attachments"]]
    assert [fake_max.uploads[t]["name"] for t in tokens] == ["1.png", "2.png", "clip.mp4"]
    assert fake_max.calls["POST /uploads"] == 3 and fake_max.calls["POST /messages"] == 1
    assert mx.publish(max_target, Post("Прайс", media=[document()])).ok
    file_attachment = posts(fake_max)[1]["body"]["attachments"][0]
    assert file_attachment["type"] == "file"
    assert fake_max.uploads[file_attachment["payload"]["token"]]["size"] == len(document().read())


def test_a_video_still_processed_is_sent_again_after_a_pause(fake_max, max_target, monkeypatch):
    monkeypatch.setattr(max_module, "NOT_READY_PAUSES", (0.01, 0.01, 0.01))
    fake_max.video_processing = 2
    outcome = mx.publish(max_target, Post("Видео", media=[video()]))
    assert outcome.ok, outcome
    assert fake_max.calls["POST /messages"] == 3 and fake_max.accepted[MAX_CHANNEL] == 1
    fake_max.video_processing = 10
    outcome = mx.publish(max_target, Post("Долго", media=[video()]))
    assert outcome.kind is K.TRANSIENT and "attachment.not.ready" in outcome.detail
    assert fake_max.accepted[MAX_CHANNEL] == 1


# --- faults -----------------------------------------------------------------------------------


def test_no_answer_in_time_is_unknown_and_reconciles_to_published(fake_max):
    fake_max.delay(1.5)
    sent = when(fake_max)
    slow = fake_max.target(MAX_CHANNEL, MAX_TOKEN, timeout=0.5)
    assert mx.publish(slow, Post("Медленно")).kind is K.UNKNOWN
    deadline = dt.datetime.now() + dt.timedelta(seconds=5)
    while not posts(fake_max) and dt.datetime.now() < deadline:
        pass
    found = mx.find(fake_max.target(MAX_CHANNEL, MAX_TOKEN), Post("Медленно"), sent)
    assert found.kind is K.PUBLISHED and found.external_id == posts(fake_max)[0]["body"]["mid"]


def test_a_dropped_answer_is_unknown_then_found_exactly_once(fake_max, max_target):
    fake_max.drop_after_accept()
    sent = when(fake_max)
    post = Post("Связь оборвалась")
    assert mx.publish(max_target, post).kind is K.UNKNOWN
    assert fake_max.accepted[MAX_CHANNEL] == 1
    found = mx.find(max_target, post, sent)
    assert found.kind is K.PUBLISHED and found.url == posts(fake_max)[0]["url"]
    assert fake_max.accepted[MAX_CHANNEL] == 1


def test_a_post_without_text_is_matched_by_its_attachments(fake_max, max_target):
    sent = when(fake_max)
    pictures = Post("", media=[photo(), photo("b.png")])
    assert mx.find(max_target, pictures, sent).kind is K.NOT_FOUND
    published = mx.publish(max_target, pictures)
    assert mx.find(max_target, pictures, sent).external_id == published.external_id
    assert mx.find(max_target, Post("", media=[photo()]), sent).kind is K.NOT_FOUND


def test_a_dropped_upload_is_transient_and_nothing_is_posted(fake_max, max_target):
    fake_max.drop_after_accept()  # the first request: POST /uploads
    outcome = mx.publish(max_target, Post("Фото", media=[photo()]))
    assert outcome.kind is K.TRANSIENT and posts(fake_max) == []


def test_find_says_not_found_and_reads_only_since_the_attempt(fake_max, max_target):
    fake_max.add_post(MAX_CHANNEL, "Старый пост", date=fake_max.now() - 86400)
    fake_max.add_post(MAX_CHANNEL, "Другой текст")
    assert mx.find(max_target, Post("Наш текст"), when(fake_max)).kind is K.NOT_FOUND
    assert mx.find(max_target, Post("Старый пост"), when(fake_max)).kind is K.NOT_FOUND


def test_find_pages_back_through_a_busy_channel(fake_max, max_target):
    sent = when(fake_max)
    fake_max.add_post(MAX_CHANNEL, "Наш пост", date=fake_max.now() + 1)
    for n in range(150):
        fake_max.add_post(MAX_CHANNEL, f"Шум {n}", date=fake_max.now() + 2 + n)
    found = mx.find(max_target, Post("Наш пост"), sent)
    assert found.kind is K.PUBLISHED and fake_max.calls["GET /messages"] == 2


def test_a_5xx_is_transient_and_posts_nothing(fake_max, max_target):
    fake_max.fail(503)
    outcome = mx.publish(max_target, Post("Пост"))
    assert outcome.kind is K.TRANSIENT and outcome.status_code == 503
    assert fake_max.accepted[MAX_CHANNEL] == 0


def test_a_refused_connection_is_transient():
    target = Target("-1", {"bot_token": "t"}, "http://127.0.0.1:9", timeout=1)
    assert mx.publish(target, Post("Пост")).kind is K.TRANSIENT


def test_over_thirty_requests_a_second_is_rate_limited(fake_max, max_target):
    fake_max.freeze()
    for n in range(30):
        assert mx.publish(max_target, Post(f"Пост {n}")).ok
    outcome = mx.publish(max_target, Post("Тридцать первый"))
    assert (outcome.kind, outcome.retry_after, outcome.status_code) == (K.RATE_LIMITED, 1.0, 429)
    fake_max.advance(1.1)
    assert mx.publish(max_target, Post("Через секунду")).ok
    assert fake_max.accepted[MAX_CHANNEL] == 31


def test_a_revoked_token_is_auth_lost_and_never_shown(fake_max, max_target):
    fake_max.revoke(MAX_TOKEN)
    outcome = mx.publish(max_target, Post("Пост"))
    assert outcome.kind is K.AUTH_LOST and outcome.status_code == 401
    assert MAX_TOKEN not in outcome.detail + outcome.reason


def test_a_removed_bot_is_auth_lost_and_the_chat_says_removed(fake_max, max_target):
    assert mx.publish(max_target, Post("До")).ok
    fake_max.remove_bot(MAX_CHANNEL, MAX_TOKEN)
    outcome = mx.publish(max_target, Post("После"))
    assert outcome.kind is K.AUTH_LOST and "chat.denied" in outcome.detail
    tested = mx.test(max_target)
    assert tested.kind is K.AUTH_LOST and tested.data["status"] == "removed"


def test_a_bot_without_write_is_auth_lost(fake_max, max_target):
    fake_max.set_permissions(MAX_CHANNEL, MAX_TOKEN, "view_stats")
    assert mx.publish(max_target, Post("Пост")).kind is K.AUTH_LOST
    tested = mx.test(max_target)
    assert tested.kind is K.AUTH_LOST and tested.data["permissions"] == ["view_stats"]


def test_an_unknown_chat_and_a_handle_that_is_not_a_chat_id_are_auth_lost(fake_max):
    assert mx.publish(fake_max.target(-1, MAX_TOKEN), Post("Пост")).kind is K.AUTH_LOST
    wrong = Target("@alpha", {"bot_token": MAX_TOKEN}, fake_max.url)
    outcome = mx.publish(wrong, Post("Пост"))
    assert outcome.kind is K.AUTH_LOST and "@alpha" in outcome.reason


def test_content_too_long_is_rejected_with_a_reason(fake_max, max_target):
    outcome = mx.publish(max_target, Post("x" * 4001))
    assert outcome.kind is K.REJECTED and outcome.status_code == 400 and "4000" in outcome.reason
    assert fake_max.accepted[MAX_CHANNEL] == 0


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [(400, "proto.payload", K.REJECTED), (405, "method.not.allowed", K.REJECTED),
     (500, "internal.error", K.TRANSIENT), (403, "chat.denied", K.AUTH_LOST),
     (429, "too.many.requests", K.RATE_LIMITED)],
)  # fmt: skip
def test_max_errors_in_the_one_vocabulary(fake_max, max_target, status, code, kind):
    fake_max.fail_next(status, code, path="POST /messages")
    outcome = mx.publish(max_target, Post("Пост"))
    assert (outcome.kind, outcome.status_code) == (kind, status)
    assert code in outcome.detail and outcome.reason
    assert fake_max.accepted[MAX_CHANNEL] == 0


def test_reasons_are_russian_in_russian(fake_max, max_target):
    from django.utils import translation

    fake_max.revoke(MAX_TOKEN)
    with translation.override("ru"):
        assert "токен" in mx.publish(max_target, Post("Пост")).reason.lower()


# --- edit and delete --------------------------------------------------------------------------


def test_edit_and_delete_change_the_post_in_the_channel(fake_max, max_target):
    published = mx.publish(max_target, Post("Было", media=[photo()]))
    edited = mx.edit(max_target, published.external_id, Post("Стало", media=[photo("new.png")]))
    assert edited.ok and edited.external_id == published.external_id
    (message,) = posts(fake_max)
    assert message["body"]["text"] == "Стало"
    (attachment,) = message["body"]["attachments"]
    assert fake_max.uploads[attachment["payload"]["token"]]["name"] == "new.png"
    assert mx.edit(max_target, published.external_id, Post("Без фото")).ok
    assert posts(fake_max)[0]["body"]["attachments"] is None
    assert mx.delete(max_target, published.external_id).ok
    assert posts(fake_max) == []
    assert mx.delete(max_target, published.external_id).kind is K.NOT_FOUND
    assert mx.edit(max_target, published.external_id, Post("x")).kind is K.NOT_FOUND


# --- the connection test ----------------------------------------------------------------------


def test_the_connection_test_reads_the_bot_the_chat_and_the_rights(fake_max, max_target):
    outcome = mx.test(max_target)
    assert outcome.kind is K.PUBLISHED, outcome
    assert outcome.data["title"] == "Альфа MAX" and outcome.data["members"] == 700
    assert outcome.data["status"] == "active" and outcome.data["is_admin"]
    assert "write" in outcome.data["permissions"] and outcome.data["bot"] == "zveno_bot"
    assert outcome.url == "https://max.ru/alpha_max"
    fake_max.revoke(MAX_TOKEN)
    assert mx.test(max_target).kind is K.AUTH_LOST


# --- figures ----------------------------------------------------------------------------------


def test_views_grow_with_time_and_come_a_hundred_a_call(fake_max, max_target):
    start = fake_max.now()
    mids = [fake_max.add_post(MAX_CHANNEL, f"Пост {n}", date=start)["body"]["mid"]
            for n in range(130)]  # fmt: skip
    fake_max.advance(days=1)
    collected = mx.collect_post_metrics(max_target, mids)
    assert collected.problem is None and collected.requests == 2
    assert set(collected.metrics) == set(mids)
    first = collected.metrics[mids[0]]["views"]
    assert first > 0
    fake_max.advance(days=5)
    assert mx.fetch_post_metrics(max_target, mids[:1])[mids[0]]["views"] > first
    fake_max.set_views(mids[1], 4242)
    assert mx.fetch_post_metrics(max_target, [mids[1]]) == {mids[1]: {"views": 4242}}


def test_a_channel_day_has_the_participants(fake_max, max_target):
    today = when(fake_max).date()
    assert mx.fetch_channel_day(max_target, today) == {"followers": 700}
    fake_max.advance(days=3)
    assert mx.fetch_channel_day(max_target, today) == {"followers": 712}
    fake_max.revoke(MAX_TOKEN)
    collected = mx.collect_channel_day(max_target, today)
    assert collected.metrics == {} and collected.problem.kind is K.AUTH_LOST


def test_posts_made_by_hand_are_listed_since_a_moment(fake_max, max_target):
    since = when(fake_max)
    fake_max.add_post(MAX_CHANNEL, "Вчерашний", date=fake_max.now() - 86400)
    ours = mx.publish(max_target, Post("Наш"))
    fake_max.advance(60)
    hand = fake_max.add_post(MAX_CHANNEL, "Руками в MAX")
    recent = mx.recent_posts(max_target, since)
    assert [(p["external_id"], p["text"]) for p in recent] == [
        (hand["body"]["mid"], "Руками в MAX"),
        (ours.external_id, "Наш"),
    ]
    assert recent[0]["url"] == hand["url"] and recent[0]["views"] is not None
