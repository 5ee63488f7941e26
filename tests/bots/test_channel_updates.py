"""What only the bot's updates tell about a Telegram channel: posts made by hand are picked up
(and matched to the plan), reaction counts become the posts' likes."""

from __future__ import annotations

from tests.fakes.fixtures import TG_CHANNEL, TG_CHANNEL_NAME, TG_TOKEN
from tests.fakes.telegram import ADMIN_RIGHTS
from zveno.analytics.models import Post
from zveno.bots import platforms
from zveno.bots.polling import poll_once
from zveno.bots.services import handle
from zveno.content import services as content
from zveno.publishing import services as publishing


def test_a_hand_made_post_and_its_reactions_reach_analytics(world, telegram_bot):
    owner = world.users["owner"]
    channel = world.alpha.channels.get(network="telegram")
    publishing.connect_channel(
        owner, channel, {"bot_token": TG_TOKEN}, handle=f"@{TG_CHANNEL_NAME}"
    )
    text = "Сдали дом на Лесной: ключи у всех 120 семей"
    item = content.create_item(
        world.users["smm"], world.alpha, title="Сдали дом", format="post",
        text=text, channel_ids=[channel.pk],
        planned_at=telegram_bot_now(telegram_bot),
    )  # fmt: skip
    poll_once("telegram", timeout=0)  # the bot asks for channel posts and reactions
    message = telegram_bot.add_channel_post(
        TG_CHANNEL, "Сдали дом на Лесной: ключи у всех 120 семей"
    )
    assert poll_once("telegram", timeout=0) == 1
    post = Post.objects.get(channel=channel)
    assert post.network_id == str(message["message_id"])
    assert post.publication == item.publications.get()  # matched to the plan by time and text
    telegram_bot.react(TG_CHANNEL, message["message_id"], {"👍": 7, "🔥": 3})
    poll_once("telegram", timeout=0)
    post.refresh_from_db()
    assert post.latest_likes == 10
    telegram_bot.react(TG_CHANNEL, message["message_id"], {"👍": 9, "🔥": 3})
    poll_once("telegram", timeout=0)
    post.refresh_from_db()
    assert post.latest_likes == 12 and post.snapshots.count() >= 1

    # Comments in the channel's discussion group count once each, even if delivered twice.
    group = -1009999999999
    telegram_bot.add_channel(group, "Обсуждение", kind="supergroup",
                             admins={TG_TOKEN: ADMIN_RIGHTS})  # fmt: skip
    telegram_bot.comment(group, TG_CHANNEL, message["message_id"], "Поздравляю!")
    telegram_bot.comment(group, TG_CHANNEL, message["message_id"], "А когда следующий дом?")
    updates, _offset = platforms.platform("telegram").updates("", 0)
    for raw in updates:
        handle(platforms.platform("telegram"), raw)
        handle(platforms.platform("telegram"), raw)  # delivered again: nothing more
    post.refresh_from_db()
    assert post.latest_comments == 2 and post.latest_likes == 12


def telegram_bot_now(fake):
    import datetime as dt

    return dt.datetime.fromtimestamp(fake.now(), dt.UTC)
