"""The Telegram connector against the local Bot API: every outcome, albums and uploads, edits,
deletes, the connection test, and the figures a bot can have.

The fake keeps its own clock (`advance`, `freeze`), so the per-minute limit and the 48 hours of
deleting are driven by the test, never by the day it runs.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fakes.fixtures import TG_CHANNEL, TG_CHANNEL_NAME, TG_TOKEN
from zveno.publishing.clients.telegram import TelegramClient
from zveno.publishing.connectors.base import MediaFile, OutcomeKind, Post, Target, connector_for
from zveno.publishing.connectors.telegram import (
    TelegramConnector,
    channel_post,
    chat_id,
    post_url,
    reaction_count,
)

tg = TelegramConnector()
K = OutcomeKind
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def photo(name="a.png", size=None, content_type="image/png", data=PNG) -> MediaFile:
    return MediaFile(name, content_type, size if size is not None else len(data), "photo",
                     lambda: data)  # fmt: skip


def video(name="clip.mp4", data=b"\x00\x00\x00\x18ftypmp42" + bytes(100), size=None) -> MediaFile:
    return MediaFile(name, "video/mp4", size or len(data), "video", lambda: data)


def document(name="price.pdf", data=b"%PDF-1.4" + bytes(50)) -> MediaFile:
    return MediaFile(name, "application/pdf", len(data), "document", lambda: data)


def posts(fake):
    return fake.messages(TG_CHANNEL)


# --- registration, handles, validation --------------------------------------------------------


def test_the_connector_is_registered_for_telegram():
    assert isinstance(connector_for("telegram"), TelegramConnector)
    assert connector_for("telegram").can_read_back is False


@pytest.mark.parametrize(
    ("handle", "expected"),
    [("@alpha", "@alpha"), ("alpha", "@alpha"), ("https://t.me/alpha/", "@alpha"),
     ("t.me/alpha", "@alpha"), ("-1001234567890", "-1001234567890"), (" -100987 ", "-100987")],
)  # fmt: skip
def test_chat_ids_from_handles(handle, expected):
    assert chat_id(handle) == expected


def test_public_links_of_public_and_private_channels():
    assert post_url({"id": -100555, "username": "news"}, 7) == "https://t.me/news/7"
    assert post_url({"id": -1001234567890}, 7) == "https://t.me/c/1234567890/7"
    assert post_url("@news", 8) == "https://t.me/news/8"


def test_validate_accepts_text_a_photo_and_albums():
    assert tg.validate(Post("x" * 4096)) == []
    assert tg.validate(Post("подпись", media=[photo()])) == []
    assert tg.validate(Post("альбом", media=[photo(), video(), photo("b.jpg")])) == []
    assert tg.validate(Post("", media=[document(), document("b.pdf")])) == []


def test_validate_names_every_problem():
    assert [p.code for p in tg.validate(Post("x" * 4097))] == ["text_too_long"]
    assert [p.code for p in tg.validate(Post("x" * 1025, media=[photo()]))] == ["caption_too_long"]
    assert [p.code for p in tg.validate(Post(" "))] == ["empty"]
    media = [photo()] * 10 + [photo("big.png", size=11 * 2**20)]
    codes = {p.code for p in tg.validate(Post("t", media=media))}
    assert codes == {"too_many_media", "media_too_large"}
    mixed = [photo(), document()]
    assert [p.code for p in tg.validate(Post("t", media=mixed))] == ["album_mixed_types"]
    gif = photo("a.gif", content_type="image/gif")
    assert [p.code for p in tg.validate(Post("t", media=[gif]))] == ["unsupported_media"]
    big_video = video(size=51 * 2**20)
    assert [p.code for p in tg.validate(Post("t", media=[big_video]))] == ["media_too_large"]
    links = " ".join(f"https://example.com/{n}" for n in range(101))
    assert [p.code for p in tg.validate(Post(links))] == ["too_many_links"]
    assert [p.code for p in tg.validate(Post("Реклама", is_ad=True))] == ["missing_erid"]
    assert tg.validate(Post("Реклама", is_ad=True, erid="2VtzqvVH1bm")) == []


def test_the_erid_counts_towards_the_caption():
    text = "x" * 1010
    assert tg.validate(Post(text, media=[photo()])) == []
    problems = tg.validate(Post(text, media=[photo()], is_ad=True, erid="2VtzqvVH1bm"))
    assert [p.code for p in problems] == ["caption_too_long"]


def test_validation_messages_are_russian_in_russian():
    from django.utils import translation

    with translation.override("ru"):
        (problem,) = tg.validate(Post("x" * 5000))
    assert "4096" in problem.message and "символ" in problem.message


# --- publishing -------------------------------------------------------------------------------


def test_a_text_post_goes_to_the_channel(fake_telegram, telegram_target):
    outcome = tg.publish(telegram_target, Post("Первый пост"))
    assert outcome.kind is K.PUBLISHED, outcome
    (message,) = posts(fake_telegram)
    assert outcome.external_id == str(message["message_id"])
    assert outcome.url == f"https://t.me/{TG_CHANNEL_NAME}/{message['message_id']}"
    assert message["text"] == "Первый пост" and message["sender_chat"]["id"] == TG_CHANNEL
    assert fake_telegram.accepted[TG_CHANNEL] == 1


def test_a_channel_by_its_numeric_id(fake_telegram):
    target = fake_telegram.target(str(TG_CHANNEL), TG_TOKEN)
    outcome = tg.publish(target, Post("По id"))
    assert outcome.ok and outcome.url.startswith(f"https://t.me/{TG_CHANNEL_NAME}/")


def test_an_ad_carries_its_erid(fake_telegram, telegram_target):
    assert tg.publish(telegram_target, Post("Скидки", is_ad=True, erid="2VtzqvVH1bm")).ok
    (message,) = posts(fake_telegram)
    assert message["text"].endswith("Реклама. erid: 2VtzqvVH1bm")


def test_one_photo_goes_by_sendphoto_with_its_caption(fake_telegram, telegram_target):
    outcome = tg.publish(telegram_target, Post("Фото дня", media=[photo("day.png")]))
    assert outcome.ok, outcome
    (message,) = posts(fake_telegram)
    assert message["caption"] == "Фото дня" and message["photo"][0]["file_size"] == len(PNG)
    assert fake_telegram.uploads == [{"name": "day.png", "size": len(PNG),
                                      "content_type": "image/png", "kind": "photo"}]  # fmt: skip
    assert fake_telegram.calls["sendphoto"] == 1


def test_one_video_and_one_document(fake_telegram, telegram_target):
    assert tg.publish(telegram_target, Post("Видео", media=[video()])).ok
    assert tg.publish(telegram_target, Post("", media=[document()])).ok
    first, second = posts(fake_telegram)
    assert first["video"]["file_name"] == "clip.mp4" and first["caption"] == "Видео"
    assert second["document"]["mime_type"] == "application/pdf" and "caption" not in second
    assert fake_telegram.calls["sendvideo"] == fake_telegram.calls["senddocument"] == 1


def test_an_album_is_one_request_with_its_files_attached(fake_telegram, telegram_target):
    media = [photo("1.png"), photo("2.png"), video("3.mp4")]
    outcome = tg.publish(telegram_target, Post("Альбом", media=media))
    assert outcome.ok, outcome
    album = posts(fake_telegram)
    assert [str(m["message_id"]) for m in album] == outcome.external_id.split(",")
    assert len({m["media_group_id"] for m in album}) == 1
    assert [m.get("caption") for m in album] == ["Альбом", None, None]
    assert [u["name"] for u in fake_telegram.uploads] == ["1.png", "2.png", "3.mp4"]
    assert fake_telegram.calls["sendmediagroup"] == 1 and fake_telegram.accepted[TG_CHANNEL] == 1
    assert outcome.url.endswith(f"/{album[0]['message_id']}")


# --- faults -----------------------------------------------------------------------------------


def test_no_answer_in_time_is_unknown_and_cannot_be_read_back(fake_telegram):
    fake_telegram.delay(1.5)
    target = fake_telegram.target(f"@{TG_CHANNEL_NAME}", TG_TOKEN, timeout=0.5)
    sent = dt.datetime.now(dt.UTC)
    outcome = tg.publish(target, Post("Медленно"))
    assert outcome.kind is K.UNKNOWN
    assert tg.find(target, Post("Медленно"), sent).kind is K.UNKNOWN  # a person decides


def test_a_dropped_answer_after_the_post_is_unknown_and_the_post_is_there_once(
    fake_telegram, telegram_target
):
    fake_telegram.drop_after_accept()
    outcome = tg.publish(telegram_target, Post("Связь оборвалась"))
    assert outcome.kind is K.UNKNOWN
    assert fake_telegram.accepted[TG_CHANNEL] == 1 and len(posts(fake_telegram)) == 1


def test_a_5xx_is_transient_and_posts_nothing(fake_telegram, telegram_target):
    fake_telegram.fail(502)
    outcome = tg.publish(telegram_target, Post("Пост"))
    assert outcome.kind is K.TRANSIENT and outcome.status_code == 502
    fake_telegram.fail_next(500, "Internal Server Error: restart")
    assert tg.publish(telegram_target, Post("Пост")).kind is K.TRANSIENT
    assert fake_telegram.accepted[TG_CHANNEL] == 0


def test_a_refused_connection_is_transient():
    target = Target("@alpha", {"bot_token": "1:x"}, "http://127.0.0.1:9", timeout=1)
    assert tg.publish(target, Post("Пост")).kind is K.TRANSIENT


def test_twenty_posts_a_minute_then_429_with_retry_after(fake_telegram, telegram_target):
    fake_telegram.freeze()
    for n in range(20):
        assert tg.publish(telegram_target, Post(f"Пост {n}")).ok
    outcome = tg.publish(telegram_target, Post("Двадцать первый"))
    assert outcome.kind is K.RATE_LIMITED and outcome.retry_after == 60
    assert outcome.status_code == 429 and "retry after 60" in outcome.detail
    assert fake_telegram.accepted[TG_CHANNEL] == 20
    fake_telegram.advance(60)
    assert tg.publish(telegram_target, Post("Через минуту")).ok


def test_thirty_a_second_per_bot_across_channels(fake_telegram):
    fake_telegram.freeze()
    for n in range(15):
        fake_telegram.add_channel(-1000 - n, f"К{n}", f"c{n}", admins={TG_TOKEN: {
            "can_post_messages": True}})  # fmt: skip
    for n in range(30):
        assert tg.publish(fake_telegram.target(f"@c{n % 15}", TG_TOKEN), Post(f"{n}")).ok
    outcome = tg.publish(fake_telegram.target("@c0", TG_TOKEN), Post("31"))
    assert (outcome.kind, outcome.retry_after) == (K.RATE_LIMITED, 1)


def test_a_scripted_429_waits_exactly_as_long_as_telegram_says(fake_telegram, telegram_target):
    fake_telegram.fail_next(429, retry_after=35)
    outcome = tg.publish(telegram_target, Post("Пост"))
    assert (outcome.kind, outcome.retry_after) == (K.RATE_LIMITED, 35)


def test_a_revoked_token_is_auth_lost_and_the_token_is_never_shown(fake_telegram, telegram_target):
    fake_telegram.revoke(TG_TOKEN)
    outcome = tg.publish(telegram_target, Post("Пост"))
    assert outcome.kind is K.AUTH_LOST and outcome.status_code == 401
    assert TG_TOKEN not in outcome.detail + outcome.reason
    assert "токен" in _ru(lambda: tg.publish(telegram_target, Post("Пост")).reason).lower()


def test_a_removed_bot_is_auth_lost(fake_telegram, telegram_target):
    fake_telegram.remove_bot(TG_CHANNEL, TG_TOKEN)
    outcome = tg.publish(telegram_target, Post("Пост"))
    assert outcome.kind is K.AUTH_LOST and outcome.status_code == 403
    assert "kicked" in outcome.detail


def test_a_bot_without_the_right_to_post_is_auth_lost(fake_telegram, telegram_target):
    fake_telegram.demote(TG_CHANNEL, TG_TOKEN)
    outcome = tg.publish(telegram_target, Post("Пост"))
    assert outcome.kind is K.AUTH_LOST and "administrator rights" in outcome.detail


def test_an_unknown_channel_is_auth_lost(fake_telegram):
    outcome = tg.publish(fake_telegram.target("@nowhere", TG_TOKEN), Post("Пост"))
    assert outcome.kind is K.AUTH_LOST and "chat not found" in outcome.detail


def test_content_too_long_is_rejected_with_a_reason(fake_telegram, telegram_target):
    outcome = tg.publish(telegram_target, Post("x" * 4097))
    assert outcome.kind is K.REJECTED and outcome.status_code == 400
    assert "message is too long" in outcome.detail and "4096" in outcome.reason
    outcome = tg.publish(telegram_target, Post("x" * 1025, media=[photo()]))
    assert outcome.kind is K.REJECTED and "1024" in outcome.reason
    assert fake_telegram.accepted[TG_CHANNEL] == 0


@pytest.mark.parametrize(
    ("code", "description", "kind"),
    [
        (400, "Bad Request: can't parse entities: Unsupported start tag", K.REJECTED),
        (400, "Bad Request: IMAGE_PROCESS_FAILED", K.REJECTED),
        (413, "Request Entity Too Large", K.REJECTED),
        (403, "Forbidden: bot is not a member of the channel chat", K.AUTH_LOST),
        (401, "Unauthorized", K.AUTH_LOST),
        (500, "Internal Server Error", K.TRANSIENT),
    ],
)
def test_telegram_errors_in_the_one_vocabulary(fake_telegram, telegram_target, code,
                                               description, kind):  # fmt: skip
    fake_telegram.fail_next(code, description, "sendMessage")
    outcome = tg.publish(telegram_target, Post("Пост"))
    assert outcome.kind is kind and outcome.status_code == code
    assert description in outcome.detail and outcome.reason
    assert fake_telegram.accepted[TG_CHANNEL] == 0


# --- edit and delete --------------------------------------------------------------------------


def test_edit_changes_the_text_and_an_unchanged_text_is_no_error(fake_telegram, telegram_target):
    published = tg.publish(telegram_target, Post("Было"))
    edited = tg.edit(telegram_target, published.external_id, Post("Стало"))
    assert edited.ok and edited.external_id == published.external_id
    (message,) = posts(fake_telegram)
    assert message["text"] == "Стало" and message["edit_date"]
    assert tg.edit(telegram_target, published.external_id, Post("Стало")).ok


def test_edit_of_an_album_changes_the_caption_of_its_first_message(fake_telegram, telegram_target):
    published = tg.publish(telegram_target, Post("Было", media=[photo(), photo("b.png")]))
    assert tg.edit(telegram_target, published.external_id, Post("Стало", media=[photo()])).ok
    first, second = posts(fake_telegram)
    assert first["caption"] == "Стало" and "caption" not in second
    # The scheduler may send a post without its media: the caption is still what changes.
    assert tg.edit(telegram_target, published.external_id, Post("Ещё раз")).ok
    assert posts(fake_telegram)[0]["caption"] == "Ещё раз"


def test_delete_removes_the_post_and_an_album_whole(fake_telegram, telegram_target):
    text = tg.publish(telegram_target, Post("Текст"))
    album = tg.publish(telegram_target, Post("Альбом", media=[photo(), photo("b.png")]))
    assert tg.delete(telegram_target, album.external_id).ok
    assert [m["message_id"] for m in posts(fake_telegram)] == [int(text.external_id)]
    assert tg.delete(telegram_target, text.external_id).ok
    assert posts(fake_telegram) == []
    assert tg.delete(telegram_target, text.external_id).kind is K.NOT_FOUND
    assert tg.delete(telegram_target, album.external_id).kind is K.NOT_FOUND
    assert tg.edit(telegram_target, text.external_id, Post("x")).kind is K.NOT_FOUND


def test_a_post_older_than_48_hours_cannot_be_deleted_by_the_bot(fake_telegram, telegram_target):
    published = tg.publish(telegram_target, Post("Старый"))
    fake_telegram.advance(hours=49)
    outcome = tg.delete(telegram_target, published.external_id)
    assert outcome.kind is K.REJECTED and "48" in outcome.reason
    assert len(posts(fake_telegram)) == 1


# --- the connection test ----------------------------------------------------------------------


def test_the_connection_test_reads_the_channel_the_rights_and_the_members(telegram_target):
    outcome = tg.test(telegram_target)
    assert outcome.kind is K.PUBLISHED, outcome
    assert outcome.data["title"] == "Альфа ТГ" and outcome.data["members"] == 500
    assert outcome.data["bot"] == "zveno_bot" and outcome.data["status"] == "administrator"
    assert "can_post_messages" in outcome.data["rights"]
    assert outcome.external_id == str(TG_CHANNEL)
    assert outcome.url == f"https://t.me/{TG_CHANNEL_NAME}"


def test_the_connection_test_fails_for_a_member_without_rights_and_a_removed_bot(
    fake_telegram, telegram_target
):
    fake_telegram.demote(TG_CHANNEL, TG_TOKEN)
    outcome = tg.test(telegram_target)
    assert outcome.kind is K.AUTH_LOST and outcome.data["status"] == "member"
    assert "@zveno_bot" in outcome.reason
    fake_telegram.remove_bot(TG_CHANNEL, TG_TOKEN)
    assert tg.test(telegram_target).kind is K.AUTH_LOST
    fake_telegram.make_admin(TG_CHANNEL, TG_TOKEN)
    assert tg.test(telegram_target).ok
    fake_telegram.revoke(TG_TOKEN)
    assert tg.test(telegram_target).kind is K.AUTH_LOST


# --- figures ----------------------------------------------------------------------------------


def test_a_channel_day_has_the_followers_the_bot_api_gives(fake_telegram, telegram_target):
    today = dt.datetime.fromtimestamp(fake_telegram.now(), dt.UTC).date()
    assert tg.fetch_channel_day(telegram_target, today) == {"followers": 500}
    fake_telegram.advance(days=2)
    collected = tg.collect_channel_day(telegram_target, today)
    assert collected.metrics == {"followers": 506} and collected.requests == 1
    fake_telegram.revoke(TG_TOKEN)
    collected = tg.collect_channel_day(telegram_target, today)
    assert collected.metrics == {} and collected.problem.kind is K.AUTH_LOST


def test_post_figures_are_not_in_the_bot_api(telegram_target):
    assert tg.fetch_post_metrics(telegram_target, ["1", "2"]) == {}
    assert tg.collect_post_metrics(telegram_target, ["1"]).requests == 0


def test_reactions_and_hand_made_posts_arrive_as_updates(fake_telegram, telegram_target):
    published = tg.publish(telegram_target, Post("Пост"))
    fake_telegram.add_channel_post(TG_CHANNEL, "Руками")
    with TelegramClient(TG_TOKEN, fake_telegram.url) as client:
        client.get_updates(allowed_updates=["channel_post", "message_reaction_count"])
        fake_telegram.react(TG_CHANNEL, int(published.external_id), {"👍": 5, "🔥": 2})
        updates = client.get_updates()
    counted = [reaction_count(u) for u in updates if reaction_count(u)]
    assert [(c["external_id"], c["reactions"], c["by_type"]) for c in counted] == [
        (published.external_id, 7, {"👍": 5, "🔥": 2})
    ]
    assert [channel_post(u)["text"] for u in updates if channel_post(u)] == ["Руками"]
    fake_telegram.add_channel_post(TG_CHANNEL, "Ещё руками")
    with TelegramClient(TG_TOKEN, fake_telegram.url) as client:
        (update,) = client.get_updates(offset=updates[-1]["update_id"] + 1)  # confirms the rest
    hand = channel_post(update)
    assert hand["text"] == "Ещё руками" and hand["url"].startswith("https://t.me/alpha_channel/")


def _ru(make):
    from django.utils import translation

    with translation.override("ru"):
        return make()


def test_the_bot_token_never_reaches_the_log(fake_telegram, telegram_target, caplog):
    """The token is part of every Bot API URL; the HTTP client's request log stays off."""
    import logging

    with caplog.at_level(logging.INFO):
        assert tg.publish(telegram_target, Post("Пост")).ok
        fake_telegram.fail(502)
        tg.publish(telegram_target, Post("Пост"))
    assert TG_TOKEN not in caplog.text
