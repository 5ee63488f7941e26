"""Benchmark: the first start of `zveno serve --demo`, and what `zveno serve` holds in memory idle.

Each round starts from a fresh data directory (SQLite), subject and baseline interleaved:

* subject: `zveno serve --demo` as shipped: the server answers once migrations are applied and the
  demo's people exist; the demo's projects load in a child process behind a banner;
* baseline: the same work in the order it had before, `zveno demo` (the whole demo) and then
  `zveno serve`: the first page comes after the whole demo.

Times are from the launch of the command: the first 200 of the login page, a login with the
printed password, and the demo complete (no banner on the workspace page). After the subject's
demo is loaded and the server has been idle for ``--idle`` seconds, the resident (RSS) and
proportional (PSS: shared pages split between the processes that share them) memory of the
supervisor and each of its descendants is read from /proc.

    .venv/bin/python bench/serve.py [--rounds 2] [--idle 15] [--write]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ZVENO = [sys.executable, "-m", "zveno"]
BANNER = "Загружаются демо-данные"


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--rounds", type=int, default=2)
    args.add_argument("--idle", type=float, default=15.0)
    args.add_argument("--port", type=int, default=8790)
    args.add_argument("--write", action="store_true")
    options = args.parse_args()
    subject, baseline, memory = [], [], None
    for n in range(options.rounds):
        for name in ("subject", "baseline") if n % 2 == 0 else ("baseline", "subject"):
            with tempfile.TemporaryDirectory(prefix="zveno-bench-serve-") as data:
                if name == "subject":
                    times, footprint = run(options, Path(data), memory is None)
                    subject.append(times)
                    memory = memory or footprint
                else:
                    baseline.append(run_baseline(options, Path(data)))
            print(
                name,
                {
                    k: round(v, 1)
                    for k, v in (subject if name == "subject" else baseline)[-1].items()
                },
            )
    rows = table(subject, baseline, memory)
    print(rows)
    if options.write:
        write(rows)


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    return {**env, "ZVENO_DATA_DIR": str(data)}


def run(options, data: Path, measure_memory: bool) -> tuple[dict, dict | None]:
    log = data / "serve.log"
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(
            [*ZVENO, "serve", "--demo", "--port", str(options.port)],
            env=_env(data), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{options.port}"
        first = _wait(lambda: _status(url + "/login/") == 200) - started
        password = _wait(lambda: _password(log))
        with httpx.Client(base_url=url, follow_redirects=True, timeout=30) as http:
            _login(http, password)
            login = time.monotonic() - started
            _wait(lambda: BANNER not in http.get("/w/demo/").text, timeout=600)
            complete = time.monotonic() - started
        footprint = None
        if measure_memory:
            time.sleep(options.idle)
            footprint = _footprint(process.pid)
        return {"first page": first, "login": login, "demo complete": complete}, footprint
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def run_baseline(options, data: Path) -> dict:
    started = time.monotonic()
    printed = subprocess.run(
        [*ZVENO, "demo"], env=_env(data), cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    password = re.search(r"^\s+demo\s+(\S+)", printed, re.MULTILINE).group(1)
    process = subprocess.Popen(
        [*ZVENO, "serve", "--port", str(options.port)], env=_env(data), cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{options.port}"
        first = _wait(lambda: _status(url + "/login/") == 200) - started
        with httpx.Client(base_url=url, follow_redirects=True, timeout=30) as http:
            _login(http, password)
        login = time.monotonic() - started
        return {"first page": first, "login": login, "demo complete": first}
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def _status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.TransportError:
        return None


def _password(log: Path) -> str | None:
    found = re.search(r"^\s+demo\s+(\S+)", log.read_text(), re.MULTILINE)
    return found.group(1) if found else None


def _login(http: httpx.Client, password: str) -> None:
    page = http.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    home = http.post(
        "/login/",
        data={"username": "demo", "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": str(http.base_url) + "login/"},
    )
    assert home.status_code == 200 and str(home.url).endswith("/w/demo/"), home.status_code


def _wait(predicate, timeout: float = 300, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return time.monotonic() if result is True else result
        time.sleep(interval)
    raise SystemExit("timed out")


# --- memory ---------------------------------------------------------------------------------------


def _footprint(root: int) -> dict[str, tuple[int, int]]:
    """(RSS, PSS) in kB of the supervisor and each descendant, named by role."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (OSError, IndexError, ValueError):
                continue
    tree, todo = [root], [root]
    while todo:
        pid = todo.pop()
        kids = [p for p, parent in parents.items() if parent == pid]
        tree += kids
        todo += kids
    found: dict[str, tuple[int, int]] = {}
    for pid in tree:
        name = _role(pid, root, parents)
        rss, pss = _memory(pid)
        n = sum(1 for key in found if key.startswith(name))
        found[name if not n else f"{name} {n + 1}"] = (rss, pss)
    return found


def _role(pid: int, root: int, parents: dict[int, int]) -> str:
    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    if pid == root:
        return "supervisor (zveno serve)"
    if "gunicorn" in command:
        return "gunicorn master" if parents.get(pid) == root else "gunicorn worker"
    if " worker" in command:
        return "background worker"
    return command.strip()[:40]


def _memory(pid: int) -> tuple[int, int]:
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"Rss", "Pss"}:
            values[key] = int(rest.split()[0])
    return values["Rss"], values["Pss"]


# --- results --------------------------------------------------------------------------------------


def table(subject: list[dict], baseline: list[dict], memory: dict | None) -> str:
    median = lambda runs, key: statistics.median(r[key] for r in runs)  # noqa: E731
    rows = [
        "| what | `serve --demo` now | before: whole demo, then serve | ratio | date |",
        "|---|---|---|---|---|",
    ]
    for key in ("first page", "login", "demo complete"):
        a, b = median(subject, key), median(baseline, key)
        rows.append(f"| {key} | {a:.1f} s | {b:.1f} s | {a / b:.2f}× | 2026-12-05 |")
    rows.append("")
    rows.append("| process (idle, demo loaded) | RSS | PSS |")
    rows.append("|---|---|---|")
    for name, (rss, pss) in (memory or {}).items():
        rows.append(f"| {name} | {rss / 1024:.0f} MB | {pss / 1024:.0f} MB |")
    if memory:
        rss = sum(r for r, _ in memory.values()) / 1024
        pss = sum(p for _, p in memory.values()) / 1024
        rows.append(f"| **all of `zveno serve`** | **{rss:.0f} MB** | **{pss:.0f} MB** |")
    return "\n".join(rows)


def write(rows: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    start = text.find(HEADING)
    if start != -1:
        end = text.find("\n## ", start + len(HEADING))
        text = text[:start] + (text[end + 1 :] if end != -1 else "")
    path.write_text(text.rstrip("\n") + f"\n\n{HEADING}\n\n{INTRO}\n\n{rows}\n")


HEADING = "## First start and footprint of `zveno serve` (SQLite)"
INTRO = (
    "`bench/serve.py`: from a fresh data directory, `zveno serve --demo` against the same work in "
    "the order it had before (`zveno demo`, then `zveno serve`), interleaved; medians of the "
    "rounds, seconds from the launch. Memory: each process of `zveno serve` idle once the demo is "
    "loaded; PSS splits the pages processes share, so its total is what the machine gives."
)


if __name__ == "__main__":
    main()
