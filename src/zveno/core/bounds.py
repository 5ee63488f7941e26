"""Bounds a person could mean, the same for forms, the API and imports.

A value outside them is refused with the field named (the API answers 422), never stored: one
stored row with hours of 1e300 or a date in the year 9999 would otherwise break every page that
adds, converts or steps through it. The API schemas use the annotated types below; services check
with the functions, so pages, the API and imports refuse the same values.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pydantic import AfterValidator, Field

MAX_ID = 2**63 - 1  # a 64-bit primary key
MAX_HOURS = Decimal(1000)  # an estimate or a week's capacity
MAX_AMOUNT = Decimal(10**12)  # a count or a sum of money in a target
MAX_PERCENT = Decimal(10_000)  # a growth or a rate in %
MAX_MULTIPLE = Decimal(1000)  # ×N of a baseline
# Dates a plan, a goal or a period could be about. Fixed, so a stored row never moves out of them.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)


def day_message() -> str:
    return _("Enter a date between %(first)s and %(last)s.") % {
        "first": FIRST_DAY.isoformat(),
        "last": LAST_DAY.isoformat(),
    }


def day_ok(value) -> bool:
    if isinstance(value, dt.datetime):
        value = value.date()
    return not isinstance(value, dt.date) or FIRST_DAY <= value <= LAST_DAY


def _api_day(value):
    if not day_ok(value):
        raise ValueError(f"must be between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}")
    return value


# Types for the API's schemas: pydantic refuses anything outside with 422 naming the field.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Hours = Annotated[Decimal, Field(ge=0, le=MAX_HOURS, allow_inf_nan=False)]
Amount = Annotated[float, Field(ge=-float(MAX_AMOUNT), le=float(MAX_AMOUNT), allow_inf_nan=False)]
Day = Annotated[dt.date, AfterValidator(_api_day)]
Moment = Annotated[dt.datetime, AfterValidator(_api_day)]


def check_days(errors: dict, **values) -> None:
    """Adds a message to ``errors`` for each named date (or datetime) outside the bounds."""
    for name, value in values.items():
        if value is not None and not day_ok(value):
            errors.setdefault(name, day_message())


def hours(value, field: str, errors: dict, limit: Decimal = MAX_HOURS) -> Decimal | None:
    """A number of hours 0..limit, or a message in ``errors``."""
    try:
        number = Decimal(str(value).replace(",", "."))
    except (InvalidOperation, ValueError):
        errors[field] = _("Enter a number.")
        return None
    if not number.is_finite() or not 0 <= number <= limit:
        errors[field] = _("Enter from 0 to %(max)s hours.") % {"max": limit}
        return None
    return number


def require_days(**values) -> None:
    errors: dict = {}
    check_days(errors, **values)
    if errors:
        raise ValidationError(errors)
