"""The REST API under /api/v1/: routers from each app, Bearer tokens, one error shape.

Every error is ``{"error": {"code": str, "message": str, "fields": {name: [messages]}}}``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import translation
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from zveno.accounts.api import router as accounts_router
from zveno.accounts.services import user_for_token
from zveno.analytics.api import router as analytics_router
from zveno.content.api import router as content_router
from zveno.core import throttle
from zveno.core.api import document_errors
from zveno.core.middleware import request_language
from zveno.playbooks.api import router as playbooks_router
from zveno.projects.api import router as projects_router
from zveno.publishing.api import router as channels_router
from zveno.team.api import router as team_router
from zveno.webhooks.api import router as webhooks_router


class BearerToken(HttpBearer):
    """``Authorization: Bearer zv_…`` with a personal API token."""

    def authenticate(self, request, token: str):
        address = throttle.client_address(request)
        seconds = throttle.wait("token-address", address)
        if seconds:  # too many unknown tokens from this address: no lookup at all
            raise throttle.Throttled(seconds)
        user = user_for_token(token)
        if user is None:
            throttle.hit("token-address", address)
            return None
        request.user = user
        # The preferences middleware ran before the token was read: answer in the user's language.
        language = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        return user


class ZvenoAPI(NinjaAPI):
    """Publishes every operation's error answers in the schema (``core.api.document_errors``)."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return document_errors(schema)


api = ZvenoAPI(
    title="Zveno API",
    version="1.0.0",
    description="Projects and teams, playbooks, the matrix, health and the content plan.",
    auth=BearerToken(),
    urls_namespace="api-1.0.0",
)


def error(request, status: int, code: str, message: str, fields=None):
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return api.create_response(request, body, status=status)


@api.exception_handler(Http404)
def not_found(request, exc):
    return error(request, 404, "not_found", "Not found.")


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return error(request, 403, "forbidden", "You may see this, but not do this.")


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc):
    return error(request, 401, "unauthorized", "Send a valid token: Authorization: Bearer <token>.")


@api.exception_handler(throttle.Throttled)
def throttled(request, exc: throttle.Throttled):
    response = error(request, 429, "throttled", str(exc))
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(DjangoValidationError)
def invalid(request, exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        fields = {name: [str(m) for m in msgs] for name, msgs in exc.message_dict.items()}
        message = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
    else:
        fields, message = {}, " ".join(str(m) for m in exc.messages)
    return error(request, 422, "invalid", message, fields)


@api.exception_handler(NinjaValidationError)
def invalid_schema(request, exc: NinjaValidationError):
    fields: dict[str, list[str]] = {}
    for item in exc.errors:
        loc = [
            str(part)
            for part in item.get("loc", [])
            if part not in ("body", "payload", "query", "path")
        ]
        fields.setdefault(".".join(loc) or "request", []).append(item.get("msg", "invalid"))
    message = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
    return error(request, 422, "invalid", message, fields)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 409: "conflict"}
    return error(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


api.add_router("", accounts_router)
api.add_router("", projects_router)
api.add_router("", playbooks_router)
api.add_router("", team_router)
api.add_router("", content_router)
api.add_router("", analytics_router)
api.add_router("", channels_router)
api.add_router("", webhooks_router)
