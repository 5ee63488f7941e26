"""Analytics pages: agency."""

from __future__ import annotations

urls: list = []
