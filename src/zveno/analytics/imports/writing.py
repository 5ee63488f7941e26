"""Writing parsed records: posts and their snapshots, channel days and business days, in bulk
(COPY on PostgreSQL), in the caller's transaction. Existing rows are compared: a re-import
creates nothing and counts identical rows as unchanged; ``Post.latest_*`` follow the newest
snapshot."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db import connection, connections, models
from django.utils import timezone

from zveno.analytics import presets
from zveno.analytics.imports.parsing import Record
from zveno.analytics.models import (
    BUSINESS_COUNTERS,
    CHANNEL_COUNTERS,
    POST_COUNTERS,
    BusinessDay,
    ChannelDay,
    Import,
    Post,
    PostSnapshot,
    Source,
)

BATCH = 5000  # rows per write batch


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: Counts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


POST_ATTRS = (
    "published_at",
    "network",
    "channel_id",
    "format",
    "media_type",
    "rubric",
    "title",
    "url",
    "is_promoted",
    "has_expert_input",
    "followers_at_publication",
)
LATEST = tuple(f"latest_{name}" for name in POST_COUNTERS)


def _insert(model, rows: list[dict], *, need_ids: bool = False) -> list[int]:
    """Inserts new rows given as {attname: value} (every row with the same keys) and returns
    their ids when asked: with COPY on PostgreSQL (ids taken from the table's sequence first),
    with ``bulk_create`` elsewhere. Runs in the caller's transaction."""
    if not rows:
        return []
    if connection.vendor == "sqlite" and connection.in_atomic_block:
        return _insert_sqlite(model, rows, need_ids=need_ids)
    if connection.vendor != "postgresql":
        objs = model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH)
        return [obj.pk for obj in objs]
    meta = model._meta
    rows = _with_defaults(model, rows)  # COPY names every column, as bulk_create fills them
    names = list(rows[0])
    columns = [meta.get_field(name).column for name in names]
    quote = connection.ops.quote_name
    ids: list[int] = []
    with connection.cursor() as cursor:
        if need_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
            columns = [meta.pk.column, *columns]
        sql = f"COPY {quote(meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            if need_ids:
                for pk, row in zip(ids, rows, strict=True):
                    copy.write_row([pk, *row.values()])
            else:
                for row in rows:
                    copy.write_row(list(row.values()))
    return ids


def _insert_sqlite(model, rows: list[dict], *, need_ids: bool) -> list[int]:
    """SQLite inside a transaction: one prepared INSERT run for every row (``executemany``),
    ids taken first past both the table's largest and its AUTOINCREMENT counter, as on
    PostgreSQL. The transaction holds the write lock, so nobody takes those ids meanwhile; this
    keeps the lock short (``bulk_create`` splits rows into statements of 999 parameters)."""
    meta = model._meta
    given = {meta.get_field(name).attname: name for name in rows[0]}
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    now = timezone.now()

    def value(field, row):
        if field.attname in given:
            return row[given[field.attname]]
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return now
        return field.get_default()  # as bulk_create would fill it

    columns = [field.column for field in fields]
    quote = connection.ops.quote_name
    table = meta.db_table
    ids: list[int] = []
    with connection.cursor() as cursor:
        if need_ids:
            cursor.execute(f"SELECT COALESCE(MAX({quote(meta.pk.column)}), 0) FROM {quote(table)}")
            top = cursor.fetchone()[0]
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            counter = cursor.fetchone()
            first = max(top, counter[0] if counter else 0) + 1
            ids = list(range(first, first + len(rows)))
            columns = [meta.pk.column, *columns]
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) VALUES ({marks})"
        db = connections[connection.alias]  # the real connection, not the per-call proxy
        preps = [_prep(field, db) for field in fields]
        values = ([prep(value(field, row)) for field, prep in zip(fields, preps, strict=True)]
                  for row in rows)  # fmt: skip
        if need_ids:
            cursor.executemany(sql, [[pk, *row] for pk, row in zip(ids, values, strict=True)])
        else:
            cursor.executemany(sql, list(values))
    return ids


