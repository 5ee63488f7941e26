from django.urls import path

from zveno.demo import views

app_name = "demo"

urlpatterns = [path("demo/loading/", views.loading, name="loading")]
