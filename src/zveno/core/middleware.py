"""Activates the user's language and time zone for the request."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone, translation

SUPPORTED = {code for code, _ in settings.LANGUAGES}


def request_language(request) -> str:
    """The user's chosen language, else the language cookie, else Russian."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in SUPPORTED:
        return user.language
    return cookie_language(request)


def cookie_language(request) -> str:
    """The language cookie, else Russian."""
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return cookie if cookie in SUPPORTED else settings.LANGUAGE_CODE


def signs_in_by_token(request) -> bool:
    """An API request with ``Authorization: Bearer …``: the API's token check decides the user."""
    if not request.path.startswith("/api/"):
        return False
    scheme = request.headers.get("Authorization", "").split(" ", 1)[0]
    return scheme.lower() == "bearer"


class PreferencesMiddleware:
    """Russian by default; a signed-in user's language and time zone win over the defaults.

    Accept-Language is deliberately ignored: Zveno is Russian-first, English is a choice.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if signs_in_by_token(request):
            # The token says who is asking, and the API activates its user's language when it
            # reads it: a browser session the request may carry as well is not read (its row
            # and its user's are two queries), so a token answers the same with or without one.
            language, user = cookie_language(request), None
        else:
            language, user = request_language(request), request.user
        translation.activate(language)
        request.LANGUAGE_CODE = language
        tz_name = user.timezone if user is not None and user.is_authenticated else None
        if tz_name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(tz_name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        response = self.get_response(request)
        # The language the answer is in: a token's user's, once the API has read the token.
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


# Pages load scripts only from this site (no inline scripts: tests/core/test_page_security.py
# scans the templates); styles may still sit in style attributes. A view that sets its own
# policy (media files: a sandbox) keeps it.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy header to every HTML page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class BodySizeLimitMiddleware:
    """Refuses a request whose body is larger than ``ZVENO_MAX_UPLOAD_MB`` with 413, from its
    Content-Length, before a byte of it is read (the first middleware, ahead of the CSRF check)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.ZVENO_MAX_UPLOAD_MB * 1024 * 1024
        if length <= limit:
            return self.get_response(request)
        translation.activate(request_language(request))  # no user yet: the cookie, or Russian
        message = translation.gettext("The upload is larger than %(mb)s MB.") % {
            "mb": settings.ZVENO_MAX_UPLOAD_MB
        }
        if request.path.startswith("/api/"):
            body = {"error": {"code": "too_large", "message": message, "fields": {}}}
            response = JsonResponse(body, status=413)
        else:
            response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        response["Connection"] = "close"  # the unread body is not waited for
        return response
