from django.core.management import call_command
from django.core.management.base import BaseCommand

from zveno.core import demo


class Command(BaseCommand):
    help = "Load the demo workspace (the seed's four cases); if it exists, print new passwords."

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        logins = demo.load()
        self.stdout.write(demo.format_logins(logins))
