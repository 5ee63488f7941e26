"""Forms of the playbook pages.

The editor's forms only carry text: every field is optional and untyped, because the playbook
schema is the one judge of a document and names each problem by its path
(``stages[2].duration_days``). ``editing.py`` turns these forms into a document and puts the
schema's errors back next to the inputs.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zveno.playbooks.models import Cadence

# A playbook file is a few tens of kilobytes; anything far bigger is not one.
MAX_FILE_BYTES = 1_000_000
MAX_STAGES = 40


def _text(label, rows: int | None = None, **attrs) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs)
    return forms.CharField(label=label, required=False, widget=widget)


class CloneForm(forms.Form):
    key = forms.CharField(
        label=_("Key of the copy"),
        max_length=50,
        required=False,
        help_text=_("Lowercase Latin letters, digits and _; made from the original if left empty."),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Playbook file"),
        help_text=_("YAML in the format of the export; up to 1 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml,text/yaml"}),
    )
    replace = forms.BooleanField(
        label=_("Replace the workspace's playbook with the same key"),
        required=False,
    )

    def clean_file(self) -> str:
        """The file's text; the file's name is kept in ``file_name`` for error messages."""
        upload = self.cleaned_data["file"]
        self.file_name = upload.name
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None


class HeadForm(forms.Form):
    """The playbook's name and summary in both languages."""

    name_ru = _text(_("Name, Russian"), lang="ru")
    name_en = _text(_("Name, English"), lang="en")
    summary_ru = _text(_("Summary, Russian"), rows=3, lang="ru")
    summary_en = _text(_("Summary, English"), rows=3, lang="en")


class StageForm(forms.Form):
    """One stage; checklists and deliverables are one item a line, in the same order in both
    languages."""

    code = _text(_("Code"), pattern="[a-z][a-z0-9_]*", autocomplete="off", spellcheck="false")
    area = forms.CharField(label=_("Area"), required=False, widget=forms.Select())
    duration_days = _text(_("Days"), inputmode="numeric", size=4)
    name_ru = _text(_("Name, Russian"), lang="ru")
    name_en = _text(_("Name, English"), lang="en")
    purpose_ru = _text(_("Purpose, Russian"), rows=2, lang="ru")
    purpose_en = _text(_("Purpose, English"), rows=2, lang="en")
    checklist_ru = _text(_("Checklist, Russian"), rows=8, lang="ru")
    checklist_en = _text(_("Checklist, English"), rows=8, lang="en")
    deliverables_ru = _text(_("Deliverables, Russian"), rows=3, lang="ru")
    deliverables_en = _text(_("Deliverables, English"), rows=3, lang="en")

    def __init__(self, *args, areas: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].widget.choices = [("", "—"), *areas]


class NumbersForm(forms.Form):
    """Content-mix shares, units a week per network and format, hours per format and role.

    Field names: ``share-<index>``, ``rate-<network>-<format>``, ``effort-<format>-<role>``.
    An empty rate or effort cell means "not used"; decimals take a point or a comma.
    """

    def __init__(self, *args, names: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        for name in names:
            attrs = {"inputmode": "decimal", "class": "num-input", "autocomplete": "off"}
            self.fields[name] = forms.CharField(
                required=False, label=name, widget=forms.TextInput(attrs)
            )


class YamlForm(forms.Form):
    document = forms.CharField(
        label=_("The whole playbook as YAML"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "mono"}),
    )


class CadenceForm(forms.Form):
    cadence = forms.ChoiceField(
        label=_("Cadence"), choices=Cadence.choices, widget=forms.RadioSelect
    )


class ChoosePlaybookForm(forms.Form):
    playbook = forms.ChoiceField(label=_("Playbook"))
    cadence = forms.ChoiceField(label=_("Cadence"), choices=Cadence.choices)

    def __init__(self, *args, playbooks: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["playbook"].choices = list(playbooks)
        self.fields["cadence"].initial = Cadence.MEDIUM
