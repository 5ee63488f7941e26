"""REST endpoints about the caller's own account."""

from __future__ import annotations

from ninja import Router, Schema

from zveno.workspaces import access

router = Router(tags=["account"])


class MeOut(Schema):
    id: int
    username: str
    name: str
    email: str
    language: str
    timezone: str
    telegram_username: str


@router.get("/me", response=MeOut)
def me(request):
    user = request.auth
    access.own_account(user)
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.display_name,
        "email": user.email,
        "language": user.language,
        "timezone": user.timezone,
        "telegram_username": user.telegram_username,
    }
