from zveno.bots import views

app_name = "bots"

urlpatterns = [*views.urls]
