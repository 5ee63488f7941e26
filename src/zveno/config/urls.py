from django.urls import include, path

from zveno.config.api import api
from zveno.workspaces import views as workspace_views

urlpatterns = [
    path("", workspace_views.home, name="home"),
    path("", include("zveno.accounts.urls")),
    path("", include("zveno.workspaces.urls")),
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
