"""The demo's one page fragment: the banner that says the demo is still loading."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from zveno.demo import progress
from zveno.workspaces import access


@require_GET
@access.public
def loading(request):
    """Polled by the banner every two seconds; once loaded, a last banner says so and stops."""
    state = progress.current()
    return render(request, "demo/_loading.html", {"demo_loading": state, "loaded": state is None})
