from django.urls import path

from zveno.playbooks import views

app_name = "playbooks"

urlpatterns = [
    path("w/<slug:ws>/playbooks/", views.playbook_list, name="list"),
    # Before the key route: "import" would otherwise be taken for a playbook's key.
    path("w/<slug:ws>/playbooks/import/", views.import_playbook, name="import"),
    path("w/<slug:ws>/playbooks/<str:key>/", views.detail, name="detail"),
    path("w/<slug:ws>/playbooks/<str:key>/clone/", views.clone, name="clone"),
    path("w/<slug:ws>/playbooks/<str:key>/edit/", views.edit, name="edit"),
    path("w/<slug:ws>/playbooks/<str:key>/export/", views.export, name="export"),
    path("p/<slug:slug>/playbook/", views.project_playbook, name="project_playbook"),
]
