"""`zveno manage rotate_credentials`: re-encrypt every channel's secrets with the newest key."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from zveno.core import crypto
from zveno.publishing import services
from zveno.webhooks import services as webhook_services


class Command(BaseCommand):
    help = (
        "Re-encrypt channel credentials with the first key of ZVENO_ENCRYPTION_KEY. Put the new "
        "key first, keep the old ones after it, run this, then drop the old keys."
    )

    def handle(self, *args, **options):
        try:
            changed = services.rotate_credentials()
            hooks = webhook_services.reencrypt_secrets()
        except crypto.CannotDecrypt as exc:
            raise CommandError(
                f"{exc}. Keep every old key in ZVENO_ENCRYPTION_KEY until the rotation is done."
            ) from None
        self.stdout.write(f"Re-encrypted the credentials of {changed} channel(s).")
        self.stdout.write(f"Re-encrypted the secrets of {hooks} webhook(s).")
