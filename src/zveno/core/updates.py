"""Writing each of many rows its own values in one statement.

Django's ``bulk_update`` builds a ``CASE WHEN pk = … THEN …`` expression for every row and field and
resolves each one (for a delivery wave of 80 attempts, 400 expressions): in the publishing
workers that was most of the CPU a post costs. ``update_each`` sends the values as a table
instead, ``UPDATE … FROM (VALUES …) AS v``, which PostgreSQL and SQLite (3.33 and later) both
run, the values prepared by the fields themselves as ``bulk_update`` prepares them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from django.db import connections, router

BATCH = 500
PLAIN = {  # the field types whose values and casts are plain on both databases
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "DateField",
    "DateTimeField", "FloatField", "ForeignKey", "IntegerField", "PositiveIntegerField",
    "PositiveSmallIntegerField", "SlugField", "SmallIntegerField", "TextField", "URLField",
}  # fmt: skip
SQLITE_UPDATE_FROM = tuple(int(x) for x in sqlite3.sqlite_version.split(".")) >= (3, 33)


def update_each(objs: Sequence, fields: Sequence[str]) -> int:
    """Writes ``fields`` of each object to its row (by primary key); answers the rows changed.
    Objects of one model; a field of another kind than ``PLAIN`` goes through ``bulk_update``."""
    if not objs:
        return 0
    model = type(objs[0])
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    connection = connections[router.db_for_write(model)]
    plain = all(c.concrete and c.get_internal_type() in PLAIN for c in columns)
    if not plain or (connection.vendor == "sqlite" and not SQLITE_UPDATE_FROM):
        return model._base_manager.bulk_update(objs, fields)
    if connection.vendor not in ("postgresql", "sqlite"):
        return model._base_manager.bulk_update(objs, fields)
    quote = connection.ops.quote_name
    pk = meta.pk
    if connection.vendor == "postgresql":  # VALUES would otherwise type its parameters as text
        casts = [f"%s::{f.cast_db_type(connection)}" for f in (pk, *columns)]
        names = ["pk", *(f"c{i}" for i in range(len(columns)))]
        alias = f"v({', '.join(names)})"
    else:  # SQLite names the columns of VALUES column1, column2, …
        casts = ["%s"] * (len(columns) + 1)
        names = [f"column{i + 1}" for i in range(len(columns) + 1)]
        alias = "v"
    row = f"({', '.join(casts)})"
    sets = ", ".join(f"{quote(c.column)} = v.{names[i + 1]}" for i, c in enumerate(columns))
    table = quote(meta.db_table)
    changed = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objs), BATCH):
            chunk = objs[start : start + BATCH]
            params = []
            for obj in chunk:
                params.append(pk.get_db_prep_save(obj.pk, connection=connection))
                for column in columns:
                    value = getattr(obj, column.attname)
                    params.append(column.get_db_prep_save(value, connection=connection))
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([row] * len(chunk))}) "
                f"AS {alias} WHERE {table}.{quote(pk.column)} = v.{names[0]}",
                params,
            )
            changed += cursor.rowcount
    return changed
