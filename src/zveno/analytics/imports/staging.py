"""Staging: the checked rows of one import in a table of its own, ``analytics_staging_<id>``.

The table is created when the check pass starts (a leftover of an earlier attempt is dropped
first) and filled as the rows are checked, ``BATCH`` rows per short transaction (one prepared
INSERT run for every row on SQLite, COPY into an UNLOGGED table on PostgreSQL), so other people's
writes get in between the batches. Nobody reads it but the import: the rows become visible only
through the swap (``writing.swap``), one short set-based transaction. Before the swap the table
is prepared in short steps of its own: indexed by its key, a key's earlier duplicate rows dropped
(the last row in the file wins), and for posts the newest capture of each post marked ``head``.
The table is dropped when the import ends, whatever happened; a process killed meanwhile leaves
it behind, and the sweep drops every staging table whose import is not running
(:func:`drop_leftovers`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import operator

from django.db import connection, transaction

from zveno.analytics import presets
from zveno.analytics.imports.parsing import Record
from zveno.analytics.models import (
    BUSINESS_COUNTERS,
    CHANNEL_COUNTERS,
    POST_COUNTERS,
    BusinessDay,
    ChannelDay,
    Import,
    ImportStatus,
    Post,
    PostSnapshot,
)

BATCH = 5000  # rows per staging transaction: a few milliseconds of the write lock
PREFIX = "analytics_staging_"
WORK_MEM = "64MB"  # PostgreSQL: the preparing and swapping joins hash in memory, not on disk

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

# The staged columns of each target (after ``row``, the file's row number), with the model field
# each takes its column type from, and the columns that make a row's key.
KEYS = {
    presets.POSTS: ("external_id", "captured_at"),
    presets.CHANNEL_DAYS: ("channel_id", "date"),
    presets.BUSINESS_DAYS: ("date", "channel_id", "campaign"),
}
COLUMNS = {
    presets.POSTS: ("external_id", "captured_at", *POST_ATTRS, *POST_COUNTERS),
    presets.CHANNEL_DAYS: ("channel_id", "date", *CHANNEL_COUNTERS),
    presets.BUSINESS_DAYS: ("date", "channel_id", "campaign", *BUSINESS_COUNTERS),
}


def _field(target: str, name: str):
    if target == presets.POSTS:
        model = PostSnapshot if name in ("captured_at", *POST_COUNTERS) else Post
    else:
        model = ChannelDay if target == presets.CHANNEL_DAYS else BusinessDay
    return model._meta.get_field(name.removesuffix("_id") if name == "channel_id" else name)


def _sqlite_prep(field):
    """The text SQLite keeps for a value of ``field``, as the ORM writes it. Times the parser
    gives in UTC take a short way (the field's own preparation is most of the staging cost)."""

    def prep(value):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return str(value.astimezone(dt.UTC).replace(tzinfo=None))
        return field.get_db_prep_save(value, connection)

    return prep


def table_name(import_id: int) -> str:
    return f"{PREFIX}{int(import_id)}"


_post_attrs = operator.itemgetter(*POST_ATTRS)
_post_counters = operator.itemgetter(*POST_COUNTERS)


def _values(target: str, record: Record) -> tuple:
    if target == presets.POSTS:
        return (
            record.row,
            record.key[0],
            record.captured_at,
            *_post_attrs(record.attrs),
            *_post_counters(record.counters),
        )
    if target == presets.CHANNEL_DAYS:
        counters = record.counters
        return (record.row, *record.key, *(counters[name] for name in CHANNEL_COUNTERS))
    day, channel_id, campaign = record.key
    counters = record.counters
    # No channel is staged as 0, so the key compares with "=" and an index serves it.
    return (record.row, day, channel_id or 0, campaign, *(counters[n] for n in BUSINESS_COUNTERS))


class Staging:
    """The staging table of one import: ``create``, ``put`` batches, ``prepare``, ``drop``."""

    def __init__(self, import_id: int, target: str):
        self.import_id = import_id
        self.target = target
        self.table = table_name(import_id)
        self.columns = COLUMNS[target]
        self.keys = KEYS[target]
        self.rows = 0
        self.last_row = 0
        self.postgres = connection.vendor == "postgresql"
        # SQLite keeps texts, numbers and booleans as they are; datetimes, dates and decimals
        # take the text the ORM gives them, so the swap compares like with like.
        self._adapt: list = []
        for index, name in enumerate(self.columns, start=1):
            field = _field(target, name)
            if not self.postgres and field.get_internal_type() in (
                "DateTimeField",
                "DateField",
                "DecimalField",
            ):
                self._adapt.append((index, field))

    def q(self, name: str) -> str:
        return connection.ops.quote_name(name)

    def create(self) -> None:
        drop(self.import_id)
        columns = [f"{self.q('row')} integer{'' if self.postgres else ' PRIMARY KEY'}"]
        for name in self.columns:
            field = _field(self.target, name)
            columns.append(f"{self.q(name)} {field.db_type(connection)}")
        if self.target == presets.POSTS:
            columns.append(f"{self.q('head')} boolean NOT NULL DEFAULT {self._true}")
        unlogged = "UNLOGGED " if self.postgres else ""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"CREATE {unlogged}TABLE {self.q(self.table)} ({', '.join(columns)})")

    @property
    def _true(self) -> str:
        return "true" if self.postgres else "1"

    def put(self, records: list[Record]) -> None:
        """Stages a batch of checked records in one short transaction of its own."""
        if not records:
            return
        rows = [_values(self.target, record) for record in records]
        if self._adapt:
            rows = [list(row) for row in rows]
            for index, field in self._adapt:
                prep = _sqlite_prep(field)
                for row in rows:
                    row[index] = prep(row[index])
        names = ", ".join(self.q(n) for n in ("row", *self.columns))
        with relaxed_commit(), connection.cursor() as cursor:
            if self.postgres:
                sql = f"COPY {self.q(self.table)} ({names}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * (len(self.columns) + 1))
                sql = f"INSERT INTO {self.q(self.table)} ({names}) VALUES ({marks})"
                cursor.executemany(sql, rows)
        self.rows += len(rows)
        self.last_row = records[-1].row

    def _chunks(self):
        """Row ranges for SQLite's preparing statements, ``BATCH`` rows each (each a short
        transaction: SQLite has one writer at a time)."""
        for low in range(0, self.last_row + 1, BATCH):
            yield low, low + BATCH - 1

    def prepare(self) -> None:
        """Drops a key's earlier duplicates (the last row in the file wins) and, for posts,
        marks each post's newest capture as its ``head``."""
        if self.postgres:
            self._prepare_postgres()
            return
        q, t = self.q, self.q(self.table)
        key = [q(k) for k in self.keys]
        with transaction.atomic(), connection.cursor() as cursor:
            columns = ", ".join([*key, q("row")])
            cursor.execute(f"CREATE INDEX {q(self.table + '_key')} ON {t} ({columns})")
        same = " AND ".join(f"d.{k} = s.{k}" for k in key)
        later = f"DELETE FROM {t} AS s WHERE s.{q('row')} BETWEEN %s AND %s AND EXISTS "
        later += f"(SELECT 1 FROM {t} AS d WHERE {same} AND d.{q('row')} > s.{q('row')})"
        steps = [later]
        if self.target == presets.POSTS:
            # Captures are unique per post now, so the newest is the one with none after it.
            ext, cap = q("external_id"), q("captured_at")
            steps.append(
                f"UPDATE {t} AS s SET {q('head')} = 0 "
                f"WHERE s.{q('row')} BETWEEN %s AND %s AND EXISTS (SELECT 1 FROM {t} AS d "
                f"WHERE d.{ext} = s.{ext} AND d.{cap} > s.{cap})"
            )
        for number, sql in enumerate(steps):
            for low, high in self._chunks():
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(sql, [low, high])
                    if number == 0:
                        self.rows -= cursor.rowcount

    def _prepare_postgres(self) -> None:
        """The same on PostgreSQL in two statements, each finding the few keys concerned by
        one hashed pass over the table (most keys have one row, most posts one capture) rather
        than an index built for it and probed for every row; then the table's statistics, so
        the swap plans its joins on real numbers."""
        q, t, row = self.q, self.q(self.table), self.q("row")
        key = ", ".join(q(k) for k in self.keys)
        same = " AND ".join(f"s.{q(k)} = d.{q(k)}" for k in self.keys)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            cursor.execute(
                f"DELETE FROM {t} AS s USING (SELECT {key}, max({row}) AS last FROM {t} "
                f"GROUP BY {key} HAVING count(*) > 1) AS d WHERE {same} AND s.{row} < d.last"
            )
            self.rows -= cursor.rowcount
            if self.target == presets.POSTS:
                ext, cap = q("external_id"), q("captured_at")
                cursor.execute(
                    f"UPDATE {t} AS s SET {q('head')} = false FROM (SELECT {ext}, max({cap}) "
                    f"AS newest FROM {t} GROUP BY {ext} HAVING count(*) > 1) AS d "
                    f"WHERE s.{ext} = d.{ext} AND s.{cap} < d.newest"
                )
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {t}")

    def drop(self) -> None:
        drop(self.import_id)


