"""Whether the worker that claimed a job is still alive.

A job takes a lock before it claims its row and holds it while it runs; the operating system
(SQLite, one machine: ``flock`` on a file under ``<data dir>/claims/``) or PostgreSQL (a session
advisory lock on a connection of its own) releases that lock the moment the process dies, even by
SIGKILL. A sweep that finds a row marked running whose lock nobody holds knows the worker died and
queues the job again at once, instead of waiting for a time-out.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections


class Busy(Exception):
    """Somebody else holds this claim."""


def _path(name: str) -> Path:
    folder = Path(settings.DATA_DIR) / "claims"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.lock"


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def holding(name: str):
    """Holds the claim ``name`` for the block; raises Busy when another process holds it."""
    if connection.vendor == "postgresql":
        side = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with side.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [_key(name)])
                if not cursor.fetchone()[0]:
                    raise Busy(name)
            yield
        finally:
            side.close()  # ends the session: PostgreSQL drops its advisory locks
        return
    path = _path(name)
    handle = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(name) from None
        try:
            yield
        finally:
            path.unlink(missing_ok=True)
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def alive(name: str) -> bool:
    """True while some process holds the claim ``name``."""
    if connection.vendor == "postgresql":
        side = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with side.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [_key(name)])
                return not cursor.fetchone()[0]  # closing the connection lets go of it again
        finally:
            side.close()
    try:
        handle = os.open(_path(name), os.O_RDWR)
    except FileNotFoundError:  # never claimed, or its job has finished
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
    finally:
        os.close(handle)
