"""The database cache table that holds the throttle's counts when there is no Redis."""

from django.conf import settings
from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    for alias, cache in settings.CACHES.items():
        if cache["BACKEND"].endswith("DatabaseCache"):
            call_command("createcachetable", alias, database=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = []

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
