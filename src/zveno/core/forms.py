"""Small form helpers shared by the apps."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


class DateInput(forms.DateInput):
    """``<input type=date>`` with its value in ISO (``2026-12-07``), the only form a browser takes;
    the locale's ``07.12.2026`` would be rejected and the field would show blank."""

    input_type = "date"

    def __init__(self, attrs=None, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(attrs=attrs, **kwargs)


class DateTimeLocalInput(forms.DateTimeInput):
    """``<input type=datetime-local>`` with its value in ISO (``2026-12-07T12:00``)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%dT%H:%M")
        super().__init__(attrs=attrs, **kwargs)


def apply_errors(form, error: ValidationError) -> None:
    """Shows a service's ValidationError on the form: field errors by field, the rest on top."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
