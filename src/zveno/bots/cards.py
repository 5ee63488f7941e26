"""What the bot shows: an item awaiting approval as it will look (text, media, channels, planned
time) with Approve / Request changes, an expert request with Answer, any other notification as its
text and link. Texts are in the person's language; times in their time zone."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zveno.bots.platforms import Button, escape
from zveno.content.models import ContentItem, ExpertRequest, RequestStatus
from zveno.content.services import awaits
from zveno.notifications.selectors import zone_of

APPROVE, CHANGES, ANSWER = "a", "c", "r"
TEXT_SHOWN = 3000


def _absolute(path: str) -> str:
    return settings.BASE_URL + path


def item_card(user, item: ContentItem) -> tuple[str, list[list[Button]]]:
    project = item.project
    channels = ", ".join(p.channel.name for p in item.publications.select_related("channel"))
    lines = [f"<b>{escape(item.title)}</b>", escape(project.name)]
    if channels:
        lines.append("📣 " + escape(channels))
    if item.planned_at:
        local = item.planned_at.astimezone(zone_of(user, project))
        lines.append("🗓 " + formats.date_format(local, "j E, H:i"))
    media = item.media.count()
    if media:
        lines.append("🖼 " + ngettext("%(n)s media file", "%(n)s media files", media) % {"n": media})
    if item.is_ad:
        lines.append(escape(_("Advertising. erid: %(erid)s") % {"erid": item.erid or "—"}))
    if item.text:
        lines += ["", escape(Truncator(item.text).chars(TEXT_SHOWN))]
    url = _absolute(reverse("content:item", args=(project.slug, item.pk)))
    lines += ["", f'<a href="{escape(url)}">{escape(_("Open in Zveno"))}</a>']
    buttons = []
    if awaits(user, item):
        data = f"{item.pk}:{item.approval_round}"
        buttons = [[Button("✅ " + _("Approve"), f"{APPROVE}:{data}"),
                    Button("✏️ " + _("Request changes"), f"{CHANGES}:{data}")]]  # fmt: skip
    return "\n".join(lines), buttons


def item_picture(item: ContentItem) -> tuple[str, bytes, str] | None:
    """The item's first image (name, bytes, type), shown above its card as it will go out."""
    first = item.media.filter(kind="image").first()
    if first is None:
        return None
    with first.file.open("rb") as stored:
        content = stored.read()
    head = content[:4]
    mime = "image/png" if head.startswith(b"\x89PNG") else "image/jpeg"
    return first.file.name.rsplit("/", 1)[-1], content, mime


def request_card(user, found: ExpertRequest, headline: str = "") -> tuple[str, list]:
    lines = []
    if headline:
        lines += [escape(headline), ""]
    lines += [
        f"<b>{escape(found.get_kind_display())}</b> · {escape(found.project.name)}",
        escape(found.question),
        "⏰ " + formats.date_format(found.due_date, "j E"),
    ]
    items = list(found.items.all()[:5])
    if items:
        lines.append("📝 " + escape(", ".join(i.title for i in items)))
    buttons = []
    if found.status == RequestStatus.OPEN:
        lines += ["", escape(_("Answer with text, a voice message, photos, video or files."))]
        buttons = [[Button("💬 " + _("Answer"), f"{ANSWER}:{found.pk}")]]
    return "\n".join(lines), buttons


def for_notification(user, message) -> tuple[str, list]:
    """The text and buttons of a notification sent to ``user``."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        data = message.data or {}
        if message.verb == "digest":
            return escape(message.text), []
        if "item" in data:
            item = ContentItem.objects.filter(pk=data["item"]).select_related("project").first()
            if item is not None:
                text, buttons = item_card(user, item)
                return escape(message.text) + "\n\n" + text, buttons
        if "request" in data:
            found = ExpertRequest.objects.filter(pk=data["request"]).select_related("project")
            found = found.first()
            if found is not None:
                return request_card(user, found, headline=message.text)
        text = escape(message.text)
        if message.url:
            text += f'\n\n<a href="{escape(message.url)}">{escape(_("Open in Zveno"))}</a>'
        return text, []
