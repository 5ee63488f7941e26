from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Users, profiles, invitations and API tokens."""

    name = "zveno.accounts"
    label = "accounts"
    verbose_name = _("Accounts")
