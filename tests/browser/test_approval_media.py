"""The expert opens the approval link on a phone, without logging in, and sees the picture.

Before: the picture pointed at ``/media/…``, which ``zveno serve`` never served.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.browser.conftest import shot
from tests.conftest import build_world
from tests.content.test_item_pages import tiny_png
from tests.content.test_links import expert_waiting_item
from zveno.content import collab, links

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_approval_link_shows_the_image_without_a_login(new_page):
    world = build_world()
    item = expert_waiting_item(world)
    collab.attach_media(world.users["smm"], item, SimpleUploadedFile("v.png", tiny_png()))
    raw = links.create_approval_link(world.users["smm"], world.alpha, item=item)[1]
    page, console = new_page(viewport={"width": 390, "height": 844})
    page.goto(reverse("content:approval_link", args=[raw]))
    image = page.locator(".approve-card .thumbs img")
    image.wait_for()
    page.wait_for_function("document.querySelector('.approve-card .thumbs img').complete")
    assert image.evaluate("img => img.naturalWidth") > 0
    shot(page, "50-approval-link-with-image")
    assert console.errors == []
