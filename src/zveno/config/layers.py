"""The declared order of the apps: who may import whom. ``tests/test_import_order.py`` enforces it.

Read top to bottom as "rests on": an app may import the apps listed before it, never the ones after
it. A lower app that needs something from a higher one offers a seam (a list of functions or a
registered model) that the higher app fills in its ``AppConfig.ready``.

Inside every app, the *edge* modules (pages, API, URLs, forms, template tags, commands, admin) talk
to people and may use any app's services, selectors and models, and the edge helpers of the apps
before their own (``core.forms``); the rest of the app (the *domain*:
models, services, selectors, tasks, rules) follows the order and never imports an edge module.
The last app, ``projects``, composes the others (a project started from a playbook, its settings
and networks saved together); any app's pages may call it. Above the apps sit the demo data
(``demo``) and the project configuration (``config``).
"""

from __future__ import annotations

# The domain apps, ground first. A new app (a messenger, a collection) goes just above the last
# app it needs; a new module inside an app needs nothing here.
APPS: tuple[str, ...] = (
    "core",  # helpers with no domain: dates, PDF, rows, the Celery app, middleware
    "workspaces",  # workspaces, projects, memberships, roles; the access chokepoint
    "accounts",  # users, tokens, invitations into workspaces and projects
    "notifications",  # the inbox and every way a person is told; a leaf any app above may call
    "webhooks",  # outbound webhooks of a workspace: signed deliveries, retries, log; emit()
    "publishing",  # channels, formats, delivery of publications (connectors, the scheduler)
    "playbooks",  # niche playbooks and the one a project follows
    "team",  # matrix, agreements, stages and tasks, workload, health rules
    "content",  # items, workflow, publications, expert requests, calendar, plan
    "analytics",  # posts and counters, formulas, goals, imports, reports
    "bots",  # the Telegram and MAX bot: linking, the expert's loop, messages by preference
    "projects",  # composition across the apps: starting a project, its settings and networks
)

# Packages above every app, in their own order: each may import any app and the ones before it.
ABOVE: tuple[str, ...] = (
    "demo",  # demo data seeded through the apps' services
    "config",  # settings, URLs, the API object, WSGI, the command line
)

# Module names (a file or a package, at any depth inside an app) that form the edge.
EDGE: frozenset[str] = frozenset(
    {"views", "api", "urls", "forms", "templatetags", "management", "admin"}
)

# Modules outside any app: the package root (version) belongs to the ground, the entry points above.
ROOT_MODULES: dict[str, str] = {"zveno": "core", "zveno.cli": "config", "zveno.__main__": "config"}
