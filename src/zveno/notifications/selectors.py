"""Reads: a person's part in a project, their channels for an event, their quiet hours."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings as django_settings

from zveno.notifications.events import (
    CHANNELS,
    EVENTS,
    EXPERT,
    MAKER,
    MANAGER,
    event,
)
from zveno.notifications.models import MessengerAccount, Preference, Settings
from zveno.workspaces.models import ProjectMembership, WorkspaceMembership

MANAGER_ROLES = {"smm", "producer"}


def audience(user, project=None) -> str:
    """The person's part in the project for the defaults: expert, manager or maker. Without a
    project: the part they play in most of their projects."""
    memberships = ProjectMembership.objects.filter(user=user)
    if project is not None:
        memberships = memberships.filter(project=project)
        if (
            project.workspace_id
            and WorkspaceMembership.objects.filter(
                user=user, workspace_id=project.workspace_id, role__in=["owner", "admin"]
            ).exists()
        ):
            return MANAGER
    roles: set[str] = set()
    for membership in memberships:
        roles |= set(membership.roles or [])
    if roles & MANAGER_ROLES:
        return MANAGER
    if "expert" in roles:
        return EXPERT
    if roles:
        return MAKER
    if WorkspaceMembership.objects.filter(user=user, role__in=["owner", "admin"]).exists():
        return MANAGER
    return MAKER


def chosen(user) -> dict[str, frozenset[str]]:
    """The person's own choices, by verb (events they never touched are absent)."""
    return {
        p.verb: frozenset(c for c in p.channels if c in CHANNELS)
        for p in Preference.objects.filter(user=user)
    }


def channels_for(user, verb: str, project=None, *, choices=None, part: str | None = None):
    """The channels the person wants for ``verb``: their own choice, else their role's default."""
    choices = chosen(user) if choices is None else choices
    if verb in choices:
        return choices[verb]
    return event(verb).default_channels(part or audience(user, project))


def preference_table(user) -> list[dict]:
    """Every event with the channels in force for the person, grouped as on the page."""
    choices, part = chosen(user), audience(user)
    rows = []
    for verb, ev in EVENTS.items():
        rows.append(
            {
                "verb": verb,
                "label": ev.label,
                "group": ev.group,
                "channels": channels_for(user, verb, choices=choices, part=part),
                "custom": verb in choices,
            }
        )
    return rows


def settings_for(user) -> Settings:
    """The person's settings, or the defaults (quiet 22:00–09:00, no digest) unsaved."""
    found = Settings.objects.filter(user=user).first()
    if found:
        return found
    quiet_from, quiet_to = Settings.DEFAULT_QUIET
    return Settings(user=user, quiet_from=quiet_from, quiet_to=quiet_to)


def zone_of(user, project=None) -> zoneinfo.ZoneInfo:
    for name in (getattr(user, "timezone", ""), getattr(project, "timezone", "")):
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo(django_settings.TIME_ZONE)


def after_quiet_hours(user, moment: dt.datetime, prefs: Settings | None = None, project=None):
    """``moment`` if it falls outside the person's quiet hours, else the end of those hours (in
    their own time zone; a window may run past midnight)."""
    prefs = prefs or settings_for(user)
    start, end = prefs.quiet_from, prefs.quiet_to
    if start is None or end is None or start == end:
        return moment
    zone = zone_of(user, project)
    local = moment.astimezone(zone)
    t = local.time()
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return moment
    day = local.date()
    if start > end and t >= start:  # late evening: quiet until tomorrow morning
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=zone).astimezone(dt.UTC)


def messenger_accounts(user) -> dict[str, MessengerAccount]:
    return {a.messenger: a for a in MessengerAccount.objects.filter(user=user)}


def unreachable(project) -> list[MessengerAccount]:
    """The project's members who blocked the bot: the SMM sees them on the team's pages."""
    return list(
        MessengerAccount.objects.filter(
            blocked_at__isnull=False, user__project_memberships__project=project
        ).select_related("user")
    )
