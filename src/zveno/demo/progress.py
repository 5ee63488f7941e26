"""Where the demo's loading stands, in a small file of the data directory.

`zveno serve --demo` creates the demo's people first and loads the rest in a process of its own
while the server already answers; pages show a banner while the file exists. Each step is its own
transaction and is written down when it commits, so an interrupted load resumes where it stopped.
A file rather than a row: every page asks, and a file costs no query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class Progress:
    done: tuple[str, ...]
    total: int

    @property
    def percent(self) -> int:
        return min(99, round(100 * len(self.done) / self.total)) if self.total else 0


def _path() -> Path:
    return Path(settings.DATA_DIR) / "demo-loading.json"


def current() -> Progress | None:
    """The demo's loading, or None when nothing is loading."""
    try:
        state = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Progress(tuple(state.get("done", ())), int(state.get("total", 0)))


def record(done: list[str], total: int, passwords: dict[str, str] | None = None) -> None:
    """Writes the steps done so far (atomically: a page never reads half a file), and the
    printed passwords still to hash, if any (readable by the owner only, like the secret key)."""
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    state = {"done": done, "total": total, "passwords": passwords or {}}
    tmp.touch(mode=0o600)
    tmp.write_text(json.dumps(state), encoding="utf-8")
    tmp.replace(path)


def waiting_passwords() -> dict[str, str]:
    try:
        return dict(json.loads(_path().read_text(encoding="utf-8")).get("passwords") or {})
    except (OSError, ValueError):
        return {}


def finish() -> None:
    _path().unlink(missing_ok=True)
