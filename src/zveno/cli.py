"""The ``zveno`` command: Zveno's own commands, and ``zveno manage …`` for all of manage.py."""

from __future__ import annotations

import os
import sys

from zveno.config import supervisor  # no Django: `zveno serve` supervises without loading it

USAGE = """usage: zveno <command> [options]

  serve [--demo] [--host H] [--port P]   web server and background worker in one command
  worker [--beat]                         the background worker only (scale-out)
  demo                                    load (or refresh the logins of) the demo workspace
  createadmin                             create a workspace owner account
  token create <username> [--name N]      print a new API token for a user
  import <project> <file> --preset NAME   import metrics from CSV/XLSX (progress bar) [--year Y]
  report <project> --from D --to D        a period report: --format pdf|xlsx|json [--output F]
  publish --due                           one pass of the scheduler: deliver what is due, exit
  channels test <project>                 test the connection of a project's channels
  collect <project> | --all               read post and channel figures from the networks now
  manage <manage.py command> …            any Django management command

`zveno <command> --help` explains each one."""

OWN = {
    "serve", "worker", "demo", "createadmin", "token", "import", "report", "publish", "channels",
    "collect",
}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zveno.config.settings")
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return
    command, *rest = argv
    if command == "serve":
        supervisor.main(rest)  # small: Django runs only in its children
        return
    if command == "manage":
        prog, args = "zveno manage", rest
    elif command in OWN:
        prog, args = "zveno", [command, *rest]  # so its help reads "usage: zveno serve …"
    else:
        print(f"zveno: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
        sys.exit(2)
    from django.core.management import execute_from_command_line

    execute_from_command_line([prog, *args])


if __name__ == "__main__":
    main()
