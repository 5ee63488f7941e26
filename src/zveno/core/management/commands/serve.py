"""`zveno serve`: migrations, static files, then the web server and the worker together."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run Zveno: a production web server (gunicorn) and the background worker, until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
        parser.add_argument(
            "--demo", action="store_true", help="load the demo workspace if the database is empty"
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the background worker here"
        )

    def handle(self, *args, **options):
        self.stdout.write("Zveno: applying migrations…")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        logins = ""
        if options["demo"]:
            if get_user_model().objects.exists():
                self.stdout.write("The database is not empty: the demo was not loaded.")
            else:
                self.stdout.write("Loading the demo workspace…")
                # The demo sits above the apps: it is run as its command, never imported here.
                printed = io.StringIO()
                call_command("demo", stdout=printed)
                logins = printed.getvalue()
        children = self._start(options)
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"\nZveno is running at {url}"))
        self.stdout.write(f"Data: {settings.DATA_DIR}  Database: {_db_label()}")
        if logins:
            self.stdout.write(logins, ending="")
        elif not get_user_model().objects.exists():
            self.stdout.write("No accounts yet: run `zveno createadmin` or `zveno demo`.")
        self.stdout.write("Press Ctrl-C to stop.\n")
        self.stdout.flush()
        sys.exit(_supervise(children))

    def _start(self, options) -> list[Child]:
        env = {**os.environ, "ZVENO_DATA_DIR": str(settings.DATA_DIR)}
        # Links in e-mails sent by the worker point where this server listens, unless told.
        env.setdefault("ZVENO_BASE_URL", f"http://{options['host']}:{options['port']}")
        web = [
            sys.executable, "-m", "gunicorn", "zveno.config.wsgi:application",
            "--bind", f"{options['host']}:{options['port']}",
            "--workers", str(options["web_workers"]),
            "--worker-class", "gthread", "--threads", "4",
            "--graceful-timeout", "10", "--access-logfile", "-", "--log-level", "warning",
        ]  # fmt: skip
        # New sessions: Ctrl-C reaches only this supervisor, which stops the children in order.
        children = [Child("web server", web, env, restart=False)]
        if not options["no_worker"]:
            worker = [sys.executable, "-m", "zveno", "worker", "--beat"]
            children.append(Child("worker", worker, env, restart=True))
        if settings.ZVENO_TELEGRAM_BOT_TOKEN or settings.ZVENO_MAX_BOT_TOKEN:
            # The messenger bot: long polling (or registering its webhook) in its own process,
            # run by its command's name like the demo; started again like the worker.
            bot = [sys.executable, "-m", "zveno", "manage", "bot"]
            children.append(Child("messenger bot", bot, env, restart=True))
        return children


def _db_label() -> str:
    db = settings.DATABASES["default"]
    return "SQLite " + str(db["NAME"]) if "sqlite" in db["ENGINE"] else f"PostgreSQL {db['NAME']}"


class Child:
    """A process this supervisor runs; the worker (and the bot) start again whenever they die."""

    RESTART_PAUSE = 2.0  # seconds between restarts, so a worker that cannot start does not spin

    def __init__(self, name: str, args: list[str], env: dict, *, restart: bool):
        self.name, self.args, self.env, self.restart = name, args, env, restart
        self.restarts = 0
        self.process = self._spawn()

    def _spawn(self) -> subprocess.Popen:
        self.started = time.monotonic()
        return subprocess.Popen(self.args, env=self.env, start_new_session=True)

    def poll(self):
        return self.process.poll()

    @property
    def returncode(self):
        return self.process.returncode

    def revive(self) -> bool:
        """Starts a dead child again if it is one to restart; False when the server must stop."""
        if not self.restart:
            return False
        if time.monotonic() - self.started < self.RESTART_PAUSE:
            time.sleep(self.RESTART_PAUSE)
        self.restarts += 1
        self.process = self._spawn()
        print(
            f"zveno: the {self.name} was started again (restart {self.restarts}, "
            f"pid {self.process.pid})",
            file=sys.stderr,
            flush=True,
        )
        return True

    def send_signal(self, signum) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout=None):
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        self.process.kill()


def _supervise(children: list[Child]) -> int:
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for child in children:
            if child.poll() is not None:
                print(
                    f"zveno: the {child.name} exited with code {child.returncode}",
                    file=sys.stderr,
                    flush=True,
                )
                if not child.revive():  # the web server is the service: without it, stop
                    stopping, code = True, child.returncode or 1
                    break
        time.sleep(0.3)
    print("\nStopping…", flush=True)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    print("Stopped.", flush=True)
    return code
