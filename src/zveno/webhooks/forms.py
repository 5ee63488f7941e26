"""The endpoint form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zveno.webhooks.services import EVENTS


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL"), max_length=500, assume_scheme="https",
        help_text=_("Where each event is POSTed as JSON, signed with the endpoint's secret."),
    )  # fmt: skip
    description = forms.CharField(label=_("Description"), max_length=120, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=list(EVENTS.items()), widget=forms.CheckboxSelectMultiple
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
