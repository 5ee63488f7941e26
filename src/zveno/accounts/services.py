"""The only way accounts, invitations and API tokens change."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zveno.accounts.models import ApiToken, EmailStatus, Invitation, Language, hash_secret
from zveno.core.jobs import enqueue
from zveno.core.seams import Seam
from zveno.core.timezones import is_valid_timezone
from zveno.workspaces import access
from zveno.workspaces import services as workspace_services
from zveno.workspaces.models import Project, Workspace
from zveno.workspaces.roles import Capability, JobRole, WorkspaceRole

User = get_user_model()
_SALT = "zveno.invitation"
_TELEGRAM = re.compile(r"^[A-Za-z][A-Za-z0-9_]{4,31}$")


# --- profile ----------------------------------------------------------------------------------


@transaction.atomic
def update_profile(user, *, name=None, email=None, language=None, tz=None, telegram=None):
    access.own_account(user)
    errors = {}
    if language is not None and language not in Language.values:
        errors["language"] = _("Choose Russian or English.")
    if tz and not is_valid_timezone(tz):
        errors["timezone"] = _("Unknown time zone.")
    if telegram:
        telegram = telegram.strip().removeprefix("@")
        if not _TELEGRAM.match(telegram):
            errors["telegram_username"] = _(
                "A Telegram username has 5-32 Latin letters, digits or underscores."
            )
    if email and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        errors["email"] = _("Another account uses this e-mail.")
    if errors:
        raise ValidationError(errors)
    updates = {
        "name": name,
        "email": email,
        "language": language,
        "timezone": tz,
        "telegram_username": telegram,
    }
    changed = [field for field, value in updates.items() if value is not None]
    for field in changed:
        setattr(user, field, updates[field])
    if changed:
        user.save(update_fields=changed)
    return user


# --- API tokens -------------------------------------------------------------------------------


@transaction.atomic
def create_api_token(user, name: str) -> tuple[ApiToken, str]:
    """Returns the token row and the token itself, which is never stored and shown only now."""
    access.own_account(user)
    name = (name or "").strip() or _("API token")
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user, name=name[:80], token_hash=hash_secret(raw), hint=raw[:10]
    )
    return token, raw


@transaction.atomic
def revoke_api_token(user, token: ApiToken) -> None:
    access.own_account(user)
    if token.user_id != user.pk:
        raise ValidationError(_("This token is not yours."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def user_for_token(raw: str):
    """The active user behind a Bearer token, or None; last_used_at is touched once a minute."""
    if not raw or not raw.startswith(ApiToken.PREFIX):
        return None
    token = (
        ApiToken.objects.active()
        .select_related("user")
        .filter(token_hash=hash_secret(raw), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- invitations ------------------------------------------------------------------------------


def invitation_link(invitation: Invitation, request=None) -> str:
    """The absolute link: on the host the request came to, else on ZVENO_BASE_URL (e-mails)."""
    # No timestamp in the signature: expiry lives in the row, so the link stays the same.
    signed = signing.Signer(salt=_SALT).sign_object(
        {"i": invitation.pk, "n": invitation.nonce}, compress=True
    )
    path = reverse("accounts:invitation", args=[signed])
    return request.build_absolute_uri(path) if request is not None else settings.BASE_URL + path


def invitation_from_link(signed: str) -> Invitation | None:
    """The invitation a link names, whatever its state; None for a forged or mangled link."""
    try:
        data = signing.Signer(salt=_SALT).unsign_object(signed)
    except (signing.BadSignature, ValueError):
        return None
    invitation = (
        Invitation.objects.select_related("workspace", "project", "invited_by")
        .filter(pk=data.get("i"))
        .first()
    )
    if invitation is None or invitation.nonce != data.get("n"):
        return None
    return invitation


@transaction.atomic
def invite(
    actor,
    *,
    workspace: Workspace | None = None,
    project: Project | None = None,
    email: str = "",
    name: str = "",
    job_roles=(),
    workspace_role: str = "",
    capacity_hours=20,
    language: str | None = None,
) -> Invitation:
    """Invites someone to a project (with job roles) or to a workspace (with a workspace role)."""
    if project is not None:
        access.require(actor, project, Capability.MANAGE_TEAM)
        workspace = project.workspace
        job_roles = workspace_services._clean_roles(job_roles)
        capacity = workspace_services._clean_capacity(capacity_hours)
        if workspace_role:
            access.require_workspace(actor, workspace, Capability.WORKSPACE_MANAGE)
    elif workspace is not None:
        access.require_workspace(actor, workspace, Capability.WORKSPACE_MANAGE)
        if workspace_role not in WorkspaceRole.values:
            raise ValidationError({"workspace_role": _("Choose a workspace role.")})
        if (
            workspace_role == WorkspaceRole.OWNER
            and access.workspace_role(actor, workspace) != WorkspaceRole.OWNER
        ):
            raise ValidationError({"workspace_role": _("Only an owner can invite an owner.")})
        job_roles, capacity = [], workspace_services._clean_capacity(capacity_hours)
    else:
        raise ValidationError(_("An invitation needs a workspace or a project."))
    email = (email or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    if (
        email
        and project is not None
        and project.memberships.filter(user__email__iexact=email).exists()
    ):
        raise ValidationError({"email": _("This person is already on the team.")})
    invitation = Invitation.objects.create(
        workspace=workspace,
        project=project,
        email=email,
        name=(name or "").strip(),
        workspace_role=workspace_role or "",
        job_roles=list(job_roles),
        capacity_hours=capacity,
        language=language if language in Language.values else actor.language,
        invited_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=settings.INVITATION_DAYS),
        email_status=EmailStatus.PENDING if email else EmailStatus.NONE,
    )
    if email:
        transaction.on_commit(
            lambda: enqueue("zveno.accounts.tasks.send_invitation_email", invitation.pk)
        )
    return invitation


@transaction.atomic
def revoke_invitation(actor, invitation: Invitation) -> None:
    _require_invitation_manager(actor, invitation)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])


def _require_invitation_manager(actor, invitation: Invitation) -> None:
    if invitation.project_id:
        access.require(actor, invitation.project, Capability.MANAGE_TEAM)
    else:
        access.require_workspace(actor, invitation.workspace, Capability.WORKSPACE_MANAGE)


class InvitationUnusable(Exception):
    """The invitation was used, revoked or has expired."""


@transaction.atomic
def accept_invitation(invitation: Invitation, user) -> Invitation:
    """Joins the user to the invitation's workspace and/or project; works once."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise InvitationUnusable
    if invitation.workspace_role:
        workspace_services.add_workspace_member(
            invitation.workspace, user, invitation.workspace_role
        )
    if invitation.project_id:
        workspace_services.join_project(
            invitation.project, user, invitation.job_roles, invitation.capacity_hours
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return invitation


@transaction.atomic
def register_from_invitation(invitation: Invitation, *, username, name, email, password):
    """Creates the invitee's account and accepts the invitation in one transaction."""
    errors = {}
    username = (username or "").strip()
    email = (email or invitation.email or "").strip().lower()
    if not username:
        errors["username"] = _("Choose a login.")
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = _("This login is taken.")
    if email and User.objects.filter(email__iexact=email).exists():
        errors["email"] = _("An account with this e-mail exists: sign in to accept.")
    candidate = User(username=username, email=email, name=name)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        errors["password1"] = exc.messages
    if errors:
        raise ValidationError(errors)
    user = User.objects.create_user(
        username=username,
        email=email,
        password=password,
        name=(name or invitation.name).strip(),
        language=invitation.language,
        timezone=invitation.project.timezone if invitation.project_id else settings.TIME_ZONE,
    )
    accept_invitation(invitation, user)
    return user


# Apps above may send an invited person somewhere first (the bot: an expert links their
# messenger); each function takes (invitation, destination) and returns the address to land on.
INVITATION_LANDING = Seam("accounts.invitation_landing")


def invitation_destination(invitation: Invitation) -> str:
    if invitation.project_id:
        return reverse("projects:project", args=[invitation.project.slug])
    return reverse("projects:workspace", args=[invitation.workspace.slug])


def invitation_landing(invitation: Invitation) -> str:
    """Where an accepted invitation leads: its project or workspace, unless an app above asks
    to show something first (``INVITATION_LANDING``)."""
    address = invitation_destination(invitation)
    for landing in INVITATION_LANDING:
        address = landing(invitation, address)
    return address


def suggest_username(invitation: Invitation) -> str:
    """A free login from the invitee's name ("Елена Соколова" → elena.sokolova) or e-mail."""
    from_name = workspace_services.make_slug(invitation.name, max_length=30).replace("-", ".")
    from_email = invitation.email.split("@")[0] if invitation.email else ""
    base = re.sub(r"[^A-Za-z0-9_.-]", "", from_email)[:30] if from_email else ""
    base = base or (from_name if invitation.name.strip() else "") or "user"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def job_role_labels(roles) -> list[str]:
    labels = dict(JobRole.choices)
    return [str(labels.get(role, role)) for role in roles]
