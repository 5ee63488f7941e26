"""Links built from one reverse of a URL name are those ``reverse`` gives for every slug."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zveno.core import links


@pytest.mark.parametrize("name", ["analytics:overview", "analytics:goals", "projects:project"])
@pytest.mark.parametrize("slug", ["alpha", "client-200", "a_b-9"])
def test_a_link_by_slug_is_the_reversed_url(name, slug):
    assert links.by_slug(name)(slug) == reverse(name, args=[slug])
