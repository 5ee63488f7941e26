"""Rows stored before the bounds (core/bounds.py) existed are brought inside them, so no page
fails because of one of them: hours above 1,000, targets above 10^12, dates outside 2000–2099."""

import datetime as dt
from decimal import Decimal

from django.core.management import call_command
from django.db import migrations

FIRST = dt.date(2000, 1, 1)
LAST = dt.date(2099, 12, 31)
FIRST_MOMENT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LAST_MOMENT = dt.datetime(2099, 12, 31, 12, tzinfo=dt.UTC)

DAYS = [
    ("team", "Task", "due_date"),
    ("team", "Stage", "start_date"),
    ("team", "Stage", "end_date"),
    ("analytics", "Goal", "starts_on"),
    ("content", "ExpertRequest", "due_date"),
    ("workspaces", "Project", "start_date"),
    ("workspaces", "Project", "end_date"),
]
MOMENTS = [("content", "ContentItem", "planned_at"), ("content", "Publication", "planned_at")]
NUMBERS = [
    ("team", "Task", "estimate_hours", Decimal(1000)),
    ("analytics", "Goal", "target", Decimal(10**12)),
    ("analytics", "Goal", "baseline_value", Decimal(10**12)),
]


def clamp(apps, schema_editor):
    for app, model, field in DAYS:
        rows = apps.get_model(app, model).objects
        rows.filter(**{f"{field}__lt": FIRST}).update(**{field: FIRST})
        rows.filter(**{f"{field}__gt": LAST}).update(**{field: LAST})
    for app, model, field in MOMENTS:
        rows = apps.get_model(app, model).objects
        rows.filter(**{f"{field}__lt": FIRST_MOMENT}).update(**{field: FIRST_MOMENT})
        rows.filter(**{f"{field}__gt": LAST_MOMENT}).update(**{field: LAST_MOMENT})
    for app, model, field, limit in NUMBERS:
        rows = apps.get_model(app, model).objects
        rows.filter(**{f"{field}__gt": limit}).update(**{field: limit})
        rows.filter(**{f"{field}__lt": -limit}).update(**{field: -limit})


def cache_table(apps, schema_editor):
    # 0001 as first released passed a cache alias where createcachetable expects a table name.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_cache_table"),
        ("team", "0002_responsible_areas_default"),
        ("analytics", "0005_post_media_type"),
        ("content", "0002_media_comments_requests_feeds"),
        ("workspaces", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(cache_table, migrations.RunPython.noop),
        migrations.RunPython(clamp, migrations.RunPython.noop),
    ]
