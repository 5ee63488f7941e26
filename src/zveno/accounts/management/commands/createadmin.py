import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from zveno.workspaces import services as workspace_services


class Command(BaseCommand):
    help = "Create a person who owns a new workspace (the agency or freelancer account)."

    def add_arguments(self, parser):
        parser.add_argument("--username")
        parser.add_argument("--email", default="")
        parser.add_argument("--name", default="")
        parser.add_argument("--workspace", help="workspace name")
        parser.add_argument(
            "--noinput",
            action="store_true",
            help="take the password from ZVENO_ADMIN_PASSWORD instead of asking",
        )

    def handle(self, *args, **o):
        ask = (lambda label: input(label).strip()) if not o["noinput"] else (lambda label: "")
        username = o["username"] or ask("Login: ")
        if not username:
            raise CommandError("A login is required (--username).")
        User = get_user_model()
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"The login {username!r} is taken.")
        email = o["email"] or ask("E-mail (optional): ")
        workspace = o["workspace"] or ask("Workspace name (agency or your name): ") or username
        if o["noinput"]:
            password = os.environ.get("ZVENO_ADMIN_PASSWORD", "")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password again: "):
                raise CommandError("The passwords do not match.")
        try:
            validate_password(password, User(username=username, email=email))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        user = User.objects.create_user(
            username=username, email=email, password=password, name=o["name"]
        )
        ws = workspace_services.create_workspace(user, workspace)
        self.stdout.write(self.style.SUCCESS(f"Created {username}, owner of “{ws.name}”."))
