"""`zveno manage prepare`: the one-time steps `zveno serve` runs before it starts its processes.

The supervisor that `zveno serve` is never loads Django; it runs this command as a child and reads
its last line (``PLAN {json}``): where the data lives, the logins to print, whether a bot runs.
"""

from __future__ import annotations

import io
import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

PLAN = "PLAN "


class Command(BaseCommand):
    help = "Apply migrations, collect static files and, with --demo, create the demo's people."

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo", action="store_true", help="create the demo's people if the database is empty"
        )

    def handle(self, *args, **options):
        self.stdout.write("Zveno: applying migrations…")
        self.stdout.flush()
        logins = ""
        has_accounts = _has_accounts()
        if options["demo"] and has_accounts:
            self.stdout.write("The database is not empty: the demo was not loaded.")
        if options["demo"] and not has_accounts:
            # Only the people here, so their logins work at once; the demo's projects load in
            # the background (`zveno demo --rest`). The command applies the migrations while it
            # hashes the passwords. The demo sits above the apps: it is run as its command,
            # never imported here.
            printed = io.StringIO()
            call_command("demo", "--people-only", stdout=printed)
            logins, has_accounts = printed.getvalue(), True
        else:
            call_command("migrate", interactive=False, verbosity=0)
            has_accounts = get_user_model().objects.exists()
        call_command("collectstatic", interactive=False, verbosity=0)
        plan = {
            "data_dir": str(settings.DATA_DIR),
            "database": _db_label(),
            "logins": logins,
            "accounts": has_accounts,
            "bot": bool(settings.ZVENO_TELEGRAM_BOT_TOKEN or settings.ZVENO_MAX_BOT_TOKEN),
        }
        self.stdout.write(PLAN + json.dumps(plan, ensure_ascii=False))


def _has_accounts() -> bool:
    """Whether anybody can log in yet; False on a database with no tables."""
    User = get_user_model()
    if User._meta.db_table not in connection.introspection.table_names():
        return False
    return User.objects.exists()


def _db_label() -> str:
    db = settings.DATABASES["default"]
    return "SQLite " + str(db["NAME"]) if "sqlite" in db["ENGINE"] else f"PostgreSQL {db['NAME']}"
