"""What the content workflow tells the workspace's webhooks: an item's status changes, approval
decisions and expert answers, read from the activity the services already write."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from zveno.webhooks.services import emit


def item_payload(item) -> dict:
    project = item.project
    return {
        "project": {"slug": project.slug, "name": project.name},
        "item": {
            "id": item.pk,
            "title": item.title,
            "state": item.state,
            "format": item.format,
            "planned_at": item.planned_at.isoformat() if item.planned_at else None,
            "url": settings.BASE_URL + reverse("content:item", args=(project.slug, item.pk)),
        },
    }


def _actor(actor) -> dict | None:
    return {"id": actor.pk, "name": actor.display_name} if actor else None


def activity(item, actor, verb: str, data: dict) -> None:
    """Called for every activity the workflow logs; emits the webhook events it amounts to."""
    workspace = item.project.workspace
    before, after = data.get("from"), item.state
    if verb in {"approved", "changes_requested"}:
        decision = "approved" if verb == "approved" else "changes_requested"
        emit(workspace, "approval.decided", {
            **item_payload(item), "decision": decision, "level": data.get("level"),
            "comment": data.get("comment", ""), "by": _actor(actor),
        })  # fmt: skip
    if verb in {"transition", "approved", "changes_requested"} and before and before != after:
        emit(workspace, "item.status_changed", {
            **item_payload(item), "from": before, "to": after, "by": _actor(actor),
        })  # fmt: skip


def answered(expert_request, answer) -> None:
    project = expert_request.project
    emit(project.workspace, "expert_request.answered", {
        "project": {"slug": project.slug, "name": project.name},
        "request": {
            "id": expert_request.pk, "question": expert_request.question,
            "kind": expert_request.kind, "due_date": expert_request.due_date.isoformat(),
        },
        "answer": {
            "text": answer.text, "files": answer.files.count(), "via_link": answer.via_link,
            "by": _actor(answer.answered_by),
        },
        "items": list(expert_request.items.values_list("pk", flat=True)),
    })  # fmt: skip
