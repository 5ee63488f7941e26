from zveno.content.views import (
    approval_links,
    calendar,
    delivery,
    items,
    publications,
    publishing,
    requests,
    sheets,
)

app_name = "content"

# Each view module lists its own routes, so the modules can grow independently.
urlpatterns = [
    *approval_links.urls,
    *items.urls,
    *calendar.urls,
    *requests.urls,
    *sheets.urls,
    *publications.urls,
    *delivery.urls,
    *publishing.urls,
]
