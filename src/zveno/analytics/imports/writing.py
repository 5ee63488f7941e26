"""The swap: an import's staged rows made visible in one short set-based transaction.

Run inside the caller's transaction, after ``staging.Staging.prepare``. A handful of statements
per target, each over the whole staging table and executed by the database itself (no row passes
through Python): the outcome is counted first (created, updated, unchanged, as a re-import
reports them; on PostgreSQL only the unchanged first, the created as they are inserted), then
rows that changed are updated (``UPDATE … FROM``), then the new ones are inserted
(``INSERT … SELECT``; on PostgreSQL new posts and their snapshots in one statement). Rows are
matched by their keys: posts by (project, external id), snapshots by (post, capture time),
channel days by (channel, date), business days by (project, date, channel, campaign); identical
rows are not written at all, so re-importing an unchanged file changes nothing. A post takes
its attributes and its ``latest_*`` counters from its newest capture in the file (``head``), the
latter only when that capture is not older than the one it has: ``Post.latest_*`` and
``last_captured_at`` always equal the newest snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from zveno.analytics import presets
from zveno.analytics.imports.staging import POST_ATTRS, WORK_MEM, Staging
from zveno.analytics.models import (
    BUSINESS_COUNTERS,
    CHANNEL_COUNTERS,
    POST_COUNTERS,
    BusinessDay,
    ChannelDay,
    Post,
    PostSnapshot,
    Source,
)


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _op() -> str:
    """NULL-safe "differs" (NULL and NULL are the same, NULL and 5 are not)."""
    return "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"


def _differs(left: str, right: str, names) -> str:
    """SQL true when any of the columns differs between two rows."""
    return "(" + " OR ".join(f"{left}.{_q(n)} {_op()} {right}.{_q(n)}" for n in names) + ")"


def _defaults(model, given: set[str]) -> tuple[list[str], list]:
    """The columns a set-based insert leaves to the model's defaults, with their values."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in given:
            continue
        columns.append(field.column)
        values.append(field.get_db_prep_save(field.get_default(), connection))
    return columns, values


def _insert_sql(model, chosen: dict[str, str], source_sql: str) -> tuple[str, list]:
    """``INSERT INTO model (chosen…, defaults…) SELECT <chosen exprs>, <defaults> <source_sql>``
    with the defaults' values (their placeholders come after the chosen expressions')."""
    rest, values = _defaults(model, set(chosen))
    names = ", ".join(_q(model._meta.get_field(a).column) for a in chosen) + "".join(
        f", {_q(c)}" for c in rest
    )
    exprs = ", ".join(chosen.values()) + "".join(", %s" for _c in rest)
    return f"INSERT INTO {_q(model._meta.db_table)} ({names}) SELECT {exprs} {source_sql}", values


def _insert(cursor, model, chosen: dict[str, str], params: list, source_sql: str, more: list):
    sql, values = _insert_sql(model, chosen, source_sql)
    cursor.execute(sql, [*params, *values, *more])


def _count(cursor, sql: str, params: list) -> Counts:
    cursor.execute(sql, params)
    total, created, unchanged = (value or 0 for value in cursor.fetchone())
    return Counts(created, total - created - unchanged, unchanged)


def swap(project, import_id: int, staging: Staging) -> Counts:
    """Makes the staged rows visible; call inside a transaction (all or nothing)."""
    if staging.rows == 0:
        return Counts()
    if staging.target == presets.POSTS:
        return _swap_posts(project, import_id, staging)
    if staging.target == presets.CHANNEL_DAYS:
        return _swap_channel_days(project, staging)
    return _swap_business_days(project, staging)


