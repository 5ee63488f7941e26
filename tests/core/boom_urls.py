"""The project's URLs plus one that fails, for the error page test."""

from django.urls import path

from zveno.config.urls import urlpatterns as project_urls
from zveno.workspaces import access


@access.public
def boom(request):
    raise RuntimeError("a bug in a page")


urlpatterns = [*project_urls, path("boom/", boom)]
