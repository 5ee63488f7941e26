from django.urls import path

from zveno.projects import views

app_name = "projects"

urlpatterns = [
    path("w/<slug:ws>/", views.workspace, name="workspace"),
    path("w/<slug:ws>/people/", views.workspace_people, name="workspace_people"),
    path(
        "w/<slug:ws>/invitations/<int:pk>/revoke/",
        views.workspace_invitation_revoke,
        name="workspace_invitation_revoke",
    ),
    path("w/<slug:ws>/projects/new/", views.project_create, name="project_create"),
    path("p/<slug:slug>/", views.project, name="project"),
    path("p/<slug:slug>/settings/", views.project_edit, name="project_edit"),
    path("p/<slug:slug>/team/", views.members, name="members"),
    path("p/<slug:slug>/team/<int:pk>/", views.member_row, name="member_row"),
    path("p/<slug:slug>/team/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("p/<slug:slug>/team/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path(
        "p/<slug:slug>/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
]
