from zveno.notifications import views

app_name = "notifications"

urlpatterns = [*views.urls]