def _with_defaults(model, rows: list[dict]) -> list[dict]:
    """Rows completed with the defaults of the fields they leave out (a field added later)."""
    given = {model._meta.get_field(name).attname for name in rows[0]}
    missing = {
        field.attname: field.get_default()
        for field in model._meta.concrete_fields
        if not field.primary_key and field.attname not in given and field.has_default()
    }
    return [{**row, **missing} for row in rows] if missing else rows


PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField)


def _prep(field, db):
    """A converter to the database's value: texts, numbers and booleans pass as they are (the
    parser made them so); dates, decimals, JSON and the rest go through the field."""
    if isinstance(field, PLAIN) or (field.is_relation and field.many_to_one):
        return lambda value: value
    return lambda value: field.get_db_prep_save(value, db)


def _last_wins(records: list[Record], key) -> list[Record]:
    by_key = {}
    for record in records:
        by_key[key(record)] = record
    return list(by_key.values())


def write_posts(project, batch: Import | None, records: list[Record]) -> Counts:
    counts = Counts()
    records = _last_wins(records, lambda r: (r.key[0], r.captured_at))
    keys = {r.key[0] for r in records}
    found = Post.objects.filter(project=project, external_id__in=keys)
    existing = {p.external_id: p for p in found}
    batch_id = batch.pk if batch else None
    # New posts as plain rows (no model instances: this is the hot path of large imports).
    fresh: dict[str, dict] = {}
    for record in records:
        key = record.key[0]
        if key in existing:
            continue
        row = fresh.get(key)
        if row is None:
            row = fresh[key] = {
                "project_id": project.pk,
                "external_id": key,
                "source": Source.IMPORT,
                **record.attrs,
                "last_captured_at": None,
            }
        if row["last_captured_at"] is None or record.captured_at >= row["last_captured_at"]:
            row["last_captured_at"] = record.captured_at
            for name in POST_COUNTERS:
                row[f"latest_{name}"] = record.counters.get(name)
    fresh_ids = dict(zip(fresh, _insert(Post, list(fresh.values()), need_ids=True), strict=True))
    snapshots: dict[tuple, PostSnapshot] = {}
    if existing:
        times = {r.captured_at for r in records if r.key[0] in existing}
        ids = [p.pk for p in existing.values()]
        # A range, not an IN list of times: the planner walks the (post, captured_at) index.
        found = PostSnapshot.objects.filter(
            post_id__in=ids, captured_at__gte=min(times), captured_at__lte=max(times)
        )
        for snap in found:
            if snap.captured_at in times:
                snapshots[(snap.post_id, snap.captured_at)] = snap
    to_create, to_update, changed_posts = [], [], {}
    for record in records:
        key = record.key[0]
        if key in fresh_ids:
            counts.created += 1
            to_create.append(_snapshot_row(fresh_ids[key], record, batch_id))
            continue
        post = existing[key]
        snap = snapshots.get((post.pk, record.captured_at))
        changed = False
        if snap is None:
            to_create.append(_snapshot_row(post.pk, record, batch_id))
            changed = True
        elif any(getattr(snap, k) != v for k, v in record.counters.items()):
            for name, value in record.counters.items():
                setattr(snap, name, value)
            snap.batch_id = batch_id
            to_update.append(snap)
            changed = True
        if any(getattr(post, k) != v for k, v in record.attrs.items()):
            for name, value in record.attrs.items():
                setattr(post, name, value)
            changed_posts[post.pk] = post
            changed = True
        if post.last_captured_at is None or record.captured_at >= post.last_captured_at:
            latest = {f"latest_{k}": v for k, v in record.counters.items()}
            if post.last_captured_at != record.captured_at or any(
                getattr(post, k) != v for k, v in latest.items()
            ):
                post.last_captured_at = record.captured_at
                for name, value in latest.items():
                    setattr(post, name, value)
                changed_posts[post.pk] = post
        if changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
    _insert(PostSnapshot, to_create)
    if to_update:
        PostSnapshot.objects.bulk_update(to_update, [*POST_COUNTERS, "batch"], batch_size=500)
    if changed_posts:
        fields = [*POST_ATTRS, *LATEST, "last_captured_at"]
        Post.objects.bulk_update(changed_posts.values(), fields, batch_size=500)
    return counts


