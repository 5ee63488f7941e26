"""The demo's content: every case has a month of items in many states, with real history."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from zveno.content.models import (
    Activity,
    ContentItem,
    ExpertRequest,
    PublicationStatus,
    RequestStatus,
    State,
)
from zveno.workspaces.models import Project

pytestmark = pytest.mark.django_db
SLUGS = ["realtor-msk", "realtor-kazan", "course-launch", "course-launch-solo", "sofa-shop"]


def test_demo_gives_every_case_a_month_of_content():
    call_command("demo", stdout=io.StringIO())
    today = timezone.localdate()
    for slug in SLUGS:
        project = Project.objects.get(workspace__slug="demo", slug=slug)
        items = ContentItem.objects.filter(project=project)
        assert 12 <= items.count() <= 20, slug
        assert len(set(items.values_list("state", flat=True))) >= 5, slug
        assert items.filter(rubric__isnull=False).count() == items.count(), slug
        for item in items.filter(state=State.PUBLISHED).prefetch_related("publications"):
            for publication in item.publications.all():
                assert publication.status == PublicationStatus.PUBLISHED
                assert publication.published_at is not None
    assert not ContentItem.objects.exclude(
        pk__in=Activity.objects.values_list("item_id", flat=True)
    ).exists()

    msk = Project.objects.get(slug="realtor-msk")
    assert msk.content_items.filter(state=State.EXPERT_APPROVAL).count() >= 3
    overdue = ExpertRequest.objects.filter(
        project=msk, status=RequestStatus.OPEN, due_date__lt=today
    )
    assert overdue.count() >= 2
    telegram = msk.content_items.filter(
        state=State.PUBLISHED, publications__channel__network="telegram"
    ).values_list("publications__url", flat=True)
    assert any(url.startswith("https://t.me/") for url in telegram)

    kazan = Project.objects.get(slug="realtor-kazan")
    answered = ExpertRequest.objects.filter(project=kazan, status=RequestStatus.ANSWERED)
    assert answered.count() >= 2
    assert all(r.items.exists() for r in answered)
    assert not ExpertRequest.objects.filter(project=kazan, status=RequestStatus.OPEN).exists()

    launch = Project.objects.get(slug="course-launch")
    ad = launch.content_items.get(is_ad=True)
    assert ad.erid
