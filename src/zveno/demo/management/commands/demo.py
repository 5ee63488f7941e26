from django.core.management import call_command
from django.core.management.base import BaseCommand

from zveno.demo import seed


class Command(BaseCommand):
    help = "Load the demo workspace (the seed's four cases); if it exists, print new passwords."

    def add_arguments(self, parser):
        parser.add_argument(
            "--people-only",
            action="store_true",
            help="create the people and the workspace now and print their logins (the owner's "
            "works at once, the others' once `--rest` has started); `--rest` loads the projects",
        )
        parser.add_argument(
            "--rest", action="store_true", help="load what the demo workspace still lacks"
        )

    def handle(self, *args, **options):
        if options["rest"]:
            if seed.load_rest():
                self.stdout.write("The demo workspace is loaded.")
            return
        migrate = lambda: call_command("migrate", interactive=False, verbosity=0)  # noqa: E731
        if options["people_only"]:
            # Hashed while the tables are made; the owner's now, the others' by --rest.
            logins = seed.load_people(meanwhile=migrate, owner_first=True)
        else:
            migrate()
            logins = seed.load()
        self.stdout.write(seed.format_logins(logins))
