"""One item transition reads the mover's memberships once: the grant read at the start (by the
page, the API or the service itself) is passed down to every check the move makes."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zveno.content import services
from zveno.content.models import State


def _membership_reads(queries) -> int:
    """Reads of the mover's membership row (not the project's visibility, a subquery)."""
    return sum(1 for q in queries if q["sql"].startswith('SELECT "workspaces_projectmembership".'))


def test_a_transition_in_the_service_reads_membership_once(world, item, django_assert_num_queries):
    services.transition(world.users["smm"], item, "copy")
    # The copywriter moves their own step: visible, may edit, is the step's assignee. Before the
    # grant was passed down this took 16 queries, two of them reading the membership; one more
    # finds who now holds the item, to tell them (content/handover.py); one more stamps the
    # project's team summary as changed (team/summary.py: the plan is its input).
    with django_assert_num_queries(16) as captured:
        services.transition(world.users["copywriter"], item, "design")
    assert _membership_reads(captured.captured_queries) == 1
    item.refresh_from_db()
    assert item.state == State.DESIGN


def test_a_transition_through_the_page_reads_membership_once(world, item, client):
    services.transition(world.users["smm"], item, "copy")
    client.force_login(world.users["copywriter"])
    url = reverse("content:item_move", args=[world.alpha.slug, item.pk])
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, {"to": "design"})
    assert response.status_code == 302
    # Before the grant was passed down: 3 (the page, then the service twice).
    assert _membership_reads(captured.captured_queries) == 1
    item.refresh_from_db()
    assert item.state == State.DESIGN


def test_a_refused_move_is_still_refused_with_the_grant(world, item, client):
    services.transition(world.users["smm"], item, "copy")
    client.force_login(world.users["expert"])
    url = reverse("content:item_move", args=[world.alpha.slug, item.pk])
    assert client.post(url, {"to": "design"}).status_code == 403
    item.refresh_from_db()
    assert item.state == State.COPY
