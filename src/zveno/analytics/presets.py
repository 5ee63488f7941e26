"""Import presets: which columns a metrics file has and what its rows become.

A preset names the headers it accepts for each field (Russian and English variants, compared
case-insensitively with spaces collapsed), which fields are required, and what a row becomes:

- ``posts``: a :class:`~zveno.analytics.models.Post` (found or created by its key) and one
  :class:`~zveno.analytics.models.PostSnapshot` at the row's capture time;
- ``channel_days``: a :class:`~zveno.analytics.models.ChannelDay` (channel, date);
- ``business_days``: a :class:`~zveno.analytics.models.BusinessDay` (date, channel, campaign).

A column the preset does not know is an error naming it; columns a real export carries but Zveno
does not store (computed rates, totals) are listed in ``ignored``. The generic presets
(``generic_posts``, ``generic_channel_days``, ``generic_business_days``) take a mapping
{file column: field} instead of fixed headers and skip unmapped columns.

Posts without a capture time get ``published_at + 90 days`` as their capture time: exports of this
kind give "lifetime" figures, and the rule keeps re-imports of the same file on the same snapshot
(a time derived from the day of the import would not be).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from zveno.core import exports

POSTS, CHANNEL_DAYS, BUSINESS_DAYS = "posts", "channel_days", "business_days"

# Field kinds, parsed by ``imports``: int (a counter, >= 0), money (decimal, >= 0), date,
# datetime (project time unless the value carries an offset), text, bool, network, channel.


@dataclass(frozen=True)
class Field:
    key: str
    kind: str
    names: tuple[str, ...]  # accepted headers; the first English and first Russian name are shown
    label: object = ""
    required: bool = False
    example: str = ""


@dataclass(frozen=True)
class Preset:
    key: str
    name: object
    target: str  # POSTS, CHANNEL_DAYS or BUSINESS_DAYS
    fields: tuple[Field, ...]
    description: object = ""
    ignored: tuple[str, ...] = ()  # headers of a real export that are read and dropped
    network: str = ""  # the network of every post, when the export is of one network
    needs_year: bool = False
    generic: bool = False
    template: bool = False  # one of Zveno's downloadable templates

    def field(self, key: str) -> Field | None:
        return next((f for f in self.fields if f.key == key), None)


def normalize(header) -> str:
    text = str(header if header is not None else "").replace("\ufeff", "").replace("\xa0", " ")
    return re.sub(r"\s+", " ", text).strip().casefold()


def _f(key, kind, *names, label="", required=False, example=""):
    return Field(key, kind, tuple(names), label, required, example)


# --- the post fields Zveno's own template uses (and the generic posts mapper offers) -----------

POST_FIELDS = (
    _f("post_id", "text", "Post ID", "ID поста", "ID", label=_("Post ID"), example="1024"),
    _f("published_at", "datetime", "Published", "Дата публикации", "Опубликовано",
       label=_("Published (date and time)"), required=True, example="2026-11-02 10:00"),
    _f("network", "network", "Network", "Соцсеть", "Сеть", label=_("Network"), required=True,
       example="telegram"),
    _f("channel", "channel", "Channel", "Канал", label=_("Channel"), example=""),
    _f("format", "text", "Format", "Формат", label=_("Format"), example="post"),
    _f("media_type", "media_type", "Media type", "Тип медиа", "Тип контента",
       label=_("Media type (photo, video, link, text, album)"), example="photo"),
    _f("rubric", "text", "Rubric", "Рубрика", label=_("Rubric"), example=""),
    _f("title", "text", "Title", "Заголовок", "Тема", label=_("Title"),
       example="Как выбрать квартиру"),
    _f("url", "text", "Link", "Ссылка", "URL", label=_("Link"), example=""),
    _f("is_promoted", "bool", "Promoted", "Реклама", "Продвижение", label=_("Promoted (1/0)"),
       example="0"),
    _f("has_expert_input", "bool", "Expert input", "Материал эксперта",
       label=_("With the expert's material (1/0)"), example="1"),
    _f("followers_at_publication", "int", "Followers at publication",
       "Подписчиков при публикации", label=_("Followers at publication"), example="5400"),
    _f("captured_at", "datetime", "Captured", "Дата снятия", "Снято",
       label=_("Captured (date and time)"), example="2026-11-09 10:00"),
    _f("views", "int", "Views", "Просмотры", label=_("Views"), example="1800"),
    _f("reach", "int", "Reach", "Охват", label=_("Reach"), example="1500"),
    _f("impressions", "int", "Impressions", "Показы", label=_("Impressions"), example="2100"),
    _f("likes", "int", "Likes", "Лайки", "Реакции", label=_("Likes"), example="64"),
    _f("comments", "int", "Comments", "Комментарии", label=_("Comments"), example="9"),
    _f("shares", "int", "Shares", "Репосты", "Поделились", label=_("Shares"), example="12"),
    _f("saves", "int", "Saves", "Сохранения", label=_("Saves"), example="20"),
    _f("poll_votes", "int", "Poll votes", "Голоса в опросе", label=_("Poll votes"), example=""),
    _f("link_clicks", "int", "Link clicks", "Переходы по ссылке", label=_("Link clicks"),
       example="31"),
)  # fmt: skip

CHANNEL_DAY_FIELDS = (
    _f("date", "date", "Date", "Дата", label=_("Date"), required=True, example="2026-11-02"),
    _f("channel", "channel", "Channel", "Канал", label=_("Channel"), example="telegram"),
    _f("followers", "int", "Followers", "Подписчики", label=_("Followers (end of day)"),
       example="5400"),
    _f("gained", "int", "Gained", "Подписались", label=_("Followers gained"), example="35"),
    _f("lost", "int", "Lost", "Отписались", label=_("Followers lost"), example="4"),
    _f("reach", "int", "Reach", "Охват", label=_("Reach"), example="3200"),
    _f("impressions", "int", "Impressions", "Показы", label=_("Impressions"), example="5100"),
    _f("profile_visits", "int", "Profile visits", "Посещения профиля",
       label=_("Profile visits"), example="140"),
    _f("dialogues", "int", "Dialogues started", "Начатые диалоги", "Диалоги",
       label=_("Dialogues started"), example="6"),
    _f("site_clicks", "int", "Site clicks", "Переходы на сайт", label=_("Site clicks"),
       example="25"),
)  # fmt: skip

BUSINESS_DAY_FIELDS = (
    _f("date", "date", "Date", "Дата", label=_("Date"), required=True, example="2026-11-02"),
    _f("channel", "channel", "Channel", "Канал", label=_("Channel"), example=""),
    _f("campaign", "text", "Campaign", "Кампания", label=_("Campaign"), example=""),
    _f("dialogues", "int", "Dialogues", "Диалоги", label=_("Dialogues"), example="12"),
    _f("leads", "int", "Leads", "Лиды", "Заявки", label=_("Leads"), example="5"),
    _f("lead_magnet_downloads", "int", "Lead magnet downloads", "Скачивания лид-магнита",
       label=_("Lead magnet downloads"), example="18"),
    _f("email_subscribers", "int", "E-mail subscribers", "Подписчики рассылки",
       label=_("E-mail subscribers"), example="9"),
    _f("site_visits", "int", "Site visits", "Посещения сайта", label=_("Site visits"),
       example="240"),
    _f("sales", "int", "Sales", "Продажи", label=_("Sales"), example="1"),
    _f("revenue", "money", "Revenue", "Выручка", label=_("Revenue"), example="450000.00"),
    _f("ad_spend", "money", "Ad spend", "Рекламный бюджет", "Расход на рекламу",
       label=_("Ad spend"), example="15000.00"),
)  # fmt: skip

# --- real exports ---------------------------------------------------------------------------

FACEBOOK_FIELDS = (
    _f("followers_at_publication", "int", "Page total likes", label=_("Page likes")),
    _f("type", "text", "Type", label=_("Type"), required=True),
    _f("category", "text", "Category", label=_("Category")),
    _f("month", "int", "Post Month", label=_("Month"), required=True),
    _f("weekday", "int", "Post Weekday", label=_("Weekday (1 = Sunday)"), required=True),
    _f("hour", "int", "Post Hour", label=_("Hour"), required=True),
    _f("is_promoted", "bool", "Paid", label=_("Paid")),
    _f("reach", "int", "Lifetime Post Total Reach", label=_("Reach")),
    _f("impressions", "int", "Lifetime Post Total Impressions", label=_("Impressions")),
    _f("likes", "int", "like", "Likes", label=_("Likes")),
    _f("comments", "int", "comment", "Comments", label=_("Comments")),
    _f("shares", "int", "share", "Shares", label=_("Shares")),
)
FACEBOOK_IGNORED = (
    "Lifetime Engaged Users",
    "Lifetime Post Consumers",
    "Lifetime Post Consumptions",
    "Lifetime Post Impressions by people who have liked your Page",
    "Lifetime Post reach by people who like your Page",
    "Lifetime People who have liked your Page and engaged with your post",
    "Total Interactions",
)
# Facebook's post types and the format each becomes; the type itself stays as the media type.
FACEBOOK_FORMATS = {"photo": "post", "status": "post", "link": "post", "video": "video"}
FACEBOOK_MEDIA = {"photo": "photo", "status": "text", "link": "link", "video": "video"}

VK_FIELDS = (
    _f("date", "date", "Дата", "День", "Date", "Day", label=_("Date"), required=True),
    _f("followers", "int", "Участники", "Подписчики", "Всего участников", "Members",
       "Followers", label=_("Followers (end of day)")),
    _f("gained", "int", "Новые участники", "Подписавшиеся", "Вступившие", "New members",
       "Subscribed", label=_("Followers gained")),
    _f("lost", "int", "Вышедшие участники", "Отписавшиеся", "Вышедшие", "Members lost",
       "Unsubscribed", label=_("Followers lost")),
    _f("reach", "int", "Полный охват", "Охват", "Total reach", "Reach", label=_("Reach")),
    _f("impressions", "int", "Просмотры", "Views", label=_("Views")),
    _f("profile_visits", "int", "Посетители", "Visitors", label=_("Visitors")),
)  # fmt: skip
VK_IGNORED = (
    "Охват подписчиков",
    "Рекламный охват",
    "Виральный охват",
    "Subscribers reach",
    "Ad reach",
    "Viral reach",
)

TGSTAT_FIELDS = (
    _f("published_at", "datetime", "Дата", "Дата публикации", "Date", "Published",
       label=_("Published"), required=True),
    _f("url", "text", "Ссылка", "Ссылка на пост", "Link", "URL", label=_("Link")),
    _f("post_id", "text", "ID поста", "ID", "Post ID", label=_("Post ID")),
    _f("title", "text", "Текст", "Текст поста", "Text", label=_("Text")),
    _f("views", "int", "Просмотры", "Views", label=_("Views")),
    _f("shares", "int", "Репосты", "Пересылки", "Forwards", "Shares", label=_("Forwards")),
    _f("likes", "int", "Реакции", "Reactions", label=_("Reactions")),
    _f("comments", "int", "Комментарии", "Comments", label=_("Comments")),
)  # fmt: skip
TGSTAT_IGNORED = ("ER", "ERR", "ERR24", "ER, %", "ERR, %", "Тип", "Type")


PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        Preset(
            "facebook_insights", _("Facebook Insights: posts"), POSTS, FACEBOOK_FIELDS,
            description=_(
                "The Insights post export with its original English headers (the UCI "
                "\"Facebook metrics\" layout): Post Month, Post Weekday (1 = Sunday) and Post Hour "
                "instead of a date, so the year is required. The file lists the newest post first; "
                "each post goes on the latest day of its month with its weekday that is not later "
                "than the post above it, at its hour (project time). Type becomes the format "
                "(Photo, Status, Link → post; Video → video), Paid = 1 marks a promoted post, "
                "lifetime reach, impressions, likes, comments and shares become the snapshot, "
                "captured 90 days after publication."
            ),
            ignored=FACEBOOK_IGNORED, network="facebook", needs_year=True,
        ),
        Preset(
            "vk_stats", _("VK: community statistics"), CHANNEL_DAYS, VK_FIELDS,
            description=_(
                "One row per day from the community statistics export (the XLSX/CSV from "
                "Statistics → Export). Assumed columns: Дата (or День), Участники, Новые "
                "участники, Вышедшие участники, Полный охват, Просмотры, Посетители; the reach "
                "breakdowns (subscribers, advertising, viral) are read and dropped. Rows become "
                "channel days of the project's VK channel (choose one if there are several)."
            ),
            ignored=VK_IGNORED, network="vk",
        ),
        Preset(
            "tgstat", _("TGStat: channel posts"), POSTS, TGSTAT_FIELDS,
            description=_(
                "The channel's post export from TGStat, one row per post. Assumed columns: Дата "
                "(publication date and time), Ссылка (t.me link, used as the post's key), Текст, "
                "Просмотры, Репосты (forwards), Реакции, Комментарии; the computed ER and ERR "
                "columns are dropped. Posts go to the project's Telegram channel; they are "
                "captured at the moment of the export when it is not given — here 90 days after "
                "publication, so re-imports land on the same snapshot."
            ),
            ignored=TGSTAT_IGNORED, network="telegram",
        ),
        Preset(
            "zveno_posts", _("Zveno template: posts"), POSTS, POST_FIELDS, template=True,
            description=_(
                "One row per post and capture time. Dates as YYYY-MM-DD HH:MM in the project's "
                "time zone (DD.MM.YYYY also works). A post is recognised by its network and ID "
                "(or, without an ID, by network, publication time and title), so several rows "
                "of one post are several snapshots. Empty counters stay empty: absent is not zero."
            ),
        ),
        Preset(
            "zveno_channel_days", _("Zveno template: channel days"), CHANNEL_DAYS,
            CHANNEL_DAY_FIELDS, template=True,
            description=_(
                "One row per channel and day. The channel is its name, handle, network or ID "
                "in the project (or choose one channel for the whole file)."
            ),
        ),
        Preset(
            "zveno_business_days", _("Zveno template: business days"), BUSINESS_DAYS,
            BUSINESS_DAY_FIELDS, template=True,
            description=_(
                "One row per day (optionally per channel or campaign): dialogues, leads, "
                "lead-magnet downloads, e-mail subscribers, site visits, sales, revenue and ad "
                "spend. Money with a dot or a comma as the decimal separator."
            ),
        ),
        Preset(
            "generic_posts", _("Any file: posts"), POSTS, POST_FIELDS, generic=True,
            description=_("Map the file's columns to post fields; other columns are skipped."),
        ),
        Preset(
            "generic_channel_days", _("Any file: channel days"), CHANNEL_DAYS,
            CHANNEL_DAY_FIELDS, generic=True,
            description=_(
                "Map the file's columns to channel-day fields; other columns are skipped."
            ),
        ),
        Preset(
            "generic_business_days", _("Any file: business days"), BUSINESS_DAYS,
            BUSINESS_DAY_FIELDS, generic=True,
            description=_(
                "Map the file's columns to business-day fields; other columns are skipped."
            ),
        ),
    )
}  # fmt: skip


def get(key: str) -> Preset | None:
    return PRESETS.get(key)


def template_headers(preset: Preset, language: str | None) -> list[str]:
    """The template's header row: English or Russian names by the language."""
    ru = (language or "").startswith("ru")
    out = []
    for f in preset.fields:
        english = f.names[0]
        russian = next((n for n in f.names if re.search("[а-яё]", n, re.I)), english)
        out.append(russian if ru else english)
    return out


FIELD_KINDS = {
    POSTS: POST_FIELDS,
    CHANNEL_DAYS: CHANNEL_DAY_FIELDS,
    BUSINESS_DAYS: BUSINESS_DAY_FIELDS,
}


def template_csv(preset: Preset, language: str | None) -> bytes:
    """The template as CSV: UTF-8 with a BOM, ``;``-separated, the header and one example row."""
    import io

    out = io.StringIO()
    writer = exports.csv_writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(template_headers(preset, language))
    writer.writerow([f.example for f in preset.fields])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(preset: Preset, language: str | None) -> bytes:
    """The template as XLSX: the header row (bold) and one example row."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = preset.key[:31]
    exports.append_row(sheet, template_headers(preset, language))
    exports.append_row(sheet, [_typed(f) for f in preset.fields])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, name in enumerate(template_headers(preset, language), start=1):
        sheet.column_dimensions[_letter(index)].width = max(12, len(name) + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _typed(spec: Field):
    """The example as the cell type a spreadsheet would hold."""
    if spec.example and spec.kind == "int":
        return int(spec.example)
    if spec.example and spec.kind == "money":
        return float(spec.example)
    return spec.example


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)
