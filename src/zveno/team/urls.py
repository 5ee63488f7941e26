from zveno.team.views import agreement, health, matrix, work

app_name = "team"

# Each view module lists its own routes, so the modules can grow independently.
urlpatterns = [*matrix.urls, *work.urls, *agreement.urls, *health.urls]
