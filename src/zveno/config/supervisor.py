"""`zveno serve`: a small supervisor that starts the web server and the worker as its children.

It never imports Django (a few megabytes rather than a hundred, idle for days): the one-time steps
run in a child, `zveno manage prepare`, which prints what to start; the demo's projects load in
another child while the server already answers. The worker (and the messenger bot) start again
whenever they die, and the log says so; without the web server there is no service, so its death
stops everything.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time

PLAN = "PLAN "  # the last line of `zveno manage prepare`
ZVENO = [sys.executable, "-m", "zveno"]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="zveno serve",
        description="Run Zveno: a production web server (gunicorn) and the background worker, "
        "until Ctrl-C.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--web-workers", type=int, default=2, help="gunicorn processes (default 2)")
    p.add_argument("--web-threads", type=int, default=4, help="threads in each (default 4)")
    p.add_argument(
        "--demo", action="store_true", help="load the demo workspace if the database is empty"
    )
    p.add_argument("--no-worker", action="store_true", help="do not start the background worker")
    return p


def main(argv: list[str]) -> None:
    options = parser().parse_args(argv)
    try:
        plan = _prepare(options.demo)
    except KeyboardInterrupt:  # Ctrl-C reached the child too: it stops on its own
        print("\nStopped.", flush=True)
        sys.exit(130)
    if plan is None:
        sys.exit(1)
    env = {**os.environ, "ZVENO_DATA_DIR": plan["data_dir"]}
    # Links in e-mails sent by the worker point where this server listens, unless told.
    env.setdefault("ZVENO_BASE_URL", f"http://{options.host}:{options.port}")
    web = gunicorn(options.host, options.port, options.web_workers, options.web_threads)
    children = [Child("web server", web, env, restart=False)]
    if options.demo:
        # What the demo still lacks loads beside the server; pages say so until it is done.
        children.append(Child("demo loader", [*ZVENO, "manage", "demo", "--rest"], env, once=True))
    if not options.no_worker:
        # With a demo loading, the worker waits for it: the scheduler never sees half a demo.
        worker = Child("worker", [*ZVENO, "worker", "--beat"], env, restart=True, start=False)
        children.append(worker)
    if plan["bot"]:
        # The messenger bot: long polling (or registering its webhook) in its own process.
        children.append(Child("messenger bot", [*ZVENO, "manage", "bot"], env, restart=True))
    url = f"http://{options.host}:{options.port}/"
    print(f"\nZveno is running at {url}")
    print(f"Data: {plan['data_dir']}  Database: {plan['database']}")
    if plan["logins"]:
        print(plan["logins"], end="" if plan["logins"].endswith("\n") else "\n")
    elif not plan["accounts"]:
        print("No accounts yet: run `zveno createadmin` or `zveno demo`.")
    print("Press Ctrl-C to stop.\n", flush=True)
    sys.exit(supervise(children))


def gunicorn(host: str, port: int, workers: int, threads: int) -> list[str]:
    """The web server's command line (bench/api.py measures the API under the same one)."""
    return [
        sys.executable, "-m", "gunicorn", "zveno.config.wsgi:application",
        "--bind", f"{host}:{port}", "--workers", str(workers),
        "--worker-class", "gthread", "--threads", str(threads),
        "--graceful-timeout", "10", "--access-logfile", "-", "--log-level", "warning",
    ]  # fmt: skip


def _prepare(demo: bool) -> dict | None:
    """Runs `zveno manage prepare`, passing its lines through; returns the plan it printed."""
    args = [*ZVENO, "manage", "prepare", *(["--demo"] if demo else [])]
    plan = None
    with subprocess.Popen(args, stdout=subprocess.PIPE, text=True) as child:
        for line in child.stdout:
            if line.startswith(PLAN):
                plan = json.loads(line[len(PLAN) :])
            else:
                print(line, end="", flush=True)
    if child.returncode != 0 or plan is None:
        print(f"zveno: preparing failed (exit code {child.returncode})", file=sys.stderr)
        return None
    return plan


class Child:
    """A process this supervisor runs: started again when it dies (``restart``), run to its end
    once (``once``), or, for the web server, the service itself."""

    RESTART_PAUSE = 2.0  # seconds between restarts, so a worker that cannot start does not spin

    def __init__(self, name, args, env, *, restart=False, once=False, start=True):
        self.name, self.args, self.env = name, args, env
        self.restart, self.once = restart, once
        self.restarts = 0
        self.process: subprocess.Popen | None = None
        if start:
            self.spawn()

    def spawn(self) -> None:
        self.started = time.monotonic()
        # A new session: Ctrl-C reaches only this supervisor, which stops the children in order.
        self.process = subprocess.Popen(self.args, env=self.env, start_new_session=True)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def revive(self) -> None:
        if time.monotonic() - self.started < self.RESTART_PAUSE:
            time.sleep(self.RESTART_PAUSE)
        self.restarts += 1
        self.spawn()
        _log(f"the {self.name} was started again (restart {self.restarts}, pid {self.process.pid})")


def _log(message: str) -> None:
    print(f"zveno: {message}", file=sys.stderr, flush=True)


def supervise(children: list[Child]) -> int:
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        code = _check(children)
        if code is not None:
            break
        _start_waiting(children)
        time.sleep(0.3)
    print("\nStopping…", flush=True)
    live = [c for c in children if c.running]
    for child in live:
        child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for child in live:
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()
    print("Stopped.", flush=True)
    return code or 0


def _check(children: list[Child]) -> int | None:
    """Handles the children that exited; an exit code when the server must stop."""
    for child in [c for c in children if c.exited()]:
        returncode = child.process.returncode
        if child.once:
            children.remove(child)
            if returncode == 0:
                _log(f"the {child.name} finished")
            else:
                _log(f"the {child.name} exited with code {returncode}")
            continue
        _log(f"the {child.name} exited with code {returncode}")
        if not child.restart:  # the web server is the service: without it, stop
            return returncode or 1
        child.revive()
    return None


def _start_waiting(children: list[Child]) -> None:
    """Starts the children that wait for the one-off ones (the worker waits for the demo)."""
    if any(c.once for c in children):
        return
    for child in children:
        if child.process is None:
            child.spawn()
