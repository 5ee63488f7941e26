"""The catalogue of events a person can be told about: one place, so ``notify`` refuses a verb
nobody declared and the preferences page lists every event with its defaults.

Channels: ``in_app`` (the inbox), ``email``, and one per messenger (``telegram``, ``max``). A
default is chosen by the person's part in the project (``audience``): the expert (the client),
the managers (SMM, producer, workspace owners and admins) and the makers (everyone else).
Messenger defaults only reach a person who linked that messenger; a person who wanted a
messenger and has none that works gets the e-mail instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

IN_APP, EMAIL, TELEGRAM, MAX = "in_app", "email", "telegram", "max"
CHANNELS: tuple[str, ...] = (IN_APP, EMAIL, TELEGRAM, MAX)
MESSENGERS: tuple[str, ...] = (TELEGRAM, MAX)
CHANNEL_LABELS = {
    IN_APP: _("In the app"),
    EMAIL: _("E-mail"),
    TELEGRAM: _("Telegram"),
    MAX: _("MAX"),
}

EXPERT, MANAGER, MAKER = "expert", "manager", "maker"
AUDIENCES: tuple[str, ...] = (EXPERT, MANAGER, MAKER)

_ALL = frozenset(CHANNELS)
_INBOX = frozenset({IN_APP})
_INBOX_MAIL = frozenset({IN_APP, EMAIL})
_INBOX_CHAT = frozenset({IN_APP, TELEGRAM, MAX})


@dataclass(frozen=True)
class Event:
    """One kind of notification and who hears about it by default."""

    verb: str
    label: object  # a lazy translation
    group: object
    defaults: dict[str, frozenset[str]] = field(default_factory=dict)
    digest: bool = True  # may wait for the daily digest when the person chose one

    def default_channels(self, audience: str) -> frozenset[str]:
        return self.defaults.get(audience, _INBOX)


_WORK, _APPROVAL, _EXPERT, _PUBLISHING, _GOALS = (
    _("Work"),
    _("Approval"),
    _("Expert requests"),
    _("Publishing"),
    _("Goals and reports"),
)

EVENTS: dict[str, Event] = {
    e.verb: e
    for e in (
        Event("step_assigned", _("A step was assigned to me"), _WORK,
              {MANAGER: _INBOX, MAKER: _INBOX_CHAT}),
        Event("step_due_soon", _("My step is due soon"), _WORK,
              {MAKER: _INBOX_CHAT, MANAGER: _INBOX}),
        Event("step_overdue", _("A step is overdue"), _WORK,
              {MAKER: _INBOX_CHAT, MANAGER: _INBOX_CHAT}, digest=False),
        Event("item_moved", _("An item was handed over to me"), _WORK,
              {MAKER: _INBOX_CHAT, MANAGER: _INBOX}),
        Event("mentioned", _("Someone mentioned me in a comment"), _WORK,
              {EXPERT: _INBOX_CHAT, MANAGER: _INBOX, MAKER: _INBOX}),
        Event("approval_requested", _("My approval is requested"), _APPROVAL,
              {EXPERT: _INBOX_CHAT, MANAGER: _INBOX_CHAT, MAKER: _INBOX}, digest=False),
        Event("approval_decided", _("An approval was decided"), _APPROVAL,
              {MANAGER: _INBOX_CHAT, MAKER: _INBOX}),
        Event("changes_requested", _("Changes were requested"), _APPROVAL,
              {MANAGER: _INBOX_CHAT, MAKER: _INBOX_CHAT}),
        Event("expert_request_asked", _("I was asked for expert input"), _EXPERT,
              {EXPERT: _INBOX_CHAT}, digest=False),
        Event("expert_request_due_soon", _("An expert request is due soon"), _EXPERT,
              {EXPERT: _INBOX_CHAT}),
        Event("expert_request_overdue", _("An expert request is overdue"), _EXPERT,
              {EXPERT: _INBOX_CHAT, MANAGER: _INBOX}),
        Event("expert_request_answered", _("An expert answered"), _EXPERT,
              {MANAGER: _INBOX_CHAT}),
        Event("messenger_unreachable", _("A person cannot be reached in a messenger"),
              _EXPERT, {MANAGER: _INBOX_MAIL}, digest=False),
        Event("publication_failed", _("A publication failed"), _PUBLISHING,
              {MANAGER: frozenset({IN_APP, EMAIL, TELEGRAM, MAX})}, digest=False),
        Event("publication_needs_check", _("A publication needs a check"), _PUBLISHING,
              {MANAGER: _INBOX_CHAT}, digest=False),
        Event("channel_reconnect", _("A channel needs reconnecting"), _PUBLISHING,
              {MANAGER: _ALL}, digest=False),
        Event("goal_reached", _("A goal was reached"), _GOALS,
              {EXPERT: _INBOX, MANAGER: _INBOX_MAIL}),
        Event("goal_at_risk", _("A goal is at risk"), _GOALS, {MANAGER: _INBOX_MAIL}),
        Event("weekly_report", _("The weekly report is ready"), _GOALS,
              {EXPERT: _INBOX_MAIL, MANAGER: _INBOX_MAIL}),
    )
}  # fmt: skip


class UnknownEvent(ValueError):
    """``notify`` was called with a verb the catalogue does not declare."""


def event(verb: str) -> Event:
    try:
        return EVENTS[verb]
    except KeyError:
        raise UnknownEvent(
            f"Unknown notification event {verb!r}: declare it in zveno/notifications/events.py"
        ) from None
