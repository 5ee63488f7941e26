from zveno.analytics.views import (
    agency,
    collection,
    daily,
    goals,
    imports,
    overview,
    performance,
    reports,
)

app_name = "analytics"

# Each view module lists its own routes, so the modules can grow independently.
urlpatterns = [
    *overview.urls,
    *performance.urls,
    *goals.urls,
    *imports.urls,
    *daily.urls,
    *reports.urls,
    *agency.urls,
    *collection.urls,
]
