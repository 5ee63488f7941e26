from zveno.publishing import views

app_name = "publishing"

urlpatterns = list(views.urls)
