from django import forms
from django.utils.translation import gettext_lazy as _

from zveno.core.forms import DateInput
from zveno.team.models import TaskStatus


class StageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    purpose = forms.CharField(
        label=_("Purpose"), required=False, widget=forms.Textarea({"rows": 2})
    )
    start_date = forms.DateField(label=_("Start"), widget=DateInput())
    end_date = forms.DateField(label=_("End"), widget=DateInput())
    area = forms.ModelChoiceField(label=_("Area"), queryset=None, required=False)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = project.areas.all()
        self.fields["area"].label_from_instance = lambda a: a.name_ru


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea({"rows": 3})
    )
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=None, required=False)
    area = forms.ModelChoiceField(label=_("Area"), queryset=None, required=False)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=None, required=False)
    due_date = forms.DateField(label=_("Due"), required=False, widget=DateInput())
    estimate_hours = forms.DecimalField(
        label=_("Estimate, hours"), min_value=0, max_digits=6, decimal_places=1, initial=1
    )
    status = forms.ChoiceField(label=_("Status"), choices=TaskStatus.choices)

    def __init__(self, *args, project, language="ru", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = project.stages.all()
        self.fields["area"].queryset = project.areas.all()
        self.fields["area"].label_from_instance = lambda a: a.name(language)
        self.fields["assignee"].queryset = project.memberships.select_related("user")
        self.fields["assignee"].label_from_instance = lambda m: m.user.display_name