def _snapshot_row(post_id: int, record: Record, batch_id: int | None) -> dict:
    row = {"post_id": post_id, "captured_at": record.captured_at}
    for name in POST_COUNTERS:
        row[name] = record.counters.get(name)
    row["source"] = Source.IMPORT
    row["batch_id"] = batch_id
    return row


def write_channel_days(project, records: list[Record]) -> Counts:
    records = _last_wins(records, lambda r: r.key)
    channels = {r.key[0] for r in records}
    dates = {r.key[1] for r in records}
    existing = {
        (d.channel_id, d.date): d
        for d in ChannelDay.objects.filter(project=project, channel_id__in=channels, date__in=dates)
    }

    def fields(key) -> dict:
        return {"project_id": project.pk, "channel_id": key[0], "date": key[1]}

    return _upsert_days(ChannelDay, CHANNEL_COUNTERS, records, existing, fields)


def write_business_days(project, records: list[Record]) -> Counts:
    records = _last_wins(records, lambda r: r.key)
    dates = {r.key[0] for r in records}
    existing = {
        (d.date, d.channel_id, d.campaign): d
        for d in BusinessDay.objects.filter(project=project, date__in=dates)
    }

    def fields(key) -> dict:
        return {"project_id": project.pk, "date": key[0], "channel_id": key[1], "campaign": key[2]}

    return _upsert_days(BusinessDay, BUSINESS_COUNTERS, records, existing, fields)


def _upsert_days(model, counters, records: list[Record], existing: dict, fields) -> Counts:
    """Creates the days that are new, updates those whose counters changed, counts the rest."""
    counts = Counts()
    to_create, to_update = [], []
    for record in records:
        day = existing.get(record.key)
        if day is None:
            to_create.append({**fields(record.key), "source": Source.IMPORT, **record.counters})
            counts.created += 1
        elif any(getattr(day, k) != v for k, v in record.counters.items()):
            for name, value in record.counters.items():
                setattr(day, name, value)
            day.source = Source.IMPORT
            to_update.append(day)
            counts.updated += 1
        else:
            counts.unchanged += 1
    _insert(model, to_create)
    if to_update:
        model.objects.bulk_update(to_update, [*counters, "source"], batch_size=500)
    return counts


def _day_of(record: Record, tz: dt.tzinfo) -> dt.date | None:
    published = record.attrs.get("published_at")
    if isinstance(published, dt.datetime):
        return published.astimezone(tz).date() if published.tzinfo else published.date()
    return next((part for part in record.key if isinstance(part, dt.date)), None)


def _widen_period(project, batch: Import | None, records: list[Record]) -> None:
    """Keeps on ``batch`` (in memory; ``_done`` saves it) the first and last day written."""
    if batch is None:
        return
    tz = zoneinfo.ZoneInfo(project.timezone or "UTC")
    days = [d for d in (_day_of(r, tz) for r in records) if d is not None]
    if days:
        low, high = min(days), max(days)
        batch.period_start = min(filter(None, (batch.period_start, low)))
        batch.period_end = max(filter(None, (batch.period_end, high)))


def write(project, batch: Import | None, target: str, records: list[Record]) -> Counts:
    _widen_period(project, batch, records)
    if target == presets.POSTS:
        return write_posts(project, batch, records)
    if target == presets.CHANNEL_DAYS:
        return write_channel_days(project, records)
    return write_business_days(project, records)
