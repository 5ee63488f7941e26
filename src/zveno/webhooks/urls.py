from zveno.webhooks import views

app_name = "webhooks"

urlpatterns = [*views.urls]
