"""The imports API: the Facebook file end to end, the summary against the raw CSV, the errors."""

from __future__ import annotations

import pytest

from tests.analytics.import_helpers import FACEBOOK, api_upload, facebook_totals
from zveno.analytics.models import Import, Post


def test_facebook_file_through_the_api_then_the_summary_matches_the_raw_csv(world, client, api):
    response = api_upload(
        client, world.tokens["smm"], FACEBOOK, preset="facebook_insights", year="2014"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("status", "created", "updated", "unchanged", "errors")} == {
        "status": "done",
        "created": 500,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
    }
    assert body["total_rows"] == body["processed_rows"] == 500
    assert Post.objects.filter(project=world.alpha).count() == 500

    summary = api(world, "smm").get(
        "/api/v1/projects/alpha/analytics/summary?from=2014-01-01&to=2014-12-31"
    )
    assert summary.status_code == 200, summary.content
    got = summary.json()
    expected = facebook_totals()
    for key in ("posts", "reach", "impressions", "likes", "comments", "shares", "interactions"):
        assert got[key] == expected[key], key

    again = api_upload(
        client, world.tokens["smm"], FACEBOOK, preset="facebook_insights", year="2014"
    )
    assert again.status_code == 201
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 500)
    assert Post.objects.filter(project=world.alpha).count() == 500

    one = api(world, "expert").get(f"/api/v1/projects/alpha/imports/{body['id']}")
    assert one.status_code == 200 and one.json()["status"] == "done"
    listing = api(world, "copywriter").get("/api/v1/projects/alpha/imports")
    assert [i["id"] for i in listing.json()] == [again.json()["id"], body["id"]]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"preset": "myspace"}, "preset"),
        ({"preset": "facebook_insights"}, "year"),
        ({"preset": "facebook_insights", "year": "twenty"}, "year"),
        ({"preset": "zveno_posts", "channel": "999999"}, "channel"),
        ({"preset": "generic_posts"}, "mapping"),
    ],
)
def test_a_bad_request_is_422_with_the_error_shape(world, client, fields, field):
    response = api_upload(client, world.tokens["smm"], FACEBOOK, **fields)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]
    assert Import.objects.count() == 0


def test_an_empty_file_is_422(world, client, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    response = api_upload(client, world.tokens["smm"], empty, preset="zveno_posts")
    assert response.status_code == 422
    assert "file" in response.json()["error"]["fields"]


def test_row_errors_come_back_in_the_answer_and_nothing_is_saved(world, client, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Published,Network,Reach,Shoe size\n31.02.2026,vk,-1,44\n")
    response = api_upload(client, world.tokens["smm"], bad, preset="zveno_posts")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "failed" and body["created"] == 0
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(1, "Shoe size")]
    assert "Shoe size" in body["errors"][0]["message"]
    bad.write_text("Published,Network,Reach\n31.02.2026,vk,-1\n")
    body = api_upload(client, world.tokens["smm"], bad, preset="zveno_posts").json()
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(2, "Published"), (2, "Reach")]
    assert Post.objects.count() == 0


def test_generic_mapping_as_json(world, client, tmp_path):
    data = tmp_path / "any.csv"
    data.write_text("day,net,people\n2026-11-02 09:00,telegram,321\n")
    mapping = '{"day": "published_at", "net": "network", "people": "reach"}'
    response = api_upload(
        client, world.tokens["smm"], data, preset="generic_posts", mapping=mapping
    )
    assert response.status_code == 201 and response.json()["status"] == "done"
    assert Post.objects.get(project=world.alpha).latest_reach == 321


def test_a_copywriter_may_not_import_and_an_outsider_does_not_see_the_project(world, client):
    response = api_upload(
        client, world.tokens["copywriter"], FACEBOOK, preset="facebook_insights", year="2014"
    )
    assert response.status_code == 403
    response = api_upload(
        client, world.tokens["other_expert"], FACEBOOK, preset="facebook_insights", year="2014"
    )
    assert response.status_code == 404
    assert Import.objects.count() == 0 and Post.objects.count() == 0


def test_another_projects_import_is_not_found(world, api):
    batch = Import.objects.create(
        project=world.beta, preset="zveno_posts", filename="b.csv", file="imports/b.csv"
    )
    assert api(world, "owner").get(f"/api/v1/projects/alpha/imports/{batch.pk}").status_code == 404
    assert api(world, "expert").get(f"/api/v1/projects/beta/imports/{batch.pk}").status_code == 404
