"""Metric writes: posts and their snapshots, channel days and business days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zveno.analytics import goals as goal_rules
from zveno.analytics.models import (
    BUSINESS_COUNTERS,
    CHANNEL_COUNTERS,
    MONEY_COUNTERS,
    POST_COUNTERS,
    BusinessDay,
    ChannelDay,
    Post,
    PostSnapshot,
    Source,
)
from zveno.publishing.models import Channel
from zveno.workspaces import access
from zveno.workspaces.models import Project
from zveno.workspaces.roles import Capability

# --- metric writes ------------------------------------------------------------------------------
#
# Counters are whole numbers ≥ 0 and money is ≥ 0 with at most two decimals; ``None`` means "not
# reported" and is kept as NULL (absent is not zero).


def _clean_count(name: str, value, errors: dict):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors[name] = [_("Enter a whole number.")]
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[name] = [_("Enter a whole number.")]
        return None
    if not number.is_finite() or number != number.to_integral_value():
        errors[name] = [_("Enter a whole number.")]
    elif number < 0:
        errors[name] = [_("Cannot be negative.")]
    else:
        return int(number)
    return None


def _clean_money(name: str, value, errors: dict):
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ".").replace(" ", ""))
    except (InvalidOperation, ValueError):
        errors[name] = [_("Enter an amount.")]
        return None
    if not number.is_finite():
        errors[name] = [_("Enter an amount.")]
    elif number < 0:
        errors[name] = [_("Cannot be negative.")]
    elif number != number.quantize(Decimal("0.01")):
        errors[name] = [_("At most two digits after the decimal point.")]
    elif number >= Decimal("1e14"):
        errors[name] = [_("The amount is too large.")]
    else:
        return number.quantize(Decimal("0.01"))
    return None


def _clean_counters(counters: Mapping, allowed: tuple[str, ...], money=()) -> dict:
    """Validated counters, or ValidationError naming each bad field; unknown names are errors."""
    errors: dict = {}
    clean = {}
    for name, value in counters.items():
        if name not in allowed:
            errors[name] = [_("Unknown counter.")]
            continue
        clean[name] = (_clean_money if name in money else _clean_count)(name, value, errors)
    if errors:
        raise ValidationError(errors)
    return clean


def _own_channel(project: Project, channel):
    """The channel (or its id) if it belongs to the project; a ValidationError otherwise."""
    if channel is None or channel == "":
        return None
    channel_id = getattr(channel, "pk", channel)
    found = Channel.objects.filter(project=project, pk=channel_id).first()
    if found is None:
        raise ValidationError({"channel": [_("Choose one of the project's channels.")]})
    return found


def _refresh_latest(post: Post) -> None:
    """Copy the newest snapshot's counters to the post (``latest_*``, ``last_captured_at``)."""
    newest = post.snapshots.order_by("-captured_at").first()
    for name in POST_COUNTERS:
        setattr(post, f"latest_{name}", getattr(newest, name) if newest else None)
    post.last_captured_at = newest.captured_at if newest else None
    post.save(update_fields=[*(f"latest_{n}" for n in POST_COUNTERS), "last_captured_at"])


@transaction.atomic
def record_snapshot(
    post: Post, captured_at, counters: Mapping, source: str = Source.MANUAL, batch=None
) -> PostSnapshot:
    """Write the post's counters as captured at ``captured_at`` (the snapshot at that moment is
    created or updated: given counters replace, the others stay) and, when it is the newest
    snapshot, copy its counters to ``Post.latest_*``."""
    if timezone.is_naive(captured_at):
        raise ValidationError({"captured_at": [_("A capture time needs a time zone.")]})
    clean = _clean_counters(counters, POST_COUNTERS)
    locked = Post.objects.select_for_update().get(pk=post.pk)
    snapshot, _created = PostSnapshot.objects.update_or_create(
        post=locked,
        captured_at=captured_at,
        defaults={**clean, "source": source, "batch": batch},
    )
    if locked.last_captured_at is None or captured_at >= locked.last_captured_at:
        _refresh_latest(locked)
        for name in (*(f"latest_{n}" for n in POST_COUNTERS), "last_captured_at"):
            setattr(post, name, getattr(locked, name))  # the caller's copy stays current
    if source != Source.CONNECTOR:  # a collection is told by its Collection.finished_at
        goal_rules.figures_changed(post.project_id)
    return snapshot


@transaction.atomic
def create_post(
    project: Project,
    *,
    external_id: str,
    published_at,
    channel=None,
    counters: Mapping | None = None,
    captured_at=None,
    source: str = Source.MANUAL,
    **fields,
) -> Post:
    """A post entered by hand (or by a script), optionally with its first snapshot.

    ``fields`` are Post fields (network, format, rubric, title, url, is_promoted,
    has_expert_input, followers_at_publication); the network defaults to the channel's.
    """
    channel = _own_channel(project, channel)
    if channel is not None:
        fields.setdefault("network", channel.network)
    post = Post(
        project=project,
        channel=channel,
        external_id=external_id,
        published_at=published_at,
        source=source,
        **fields,
    )
    try:
        post.full_clean(exclude=["project", "channel", "publication"], validate_unique=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    if Post.objects.filter(project=project, external_id=external_id).exists():
        raise ValidationError({"external_id": [_("The project already has this post.")]})
    post.save()
    if counters:
        record_snapshot(post, captured_at or timezone.now(), counters, source)
    goal_rules.figures_changed(post.project_id)
    return post


@transaction.atomic
def upsert_channel_day(
    project: Project, channel, date, counters: Mapping, source: str = Source.MANUAL
) -> ChannelDay:
    """Set a channel's figures for one day (given counters replace, the others stay)."""
    channel = _own_channel(project, channel)
    if channel is None:
        raise ValidationError({"channel": [_("Choose one of the project's channels.")]})
    clean = _clean_counters(counters, CHANNEL_COUNTERS)
    day, _created = ChannelDay.objects.update_or_create(
        channel=channel, date=date, defaults={**clean, "project": project, "source": source}
    )
    goal_rules.figures_changed(day.project_id)
    return day


@transaction.atomic
def upsert_business_day(
    actor,
    project: Project,
    date,
    counters: Mapping,
    channel=None,
    campaign: str = "",
    source: str = Source.MANUAL,
) -> BusinessDay:
    """Log the business figures of a day: one row per (project, date, channel, campaign).

    Given counters replace the row's (``None`` clears one: "not logged"), the others stay.
    Counts are whole numbers ≥ 0, revenue and ad spend amounts ≥ 0. With an actor, the actor
    must hold LOG_METRICS in the project (imports pass ``actor=None``).
    """
    if actor is not None:
        access.require(actor, project, Capability.LOG_METRICS)
    errors: dict = {}
    campaign = (campaign or "").strip()
    if len(campaign) > 120:
        errors["campaign"] = [_("At most 120 characters.")]
    if not isinstance(date, dt.date):
        errors["date"] = [_("Enter a date.")]
    try:
        clean = _clean_counters(counters, BUSINESS_COUNTERS, MONEY_COUNTERS)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        channel = _own_channel(project, channel)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    # Serialise writers of the same key: the key has a nullable column, so no unique constraint.
    Project.objects.select_for_update().filter(pk=project.pk).first()
    key = {"project": project, "date": date, "channel": channel, "campaign": campaign}
    row = BusinessDay.objects.filter(**key).order_by("pk").first() or BusinessDay(**key)
    for name, value in clean.items():
        setattr(row, name, value)
    row.source = source
    row.updated_by = actor
    row.save()
    goal_rules.figures_changed(row.project_id)
    return row
