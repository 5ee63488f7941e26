"""Sign-in, profile, API tokens and invitation links."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zveno.accounts import selectors, services
from zveno.accounts.forms import LoginForm, ProfileForm, RegisterForm, TokenForm
from zveno.accounts.models import Language
from zveno.core import throttle
from zveno.core.forms import apply_errors
from zveno.workspaces import access


def _account_key(login: str) -> str:
    """One count per account, whether it is named by login or by e-mail."""
    login = login.strip().lower()
    return selectors.login_for(login) or login


class ThrottledLoginView(auth_views.LoginView):
    """Django's sign-in, with wrong passwords counted per account and per client address."""

    def post(self, request, *args, **kwargs):
        self.throttle_keys = (
            ("login-account", _account_key(request.POST.get("username", ""))),
            ("login-address", throttle.client_address(request)),
        )
        try:
            throttle.check(*self.throttle_keys)
        except throttle.Throttled as exc:  # refused before the password is hashed
            return throttle.too_many(request, exc.retry_after)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if self.request.method == "POST":
            for scope, key in self.throttle_keys:
                throttle.hit(scope, key)
        return super().form_invalid(form)

    def form_valid(self, form):
        throttle.clear(*self.throttle_keys[0])
        return super().form_valid(form)


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """At most a few reset e-mails per address and per client address in an hour."""

    def post(self, request, *args, **kwargs):
        keys = (
            ("reset-email", request.POST.get("email", "")),
            ("reset-address", throttle.client_address(request)),
        )
        try:
            throttle.check(*keys)
        except throttle.Throttled as exc:
            return throttle.too_many(request, exc.retry_after)
        for scope, key in keys:
            throttle.hit(scope, key)
        return super().post(request, *args, **kwargs)


login_view = access.public(
    ThrottledLoginView.as_view(
        template_name="accounts/login.html",
        authentication_form=LoginForm,
        redirect_authenticated_user=True,
    )
)
logout_view = access.public(auth_views.LogoutView.as_view())
password_reset = access.public(
    ThrottledPasswordResetView.as_view(
        template_name="accounts/password_reset.html",
        email_template_name="accounts/email/password_reset.txt",
        subject_template_name="accounts/email/password_reset_subject.txt",
        success_url=reverse_lazy("accounts:password_reset_done"),
        extra_email_context={"base_url": settings.BASE_URL},
    )
)
password_reset_done = access.public(
    auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
)
password_reset_confirm = access.public(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="accounts/password_reset_confirm.html",
        success_url=reverse_lazy("accounts:password_reset_complete"),
    )
)
password_reset_complete = access.public(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_complete.html"
    )
)


@access.public
@require_POST
def set_language(request):
    """Switches the interface language; saved on the profile when signed in."""
    language = request.POST.get("language", "")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if language in Language.values:
        if request.user.is_authenticated:
            services.update_profile(request.user, language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
        )
    return response


@access.member_required
def profile(request):
    access.own_account(request.user)
    user = request.user
    initial = {
        "name": user.name,
        "email": user.email,
        "language": user.language,
        "timezone": user.timezone,
        "telegram_username": user.telegram_username,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_profile(
                user,
                name=data["name"],
                email=data["email"],
                language=data["language"],
                tz=data["timezone"],
                telegram=data["telegram_username"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Profile saved."))
            response = redirect("accounts:profile")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
            return response
    return render(request, "accounts/profile.html", {"form": form})


@access.member_required
def tokens(request):
    access.own_account(request.user)
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        token, raw = services.create_api_token(request.user, form.cleaned_data["name"])
        created = {"token": token, "raw": raw}
        form = TokenForm()
    context = {
        "form": form,
        "created": created,
        "tokens": request.user.api_tokens.all(),
        "api_docs": reverse("api-1.0.0:openapi-view"),
    }
    return render(request, "accounts/tokens.html", context)


@access.member_required
@require_POST
def revoke_token(request, pk: int):
    access.own_account(request.user)
    token = get_object_or_404(request.user.api_tokens, pk=pk)
    services.revoke_api_token(request.user, token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:tokens")


@access.public
@throttle.guard_link
def invitation(request, signed: str):
    """An invitation link: sign up (or accept as the signed-in user) and land in the project."""
    found = services.invitation_from_link(signed)
    if found is None or not found.is_usable:
        return _unusable(request, found)
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                services.accept_invitation(found, request.user)
            except services.InvitationUnusable:  # someone else used it a moment ago
                return _unusable(request, found)
            messages.success(request, _("Welcome to “%(name)s”.") % {"name": found.target_name})
            return redirect(services.invitation_landing(found))
        return render(request, "accounts/invitation_accept.html", {"invitation": found})
    initial = {
        "email": found.email,
        "name": found.name,
        "username": services.suggest_username(found),
    }
    form = RegisterForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.register_from_invitation(
                found,
                username=data["username"],
                name=data["name"],
                email=data["email"],
                password=data["password1"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except services.InvitationUnusable:
            return _unusable(request, found)
        else:
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            messages.success(request, _("Welcome to “%(name)s”.") % {"name": found.target_name})
            response = redirect(services.invitation_landing(found))
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
            return response
    login_url = f"{reverse('accounts:login')}?next={request.path}"
    return render(
        request,
        "accounts/invitation_register.html",
        {"invitation": found, "form": form, "login_url": login_url},
    )


def _unusable(request, invitation):
    """Used, revoked, expired or forged: say which, with 410 Gone."""
    context = {"invitation": invitation}
    return render(request, "accounts/invitation_invalid.html", context, status=410)
