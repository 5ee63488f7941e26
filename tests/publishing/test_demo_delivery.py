"""The demo shows every delivery state with its log, without a connected network."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from zveno.content.models import Publication
from zveno.publishing.models import Dispatch, DispatchState

pytestmark = pytest.mark.django_db
S = DispatchState


def test_the_demo_has_published_late_failed_and_needs_check_publications(client):
    call_command("demo", stdout=io.StringIO())
    states = set(Dispatch.objects.values_list("state", flat=True))
    assert {S.PUBLISHED, S.LATE, S.FAILED, S.NEEDS_CHECK} <= states
    for dispatch in Dispatch.objects.all():
        assert dispatch.attempts.exists()
    late = Dispatch.objects.get(state=S.LATE)
    assert [a.outcome for a in late.attempts.all()] == ["transient", "published"]
    failed = Dispatch.objects.get(state=S.FAILED)
    item = Publication.objects.get(pk=failed.ref).item
    client.force_login(get_user_model().objects.get(username="demo"))
    page = client.get(reverse("content:item", args=(item.project.slug, item.pk))).content.decode()
    assert failed.reason in page and "st-failed" in page
    queue = client.get(reverse("content:publishing", args=(item.project.slug,))).content.decode()
    assert "st-needs_check" in queue and failed.reason in queue