@contextlib.contextmanager
def relaxed_commit():
    """A short transaction whose commit does not wait for the disk on PostgreSQL: for writes a
    crash may lose without harm (staged rows live in an UNLOGGED table, which a crash empties
    anyway, and the import then runs again from the start; a progress figure is a hint). Inside
    an outer transaction it changes nothing, so the outer commit keeps its guarantee."""
    relax = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if relax:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        yield


def drop(import_id: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table_name(import_id))}")


def staged_rows(import_id: int) -> int:
    """Rows in the import's staging table (0 when it has none): what a running import has
    checked and staged, invisible to everyone until its swap."""
    table = table_name(import_id)
    with connection.cursor() as cursor:
        if table not in connection.introspection.table_names(cursor):
            return 0
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0]


def drop_leftovers() -> list[int]:
    """Drops the staging tables of imports that are not running (their process was killed, or
    the import is gone); returns their import ids. The import's row is locked while its status
    is read and its table dropped, so a worker claiming it meanwhile stages into a new table."""
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
    ids = sorted(
        int(n[len(PREFIX) :]) for n in names if n.startswith(PREFIX) and n[len(PREFIX) :].isdigit()
    )
    dropped = []
    for pk in ids:
        with transaction.atomic():
            status = (
                Import.objects.select_for_update()
                .filter(pk=pk)
                .values_list("status", flat=True)
                .first()
            )
            if status != ImportStatus.RUNNING:
                drop(pk)
                dropped.append(pk)
    return dropped
