from zveno.content.views import calendar, delivery, items, publications, requests, sheets

app_name = "content"

# Each view module lists its own routes, so the modules can grow independently.
urlpatterns = [
    *items.urls,
    *calendar.urls,
    *requests.urls,
    *sheets.urls,
    *publications.urls,
    *delivery.urls,
]
