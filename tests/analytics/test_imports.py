"""Imports as a service: placement of the Facebook file, validation, atomicity, jobs, presets."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone, translation

from tests.analytics.import_helpers import FACEBOOK, facebook_rows
from zveno.analytics import imports, presets
from zveno.analytics.models import BusinessDay, ChannelDay, Import, Post, PostSnapshot


def upload(content: bytes | str, name: str = "file.csv") -> ContentFile:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return ContentFile(data, name=name)


def facebook(world, **kwargs):
    return imports.create_import(
        world.users["smm"],
        world.alpha,
        upload(FACEBOOK.read_bytes(), FACEBOOK.name),
        preset="facebook_insights",
        year=2014,
        **kwargs,
    )


def counts():
    return (
        Post.objects.count(),
        PostSnapshot.objects.count(),
        ChannelDay.objects.count(),
        BusinessDay.objects.count(),
    )


def test_facebook_file_places_each_post_in_its_month_on_its_weekday_keeping_the_order(world):
    batch = facebook(world)
    assert batch.status == "done", batch.errors
    assert (batch.created, batch.total_rows) == (500, 500)
    zone = zoneinfo.ZoneInfo(world.alpha.timezone)
    rows = facebook_rows()
    # Posts are created in the file's order, so their ids walk the file.
    ordered = list(Post.objects.filter(project=world.alpha).order_by("pk"))
    assert len({p.external_id for p in ordered}) == 500
    previous = None
    for row, post in zip(rows, ordered, strict=True):
        local = post.published_at.astimezone(zone)
        assert local.year == 2014
        assert local.month == int(row["Post Month"])
        assert local.isoweekday() % 7 + 1 == int(row["Post Weekday"])  # 1 = Sunday
        assert local.hour == int(row["Post Hour"]) % 24
        if previous is not None:
            assert local <= previous, "the file lists the newest post first"
        previous = local


def test_facebook_counters_type_paid_and_absent_cells(world):
    facebook(world)
    rows = facebook_rows()
    posts = list(Post.objects.filter(project=world.alpha).order_by("pk"))
    first = posts[0]
    assert first.title.startswith("Photo")
    assert first.format == "post" and first.network == "facebook"
    assert first.latest_reach == int(rows[0]["Lifetime Post Total Reach"])
    assert first.latest_impressions == int(rows[0]["Lifetime Post Total Impressions"])
    assert (first.latest_likes, first.latest_comments, first.latest_shares) == (79, 4, 17)
    assert first.last_captured_at == first.published_at + dt.timedelta(days=90)
    assert first.snapshots.get().captured_at == first.last_captured_at
    assert sum(p.is_promoted for p in posts) == sum(r["Paid"] == "1" for r in rows)
    assert {p.format for p in posts if p.title.startswith("Video")} == {"video"}
    # Row 113 of the file (index 111) has neither like nor share: absent, not zero.
    assert rows[111]["like"] == "" and posts[111].latest_likes is None
    assert posts[111].latest_shares is None and posts[111].latest_comments is not None


def test_reimporting_the_same_file_creates_nothing(world):
    facebook(world)
    before = counts()
    again = facebook(world)
    assert again.status == "done"
    assert (again.created, again.updated, again.unchanged) == (0, 0, 500)
    assert counts() == before


def test_changed_figures_update_the_snapshot_and_the_latest_counters(world):
    facebook(world)
    text = FACEBOOK.read_text().splitlines()
    cells = text[1].split(";")
    cells[7] = str(int(cells[7]) + 1000)  # the reach of the newest post
    text[1] = ";".join(cells)
    batch = imports.create_import(
        world.users["smm"],
        world.alpha,
        upload("\n".join(text)),
        preset="facebook_insights",
        year=2014,
    )
    assert (batch.created, batch.updated, batch.unchanged) == (0, 1, 499)
    post = Post.objects.filter(project=world.alpha).order_by("pk").first()
    assert post.latest_reach == int(cells[7]) == post.snapshots.get().reach
    assert PostSnapshot.objects.count() == 500


def test_facebook_needs_the_year(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        imports.create_import(
            world.users["smm"],
            world.alpha,
            upload(FACEBOOK.read_bytes(), "fb.csv"),
            preset="facebook_insights",
        )
    assert "year" in caught.value.message_dict
    assert Import.objects.count() == 0


MALFORMED = "Published;Network;Title;Reach;Likes;Colour\n2026-11-02 10:00;telegram;Ok;100;5;red\n"


def test_unknown_column_is_an_error_and_nothing_is_saved(world):
    before = counts()
    with translation.override("en"):
        batch = imports.create_import(
            world.users["smm"], world.alpha, upload(MALFORMED), preset="zveno_posts"
        )
    assert batch.status == "failed"
    assert batch.errors == [{"row": 1, "column": "Colour", "message": "Unknown column: Colour."}]
    assert counts() == before


def test_bad_rows_get_row_level_errors_and_nothing_is_saved(world):
    text = (
        "Published;Network;Title;Reach;Likes\n"
        "2026-11-02 10:00;telegram;Good row;100;5\n"
        "2026-13-45 10:00;telegram;Bad date;100;5\n"
        "2026-11-03 10:00;telegram;Negative;-3;5\n"
        "\n"
        "2026-11-04 10:00;telegram;Not a number;many;5\n"
        "2026-11-05 10:00;myspace;Bad network;1;1\n"
    )
    before = counts()
    with translation.override("en"):
        batch = imports.create_import(
            world.users["smm"], world.alpha, upload(text), preset="zveno_posts"
        )
    assert batch.status == "failed"
    problems = [(e["row"], e["column"]) for e in batch.errors]
    assert problems == [(3, "Published"), (4, "Reach"), (6, "Reach"), (7, "Network")]
    assert "negative" in batch.errors[1]["message"]
    assert counts() == before
    assert batch.created == 0


def test_missing_required_column_is_one_header_error(world):
    batch = imports.create_import(
        world.users["smm"], world.alpha, upload("Title;Reach\nA;1\nB;2\n"), preset="zveno_posts"
    )
    assert batch.status == "failed"
    assert {(e["row"], e["column"]) for e in batch.errors} == {(1, "Published"), (1, "Network")}


def generated_posts(n: int) -> str:
    start = dt.datetime(2026, 1, 1, 9, 0)
    lines = ["Post ID,Published,Network,Reach,Likes,Comments"]
    for i in range(n):
        moment = start + dt.timedelta(minutes=37 * i)
        lines.append(f"{i},{moment:%Y-%m-%d %H:%M},vk,{100 + i % 900},{i % 50},{i % 7}")
    return "\n".join(lines) + "\n"


@pytest.mark.django_db(transaction=True)  # progress is committed aside, as a worker's would be
def test_a_large_file_is_queued_and_run_shows_progress_then_done(world):
    n = imports.INLINE_ROWS + 7
    batch = imports.create_import(
        world.users["smm"], world.alpha, upload(generated_posts(n)), preset="zveno_posts"
    )
    assert batch.status == "queued" and batch.total_rows == n
    assert Post.objects.count() == 0
    seen = []

    def progress(phase, done, total):
        seen.append((phase, done, Import.objects.get(pk=batch.pk).processed_rows))

    result = imports.run(batch.pk, progress=progress)
    assert result.status == "done"
    assert (result.created, result.processed_rows, result.total_rows) == (n, n, n)
    assert Post.objects.filter(project=world.alpha).count() == n
    assert any(done == stored == 1000 for _phase, done, stored in seen), (
        "progress is stored on the record as the rows go"
    )
    assert seen[-1][1] == n
    # A second run of the same job does nothing: it is no longer queued.
    assert imports.run(batch.pk) is None


def test_sweep_requeues_stuck_jobs(world):
    batch = Import.objects.create(
        project=world.alpha,
        preset="zveno_posts",
        filename="x.csv",
        file="imports/x.csv",
        status="running",
    )
    Import.objects.filter(pk=batch.pk).update(
        started_at=timezone.now() - dt.timedelta(hours=1),
        created_at=timezone.now() - dt.timedelta(hours=1),
    )
    fresh = Import.objects.create(
        project=world.alpha,
        preset="zveno_posts",
        filename="y.csv",
        file="imports/y.csv",
        status="running",
        started_at=timezone.now(),
    )
    assert imports.sweep() == 1
    assert Import.objects.get(pk=batch.pk).status == "queued"
    assert Import.objects.get(pk=fresh.pk).status == "running"


@pytest.mark.parametrize("preset", ["zveno_posts", "zveno_channel_days", "zveno_business_days"])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_templates_round_trip(world, preset, kind):
    chosen = presets.get(preset)
    body = (presets.template_csv if kind == "csv" else presets.template_xlsx)(chosen, "ru")
    batch = imports.create_import(
        world.users["smm"], world.alpha, upload(body, f"t.{kind}"), preset=preset
    )
    assert batch.status == "done", batch.errors
    assert batch.created == 1
    again = imports.create_import(
        world.users["smm"], world.alpha, upload(body, f"t.{kind}"), preset=preset
    )
    assert (again.created, again.unchanged) == (0, 1)


def test_cp1251_and_tab_separated_channel_days(world):
    telegram = world.alpha.channels.get(network="telegram")
    text = (
        "Дата\tКанал\tПодписчики\tОхват\n"
        "02.11.2026\ttelegram\t5400\t3200\n"
        "03.11.2026\ttelegram\t5410\t\n"
    )
    batch = imports.create_import(
        world.users["smm"], world.alpha, upload(text.encode("cp1251")), preset="zveno_channel_days"
    )
    assert batch.status == "done", batch.errors
    days = list(ChannelDay.objects.filter(channel=telegram).order_by("date"))
    assert [(d.date, d.followers, d.reach) for d in days] == [
        (dt.date(2026, 11, 2), 5400, 3200),
        (dt.date(2026, 11, 3), 5410, None),
    ]


def test_business_days_with_money_and_bom(world):
    text = '\ufeffDate,Leads,Revenue,Ad spend\n2026-11-02,5,"450 000,50",15000\n'
    batch = imports.create_import(
        world.users["smm"], world.alpha, upload(text), preset="zveno_business_days"
    )
    assert batch.status == "done", batch.errors
    day = BusinessDay.objects.get(project=world.alpha)
    assert (day.leads, str(day.revenue), str(day.ad_spend)) == (5, "450000.50", "15000.00")
    assert day.dialogues is None


def test_generic_mapper_maps_arbitrary_columns_and_skips_the_rest(world):
    text = "когда;где;охватило;сердечки;мусор\n2026-11-02 12:30;vk;777;12;xyz\n"
    mapping = {"когда": "published_at", "где": "network", "охватило": "reach", "сердечки": "likes"}
    batch = imports.create_import(
        world.users["smm"], world.alpha, upload(text), preset="generic_posts", mapping=mapping
    )
    assert batch.status == "done", batch.errors
    post = Post.objects.get(project=world.alpha)
    assert (post.network, post.latest_reach, post.latest_likes) == ("vk", 777, 12)
    assert post.latest_comments is None


def test_generic_mapper_names_a_missing_column(world):
    with translation.override("en"):
        batch = imports.create_import(
            world.users["smm"],
            world.alpha,
            upload("a;b\n2026-11-02;vk\n"),
            preset="generic_posts",
            mapping={"a": "published_at", "zzz": "network"},
        )
    assert batch.status == "failed"
    assert {"row": 1, "column": "zzz", "message": "The file has no such column."} in batch.errors


def test_vk_and_tgstat_presets(world):
    from zveno.publishing import services as publishing

    publishing.set_networks(world.users["owner"], world.alpha, ["telegram", "instagram", "vk"])
    vk = (
        "Дата;Участники;Новые участники;Вышедшие участники;Полный охват;Охват подписчиков\n"
        "02.11.2026;1200;15;3;4000;2500\n"
    )
    batch = imports.create_import(world.users["smm"], world.alpha, upload(vk), preset="vk_stats")
    assert batch.status == "done", batch.errors
    day = ChannelDay.objects.get(channel__network="vk")
    assert (day.followers, day.gained, day.lost, day.reach) == (1200, 15, 3, 4000)
    tg = (
        "Дата;Ссылка;Текст;Просмотры;Репосты;Реакции;Комментарии;ERR\n"
        "02.11.2026 10:00;https://t.me/alpha/15;Привет;900;4;30;2;12.5\n"
    )
    batch = imports.create_import(world.users["smm"], world.alpha, upload(tg), preset="tgstat")
    assert batch.status == "done", batch.errors
    post = Post.objects.get(network="telegram")
    assert (post.latest_views, post.latest_shares, post.latest_likes) == (900, 4, 30)
    assert post.channel.network == "telegram"


def test_xlsx_read_with_native_cells(world):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Published", "Network", "Reach", "Likes"])
    sheet.append([dt.datetime(2026, 11, 2, 10, 0), "instagram", 1500, 64.0])
    sheet.append([None, None, None, None])
    sheet.append([dt.datetime(2026, 11, 3, 10, 0), "instagram", 1600, None])
    out = io.BytesIO()
    book.save(out)
    batch = imports.create_import(
        world.users["smm"], world.alpha, upload(out.getvalue(), "p.xlsx"), preset="zveno_posts"
    )
    assert batch.status == "done", batch.errors
    assert sorted(Post.objects.values_list("latest_reach", flat=True)) == [1500, 1600]


POSTS_HEADER = (
    "Post ID;Published;Network;Channel;Format;Media type;Rubric;Title;Link;Promoted;"
    "Expert input;Followers at publication;Captured;Views;Reach;Impressions;Likes;Comments;"
    "Shares;Saves;Poll votes;Link clicks"
)


def posts_file(*rows: tuple[str, str, str, int]) -> ContentFile:
    """Rows of (post id, title, capture time, reach), all published on 2026-11-02 at 10:00."""
    lines = [POSTS_HEADER]
    for post_id, title, captured, reach in rows:
        lines.append(
            f"{post_id};2026-11-02 10:00;telegram;;post;photo;;{title};;0;0;;{captured};;"
            f"{reach};;;;;;;"
        )
    return upload("\n".join(lines) + "\n")


def posts_import(world, *rows):
    return imports.create_import(
        world.users["smm"], world.alpha, posts_file(*rows), preset="zveno_posts"
    )


def test_a_repeated_row_wins_over_the_one_above_and_the_newest_capture_leads(world):
    batch = posts_import(
        world,
        ("1", "Старое название", "2026-11-03 10:00", 100),
        ("2", "Второй", "2026-11-03 10:00", 7),
        ("1", "Старое название", "2026-11-03 10:00", 150),  # the same capture: this one wins
        ("1", "Новое название", "2026-11-05 10:00", 200),  # the newest capture of post 1
    )
    assert (batch.status, batch.total_rows) == ("done", 4)
    assert (batch.created, batch.updated, batch.unchanged) == (3, 0, 0)
    post = Post.objects.get(project=world.alpha, external_id="telegram:1")
    assert [s.reach for s in post.snapshots.order_by("captured_at")] == [150, 200]
    assert (post.title, post.latest_reach) == ("Новое название", 200)
    assert post.last_captured_at == post.snapshots.order_by("captured_at").last().captured_at

    # An older capture later on changes that snapshot, not the latest counters.
    again = posts_import(
        world,
        ("1", "Новое название", "2026-11-03 10:00", 160),
        ("2", "Второй", "2026-11-03 10:00", 7),
    )
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    post.refresh_from_db()
    assert [s.reach for s in post.snapshots.order_by("captured_at")] == [160, 200]
    assert post.latest_reach == 200
    assert post.snapshots.get(reach=160).batch_id == again.pk
    assert Post.objects.filter(project=world.alpha).count() == 2


def test_one_file_with_new_posts_new_captures_renamed_posts_and_unchanged_rows(world):
    posts_import(
        world,
        ("1", "Первый", "2026-11-03 10:00", 100),
        ("2", "Второй", "2026-11-03 10:00", 7),
        ("3", "Третий", "2026-11-03 10:00", 5),
    )
    again = posts_import(
        world,
        ("1", "Первый", "2026-11-04 10:00", 120),  # a new, newer capture of a known post
        ("2", "Второй, исправлен", "2026-11-02 12:00", 3),  # renamed, with an older capture
        ("3", "Третий", "2026-11-03 10:00", 5),  # as it was
        ("4", "Четвёртый", "2026-11-04 10:00", 9),  # a new post
    )
    assert (again.status, again.created, again.updated, again.unchanged) == ("done", 1, 2, 1)
    posts = {p.external_id: p for p in Post.objects.filter(project=world.alpha)}
    assert len(posts) == 4
    first, second, fourth = posts["telegram:1"], posts["telegram:2"], posts["telegram:4"]
    assert [s.reach for s in first.snapshots.order_by("captured_at")] == [100, 120]
    assert first.latest_reach == 120
    assert first.last_captured_at == first.snapshots.order_by("captured_at").last().captured_at
    # The title follows the file; the latest counters stay with the newer capture.
    assert (second.title, second.latest_reach) == ("Второй, исправлен", 7)
    assert [s.reach for s in second.snapshots.order_by("captured_at")] == [3, 7]
    assert (fourth.title, fourth.latest_reach) == ("Четвёртый", 9)
    assert [s.batch_id for s in fourth.snapshots.all()] == [again.pk]
    assert first.snapshots.get(reach=120).batch_id == again.pk
