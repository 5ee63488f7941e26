from django.urls import include, path

from zveno.config.api import api
from zveno.projects import views as project_views

urlpatterns = [
    path("", project_views.home, name="home"),
    path("", include("zveno.accounts.urls")),
    path("", include("zveno.projects.urls")),
    path("", include("zveno.playbooks.urls")),
    path("", include("zveno.team.urls")),
    path("", include("zveno.content.urls")),
    path("", include("zveno.publishing.urls")),
    path("", include("zveno.analytics.urls")),
    path("", include("zveno.notifications.urls")),
    path("", include("zveno.webhooks.urls")),
    path("", include("zveno.bots.urls")),
    path("", include("zveno.demo.urls")),
    path("api/v1/", api.urls),
]
