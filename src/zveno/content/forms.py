"""Forms of the content pages: an item, and the small ones around it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zveno.content.models import REDO_STEPS, ContentItem, Goal, StepKind
from zveno.core.forms import DateTimeLocalInput
from zveno.publishing.models import Format

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")


def with_utm(link: str, **utm: str) -> str:
    """``link`` with the given UTM parameters set (others kept, empty ones left out)."""
    if not link:
        return ""
    parts = urlsplit(link)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in utm]
    query += [(k, v) for k, v in utm.items() if v]
    return urlunsplit(parts._replace(query=urlencode(query)))


def utm_of(link: str) -> dict[str, str]:
    query = dict(parse_qsl(urlsplit(link).query)) if link else {}
    return {name: query.get(name, "") for name in UTM_FIELDS}


def channel_label(channel) -> str:
    return channel.label


class ItemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    rubric = forms.ChoiceField(label=_("Rubric"), required=False)
    format = forms.ChoiceField(label=_("Format"), choices=Format.choices)
    goal = forms.ChoiceField(label=_("Goal"), choices=Goal.choices, initial=Goal.REACH)
    stage_id = forms.TypedChoiceField(
        label=_("Stage"), required=False, coerce=int, empty_value=None
    )
    campaign = forms.CharField(label=_("Campaign"), max_length=200, required=False)
    channel_ids = forms.TypedMultipleChoiceField(
        label=_("Channels"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text=_("One publication per channel."),
    )  # fmt: skip
    planned_at = forms.DateTimeField(
        label=_("Date and time"), required=False, widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )  # fmt: skip
    text = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea({"rows": 10}))
    visual_brief = forms.CharField(
        label=_("Visual brief"), required=False, widget=forms.Textarea({"rows": 3})
    )
    link = forms.URLField(label=_("Link"), max_length=900, required=False, assume_scheme="https")
    utm_source = forms.CharField(label=_("utm_source"), max_length=100, required=False)
    utm_medium = forms.CharField(label=_("utm_medium"), max_length=100, required=False)
    utm_campaign = forms.CharField(label=_("utm_campaign"), max_length=100, required=False)
    is_ad = forms.BooleanField(label=_("Advertising"), required=False)
    erid = forms.CharField(label=_("erid"), max_length=100, required=False)
    advertiser = forms.CharField(label=_("Advertiser"), max_length=300, required=False)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["rubric"].choices = [("", "—")] + [
            (r.code, r.name) for r in project.rubrics.all()
        ]
        self.fields["stage_id"].choices = [("", "—")] + [
            (s.pk, s.name) for s in project.stages.all()
        ]
        self.fields["channel_ids"].choices = [
            (c.pk, channel_label(c)) for c in project.channels.all()
        ]
        self.fields["planned_at"].help_text = _("In the project's time zone (%(tz)s).") % {
            "tz": project.timezone
        }
        self.fields["text"].widget.attrs["data-length"] = "1"

    @classmethod
    def initial_for(cls, item: ContentItem) -> dict:
        planned = item.planned_at
        if planned is not None:
            zone = zoneinfo.ZoneInfo(item.project.timezone)
            planned = planned.astimezone(zone).replace(tzinfo=None)
        return {
            "title": item.title, "rubric": item.rubric.code if item.rubric else "",
            "format": item.format, "goal": item.goal, "stage_id": item.stage_id,
            "campaign": item.campaign, "planned_at": planned, "text": item.text,
            "visual_brief": item.visual_brief, "link": item.link, "is_ad": item.is_ad,
            "erid": item.erid, "advertiser": item.advertiser,
            "channel_ids": [p.channel_id for p in item.publications.all()],
            **utm_of(item.link),
        }  # fmt: skip

    def clean_planned_at(self) -> dt.datetime | None:
        # The form reads the time in the active zone; the service wants the project's wall clock.
        value = self.cleaned_data.get("planned_at")
        if value is not None and timezone.is_aware(value):
            value = timezone.make_naive(value)
        return value

    def service_fields(self) -> dict:
        """cleaned_data as the keyword arguments of create_item / update_item."""
        data = dict(self.cleaned_data)
        utm = {name: data.pop(name).strip() for name in UTM_FIELDS}
        data["link"] = with_utm(data["link"], **utm)
        return data


class ChangesForm(forms.Form):
    comment = forms.CharField(label=_("What should change"), widget=forms.Textarea({"rows": 3}))
    return_to = forms.ChoiceField(
        label=_("Step to redo"),
        choices=[(k.value, k.label) for k in StepKind if k in REDO_STEPS],
    )
