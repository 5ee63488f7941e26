"""The formulas of docs/metrics.md, with values computed by hand and the edge cases."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from zveno.analytics import formulas as f

POST = {"views": 800, "reach": 500, "impressions": 1000, "likes": 30, "comments": 5, "shares": 5}


def approx(value):
    return pytest.approx(value, rel=1e-12)


def test_interactions_default_set_and_absent_parts():
    assert f.interactions(POST) == 40  # 30 + 5 + 5
    assert f.interactions({"likes": 7, "comments": None}) == 7  # absent skipped, not zero
    assert f.interactions({"likes": None, "comments": None, "shares": None}) is None
    assert f.interactions({}) is None
    assert f.interactions({"likes": 0}) == 0  # a reported zero is a zero


def test_interactions_per_network_and_explicit_set():
    counters = {"likes": 10, "comments": 2, "shares": 3, "saves": 4, "poll_votes": 6}
    assert f.interactions(counters, network="vk") == 21  # + poll votes
    assert f.interactions(counters, network="odnoklassniki") == 21
    assert f.interactions(counters, network="telegram") == 15  # reactions + comments + forwards
    assert f.interactions(counters, network="instagram") == 19  # + saves
    assert f.interactions(counters, network="dzen") == 15  # the default set
    assert f.interactions(counters, ["likes", "saves"]) == 14
    assert f.reaction_set("Instagram") == ("likes", "comments", "saves", "shares")


def test_ratio_and_percent_guard_division():
    assert f.ratio(1, 4) == 0.25
    assert f.percent(1, 4) == 25.0
    assert f.percent(3, 0) is None  # zero followers: unknown, not infinite
    assert f.percent(None, 10) is None
    assert f.percent(3, None) is None
    assert f.percent(0, 10) == 0.0
    assert f.percent(Decimal("1.5"), 3) == 50.0


def test_engagement_rates_by_hand():
    assert f.err(40, 500) == approx(8.0)
    assert f.er_view(40, 800) == approx(5.0)
    assert f.er_post(40, 2000) == approx(2.0)
    assert f.er_day(120, 2000) == approx(6.0)
    assert f.love_rate(30, 2000) == approx(1.5)
    assert f.talk_rate(5, 2000) == approx(0.25)
    assert f.amplification_rate(5, 2000) == approx(0.25)
    assert f.virality_rate(5, 1000) == approx(0.5)
    assert f.reach_rate(500, 2000) == approx(25.0)
    assert f.frequency(1000, 500) == 2.0  # not a percentage


def test_zero_followers_and_missing_counters_give_none():
    for func in (f.er_post, f.er_day, f.love_rate, f.talk_rate, f.amplification_rate):
        assert func(10, 0) is None
        assert func(None, 100) is None
    assert f.err(None, 500) is None
    assert f.frequency(None, 500) is None
    assert f.follower_growth(0, 100) is None
    assert f.follower_growth(None, 100) is None
    assert f.churn(5, 0) is None


def test_engagement_rate_denominator_parameter():
    assert f.engagement_rate(POST) == approx(8.0)  # reach by default
    assert f.engagement_rate(POST, denominator="views") == approx(5.0)
    assert f.engagement_rate(POST, denominator="impressions") == approx(4.0)
    assert f.engagement_rate(POST, denominator="followers", followers=4000) == approx(1.0)
    assert f.engagement_rate(POST, denominator="followers") is None  # no follower count given
    assert f.engagement_rate(POST, reactions=["likes"]) == approx(6.0)
    with pytest.raises(ValueError):
        f.engagement_rate(POST, denominator="friends")


def test_telegram_err_and_er_are_their_own_formulas():
    # TGStat ERR: average views / subscribers; the views of three posts average 200.
    assert f.tg_err([100, 200, 300], 1000) == approx(20.0)
    assert f.tg_err([100, None, 300], 1000) == approx(20.0)  # absent views skipped
    assert f.tg_err(250, 1000) == approx(25.0)  # an average passed directly
    assert f.tg_err([], 1000) is None
    assert f.tg_err([100], 0) is None
    # TGStat ER: (forwards + reactions + comments) / views; saves do not count on Telegram.
    post = {"views": 400, "likes": 12, "comments": 4, "shares": 4, "saves": 100}
    assert f.tg_er(post) == approx(5.0)
    assert f.tg_er({"views": 400}) is None
    assert f.FORMULAS["tg_err"].func is f.tg_err
    assert f.FORMULAS["tg_err"].name != f.FORMULAS["err"].name


def test_audience():
    assert f.follower_growth(1000, 1250) == approx(25.0)
    assert f.follower_growth(1000, 900) == approx(-10.0)
    assert f.churn(30, 1200) == approx(2.5)


def test_money_and_funnel():
    assert f.ctr(25, 10_000) == approx(0.25)
    assert f.cpm(Decimal("500.00"), 10_000) == approx(50.0)
    assert f.cpc(Decimal("500.00"), 25) == approx(20.0)
    assert f.cpl(Decimal("500.00"), 4) == approx(125.0)
    assert f.cpa(Decimal("500.00"), 2) == approx(250.0)
    assert f.romi(Decimal("2000.00"), Decimal("500.00")) == approx(300.0)
    assert f.roas(Decimal("2000.00"), Decimal("500.00")) == approx(400.0)
    assert f.romi(100, 0) is None
    assert f.romi(None, 100) is None
    assert f.cpl(500, 0) is None
    assert f.conversion(30, 1200) == approx(2.5)
    assert f.conversion(3, None) is None


PAIRS = [(10, 100), (30, 200), (5, 1000), (1, 50)]  # per-post ratios 10 %, 15 %, 0.5 %, 2 %


def test_three_averages_differ_as_computed_by_hand():
    # Ratio of sums: 46 / 1350 = 3.407… %; the mean of ratios 6.875 %; the median of four ratios
    # (0.5, 2, 10, 15) is the mean of the middle two: 6 %.
    assert f.average(PAIRS, "ratio_of_sums") == approx(46 / 1350 * 100)
    assert f.average(PAIRS, "mean") == approx(6.875)
    assert f.average(PAIRS, "median") == approx(6.0)
    assert f.average(PAIRS[:3], "median") == approx(10.0)  # odd count: the middle one


def test_average_skips_pairs_without_a_ratio():
    pairs = [*PAIRS, (None, 100), (7, 0), (7, None)]
    for how in f.AVERAGING:
        assert f.average(pairs, how) == f.average(PAIRS, how)
    assert f.average([], "mean") is None
    assert f.average([(None, 10), (3, 0)], "median") is None
    with pytest.raises(ValueError):
        f.average(PAIRS, "mode")


def test_every_formula_is_named_documented_and_callable():
    expected = {
        "er_post", "er_day", "er_view", "err", "love_rate", "talk_rate", "amplification_rate",
        "virality_rate", "reach_rate", "frequency", "follower_growth", "churn", "ctr", "cpm",
        "cpc", "cpl", "cpa", "romi", "roas", "conversion", "tg_err", "tg_er",
    }  # fmt: skip
    assert expected <= set(f.FORMULAS)
    for key, formula in f.FORMULAS.items():
        assert formula.key == key
        assert str(formula.name) and str(formula.expression)
        assert formula.unit in (f.PERCENT, f.NUMBER, f.MONEY)
        assert formula.func.__doc__ and "=" in formula.func.__doc__
    with translation.override("en"):
        assert str(f.FORMULAS["err"].expression) == "interactions / reach × 100 %"
    assert f.FORMULAS["frequency"].unit == f.NUMBER