def _swap_posts(project, import_id: int, staging: Staging) -> Counts:
    st = _q(staging.table)
    post, snap = _q(Post._meta.db_table), _q(PostSnapshot._meta.db_table)
    ext, cap, head = _q("external_id"), _q("captured_at"), _q("head")
    match = f"p.{_q('project_id')} = %s AND p.{ext} = s.{ext}"
    snap_match = f"x.{_q('post_id')} = p.id AND x.{cap} = s.{cap}"
    postgres = connection.vendor == "postgresql"
    same_snapshot = f"NOT {_differs('x', 's', POST_COUNTERS)}"
    same_post = f"(NOT s.{head} OR NOT {_differs('p', 's', POST_ATTRS)})"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            # Unchanged rows, before anything changes; what is created is counted as it is
            # inserted, the rest was updated.
            cursor.execute(
                f"SELECT count(*) FROM {st} AS s JOIN {post} AS p ON {match} "
                f"JOIN {snap} AS x ON {snap_match} WHERE {same_snapshot} AND {same_post}",
                [project.pk],
            )
            unchanged = cursor.fetchone()[0]
        else:
            counts = _count(
                cursor,
                f"SELECT count(*), sum(CASE WHEN p.id IS NULL THEN 1 ELSE 0 END), "
                f"sum(CASE WHEN x.id IS NOT NULL AND {same_snapshot} AND {same_post} "
                f"THEN 1 ELSE 0 END) "
                f"FROM {st} AS s LEFT JOIN {post} AS p ON {match} "
                f"LEFT JOIN {snap} AS x ON {snap_match}",
                [project.pk],
            )
        # Snapshots whose counters changed.
        sets = ", ".join(f"{_q(n)} = s.{_q(n)}" for n in POST_COUNTERS)
        cursor.execute(
            f"UPDATE {snap} AS x SET {sets}, {_q('batch_id')} = %s FROM {st} AS s "
            f"JOIN {post} AS p ON {match} WHERE {snap_match} "
            f"AND {_differs('x', 's', POST_COUNTERS)}",
            [import_id, project.pk],
        )
        _update_posts(cursor, project, st)
        if postgres:
            created = _insert_posts_and_snapshots(cursor, project, import_id, st)
            counts = Counts(created, staging.rows - created - unchanged, unchanged)
        else:
            _insert_posts(cursor, project, st)
            _insert_snapshots(cursor, project, import_id, st)
    return counts


def _update_posts(cursor, project, st: str) -> None:
    """Known posts, in one pass: their attributes from their newest capture in the file when
    they changed, and their latest counters when that capture is not older than the post's."""
    ext, cap, head, last = _q("external_id"), _q("captured_at"), _q("head"), _q("last_captured_at")
    match = f"p.{_q('project_id')} = %s AND p.{ext} = s.{ext}"
    latest = [f"p.{_q(f'latest_{n}')} {_op()} s.{_q(n)}" for n in POST_COUNTERS]
    olds = " OR ".join([f"p.{last} <> s.{cap}", *latest])
    newer = f"(p.{last} IS NULL OR (s.{cap} >= p.{last} AND ({olds})))"
    sets = [f"{_q(n)} = s.{_q(n)}" for n in POST_ATTRS]
    sets += [
        f"{_q(column)} = CASE WHEN {newer} THEN s.{_q(value)} ELSE p.{_q(column)} END"
        for column, value in [
            ("last_captured_at", "captured_at"),
            *((f"latest_{n}", n) for n in POST_COUNTERS),
        ]
    ]
    cursor.execute(
        f"UPDATE {_q(Post._meta.db_table)} AS p SET {', '.join(sets)} FROM {st} AS s "
        f"WHERE s.{head} AND {match} AND ({_differs('p', 's', POST_ATTRS)} OR {newer})",
        [project.pk],
    )


def _new_post() -> dict[str, str]:
    """A new post's columns, from its newest capture in the file (its counters the latest)."""
    return {
        "project_id": "%s",
        "external_id": f"s.{_q('external_id')}",
        "source": "%s",
        **{name: f"s.{_q(name)}" for name in POST_ATTRS},
        "last_captured_at": f"s.{_q('captured_at')}",
        **{f"latest_{name}": f"s.{_q(name)}" for name in POST_COUNTERS},
    }


def _new_snapshot(post_id: str) -> dict[str, str]:
    return {
        "post_id": post_id,
        "captured_at": f"s.{_q('captured_at')}",
        **{name: f"s.{_q(name)}" for name in POST_COUNTERS},
        "source": "%s",
        "batch_id": "%s",
    }


def _insert_posts(cursor, project, st: str) -> None:
    post, ext = _q(Post._meta.db_table), _q("external_id")
    _insert(
        cursor, Post, _new_post(), [project.pk, Source.IMPORT],
        f"FROM {st} AS s WHERE s.{_q('head')} AND NOT EXISTS "
        f"(SELECT 1 FROM {post} AS p WHERE p.{_q('project_id')} = %s AND p.{ext} = s.{ext})",
        [project.pk],
    )  # fmt: skip


def _insert_snapshots(cursor, project, import_id: int, st: str) -> None:
    """Snapshots that are new (of new posts and of known ones)."""
    post, snap, ext, cap = (
        _q(Post._meta.db_table), _q(PostSnapshot._meta.db_table), _q("external_id"),
        _q("captured_at"),
    )  # fmt: skip
    _insert(
        cursor, PostSnapshot, _new_snapshot("p.id"), [Source.IMPORT, import_id],
        f"FROM {st} AS s JOIN {post} AS p ON p.{_q('project_id')} = %s AND p.{ext} = s.{ext} "
        f"WHERE NOT EXISTS (SELECT 1 FROM {snap} AS x WHERE x.{_q('post_id')} = p.id "
        f"AND x.{cap} = s.{cap})",
        [project.pk],
    )  # fmt: skip


