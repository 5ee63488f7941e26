"""Numbers in reports, printed exactly as the analytics pages print them (``presentation.fmt``)."""

from __future__ import annotations

from django import template

from zveno.analytics.presentation import fmt

register = template.Library()


@register.filter
def figure(value) -> str:
    """A count or amount: grouped thousands, one decimal when it has any; "—" when absent."""
    return fmt(value)


@register.filter
def percent(value) -> str:
    """A rate in percent with one decimal in the language's way ("0,5 %"); "—" when absent."""
    return fmt(value, percent=True)
