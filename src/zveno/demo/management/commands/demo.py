from django.core.management import call_command
from django.core.management.base import BaseCommand

from zveno.demo import seed


class Command(BaseCommand):
    help = "Load the demo workspace (the seed's four cases); if it exists, print new passwords."

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        logins = seed.load()
        self.stdout.write(seed.format_logins(logins))