def _insert_posts_and_snapshots(cursor, project, import_id: int, st: str) -> int:
    """PostgreSQL: the new posts and the new snapshots in one statement, returning how many
    rows of the file were of new posts. A new post's snapshots take its id as it is inserted
    (no lookup of the post, no check for a snapshot that cannot exist yet); new snapshots of
    known posts are found as in ``_insert_snapshots`` (the statement sees the posts as they
    were before it, so these are known posts only)."""
    post, snap, ext, cap = (
        _q(Post._meta.db_table), _q(PostSnapshot._meta.db_table), _q("external_id"),
        _q("captured_at"),
    )  # fmt: skip
    posts, post_defaults = _insert_sql(
        Post, _new_post(),
        f"FROM {st} AS s WHERE s.{_q('head')} AND NOT EXISTS "
        f"(SELECT 1 FROM {post} AS p WHERE p.{_q('project_id')} = %s AND p.{ext} = s.{ext})",
    )  # fmt: skip
    fresh, fresh_defaults = _insert_sql(
        PostSnapshot, _new_snapshot("n.id"),
        f"FROM {st} AS s JOIN new_posts AS n ON n.{ext} = s.{ext}",
    )  # fmt: skip
    known, known_defaults = _insert_sql(
        PostSnapshot, _new_snapshot("p.id"),
        f"FROM {st} AS s JOIN {post} AS p ON p.{_q('project_id')} = %s AND p.{ext} = s.{ext} "
        f"WHERE NOT EXISTS (SELECT 1 FROM {snap} AS x WHERE x.{_q('post_id')} = p.id "
        f"AND x.{cap} = s.{cap})",
    )  # fmt: skip
    cursor.execute(
        f"WITH new_posts AS ({posts} RETURNING id, {ext}), "
        f"fresh AS ({fresh} RETURNING 1), known AS ({known} RETURNING 1) "
        f"SELECT (SELECT count(*) FROM fresh), (SELECT count(*) FROM known)",
        [
            project.pk, Source.IMPORT, *post_defaults, project.pk,
            Source.IMPORT, import_id, *fresh_defaults,
            Source.IMPORT, import_id, *known_defaults, project.pk,
        ],
    )  # fmt: skip
    return cursor.fetchone()[0]


def _swap_days(project, staging: Staging, model, counters, match: str, insert_key: dict) -> Counts:
    st, table = _q(staging.table), _q(model._meta.db_table)
    with connection.cursor() as cursor:
        counts = _count(
            cursor,
            f"SELECT count(*), "
            f"sum(CASE WHEN NOT EXISTS (SELECT 1 FROM {table} AS d WHERE {match}) "
            f"THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN EXISTS (SELECT 1 FROM {table} AS d WHERE {match} "
            f"AND NOT {_differs('d', 's', counters)}) THEN 1 ELSE 0 END) FROM {st} AS s",
            [project.pk, project.pk],
        )
        sets = ", ".join(f"{_q(n)} = s.{_q(n)}" for n in counters)
        cursor.execute(
            f"UPDATE {table} AS d SET {sets}, {_q('source')} = %s FROM {st} AS s "
            f"WHERE {match} AND {_differs('d', 's', counters)}",
            [Source.IMPORT, project.pk],
        )
        chosen = {
            "project_id": "%s",
            **insert_key,
            **{name: f"s.{_q(name)}" for name in counters},
            "source": "%s",
        }
        _insert(
            cursor, model, chosen, [project.pk, Source.IMPORT],
            f"FROM {st} AS s WHERE NOT EXISTS (SELECT 1 FROM {table} AS d WHERE {match})",
            [project.pk],
        )  # fmt: skip
    return counts


def _swap_channel_days(project, staging: Staging) -> Counts:
    channel, date = _q("channel_id"), _q("date")
    match = f"d.{_q('project_id')} = %s AND d.{channel} = s.{channel} AND d.{date} = s.{date}"
    key = {"channel_id": f"s.{channel}", "date": f"s.{date}"}
    return _swap_days(project, staging, ChannelDay, CHANNEL_COUNTERS, match, key)


def _swap_business_days(project, staging: Staging) -> Counts:
    channel, date, campaign = _q("channel_id"), _q("date"), _q("campaign")
    match = (
        f"d.{_q('project_id')} = %s AND d.{date} = s.{date} "
        f"AND COALESCE(d.{channel}, 0) = s.{channel} AND d.{campaign} = s.{campaign}"
    )
    key = {
        "date": f"s.{date}",
        "channel_id": f"NULLIF(s.{channel}, 0)",
        "campaign": f"s.{campaign}",
    }
    return _swap_days(project, staging, BusinessDay, BUSINESS_COUNTERS, match, key)
