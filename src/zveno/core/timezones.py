"""Time-zone choices for forms: the common ones first, then every IANA zone."""

from __future__ import annotations

import zoneinfo
from functools import cache

COMMON = [
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
    "Europe/Minsk",
    "Asia/Almaty",
    "Asia/Tashkent",
    "Asia/Tbilisi",
    "Asia/Yerevan",
    "Asia/Dubai",
    "Europe/Istanbul",
    "Europe/Berlin",
    "Europe/London",
    "UTC",
]


@cache
def timezone_choices() -> list[tuple[str, str]]:
    rest = sorted(zoneinfo.available_timezones() - set(COMMON))
    return [(name, name.replace("_", " ")) for name in COMMON + rest]


def is_valid_timezone(name: str) -> bool:
    return name in zoneinfo.available_timezones() or name == "UTC"


def today_in(tz_name: str):
    """Today's date in a time zone (a project's), falling back to the server's."""
    import datetime as dt

    from django.utils import timezone

    try:
        zone = zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.localdate()
    return dt.datetime.now(zone).date()
