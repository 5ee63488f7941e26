"""The analytics pages: overview, content performance, channels, team and expert, chart CSVs.

Figures on the pages are checked against values computed here, independently, from the rows the
tests create.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import statistics
import zoneinfo
from decimal import Decimal

import pytest

from zveno.analytics.models import BusinessDay, ChannelDay, Post
from zveno.content.models import ContentItem, ExpertAnswer, ExpertRequest, Publication

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
START = dt.date(2026, 10, 1)
END = dt.date(2026, 10, 31)
PERIOD = "from=2026-10-01&to=2026-10-31"
VIEWERS = ("owner", "smm", "copywriter", "expert")


def make_post(project, channel, n, when, reach, likes, comments=0, shares=0, **extra):
    return Post.objects.create(
        project=project, channel=channel, external_id=f"p{n}", published_at=when,
        network=channel.network, format=extra.pop("format", "post"),
        rubric=extra.pop("rubric", "cases"), title=extra.pop("title", f"Пост {n}"),
        latest_reach=reach, latest_likes=likes, latest_comments=comments,
        latest_shares=shares, latest_views=extra.pop("views", reach), **extra,
    )  # fmt: skip


def fill(project, posts: int = 12) -> list[Post]:
    """`posts` posts over October in Moscow time, two channels, business and channel days."""
    project.timezone = "Europe/Moscow"
    project.save(update_fields=["timezone"])
    tg = project.channels.get(network="telegram")
    ig = project.channels.get(network="instagram")
    out = []
    for n in range(posts):
        day = START + dt.timedelta(days=n % 30)
        hour = (9, 12, 19)[n % 3]
        when = dt.datetime.combine(day, dt.time(hour, 15), tzinfo=MSK)
        reach = 400 + 37 * (n % 11)
        out.append(
            make_post(
                project, tg if n % 2 else ig, n, when, reach, likes=10 + n % 7,
                comments=n % 4, shares=n % 3, format=("post", "reels", "carousel")[n % 3],
                rubric=("cases", "tips")[n % 2], is_promoted=n % 5 == 0,
                has_expert_input=n % 4 == 0, followers_at_publication=2000,
            )
        )  # fmt: skip
    for i in range(31):
        day = START + dt.timedelta(days=i)
        for ch, base in ((tg, 1000), (ig, 2000)):
            ChannelDay.objects.create(
                project=project, channel=ch, date=day, followers=base + 5 * i, gained=6, lost=1
            )
        BusinessDay.objects.create(
            project=project, date=day, dialogues=3, leads=1 if i % 2 else 0, sales=i % 3 == 0,
            revenue=Decimal("1000.00"), ad_spend=Decimal("200.00"),
        )  # fmt: skip
    return out


def interactions(p: Post) -> int:
    return (p.latest_likes or 0) + (p.latest_comments or 0) + (p.latest_shares or 0)


@pytest.fixture
def alpha(world):
    fill(world.alpha)
    return world.alpha


# --- access -------------------------------------------------------------------------------------

PAGES = ("overview", "content", "channels", "team")


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("persona", VIEWERS)
def test_pages_render_for_every_member_with_view_analytics(login, world, alpha, page, persona):
    client = login(world.users[persona])
    response = client.get(f"/p/alpha/analytics/{'' if page == 'overview' else page + '/'}?{PERIOD}")
    assert response.status_code == 200
    assert b"chart.umd.min.js" in response.content


@pytest.mark.parametrize("page", PAGES)
def test_outsider_gets_404(login, world, alpha, page):
    client = login(world.users["outsider"])
    path = f"/p/alpha/analytics/{'' if page == 'overview' else page + '/'}"
    assert client.get(path).status_code == 404
    assert client.get("/p/alpha/analytics/chart/funnel.csv").status_code == 404


def test_channel_page_and_foreign_channel(login, world, alpha):
    client = login(world.users["smm"])
    tg = alpha.channels.get(network="telegram")
    page = client.get(f"/p/alpha/analytics/channels/{tg.pk}/?{PERIOD}")
    assert page.status_code == 200
    assert "ERR (Telegram)" in page.content.decode()
    other = world.beta.channels.create(network="vk", name="Чужой")
    assert client.get(f"/p/alpha/analytics/channels/{other.pk}/").status_code == 404


# --- figures ------------------------------------------------------------------------------------


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit() or ch == ",")


def _card(html: str, key: str) -> str:
    start = html.index(f'data-metric="{key}"')
    value = html.index('class="metric-value">', start) + len('class="metric-value">')
    return html[value : html.index("</div>", value)]


def _in_october(posts):
    return [p for p in posts if START <= p.published_at.astimezone(MSK).date() <= END]


def test_overview_figures_equal_an_independent_computation(login, world):
    posts = fill(world.alpha)
    # A post at 23:30 Moscow time on 31 October is October's (20:30 UTC); one at 00:30 on
    # 1 November is not, whatever UTC says.
    tg = world.alpha.channels.get(network="telegram")
    make_post(world.alpha, tg, 900, dt.datetime(2026, 10, 31, 23, 30, tzinfo=MSK), 1000, 40)
    make_post(world.alpha, tg, 901, dt.datetime(2026, 11, 1, 0, 30, tzinfo=MSK), 5000, 500)
    inside = _in_october(Post.objects.filter(project=world.alpha))
    assert len(inside) == len(posts) + 1
    reach = sum(p.latest_reach for p in inside)
    err = sum(interactions(p) for p in inside) / reach * 100
    html = login(world.users["smm"]).get(f"/p/alpha/analytics/?{PERIOD}").content.decode()
    assert _digits(_card(html, "reach")) == str(reach)
    assert _digits(_card(html, "posts")) == str(len(inside))
    assert _digits(_card(html, "err")) == f"{err:.1f}".replace(".", ",")
    assert _digits(_card(html, "leads")) == "15"
    assert _digits(_card(html, "revenue")) == "31000"
    # ROMI = (31 000 − 6 200) / 6 200 = 400 %; CPL = 6 200 / 15
    assert _digits(_card(html, "romi")) == "400,0"
    assert _digits(_card(html, "cpl")) == str(round(6200 / 15))


def test_overview_change_against_the_previous_period(login, world):
    fill(world.alpha)
    ig = world.alpha.channels.get(network="instagram")
    # September (the 30 days before October 1..30) has one post with reach 1000.
    make_post(world.alpha, ig, 500, dt.datetime(2026, 9, 15, 12, tzinfo=MSK), 1000, 10)
    october = _in_october(Post.objects.filter(project=world.alpha))
    reach = sum(p.latest_reach for p in october if p.published_at.astimezone(MSK).day <= 30)
    html = (
        login(world.users["owner"])
        .get("/p/alpha/analytics/?from=2026-10-01&to=2026-10-30")
        .content.decode()
    )
    start = html.index('data-metric="reach"')
    change = html[html.index("metric-change", start) : html.index("было", start)]  # "was", ru
    expected = (reach - 1000) / 1000 * 100
    assert "up" in change and "↑" in change
    assert f"{expected:.1f}".replace(".", ",") in change


def test_overview_without_data_explains_and_links_to_imports(login, world):
    html = login(world.users["owner"]).get("/p/alpha/analytics/").content.decode()
    assert "analytics-empty" in html
    assert "/p/alpha/analytics/imports/" in html
    assert "/p/alpha/analytics/daily/" in html
    # The copywriter may read analytics but neither import nor log figures: no such buttons.
    html = login(world.users["copywriter"]).get("/p/alpha/analytics/").content.decode()
    assert "analytics-empty" in html and "/p/alpha/analytics/imports/" not in html


def test_heat_map_best_cell_is_the_highest_median_err(login, world):
    posts = fill(world.alpha, posts=30)
    cells: dict = {}
    for p in posts:
        local = p.published_at.astimezone(MSK)
        cells.setdefault((local.weekday(), local.hour), []).append(
            interactions(p) / p.latest_reach * 100
        )
    medians = {k: statistics.median(v) for k, v in cells.items()}
    best = max(medians, key=lambda k: (medians[k], len(cells[k])))
    html = login(world.users["smm"]).get(f"/p/alpha/analytics/content/?{PERIOD}").content.decode()
    assert f'data-best-cell="{best[0]}-{best[1]}"' in html
    assert f"{medians[best]:.1f}".replace(".", ",") in html


def _titles(html: str, block: str) -> list[str]:
    start = html.index(f'id="chart-{block}-block"')
    section = html[start : html.index("</section>", start)]
    return [t.strip() for t in re.findall(r'class="post-title">([^<]+)<', section)]


def test_top_posts_by_err_respect_the_minimum_reach(login, world):
    posts = fill(world.alpha)
    ig = world.alpha.channels.get(network="instagram")
    # A post seen by 10 people with 9 likes has ERR 90 % but stays out of the ERR ranking.
    make_post(world.alpha, ig, 700, dt.datetime(2026, 10, 20, 10, tzinfo=MSK), 10, 9, title="Мало")
    by_err = sorted(
        posts, key=lambda p: (-interactions(p) / p.latest_reach, -p.latest_reach, -p.pk)
    )
    by_reach = sorted(posts, key=lambda p: (-p.latest_reach, -p.pk))
    html = login(world.users["smm"]).get(f"/p/alpha/analytics/content/?{PERIOD}").content.decode()
    assert _titles(html, "top_err") == [p.title for p in by_err[:10]]
    assert "Мало" not in _titles(html, "bottom_err")
    assert _titles(html, "top_reach") == [p.title for p in by_reach[:10]]
    assert _titles(html, "bottom_reach")[0] == "Мало"


def test_breakdown_err_switches_between_averages(login, world):
    posts = fill(world.alpha)
    tips = [p for p in posts if p.rubric == "tips"]
    ratios = [interactions(p) / p.latest_reach * 100 for p in tips]
    ratio_of_sums = sum(interactions(p) for p in tips) / sum(p.latest_reach for p in tips) * 100
    client = login(world.users["smm"])
    for avg, expected in (("ratio_of_sums", ratio_of_sums), ("median", statistics.median(ratios))):
        body = client.get(f"/p/alpha/analytics/chart/rubric.csv?{PERIOD}&avg={avg}").content
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
        line = next(r for r in rows if r[0] == "tips")
        assert line[1] == str(len(tips))
        assert line[4] == f"{expected:.2f}".replace(".", ",")


def test_organic_vs_promoted(login, world):
    posts = fill(world.alpha)
    promoted = [p for p in posts if p.is_promoted]
    body = login(world.users["smm"]).get(f"/p/alpha/analytics/chart/promoted.csv?{PERIOD}")
    rows = list(csv.reader(io.StringIO(body.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[2][1:3] == [str(len(promoted)), str(sum(p.latest_reach for p in promoted))]
    assert rows[1][1] == str(len(posts) - len(promoted))


# --- team and expert ----------------------------------------------------------------------------


def test_expert_input_comes_from_the_flag_and_from_answered_requests(login, world):
    posts = fill(world.alpha)
    # One unmarked post's content item used an answered expert request: it counts as expert.
    linked = next(p for p in posts if not p.has_expert_input)
    item = ContentItem.objects.create(project=world.alpha, title="Сделка", format="post")
    linked.publication = Publication.objects.create(item=item, channel=linked.channel)
    linked.save(update_fields=["publication"])
    request = ExpertRequest.objects.create(
        project=world.alpha, question="История сделки?", kind="story", due_date=END
    )
    request.items.add(item)
    ExpertAnswer.objects.create(
        request=request, text="Вот история", answered_by=world.users["expert"]
    )
    expert = [p for p in posts if p.has_expert_input or p.pk == linked.pk]
    rest = [p for p in posts if p not in expert]

    def err(group):
        return sum(interactions(p) for p in group) / sum(p.latest_reach for p in group) * 100

    html = login(world.users["expert"]).get(f"/p/alpha/analytics/team/?{PERIOD}").content.decode()
    line = html[
        html.index('data-line="posts"') : html.index("</tr>", html.index('data-line="posts"'))
    ]
    assert f">{len(expert)}<" in line and f">{len(rest)}<" in line
    factor = err(expert) / err(rest)
    assert f"{factor:.1f}".replace(".", ",") + "×" in html
    body = login(world.users["expert"]).get(f"/p/alpha/analytics/chart/expert.csv?{PERIOD}").content
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][4] == f"{err(expert):.2f}".replace(".", ",")


def test_expert_lesson_without_enough_posts(login, world):
    html = login(world.users["smm"]).get("/p/alpha/analytics/team/").content.decode()
    assert "data-lesson" in html


# --- CSV ----------------------------------------------------------------------------------------


def test_daily_csv_has_every_day_and_the_posts_reach(login, world):
    posts = fill(world.alpha)
    body = login(world.users["copywriter"]).get(f"/p/alpha/analytics/chart/daily.csv?{PERIOD}")
    assert body["Content-Type"].startswith("text/csv")
    assert "attachment" in body["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1 + 31
    by_day: dict = {}
    for p in posts:
        day = p.published_at.astimezone(MSK).date().isoformat()
        by_day[day] = by_day.get(day, 0) + p.latest_reach
    assert {r[0]: r[1] for r in rows[1:] if r[1]} == {k: str(v) for k, v in by_day.items()}


def test_funnel_csv(login, world):
    fill(world.alpha)
    body = login(world.users["owner"]).get(f"/p/alpha/analytics/chart/funnel.csv?{PERIOD}")
    rows = list(csv.reader(io.StringIO(body.content.decode("utf-8-sig")), delimiter=";"))
    assert [r[1] for r in rows[1:]][1:] == ["93", "15", "11"]
    assert rows[3][2] == f"{15 / 93 * 100:.2f}".replace(".", ",")


def test_csv_of_an_unknown_chart_or_channel_is_404(login, world, alpha):
    client = login(world.users["smm"])
    assert client.get("/p/alpha/analytics/chart/nope.csv").status_code == 404
    assert client.get("/p/alpha/analytics/chart/channel_reach.csv?channel=x").status_code == 404
    other = world.beta.channels.create(network="vk", name="Чужой")
    url = f"/p/alpha/analytics/chart/channel_reach.csv?channel={other.pk}"
    assert client.get(url).status_code == 404


def test_channel_csv_followers(login, world, alpha):
    tg = alpha.channels.get(network="telegram")
    url = f"/p/alpha/analytics/chart/channel_followers.csv?{PERIOD}&channel={tg.pk}"
    rows = list(
        csv.reader(io.StringIO(login(world.users["smm"]).get(url).content.decode("utf-8-sig")),
                   delimiter=";")
    )  # fmt: skip
    assert rows[1] == ["2026-10-01", "1000"] and rows[-1] == ["2026-10-31", "1150"]


def test_english_csv_uses_commas_and_points(login, world, alpha):
    client = login(world.users["smm"])
    url = f"/p/alpha/analytics/chart/funnel.csv?{PERIOD}"
    body = client.get(url, headers={"Accept-Language": "en"}).content.decode("utf-8-sig")
    assert "," in body.splitlines()[0]


# --- channels -----------------------------------------------------------------------------------


def test_channel_list_growth_and_telegram_figures(login, world, alpha):
    tg = alpha.channels.get(network="telegram")
    posts = list(Post.objects.filter(channel=tg))
    html = login(world.users["smm"]).get(f"/p/alpha/analytics/channels/?{PERIOD}").content.decode()
    # Followers 1000 on 1 Oct → 1150 on 31 Oct: +15 %; the day before the period has no row.
    assert "15,0 %" in html
    views = sum(p.latest_views for p in posts) / len(posts)
    assert f"ERR (Telegram) {views / 1150 * 100:.1f}".replace(".", ",") in html


# --- period -------------------------------------------------------------------------------------


@pytest.mark.dated
@pytest.mark.parametrize("zone", ["Europe/Moscow", "Europe/Berlin"])
def test_default_period_is_the_last_30_days_in_the_project_time_zone(login, world, alpha, zone):
    from django.utils import translation
    from django.utils.dateformat import format as date_format

    from zveno.core.timezones import today_in

    alpha.timezone = zone
    alpha.save(update_fields=["timezone"])
    html = login(world.users["smm"]).get("/p/alpha/analytics/").content.decode()
    today = today_in(zone)
    start = today - dt.timedelta(days=29)
    assert 'href="?period=30" class="on"' in html
    with translation.override("ru"):
        shown = f"{date_format(start, 'j E Y')} – {date_format(today, 'j E Y')} (30 дн.)"
    assert shown in html


@pytest.mark.parametrize(
    "query, message",
    [
        ("from=2026-13-01&to=2026-10-31", "2026-11-30"),
        ("from=2026-10-31&to=2026-10-01", "after"),
        ("from=2024-01-01&to=2026-10-01", "year"),
        ("month=октябрь", "2026-11"),
    ],
)
def test_bad_periods_get_a_clear_message_and_the_default(login, world, alpha, query, message):
    smm = world.users["smm"]
    smm.language = "en"  # the middleware ignores Accept-Language; the user's language counts
    smm.save(update_fields=["language"])
    response = login(smm).get(f"/p/alpha/analytics/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="msg msg-error period-error"' in html and message in html
    assert 'href="?period=30" class="on"' in html


def test_month_and_presets(login, world, alpha):
    client = login(world.users["smm"])
    html = client.get("/p/alpha/analytics/?month=2026-10").content.decode()
    assert 'value="2026-10"' in html
    assert _digits(_card(html, "posts")) == "12"
    html = client.get("/p/alpha/analytics/?period=7").content.decode()
    assert 'href="?period=7" class="on"' in html


# --- query counts -------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["", "content/", "team/", "channels/"])
def test_query_count_does_not_grow_with_posts(login, world, django_assert_max_num_queries, page):
    client = login(world.users["smm"])
    fill(world.alpha, posts=10)
    with django_assert_max_num_queries(40) as small:
        client.get(f"/p/alpha/analytics/{page}?{PERIOD}")
    Post.objects.all().delete()
    fill_more = fill  # same shape, twenty times the posts
    ChannelDay.objects.all().delete()
    BusinessDay.objects.all().delete()
    fill_more(world.alpha, posts=200)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(f"/p/alpha/analytics/{page}?{PERIOD}")


def test_overview_shows_active_goals_with_their_bars(login, world, alpha):
    goal = alpha.goals.first()
    goal.status = "active"
    goal.save(update_fields=["status"])
    html = login(world.users["copywriter"]).get(f"/p/alpha/analytics/?{PERIOD}").content.decode()
    assert "goal-bar" in html and goal.name in html
