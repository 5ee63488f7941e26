from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from zveno.accounts import services


class Command(BaseCommand):
    help = "API tokens: `token create <username> [--name N]` prints a new token usable as Bearer."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it (shown only once)")
        create.add_argument("username")
        create.add_argument("--name", default="CLI")
        listing = sub.add_parser("list", help="list a user's tokens")
        listing.add_argument("username")

    def handle(self, *args, **o):
        user = get_user_model().objects.filter(username=o["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {o['username']!r}.")
        if o["action"] == "create":
            _token, raw = services.create_api_token(user, o["name"])
            self.stdout.write(raw)
        else:
            for token in user.api_tokens.all():
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(
                    f"{token.hint}…  {token.name}  {state}  {token.created_at:%Y-%m-%d}"
                )
