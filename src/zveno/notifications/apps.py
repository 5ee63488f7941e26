from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """The in-app inbox: what a member should see (a goal reached, …)."""

    name = "zveno.notifications"
    label = "notifications"
    verbose_name = _("Notifications")
