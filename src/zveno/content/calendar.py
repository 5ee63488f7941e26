"""The calendar of the content plan: month and week grids, rescheduling, iCalendar feeds.

Times are stored in UTC and laid out in the project's time zone. A grid is built from one
filtered query (plus its prefetches), so its cost does not grow with the number of items.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
import hashlib
import secrets
import zoneinfo
from dataclasses import dataclass, field
from html import escape  # what Django's escape does, without its checks for lazy text

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from zveno.content import checks, selectors, services
from zveno.content.models import ContentItem, FeedToken, Media, MediaKind, Publication, State
from zveno.publishing.models import NETWORK_MARKS, Dispatch, DispatchState, channel_labels
from zveno.workspaces import access
from zveno.workspaces.models import Project, ProjectMembership
from zveno.workspaces.roles import Capability

C = Capability
VIEWS = ("month", "week", "list")
DAY_HOURS = (8, 21)  # the week view always shows these hours, and more when items fall outside
DEFAULT_TIME = dt.time(10, 0)  # an item without a time dropped on a day goes out at 10:00
EVENT_LENGTH = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class Filters:
    """What the calendar shows: empty values mean everything."""

    channel: int | None = None
    rubric: str = ""
    status: str = ""
    assignee: int | None = None

    @classmethod
    def from_query(cls, query) -> Filters:
        def number(name: str) -> int | None:
            value = query.get(name, "")
            return int(value) if value.isdigit() else None

        status = query.get("status", "")
        return cls(
            channel=number("channel"),
            rubric=query.get("rubric", "")[:40],
            status=status if status in State.values else "",
            assignee=number("assignee"),
        )

    def apply(self, qs: QuerySet[ContentItem]) -> QuerySet[ContentItem]:
        if self.channel:
            qs = qs.filter(publications__channel_id=self.channel)
        if self.rubric:
            qs = qs.filter(rubric__code=self.rubric)
        if self.status:
            qs = qs.filter(state=self.status)
        if self.assignee:
            qs = qs.filter(steps__assignee_id=self.assignee)
        return qs.distinct() if self.channel or self.assignee else qs


@dataclass
class Day:
    date: dt.date
    in_month: bool = True
    items: list = field(default_factory=list)

    @property
    def cards(self) -> str:
        """The day's cards, one value for the template (see ``with_cards``)."""
        return mark_safe("".join(item.card for item in self.items))


@dataclass
class Slot:
    date: dt.date
    hour: int
    items: list = field(default_factory=list)

    @property
    def cards(self) -> str:
        """The hour's cards, one value for the template (see ``with_cards``)."""
        return mark_safe("".join(item.card for item in self.items))


