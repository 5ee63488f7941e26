"""The API's one error shape, and the error answers every operation documents.

Every error is ``{"error": {"code": str, "message": str, "fields": {name: [messages]}}}``
(``config/api.py`` builds it). ``document_errors`` adds the answers an operation can give to the
published schema: 401 and 429 for every call with a token, 404 when the path names an object,
422 when there is anything to validate, 400 for a body that is not JSON, 403 for writes. An
operation that can also answer 409 declares it in its router (``response={…, 409: ErrorOut}``).
"""

from __future__ import annotations

from ninja import Schema


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    error: ErrorDetail


REASONS = {
    400: "The body is not valid JSON",
    401: "No token, or a token that is unknown or revoked",
    403: "Visible, but this action is not allowed to you",
    404: "Missing, or not visible to you (both look the same)",
    409: "Conflicts with the current state",
    422: "A field is invalid; `fields` names each one",
    429: "Too many attempts; see Retry-After",
}
REF = {"$ref": "#/components/schemas/ErrorOut"}


def document_errors(schema: dict) -> dict:
    """Adds the error answers to every operation of an OpenAPI document (in place)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("ErrorDetail", ErrorDetail.model_json_schema())
    error = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    error.pop("$defs", None)
    components.setdefault("ErrorOut", error)
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            codes = {422}
            if operation.get("security") is not None or schema.get("security"):
                codes |= {401, 429}
            if "{" in path:
                codes.add(404)
            if "requestBody" in operation:
                codes.add(400)
            if method != "get":
                codes.add(403)
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                responses.setdefault(
                    code,
                    {
                        "description": REASONS[code],
                        "content": {"application/json": {"schema": REF}},
                    },
                )
    return schema
