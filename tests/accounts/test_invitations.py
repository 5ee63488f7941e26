"""Invitations: by e-mail and by link, to a project or to a workspace, and what accepting grants."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from tests.conftest import CANARY_A1, CANARY_A2
from zveno.accounts import email as invitation_email
from zveno.accounts import services as account_services
from zveno.accounts.models import EmailStatus, Invitation
from zveno.workspaces.models import Project, ProjectMembership, WorkspaceMembership

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "Lantern-Orbit-7741"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


class FailingBackend(BaseEmailBackend):
    """An SMTP server that cannot be reached."""

    def send_messages(self, email_messages):
        raise OSError("SMTP server unreachable: connection refused")


def team_invite(client, slug: str, **overrides):
    data = {
        "email": "",
        "name": "",
        "roles": ["designer"],
        "capacity_hours": "12",
        "language": "ru",
        **overrides,
    }
    return client.post(reverse("projects:members", args=[slug]), data)


def created_invitation(client, response, page: str) -> tuple[Invitation, str]:
    """After an invite POST: the redirect to the page showing the new invitation and its link."""
    assert response.status_code == 302, response.content[:500]
    location = response["Location"]
    assert location.startswith(page + "?invited=")
    assert location.endswith("#invite-created")
    shown = client.get(location)
    assert shown.status_code == 200
    invitation, link = shown.context["created"]
    assert f'value="{link}" id="invite-link"' in shown.content.decode()
    return invitation, link


def team_invitation(client, slug: str, **overrides) -> tuple[Invitation, str]:
    page = reverse("projects:members", args=[slug])
    return created_invitation(client, team_invite(client, slug, **overrides), page)


def link_path(link: str) -> str:
    return urlsplit(link).path


def register(client, path: str, **overrides):
    data = {
        "name": "Дина Дизайнер",
        "username": "dina",
        "email": "dina@example.test",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **overrides,
    }
    return client.post(path, data)


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


# --- by e-mail --------------------------------------------------------------------------------


def test_invite_by_email_on_team_page_queues_the_email_after_commit(
    world, login, django_capture_on_commit_callbacks
):
    client = login(world.users["owner"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = team_invite(
            client, "alpha", email="Dina@Example.test", name="Дина", roles=["designer"]
        )
    invitation = Invitation.objects.get(email="dina@example.test")
    shown, _link = created_invitation(client, response, reverse("projects:members", args=["alpha"]))
    assert invitation.email_status == EmailStatus.PENDING
    assert invitation.project == world.alpha
    assert invitation.job_roles == ["designer"]
    assert invitation.capacity_hours == Decimal("12")
    assert invitation.invited_by == world.users["owner"]
    # Nothing is sent inside the request; exactly one job is queued once the row is committed.
    assert len(callbacks) == 1
    assert mail.outbox == []
    assert shown == invitation
    # The pending invitation is listed on the team page; reloading it sends nothing again.
    page = client.get(reverse("projects:members", args=["alpha"]))
    assert invitation in [inv for inv, _link in page.context["invitations"]]
    assert page.context["created"] is None
    assert Invitation.objects.filter(email="dina@example.test").count() == 1


def test_delivering_the_invitation_email_sends_link_and_project_name(world, settings):
    settings.EMAIL_BACKEND = LOCMEM
    invitation = account_services.invite(
        world.users["owner"], project=world.alpha, email="dina@example.test", job_roles=["designer"]
    )
    assert invitation.email_status == EmailStatus.PENDING

    assert invitation_email.deliver_invitation(invitation.pk) == "sent"

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    link = account_services.invitation_link(invitation)
    assert message.to == ["dina@example.test"]
    assert CANARY_A1 in message.subject
    assert link in message.body
    assert CANARY_A1 in message.body
    html = message.alternatives[0][0]
    assert link in html
    invitation.refresh_from_db()
    assert invitation.email_status == EmailStatus.SENT
    assert invitation.email_sent_at is not None
    assert invitation.email_attempts == 1
    assert invitation.email_error == ""
    # A second delivery (a retried job) sends nothing more.
    assert invitation_email.deliver_invitation(invitation.pk) == "skipped"
    assert len(mail.outbox) == 1
    assert invitation.pk not in invitation_email.due_invitation_emails()


def test_the_link_in_the_email_opens_the_registration_form(world, client, settings):
    settings.EMAIL_BACKEND = LOCMEM
    invitation = account_services.invite(
        world.users["owner"], project=world.alpha, email="dina@example.test", job_roles=["designer"]
    )
    invitation_email.deliver_invitation(invitation.pk)
    body = mail.outbox[0].body
    link = next(word for word in body.split() if "/invite/" in word)
    response = client.get(link_path(link))
    assert response.status_code == 200
    assert response.context["invitation"] == invitation
    assert response.context["form"].initial["email"] == "dina@example.test"


def test_failing_email_backend_marks_failed_and_is_retried_after_the_delay(world, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    invitation = account_services.invite(
        world.users["owner"], project=world.alpha, email="late@example.test", job_roles=["sales"]
    )

    assert invitation_email.deliver_invitation(invitation.pk) == "failed"

    invitation.refresh_from_db()
    assert invitation.email_status == EmailStatus.FAILED
    assert "SMTP server unreachable" in invitation.email_error
    assert invitation.email_attempts == 1
    assert mail.outbox == []
    # Not retried at once...
    assert invitation.pk not in invitation_email.due_invitation_emails()
    # ...but after the retry delay.
    past = timezone.now() - invitation_email.RETRY_AFTER - dt.timedelta(seconds=5)
    Invitation.objects.filter(pk=invitation.pk).update(created_at=past, email_claimed_at=past)
    assert invitation.pk in invitation_email.due_invitation_emails()

    settings.EMAIL_BACKEND = LOCMEM
    assert invitation_email.deliver_invitation(invitation.pk) == "sent"
    invitation.refresh_from_db()
    assert invitation.email_status == EmailStatus.SENT
    assert invitation.email_attempts == 2
    assert invitation.email_error == ""
    assert [m.to for m in mail.outbox] == [["late@example.test"]]
    assert invitation.pk not in invitation_email.due_invitation_emails()


def test_retries_stop_after_max_attempts(world, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    invitation = account_services.invite(
        world.users["owner"], project=world.alpha, email="late@example.test", job_roles=["sales"]
    )
    for _ in range(invitation_email.MAX_ATTEMPTS):
        assert invitation_email.deliver_invitation(invitation.pk) == "failed"
    past = timezone.now() - invitation_email.RETRY_AFTER - dt.timedelta(minutes=1)
    Invitation.objects.filter(pk=invitation.pk).update(created_at=past, email_claimed_at=past)
    assert invitation.pk not in invitation_email.due_invitation_emails()


def test_pending_email_whose_job_was_lost_is_picked_up_but_a_fresh_one_is_not(world):
    owner = world.users["owner"]

    def invite(address):
        return account_services.invite(
            owner, project=world.alpha, email=address, job_roles=["sales"]
        )

    lost, fresh, revoked = (invite(f"{n}@example.test") for n in ("a", "b", "c"))
    account_services.revoke_invitation(owner, revoked)
    past = timezone.now() - invitation_email.RETRY_AFTER - dt.timedelta(seconds=5)
    Invitation.objects.filter(pk__in=[lost.pk, revoked.pk]).update(created_at=past)
    due = invitation_email.due_invitation_emails()
    assert lost.pk in due
    assert fresh.pk not in due
    assert revoked.pk not in due
    # A revoked invitation's e-mail is moot: nothing is sent.
    assert invitation_email.deliver_invitation(revoked.pk) == "moot"
    assert mail.outbox == []


def test_stale_sending_claim_is_delivered_by_the_sweeper(world, settings):
    settings.EMAIL_BACKEND = LOCMEM
    invitation = account_services.invite(
        world.users["owner"], project=world.alpha, email="stuck@example.test", job_roles=["sales"]
    )
    # A worker claimed the e-mail and died before sending it.
    stale = timezone.now() - invitation_email.STALE_CLAIM - dt.timedelta(minutes=1)
    Invitation.objects.filter(pk=invitation.pk).update(
        email_status=EmailStatus.SENDING, email_claimed_at=stale, email_attempts=1
    )
    assert invitation.pk in invitation_email.due_invitation_emails()

    assert invitation_email.deliver_invitation(invitation.pk) == "sent"
    assert [m.to for m in mail.outbox] == [["stuck@example.test"]]


def test_web_process_queues_invitation_emails_through_the_configured_celery_app():
    # A fresh interpreter, as gunicorn loads it; never calls .delay(), so nothing is published.
    code = (
        "import zveno.config.wsgi\n"
        "from django.conf import settings\n"
        "from zveno.accounts.tasks import send_invitation_email as task\n"
        "conf = task.app.conf\n"
        "print(conf.broker_url == settings.CELERY_BROKER_URL, conf.task_always_eager)\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zveno.config.settings",
        "ZVENO_TESTING": "1",
        "ZVENO_DATA_DIR": str(django_settings.DATA_DIR),
        "ZVENO_TASKS_EAGER": "1",
    }
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.split() == ["True", "True"]


def test_inviting_someone_already_on_the_team_by_email_is_refused(world, login):
    client = login(world.users["owner"])
    before = Invitation.objects.count()
    response = team_invite(client, "alpha", email="COPYWRITER@example.test")
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert Invitation.objects.count() == before


# --- by link ----------------------------------------------------------------------------------


def test_link_invitation_registers_logs_in_and_joins_with_roles_and_capacity(world, login, client):
    owner_client = login(world.users["owner"])
    invitation, link = team_invitation(
        owner_client,
        "alpha",
        name="Дина Дизайнер",
        roles=["stories_maker", "designer"],
        capacity_hours="12.5",
    )
    assert invitation.email_status == EmailStatus.NONE
    path = link_path(link)
    client.logout()

    page = client.get(path)
    assert page.status_code == 200
    assert page.context["form"].initial["name"] == "Дина Дизайнер"
    for field in ("name", "username", "password1", "password2"):
        assert f'name="{field}"' in page.content.decode()

    response = register(client, path)

    assert response.status_code == 302
    assert response["Location"] == reverse("projects:project", args=["alpha"])
    user = User.objects.get(username="dina")
    assert signed_in_user_id(client) == str(user.pk)
    assert user.check_password(NEW_PASSWORD)
    assert user.name == "Дина Дизайнер"
    assert user.email == "dina@example.test"
    membership = ProjectMembership.objects.get(project=world.alpha, user=user)
    assert membership.roles == ["designer", "stories_maker"]
    assert membership.capacity_hours == Decimal("12.5")
    assert not WorkspaceMembership.objects.filter(user=user).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert invitation.accepted_at is not None
    assert client.get(response["Location"]).status_code == 200


def test_a_used_link_answers_410_and_creates_nobody(world, client):
    path = link_path(world.invitation_link)
    assert register(client, path).status_code == 302
    client.logout()
    users = User.objects.count()

    assert client.get(path).status_code == 410
    again = register(client, path, username="dina2", email="dina2@example.test")
    assert again.status_code == 410
    assert User.objects.count() == users


def test_an_expired_link_answers_410(world, client):
    Invitation.objects.filter(pk=world.invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    path = link_path(world.invitation_link)
    assert client.get(path).status_code == 410
    assert register(client, path).status_code == 410
    assert not User.objects.filter(username="dina").exists()


def test_a_revoked_link_answers_410(world, login, client):
    owner_client = login(world.users["owner"])
    response = owner_client.post(
        reverse("projects:invitation_revoke", args=["alpha", world.invitation.pk])
    )
    assert response.status_code == 302
    world.invitation.refresh_from_db()
    assert world.invitation.revoked_at is not None
    owner_client.logout()
    path = link_path(world.invitation_link)
    assert client.get(path).status_code == 410
    assert register(client, path).status_code == 410
    assert not User.objects.filter(username="dina").exists()


def _flip(char: str) -> str:
    return "A" if char != "A" else "B"


@pytest.mark.parametrize("how", ["truncated", "signature changed", "other key", "other nonce"])
def test_a_forged_or_mangled_link_answers_410(world, client, how):
    signed = link_path(world.invitation_link).rstrip("/").rsplit("/", 1)[-1]
    if how == "truncated":
        forged = signed[:-6]
    elif how == "signature changed":
        forged = signed[:-1] + _flip(signed[-1])
    elif how == "other key":
        data = {"i": world.invitation.pk, "n": world.invitation.nonce}
        forged = signing.dumps(data, key="not-the-secret", salt="zveno.invitation", compress=True)
    else:
        # Correctly signed, but for a nonce the invitation does not have.
        forged = signing.dumps(
            {"i": world.invitation.pk, "n": "0" * 32}, salt="zveno.invitation", compress=True
        )
    path = reverse("accounts:invitation", args=[forged])
    assert client.get(path).status_code == 410
    assert register(client, path).status_code == 410
    assert not User.objects.filter(username="dina").exists()
    world.invitation.refresh_from_db()
    assert world.invitation.accepted_at is None


def test_signed_in_user_accepts_with_post_and_roles_are_added(world, login):
    owner_client = login(world.users["owner"])
    invitation, link = team_invitation(
        owner_client, "alpha", roles=["designer"], capacity_hours="5"
    )
    path = link_path(link)
    copywriter = world.users["copywriter"]
    client = login(copywriter)

    page = client.get(path)
    assert page.status_code == 200
    assert 'name="password1"' not in page.content.decode()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None  # opening the link accepts nothing

    response = client.post(path)

    assert response.status_code == 302
    assert response["Location"] == reverse("projects:project", args=["alpha"])
    membership = ProjectMembership.objects.get(project=world.alpha, user=copywriter)
    assert membership.roles == ["copywriter", "designer"]  # added, never removed
    assert membership.capacity_hours == Decimal("20")
    invitation.refresh_from_db()
    assert invitation.accepted_by == copywriter
    assert client.post(path).status_code == 410


def test_signed_in_user_from_another_agency_joins_the_project(world, login):
    path = link_path(world.invitation_link)
    outsider = world.users["outsider"]
    client = login(outsider)
    assert client.get(reverse("projects:project", args=["alpha"])).status_code == 404

    response = client.post(path)

    assert response.status_code == 302
    membership = ProjectMembership.objects.get(project=world.alpha, user=outsider)
    assert membership.roles == ["designer"]
    assert client.get(reverse("projects:project", args=["alpha"])).status_code == 200
    # A project invitation does not open the workspace.
    assert client.get(reverse("projects:workspace", args=["ws-a"])).status_code == 404
    assert client.get(reverse("projects:project", args=["alpha-two"])).status_code == 404


def test_workspace_admin_invitation_lets_the_new_user_manage_the_workspace(world, login, client):
    owner_client = login(world.users["owner"])
    response = owner_client.post(
        reverse("projects:workspace_people", args=["ws-a"]),
        {"email": "", "name": "Мария", "workspace_role": "admin", "language": "ru"},
    )
    page = reverse("projects:workspace_people", args=["ws-a"])
    invitation, link = created_invitation(owner_client, response, page)
    assert invitation.workspace_role == "admin"
    assert invitation.project is None
    path = link_path(link)
    owner_client.logout()

    response = register(client, path, name="Мария", username="maria", email="maria@example.test")

    assert response.status_code == 302
    assert response["Location"] == reverse("projects:workspace", args=["ws-a"])
    maria = User.objects.get(username="maria")
    assert WorkspaceMembership.objects.get(user=maria, workspace=world.workspace_a).role == "admin"
    page = client.get(reverse("projects:workspace", args=["ws-a"]))
    assert page.status_code == 200
    assert {p.slug for p in page.context["projects"]} == {"alpha", "alpha-two"}
    assert page.context["can_create"] is True
    assert client.get(reverse("projects:project_create", args=["ws-a"])).status_code == 200
    created = client.post(
        reverse("projects:project_create", args=["ws-a"]),
        {
            "name": "Проект Марии",
            "slug": "",
            "niche": "ecommerce",
            "goal_type": "reach_traffic",
            "start_date": "2026-12-01",
            "timezone": "Europe/Moscow",
            "status": "active",
        },
    )
    assert created.status_code == 302
    project = Project.objects.get(name="Проект Марии")
    assert project.workspace == world.workspace_a
    assert created["Location"] == reverse("projects:project", args=[project.slug])


def test_workspace_invitation_never_demotes_an_existing_owner(world, login):
    # The owner accepts an invitation to their own workspace as a plain member.
    invitation = account_services.invite(
        world.users["owner"], workspace=world.workspace_a, workspace_role="member"
    )
    client = login(world.users["owner"])
    path = link_path(account_services.invitation_link(invitation))
    assert client.post(path).status_code == 302
    membership = WorkspaceMembership.objects.get(user=world.users["owner"])
    assert membership.role == "owner"


def test_password_mismatch_shows_an_error_and_creates_nothing(world, client):
    path = link_path(world.invitation_link)
    users = User.objects.count()
    response = register(client, path, password2="Something-Else-123")
    assert response.status_code == 200
    assert "password2" in response.context["form"].errors
    assert User.objects.count() == users
    assert signed_in_user_id(client) is None
    world.invitation.refresh_from_db()
    assert world.invitation.accepted_at is None
    assert world.invitation.is_usable


@pytest.mark.parametrize("taken", ["smm", "SMM"])
def test_taken_username_shows_an_error_and_creates_nothing(world, client, taken):
    path = link_path(world.invitation_link)
    users = User.objects.count()
    response = register(client, path, username=taken)
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert User.objects.count() == users
    assert signed_in_user_id(client) is None
    world.invitation.refresh_from_db()
    assert world.invitation.accepted_at is None


def test_email_of_an_existing_account_shows_an_error_and_creates_nothing(world, client):
    path = link_path(world.invitation_link)
    users = User.objects.count()
    response = register(client, path, email="Owner@example.test")
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert User.objects.count() == users


def test_weak_password_is_refused(world, client):
    path = link_path(world.invitation_link)
    response = register(client, path, password1="12345678", password2="12345678")
    assert response.status_code == 200
    assert response.context["form"].errors.get("password1")
    assert not User.objects.filter(username="dina").exists()


def test_invited_expert_sees_only_their_project(world, login, client):
    owner_client = login(world.users["owner"])
    _invitation, link = team_invitation(
        owner_client, "alpha", name="Эксперт", roles=["expert"], capacity_hours="2"
    )
    path = link_path(link)
    owner_client.logout()

    response = register(client, path, name="Эксперт", username="guru", email="guru@example.test")

    assert response.status_code == 302
    assert response["Location"] == reverse("projects:project", args=["alpha"])
    project_page = client.get(response["Location"])
    assert project_page.status_code == 200
    assert CANARY_A2 not in project_page.content.decode()
    home = client.get(reverse("home"))
    assert home.status_code == 302
    assert home["Location"] == reverse("projects:project", args=["alpha"])
    assert client.get(reverse("projects:workspace", args=["ws-a"])).status_code == 404
    assert client.get(reverse("projects:project", args=["alpha-two"])).status_code == 404
    assert client.get(reverse("projects:project_edit", args=["alpha"])).status_code == 403
