"""GET /api/v1/projects/{slug}/analytics/summary, series and funnel, as each persona."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zveno.analytics import services

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
URL = "/api/v1/projects/alpha/analytics/summary"


def q(path, query):
    """The api fixture sends no body with GET: the query goes in the address."""
    return f"{path}?{urlencode(query)}"


@pytest.fixture
def data(world):
    tg = world.alpha.channels.get(network="telegram")
    ig = world.alpha.channels.get(network="instagram")
    rows = [
        ("a", dt.datetime(2026, 11, 2, 10, tzinfo=MSK), tg, "post",
         {"reach": 1000, "likes": 40, "comments": 5, "shares": 5}),
        ("b", dt.datetime(2026, 11, 3, 19, tzinfo=MSK), ig, "reels", {"reach": 500, "likes": 5}),
        ("c", dt.datetime(2026, 11, 4, 23, 30, tzinfo=MSK), tg, "post",
         {"reach": 250, "likes": 1, "views": 300}),
    ]  # fmt: skip
    for key, when, channel, fmt, counters in rows:
        services.create_post(
            world.alpha, external_id=key, published_at=when, channel=channel, format=fmt,
            counters=counters, captured_at=when + dt.timedelta(days=1),
        )  # fmt: skip
    services.upsert_business_day(
        world.users["owner"], world.alpha, dt.date(2026, 11, 3), {"dialogues": 35, "leads": 7}
    )
    return world


def test_summary_figures(api, data):
    response = api(data, "smm").get(q(URL, {"from": "2026-11-01", "to": "2026-11-30"}))
    assert response.status_code == 200, response.content
    body = response.json()
    keys = ("posts", "reach", "likes", "comments", "shares", "interactions")
    assert {k: body[k] for k in keys} == {
        "posts": 3, "reach": 1750, "likes": 46, "comments": 5, "shares": 5, "interactions": 56,
    }  # fmt: skip
    assert body["impressions"] is None  # no post reports impressions: absent, not 0
    assert body["views"] == 300
    # Per-post ERR 5 %, 1 %, 0.4 %.
    assert body["err"]["ratio_of_sums"] == pytest.approx(56 / 1750 * 100)
    assert body["err"]["mean"] == pytest.approx((5 + 1 + 0.4) / 3)
    assert body["err"]["median"] == pytest.approx(1.0)


def test_summary_group_by(api, data):
    caller = api(data, "owner")
    by_format = caller.get(q(URL, {"from": "2026-11-01", "to": "2026-11-30", "group_by": "format"}))
    assert by_format.status_code == 200
    assert [(g["key"], g["posts"], g["reach"]) for g in by_format.json()] == [
        ("post", 2, 1250),
        ("reels", 1, 500),
    ]
    by_hour = caller.get(q(URL, {"from": "2026-11-01", "to": "2026-11-30", "group_by": "hour"}))
    assert [g["key"] for g in by_hour.json()] == [10, 19, 23]  # Moscow hours, not UTC
    by_day = caller.get(q(URL, {"from": "2026-11-01", "to": "2026-11-30", "group_by": "weekday"}))
    assert [(g["key"], g["posts"]) for g in by_day.json()] == [(1, 1), (2, 1), (3, 1)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-11-31", "to": "2026-12-01"}, "from"),
        ({"from": "yesterday", "to": "2026-12-01"}, "from"),
        ({"from": "2026-11-01"}, "to"),
        ({"from": "2026-11-10", "to": "2026-11-01"}, "to"),
        ({"from": "2026-11-01", "to": "2026-11-30", "group_by": "mood"}, "group_by"),
    ],
)
def test_summary_bad_parameters_give_422(api, world, query, field):
    response = api(world, "smm").get(q(URL, query))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]


def test_a_token_answers_as_its_user_whatever_browser_session_comes_along(api, world, client):
    """The token says who asks: the answer is in its user's language, and a session of another
    user that the same client carries is not read (the same queries as without it)."""
    smm = world.users["smm"]
    type(smm).objects.filter(pk=smm.pk).update(language="en")
    query = {"from": "yesterday", "to": "2026-11-30"}

    def ask() -> tuple:
        with CaptureQueriesContext(connection) as ctx:
            response = api(world, "smm").get(q(URL, query))
        assert response.status_code == 422
        message = response.json()["error"]["fields"]["from"]
        return response["Content-Language"], message, len(ctx.captured_queries)

    ask()  # the token's first use of the minute is written down
    alone = ask()
    client.force_login(world.users["owner"])  # Russian, and another user
    assert ask() == alone == ("en", ["Enter a date as YYYY-MM-DD."], alone[2])


def test_summary_access(api, data):
    query = {"from": "2026-11-01", "to": "2026-11-30"}
    assert api(data, "copywriter").get(q(URL, query)).status_code == 200
    assert api(data, "expert").get(q(URL, query)).status_code == 200
    assert api(data, "anonymous").get(q(URL, query)).status_code == 401
    # A member of another agency, and the other agency's expert: not found, even with bad input.
    assert api(data, "outsider").get(q(URL, query)).status_code == 404
    assert api(data, "other_expert").get(q(URL, {"from": "bad"})).status_code == 404
    assert (
        api(data, "smm").get(q("/api/v1/projects/beta/analytics/summary", query)).status_code == 404
    )


def test_series(api, data):
    response = api(data, "smm").get(
        q(
            "/api/v1/projects/alpha/analytics/series",
            {"metric": "reach", "from": "2026-11-01", "to": "2026-11-04"},
        )
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["metric"] == "reach" and body["from"] == "2026-11-01"
    assert [(p["date"], p["value"]) for p in body["points"]] == [
        ("2026-11-01", None),
        ("2026-11-02", 1000),
        ("2026-11-03", 500),
        ("2026-11-04", 250),
    ]
    bad = api(data, "smm").get(
        q(
            "/api/v1/projects/alpha/analytics/series",
            {"metric": "vibes", "from": "2026-11-01", "to": "2026-11-04"},
        )
    )
    assert bad.status_code == 422 and "metric" in bad.json()["error"]["fields"]
    stranger = api(data, "other_expert").get(
        q(
            "/api/v1/projects/alpha/analytics/series",
            {"metric": "reach", "from": "2026-11-01", "to": "2026-11-04"},
        )
    )
    assert stranger.status_code == 404


def test_funnel(api, data):
    response = api(data, "copywriter").get(
        q("/api/v1/projects/alpha/analytics/funnel", {"from": "2026-11-01", "to": "2026-11-30"})
    )
    assert response.status_code == 200, response.content
    steps = response.json()
    assert [(s["step"], s["value"]) for s in steps] == [
        ("reach", 1750),
        ("dialogues", 35),
        ("leads", 7),
        ("sales", None),
    ]
    assert steps[1]["conversion"] == pytest.approx(2.0)
    assert steps[2]["conversion"] == pytest.approx(20.0)
    assert steps[3]["conversion"] is None
