"""The notification settings form: quiet hours and the digest (channels per event are a table
of checkboxes read by the view)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SettingsForm(forms.Form):
    quiet_from = forms.TimeField(
        label=_("Quiet from"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_to = forms.TimeField(
        label=_("Quiet until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("In your own time zone. Messages held in these hours go out after them."),
    )
    digest = forms.BooleanField(
        label=_("Daily digest"),
        required=False,
        help_text=_("Collect what is not urgent into one message a day."),
    )
    digest_at = forms.TimeField(
        label=_("Send the digest at"), widget=forms.TimeInput(attrs={"type": "time"})
    )
