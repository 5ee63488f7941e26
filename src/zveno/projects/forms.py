from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zveno.accounts.models import Language
from zveno.core.forms import DateInput
from zveno.core.timezones import timezone_choices
from zveno.playbooks.models import Cadence
from zveno.publishing.models import Network
from zveno.workspaces.models import GoalType, Niche, ProjectStatus
from zveno.workspaces.roles import JobRole, WorkspaceRole


class ProjectForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=160)
    slug = forms.SlugField(
        label=_("Address"),
        max_length=60,
        required=False,
        help_text=_("Latin letters, digits and hyphens; made from the name if left empty."),
    )
    niche = forms.ChoiceField(label=_("Niche"), choices=Niche.choices)
    goal_type = forms.ChoiceField(label=_("Goal"), choices=GoalType.choices)
    start_date = forms.DateField(label=_("Start"), widget=DateInput())
    end_date = forms.DateField(label=_("End"), required=False, widget=DateInput())
    timezone = forms.ChoiceField(label=_("Time zone"), choices=())
    status = forms.ChoiceField(label=_("Status"), choices=ProjectStatus.choices)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The expert, the product, the audience: what the team should know."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices()
        self.fields["timezone"].initial = settings.TIME_ZONE


class NetworksField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Networks"))
        super().__init__(choices=Network.choices, required=False, **kwargs)


class ProjectSettingsForm(ProjectForm):
    networks = NetworksField(help_text=_("Workload and health count the active networks."))


class NewProjectForm(ProjectForm):
    """Creating a project: also its playbook, its networks and the cadence."""

    playbook = forms.ChoiceField(
        label=_("Playbook"),
        required=False,
        help_text=_("Stages, tasks, the responsibility matrix and draft goals are built from it."),
    )
    networks = NetworksField()
    cadence = forms.ChoiceField(label=_("Cadence"), required=False)
    my_roles = forms.MultipleChoiceField(
        label=_("Your roles in the project"),
        choices=JobRole.choices,
        initial=[JobRole.SMM],
        required=False,
        help_text=_("SMM specialist if none is ticked."),
        widget=forms.CheckboxSelectMultiple,
    )

    field_order = ["name", "playbook", "networks", "cadence", "my_roles"]

    def __init__(self, *args, playbooks=(), language="ru", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["playbook"].choices = [("", _("No playbook for now"))] + [
            (item.key, item.playbook.name.get(language)) for item in playbooks
        ]
        self.fields["cadence"].choices = Cadence.choices
        self.fields["cadence"].initial = Cadence.MEDIUM
        self.order_fields(self.field_order)

    def clean_cadence(self) -> str:
        return self.cleaned_data.get("cadence") or Cadence.MEDIUM


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Roles"))
        super().__init__(choices=JobRole.choices, **kwargs)


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_("Leave empty to get a link you can send in a messenger."),
    )
    name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    roles = RolesField()
    capacity_hours = forms.DecimalField(
        label=_("Hours a week"), min_value=0, max_value=168, decimal_places=1, initial=20
    )
    language = forms.ChoiceField(label=_("Language of the invitation"), choices=Language.choices)


class WorkspaceInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_("Leave empty to get a link you can send in a messenger."),
    )
    name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    workspace_role = forms.ChoiceField(label=_("Role"), choices=WorkspaceRole.choices)
    language = forms.ChoiceField(label=_("Language of the invitation"), choices=Language.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workspace_role"].initial = WorkspaceRole.MEMBER


class MemberForm(forms.Form):
    roles = RolesField()
    capacity_hours = forms.DecimalField(
        label=_("Hours a week"), min_value=0, max_value=168, decimal_places=1
    )
