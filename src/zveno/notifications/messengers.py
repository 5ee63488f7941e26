"""The registry of messenger senders: the bot registers one per messenger in its ``ready``, so
the notifications app sends through a messenger without importing the bot.

A sender is a callable ``send(account, message)``; it raises ``Blocked`` when the person blocked
the bot (the account is marked and the e-mail takes over) and any other exception for a failure
worth retrying.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    """What a messenger is asked to say: the notification's words, its link and its subject."""

    text: str
    url: str = ""  # absolute
    verb: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    notification_id: int | None = None
    project_id: int | None = None


class Blocked(Exception):
    """The person blocked the bot (or deleted the chat): nothing more can reach them there."""


Sender = Callable[[Any, Message], None]
_senders: dict[str, tuple[Sender, Callable[[], bool]]] = {}


def _always() -> bool:
    return True


def register(messenger: str, sender: Sender, configured: Callable[[], bool] = _always) -> Sender:
    """Registers the sender of ``messenger`` (a later registration replaces an earlier one);
    ``configured`` says whether its bot is set up now (a token in the settings)."""
    _senders[messenger] = (sender, configured)
    return sender


def unregister(messenger: str) -> None:
    _senders.pop(messenger, None)


@contextmanager
def using(messenger: str, sender: Sender) -> Iterator[Sender]:
    """``sender`` stands in for the messenger's while the block runs (a test's own chat), then
    the registered one is back."""
    before = _senders.get(messenger)
    register(messenger, sender)
    try:
        yield sender
    finally:
        if before is None:
            unregister(messenger)
        else:
            _senders[messenger] = before


def sender(messenger: str) -> Sender | None:
    """The sender of ``messenger`` when its bot is configured, else None."""
    found = _senders.get(messenger)
    if found is None or not found[1]():
        return None
    return found[0]


def available() -> tuple[str, ...]:
    """Messengers with a configured bot."""
    return tuple(m for m in _senders if sender(m) is not None)
