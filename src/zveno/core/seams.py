"""Seams: how a lower app lets higher apps take part without importing them.

A lower app declares a ``Seam`` where something may happen ("a member joined", "a playbook was
chosen") and calls it; a higher app registers its function in its ``AppConfig.ready``. Functions
run in registration order, which is the order of ``INSTALLED_APPS``: the declared order of the
apps (``config/layers.py``), so a lower app's part always runs first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


class Seam:
    """A named list of functions that a lower app calls and higher apps fill at start-up."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._functions: list[Callable[..., Any]] = []

    def register(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """Adds ``function`` once (a second ``ready`` changes nothing); usable as a decorator."""
        if function not in self._functions:
            self._functions.append(function)
        return function

    def __iter__(self) -> Iterator[Callable[..., Any]]:
        return iter(tuple(self._functions))

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        for function in self:
            function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Seam {self.name}: {len(self._functions)} registered>"