def parse_date(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return default


def zone_of(project: Project) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(project.timezone)


PK = 987654321  # a stand-in id, replaced in reversed addresses


@dataclass(slots=True)
class CalendarItem:
    """An item as the calendar shows it, read as plain values rather than as a model (a month can
    hold a thousand); ``local`` is its time in the project's zone, naive."""

    pk: int
    title: str
    state: str
    planned_at: dt.datetime
    rubric_name: str | None
    local: dt.datetime = dt.datetime.min
    time: str = ""
    minute: str = ""
    url: str = ""
    move_url: str = ""
    locked: bool = False
    state_label: str = ""
    publication_rows: list = field(default_factory=list)  # (publication id, channel name)
    meta: str = ""  # the card's status line: the state and the channels
    channel_names: str = ""
    nets_html: str = ""
    thumb_url: str = ""
    delivery: str = ""
    badge_html: str = ""
    css: str = ""  # the card's classes but "locked"
    card: str = ""  # the card's markup, from ``with_cards``


def items_between(
    project: Project, start: dt.date, end: dt.date, filters: Filters
) -> list[CalendarItem]:
    """Items planned from ``start`` to ``end`` (inclusive, project days), as ``CalendarItem``."""
    begin, finish = selectors.day_range_utc(project, start, end)
    # Only what a card shows, as plain values: the steps and their assignees that a list page
    # needs are not read, and the publications are read as (id, item, channel name) rows.
    qs = filters.apply(ContentItem.objects.filter(project=project)).filter(
        planned_at__gte=begin, planned_at__lt=finish
    )
    zone = zone_of(project)
    found = [
        CalendarItem(*values)
        for values in qs.order_by("planned_at", "pk").values_list(
            "pk", "title", "state", "planned_at", "rubric__name"
        )
    ]
    publications: dict[int, list[tuple[int, str, dict]]] = {}
    label = channel_labels()  # each channel's label once, not once a card
    networks: dict[tuple[str, str], dict] = {}
    for pk, item_id, name, network in (
        Publication.objects.filter(item__in=qs.values("pk"))
        .order_by("item_id", "channel_id")
        .values_list("pk", "item_id", "channel__name", "channel__network")
    ):
        if (network, name) not in networks:
            networks[(network, name)] = {
                "code": network, "mark": NETWORK_MARKS.get(network, "•"),
                "label": label(network, name),
            }  # fmt: skip
        publications.setdefault(item_id, []).append((pk, name, networks[(network, name)]))
    images: dict[int, int] = {}  # the first picture of each item, for the card's thumbnail
    for item_id, media_id in (
        Media.objects.filter(item__in=qs.values("pk"), kind=MediaKind.IMAGE)
        .order_by("item_id", "created_at", "pk")
        .values_list("item_id", "pk")
    ):
        images.setdefault(item_id, media_id)
    # Addresses are reversed once and filled per item: a month can hold a thousand cards.
    item_at = reverse("content:item", args=(project.slug, PK)).replace(str(PK), "{}")
    move_at = reverse("content:calendar_move", args=(project.slug, PK)).replace(str(PK), "{}")
    media_at = reverse("content:media_file", args=(project.slug, PK)).replace(str(PK), "{}")
    labels = {value: str(label) for value, label in State.choices}  # once, not per card
    icons: dict[tuple, str] = {}
    for item in found:
        # Naive on purpose: template filters would shift an aware time to the viewer's zone.
        item.local = item.planned_at.astimezone(zone).replace(tzinfo=None)
        item.time, item.minute = f"{item.local:%H:%M}", f"{item.local:%M}"
        item.url, item.move_url = item_at.format(item.pk), move_at.format(item.pk)
        item.locked = item.state in checks.FINAL
        item.state_label = labels.get(item.state, item.state)
        own = publications.get(item.pk, [])
        item.publication_rows = [(pk, name) for pk, name, _network in own]
        item.meta = item.state_label + "".join(f" · {n['label']}" for _pk, _n, n in own)
        item.channel_names = ", ".join(name for _pk, name, _network in own) or "—"
        item.nets_html = _icons([network for _pk, _name, network in own], icons)
        item.thumb_url = media_at.format(images[item.pk]) if item.pk in images else ""
    # The same publications as a subquery: a month's 2,000 ids are not sent as parameters.
    _delivery_states(found, Publication.objects.filter(item__in=qs.values("pk")).values("pk"))
    return found


# The state a card shows when its publications differ: the one that most needs a person first.
URGENCY = ("failed", "needs_check", "held", "sending", "late", "published", "scheduled")


def _delivery_states(items: list, publications: QuerySet) -> None:
    """Each card's delivery state (``delivery``) and badge, in one query for all;
    ``publications`` are the ids of the items' publications."""
    refs = {pk: item for item in items for pk, _name in item.publication_rows}
    labels = {value: str(label) for value, label in DispatchState.choices}
    states: dict[int, set] = {}
    for ref, state in Dispatch.objects.filter(ref__in=publications).values_list("ref", "state"):
        states.setdefault(refs[ref].pk, set()).add(state)
    # The badge of a state that needs a look; one per state, not one per card.
    badges = {
        state: format_html('<span class="badge st-{}">{}</span>', state, label)
        for state, label in labels.items()
        if state not in ("scheduled", "published")
    }
    for item in items:
        found = states.get(item.pk, set())
        item.delivery = next((s for s in URGENCY if s in found), "")
        item.badge_html = badges.get(item.delivery, "") if item.delivery else ""
        delivery = f" delivery-{item.delivery}" if item.delivery else ""
        item.css = f"cal-item state-{item.state}{delivery}"  # the card's classes but "locked"


def _icons(networks: list[dict], icons: dict) -> str:
    """A card's network icons, built once for each set of channels (cards mostly share one)."""
    key = tuple((n["code"], n["label"]) for n in networks)
    if key not in icons:
        icons[key] = format_html_join(
            "", '<span class="net-icon net-{}" title="{}">{}</span>',
            ((n["code"], n["label"], n["mark"]) for n in networks),
        )  # fmt: skip
    return icons[key]


# A card as the month and the week views print it (the same markup the cells used to include
# once a card): a month holds a thousand cards, and resolving, localising and escaping ten
# template values each was three quarters of the page. The title and the addresses are escaped
# once a card; what cards share (classes, labels, status lines) once a page.
CARD = (
    '<li class="{css}" data-move-url="{move_url}" data-minute="{minute}" title="{state}">\n'
    '  <a href="{url}">{thumb}<span class="cal-time">{time}</span> '
    '<span class="cal-title">{title}</span></a>\n'
    '  <span class="cal-nets">{nets}</span><span class="cal-meta">{meta}</span>\n'
    "  {badge}\n"
    "</li>\n"
)
THUMB = '<img class="cal-thumb" src="{}" alt="" loading="lazy">'


def with_cards(items: list, can_move: bool) -> list:
    """Puts each item's card (``card``, safe HTML) on it; a card a person may not drag (a final
    state, or no right to move anything) is ``locked``. Returns ``items``."""
    shared: dict[str, str] = {}

    def once(value: str) -> str:
        if value not in shared:
            shared[value] = escape(value)
        return shared[value]

    for item in items:
        css = f"{item.css} locked" if item.locked or not can_move else item.css
        item.card = mark_safe(
            CARD.format(
                css=once(css), move_url=escape(item.move_url), minute=item.minute,
                state=once(item.state_label), url=escape(item.url),
                thumb=THUMB.format(escape(item.thumb_url)) if item.thumb_url else "",
                time=item.time, title=escape(item.title), nets=item.nets_html,
                meta=once(item.meta), badge=item.badge_html,
            )
        )  # fmt: skip
    return items


def month_range(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and the last day of the month."""
    return day.replace(day=1), day.replace(day=pycalendar.monthrange(day.year, day.month)[1])


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday before the 1st to Sunday after the last day: whole weeks."""
    first, last = month_range(day)
    return first - dt.timedelta(days=first.weekday()), last + dt.timedelta(days=6 - last.weekday())


def month_grid(project: Project, day: dt.date, filters: Filters, can_move: bool) -> list[list[Day]]:
    start, end = month_bounds(day)
    days = {}
    current = start
    while current <= end:
        days[current] = Day(current, in_month=current.month == day.month)
        current += dt.timedelta(days=1)
    for item in with_cards(items_between(project, start, end, filters), can_move):
        days[item.local.date()].items.append(item)
    ordered = list(days.values())
    return [ordered[i : i + 7] for i in range(0, len(ordered), 7)]


def week_grid(
    project: Project, day: dt.date, filters: Filters, can_move: bool
) -> tuple[list[dt.date], list]:
    """(the 7 days, rows of (hour, [Slot per day]))."""
    monday = day - dt.timedelta(days=day.weekday())
    dates = [monday + dt.timedelta(days=n) for n in range(7)]
    found = with_cards(items_between(project, dates[0], dates[-1], filters), can_move)
    hours = [item.local.hour for item in found]
    first, last = min([DAY_HOURS[0], *hours]), max([DAY_HOURS[1], *hours])
    slots = {(d, h): Slot(d, h) for d in dates for h in range(first, last + 1)}
    for item in found:
        slots[(item.local.date(), item.local.hour)].items.append(item)
    rows = [(h, [slots[(d, h)] for d in dates]) for h in range(first, last + 1)]
    return dates, rows


def day_items(
    project: Project, day: dt.date, filters: Filters, hour: int | None = None, can_move: bool = True
) -> list:
    """A day's (or a day's hour's) items with their cards, for a cell refreshed after a move."""
    found = items_between(project, day, day, filters)
    return with_cards([i for i in found if hour is None or i.local.hour == hour], can_move)


def item_url(project: Project, item: ContentItem) -> str:
    """The item's page."""
    return reverse("content:item", args=(project.slug, item.pk))


# --- rescheduling -----------------------------------------------------------------------------


@transaction.atomic
def reschedule(actor, item: ContentItem, day: dt.date, at: dt.time | None = None) -> ContentItem:
    """Moves an item to another day (keeping its time of day) or to another day and time."""
    project = item.project
    access.require(actor, project, C.EDIT_CONTENT)
    zone = zone_of(project)
    if at is None:
        at = item.planned_at.astimezone(zone).time() if item.planned_at else DEFAULT_TIME
    planned = dt.datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone)
    return services.update_item(actor, item, planned_at=planned)


# --- iCalendar feeds --------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_feed(actor, project: Project, *, whole_project: bool) -> tuple[FeedToken, str]:
    """A new secret feed URL; the raw token is returned once and only its hash is kept."""
    if whole_project:
        access.require(actor, project, C.MANAGE_PROJECT)
        membership = None
    else:
        granted = access.require(actor, project, C.VIEW_PROJECT)
        membership = granted.membership
        if membership is None:
            raise ValidationError(_("Only a member of the project's team has a personal feed."))
    raw = secrets.token_urlsafe(32)
    feed = FeedToken.objects.create(
        project=project, membership=membership, token_hash=hash_token(raw), created_by=actor
    )
    return feed, raw


def _own(actor, feed: FeedToken) -> bool:
    return feed.created_by_id == actor.pk or (
        feed.membership is not None and feed.membership.user_id == actor.pk
    )


@transaction.atomic
def revoke_feed(actor, feed: FeedToken) -> FeedToken:
    """Anybody revokes their own feed; a manager revokes any feed of the project."""
    access.require(actor, feed.project, C.VIEW_PROJECT)
    if not _own(actor, feed):
        access.require(actor, feed.project, C.MANAGE_PROJECT)
    feed = FeedToken.objects.select_for_update().get(pk=feed.pk)
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
    return feed


def feeds_for(
    actor, project: Project, granted: access.ProjectAccess | None = None
) -> QuerySet[FeedToken]:
    """Active feeds the user may see: their own, and every feed of the project for a manager.
    ``granted`` is what the page has read already for this user and project (not read again)."""
    if granted is None or not granted.is_for(actor, project):
        granted = access.access_to(actor, project)
    qs = FeedToken.objects.filter(project=project, revoked_at__isnull=True).select_related(
        "membership__user", "created_by"
    )
    if not granted.can(C.MANAGE_PROJECT):
        mine = qs.filter(created_by=actor)
        if granted.membership is not None:
            mine = mine | qs.filter(membership=granted.membership)
        qs = mine
    return qs.order_by("-created_at")


def feed_by_token(raw: str) -> FeedToken | None:
    """A live feed; it dies with its creator's right to create it (left the team, deactivated)."""
    feed = (
        FeedToken.objects.filter(token_hash=hash_token(raw), revoked_at__isnull=True)
        .select_related("project__workspace", "membership__user", "created_by")
        .first()
    )
    owner = feed.created_by if feed is not None else None
    if owner is None or not owner.is_active:
        return None
    need = C.VIEW_PROJECT if feed.membership_id else C.MANAGE_PROJECT
    return feed if access.access_to(owner, feed.project).can(need) else None


def feed_items(feed: FeedToken) -> QuerySet[ContentItem]:
    """The project's planned items, or those where the member is the assignee of a step."""
    qs = (
        ContentItem.objects.filter(project=feed.project, planned_at__isnull=False)
        .exclude(state=State.CANCELLED)
        .prefetch_related("publications__channel")
    )
    if feed.membership is not None:
        qs = qs.filter(steps__assignee=feed.membership).distinct()
    return qs.order_by("planned_at", "pk")


def ical(feed: FeedToken, base_url: str) -> bytes:
    """The feed as an iCalendar document; ``base_url`` makes the item links absolute."""
    from icalendar import Calendar, Event

    project = feed.project
    cal = Calendar()
    cal.add("prodid", "-//Zveno//content plan//EN")
    cal.add("version", "2.0")
    name = project.name
    if feed.membership is not None:
        name = f"{name} · {feed.membership.user.display_name}"
    cal.add("x-wr-calname", name)
    stamp = timezone.now()
    for item in feed_items(feed):
        link = base_url + item_url(project, item)
        channels = ", ".join(p.channel.name for p in item.publications.all()) or "—"
        event = Event()
        event.add("uid", f"item-{item.pk}@zveno")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.planned_at.astimezone(dt.UTC))
        event.add("dtend", (item.planned_at + EVENT_LENGTH).astimezone(dt.UTC))
        event.add("summary", item.title)
        event.add(
            "description",
            "\n".join(
                [
                    f"{_('State')}: {item.get_state_display()}",
                    f"{_('Channels')}: {channels}",
                    link,
                ]
            ),
        )
        event.add("url", link)
        cal.add_component(event)
    return cal.to_ical()


def memberships(project: Project) -> QuerySet[ProjectMembership]:
    return project.memberships.select_related("user").order_by("user__name")
