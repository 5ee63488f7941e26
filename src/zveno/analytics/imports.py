"""Metric imports: read a CSV or XLSX file, check every row, then write all rows or none.

The :class:`~zveno.analytics.models.Import` row is the record of a job. ``create_import`` checks
the request (preset, year, channel, a readable non-empty file), stores the file and either runs
it at once (files of up to ``INLINE_ROWS`` rows) or leaves it ``queued`` for the Celery task
``run_import``, which calls :func:`run`. ``run`` claims the row with a conditional UPDATE
(queued → running), so two workers never run one import, and works in two passes over the
streamed file:

1. check: every row is parsed and validated; ``processed_rows`` is written every
   ``PROGRESS_EVERY`` rows outside any transaction, so the page and the API see it move;
2. write: if no row had a problem, all rows are written in one transaction, in batches of
   ``BATCH`` rows (bulk inserts; existing rows are compared and updated), else nothing is and the
   import is ``failed`` with the row-level errors ``[{row, column, message}]`` (the header is
   row 1, rows numbered as in the file).

On PostgreSQL both passes are one: rows are checked and written as they are read, inside one
transaction that is rolled back when any row has a problem (the rest are still checked), and the
progress goes through a second connection so it is visible outside that transaction.

Re-importing a file creates nothing: posts are found by their key (``Post.external_id``, built by
the preset), snapshots by (post, capture time), channel days by (channel, date), business days by
(date, channel, campaign); identical rows count as ``unchanged``. ``Post.latest_*`` and
``last_captured_at`` always equal the newest snapshot.

Files are streamed: the type is told by the content (``core.files.sniff``: XLSX whatever its
name, CSV in UTF-8 with or without a BOM, UTF-16 with its BOM as Excel's "Unicode text", else
cp1251; pictures, archives and other binaries are refused with a message), CSV with ``;``, ``,``
or tab detected from the header line, XLSX with openpyxl in read-only mode (the first sheet).
"""

from __future__ import annotations

import calendar
import contextlib
import csv
import datetime as dt
import hashlib
import logging
import re
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zveno.analytics import presets
from zveno.analytics.models import (
    BUSINESS_COUNTERS,
    CHANNEL_COUNTERS,
    POST_COUNTERS,
    BusinessDay,
    ChannelDay,
    Import,
    ImportStatus,
    Post,
    PostSnapshot,
    Source,
)
from zveno.core import files
from zveno.core.jobs import enqueue
from zveno.core.rows import Problem, cell_text
from zveno.publishing.models import Channel, Network

logger = logging.getLogger(__name__)

INLINE_ROWS = 5000  # files up to this many rows run during the upload
BATCH = 5000  # rows per write batch
PROGRESS_EVERY = 1000  # rows between progress updates
MAX_ERRORS = 500  # row errors kept on the record (the message says how many there were)
CAPTURE_AFTER = dt.timedelta(days=90)  # capture time of "lifetime" figures without one
STUCK_RUNNING = dt.timedelta(minutes=30)
STUCK_QUEUED = dt.timedelta(minutes=10)
EXTENSIONS = (".csv", ".tsv", ".txt", ".xlsx")

Progress = Callable[[str, int, int], None]  # (phase, rows done, rows in all); the phase is
# "check" then "write", or "rows" for the one pass on PostgreSQL


class ImportFailed(Exception):
    """Raised inside the write transaction to roll it back."""


# --- reading ---------------------------------------------------------------------------------


def _blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


@contextlib.contextmanager
def open_rows(binary, name: str) -> Iterator[Iterator[tuple[int, list]]]:
    """Yields an iterator of (row number, cell values), the header being row 1; blank rows are
    skipped but keep their numbers. ``binary`` is a seekable binary file."""
    file_type = files.sniff(binary)
    if file_type.kind == files.XLSX:
        import openpyxl

        try:
            book = openpyxl.load_workbook(binary, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ValidationError({"file": [_("This is not a readable XLSX file.")]}) from exc
        try:
            sheet = book.worksheets[0]
            rows = (
                (n, list(values))
                for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)
                if n == 1 or not _blank(values)
            )
            yield rows
        finally:
            book.close()
    else:
        text = files.text_stream(binary, file_type)
        try:
            delimiter = files.delimiter(text.readline())
            text.seek(0)
            reader = csv.reader(text, delimiter=delimiter)
            yield _text_rows(reader)
        except UnicodeDecodeError as exc:  # the head decoded, a later part does not
            raise files.unreadable_text() from exc
        finally:
            text.detach()


def _text_rows(reader) -> Iterator[tuple[int, list]]:
    try:
        for n, values in enumerate(reader, start=1):
            if n == 1 or not _blank(values):
                yield n, values
    except UnicodeDecodeError as exc:
        raise files.unreadable_text() from exc
    except csv.Error as exc:
        raise ValidationError({"file": [_("This is not a readable CSV file.")]}) from exc


def read_header(binary, name: str) -> list[str]:
    """The file's header row as text."""
    with open_rows(binary, name) as rows:
        return next(([cell_text(v) for v in values] for _n, values in rows), [])


def count_rows(binary, name: str) -> int:
    """Data rows (not the header, not blank rows) in the file."""
    try:
        with open_rows(binary, name) as rows:
            return sum(1 for n, _values in rows if n > 1)
    except UnicodeDecodeError as exc:
        raise files.unreadable_text() from exc


# --- parsing ---------------------------------------------------------------------------------

YES = {"1", "yes", "y", "true", "да", "д", "+", "paid", "реклама"}
NO = {"0", "no", "n", "false", "нет", "н", "-", "organic"}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y")
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y, %H:%M",
    "%d/%m/%Y %H:%M",
)
_ISO_MINUTE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]")


class CellError(ValueError):
    pass


def parse_int(value) -> int | None:
    if value is None or value == "":
        return None
    if type(value) is str and value.isascii() and value.isdigit() and len(value) < 16:
        return int(value)  # the common case, fast
    if isinstance(value, bool):
        raise CellError(_("Not a whole number."))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError(_("Not a whole number."))
        number = int(value)
    else:
        text = _SPACES.sub("", str(value))
        if not text:
            return None
        match = re.fullmatch(r"(-?\d+)(?:[.,]0+)?", text)
        if not match:
            raise CellError(_("Not a whole number."))
        number = int(match.group(1))
    if number < 0:
        raise CellError(_("Must not be negative."))
    if number > 10**15:
        raise CellError(_("The number is too large."))
    return number


def parse_money(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CellError(_("Not an amount."))
    try:
        if isinstance(value, (int, float)):
            amount = Decimal(str(value))
        else:
            text = _SPACES.sub("", str(value)).replace(",", ".")
            if not text:
                return None
            amount = Decimal(text)
    except InvalidOperation:
        raise CellError(_("Not an amount.")) from None
    if not amount.is_finite():
        raise CellError(_("Not an amount."))
    if amount < 0:
        raise CellError(_("Must not be negative."))
    if amount >= Decimal(10) ** 14:
        raise CellError(_("The number is too large."))
    return amount.quantize(Decimal("0.01"))


def parse_date(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    for fmt in DATE_FORMATS:
        with contextlib.suppress(ValueError):
            return dt.datetime.strptime(text, fmt).date()
    for fmt in DATETIME_FORMATS:
        with contextlib.suppress(ValueError):
            return dt.datetime.strptime(text, fmt).date()
    raise CellError(_("Not a date (use YYYY-MM-DD or DD.MM.YYYY)."))


def parse_datetime(value, tz: dt.tzinfo) -> dt.datetime | None:
    """A moment; naive values are in the project's time zone. Returned in UTC."""
    if value is None or value == "":
        return None
    moment = None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        text = str(value).strip()
        if not text:
            return None
        quick = _ISO_MINUTE.fullmatch(text)
        if quick:
            try:
                moment = dt.datetime(*map(int, quick.groups()))
            except ValueError:
                raise CellError(_("Not a date and time (use YYYY-MM-DD HH:MM).")) from None
        for fmt in () if moment else DATETIME_FORMATS + DATE_FORMATS:
            with contextlib.suppress(ValueError):
                moment = dt.datetime.strptime(text, fmt)
                break
        if moment is None:
            with contextlib.suppress(ValueError):
                moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment is None:
            raise CellError(_("Not a date and time (use YYYY-MM-DD HH:MM)."))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    if not 1990 <= moment.year <= 2100:
        raise CellError(_("The year is out of range."))
    return moment.astimezone(dt.UTC)


def parse_bool(value) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = cell_text(value).casefold()
    if not text:
        return None
    if text in YES:
        return True
    if text in NO:
        return False
    raise CellError(_("Use 1 or 0 (yes or no)."))


_NETWORKS = {n.value: n.value for n in Network} | {
    "вконтакте": "vk",
    "вк": "vk",
    "vkontakte": "vk",
    "телеграм": "telegram",
    "tg": "telegram",
    "инстаграм": "instagram",
    "ok": "odnoklassniki",
    "одноклассники": "odnoklassniki",
    "дзен": "dzen",
    "fb": "facebook",
}


def _network_names() -> dict[str, str]:
    """Network names in the active language (and the fixed aliases), casefolded -> value."""
    language = translation.get_language() or ""
    names = _NETWORK_CACHE.get(language)
    if names is None:
        names = {str(choice.label).casefold(): choice.value for choice in Network}
        names.update(_NETWORKS)
        _NETWORK_CACHE[language] = names
    return names


_NETWORK_CACHE: dict[str, dict[str, str]] = {}


def parse_media_type(value) -> str | None:
    """A media type by its code or its name in either language ("photo", "Фото", "Status")."""
    from zveno.analytics.models import MediaType

    text = cell_text(value).casefold()
    if not text:
        return None
    known = {code: code for code in MediaType.values}
    known.update(presets.FACEBOOK_MEDIA)
    for language in ("en", "ru"):
        with translation.override(language):
            known.update({str(label).casefold(): code for code, label in MediaType.choices})
    found = known.get(text)
    if found is None:
        raise CellError(
            _("Unknown media type: %(value)s. Use photo, video, link, text or album.")
            % {"value": cell_text(value)}
        )
    return found


def parse_network(value, names: dict[str, str] | None = None) -> str | None:
    text = cell_text(value).casefold()
    if not text:
        return None
    found = (names or _network_names()).get(text)
    if found is None:
        raise CellError(_("Unknown network: %(value)s.") % {"value": cell_text(value)})
    return found


@dataclass
class Record:
    """One parsed row: what it becomes, with the file's row number."""

    row: int
    key: tuple
    attrs: dict = field(default_factory=dict)
    counters: dict = field(default_factory=dict)
    captured_at: dt.datetime | None = None


class Parser:
    """Turns the rows of one file into records for one preset; keeps state across rows (the
    Facebook placement depends on the post above), so one parser reads one pass."""

    def __init__(self, project, preset, *, year=None, channel=None, mapping=None):
        self.project = project
        self.preset = preset
        self.year = year
        self.channel = channel  # a Channel of the project chosen for the whole file, or None
        self.mapping = mapping or {}
        self.tz = zoneinfo.ZoneInfo(project.timezone or "UTC")
        # (index, field, header, converter) of each column read
        self.columns: list[tuple[int, presets.Field, str, Callable]] = []
        self._channels = list(project.channels.all())
        self._previous: dt.datetime | None = None  # Facebook: the post above
        self._seen_keys: dict[str, int] = {}  # Facebook: repeats of one placed key
        self._required = [spec for spec in preset.fields if spec.required]
        networks = _network_names()
        self._converters = {
            "int": parse_int,
            "money": parse_money,
            "date": parse_date,
            "datetime": lambda value: parse_datetime(value, self.tz),
            "bool": parse_bool,
            "network": lambda value: parse_network(value, networks),
            "media_type": parse_media_type,
            "channel": self._find_channel,
            "text": cell_text,
        }

    # -- header --
    def read_header(self, header: list) -> list[Problem]:
        names = [cell_text(h).replace("\ufeff", "") for h in header]
        taken: dict[str, str] = {}
        problems = []
        if self.preset.generic:
            wanted = {presets.normalize(k): v for k, v in self.mapping.items() if v}
            present = {presets.normalize(n) for n in names}
            for column, key in self.mapping.items():
                if not key:
                    continue
                if self.preset.field(key) is None:
                    problems.append(
                        Problem(1, column, _("Unknown field: %(field)s.") % {"field": key})
                    )
                elif presets.normalize(column) not in present:
                    problems.append(Problem(1, column, _("The file has no such column.")))
            lookup = {n: self.preset.field(k) for n, k in wanted.items()}
        else:
            lookup = {presets.normalize(name): f for f in self.preset.fields for name in f.names}
            ignored = {presets.normalize(name) for name in self.preset.ignored}
        for index, name in enumerate(names):
            norm = presets.normalize(name)
            if not norm:
                continue
            spec = lookup.get(norm)
            if spec is None:
                if not self.preset.generic and norm not in ignored:
                    problems.append(
                        Problem(1, name, _("Unknown column: %(name)s.") % {"name": name})
                    )
                continue
            if spec.key in taken:
                message = _("The column repeats “%(other)s”.") % {"other": taken[spec.key]}
                problems.append(Problem(1, name, message))
                continue
            taken[spec.key] = name
            self.columns.append((index, spec, name, self._converters[spec.kind]))
        for spec in self.preset.fields:
            if spec.required and spec.key not in taken:
                label = spec.names[0] if not self.preset.generic else str(spec.label)
                message = _("The required column “%(name)s” is missing.") % {"name": label}
                problems.append(Problem(1, label, message))
        if self.preset.needs_year and not self.year:
            problems.append(Problem(1, "", _("Give the year of the posts.")))
        return problems

    # -- rows --
    def parse(self, row: int, values: list) -> tuple[Record | None, list[Problem]]:
        data: dict = {}
        problems: list[Problem] = []
        size = len(values)
        for index, spec, header, convert in self.columns:
            try:
                data[spec.key] = convert(values[index] if index < size else None)
            except CellError as exc:
                problems.append(Problem(row, header, str(exc)))
        if not problems:
            for spec in self._required:
                if data.get(spec.key) in (None, ""):
                    header = self._header_of(spec.key)
                    problems.append(Problem(row, header, _("This cell must not be empty.")))
        if problems:
            return None, problems
        build = {
            presets.POSTS: self._post,
            presets.CHANNEL_DAYS: self._channel_day,
            presets.BUSINESS_DAYS: self._business_day,
        }[self.preset.target]
        return build(row, data)

    def _find_channel(self, value) -> Channel | None:
        text = cell_text(value)
        if not text:
            return None
        folded = text.casefold().lstrip("@")
        for channel in self._channels:
            if text == str(channel.pk) or folded in (
                channel.name.casefold(),
                channel.handle.casefold().lstrip("@"),
            ):
                return channel
        by_network = [c for c in self._channels if c.network == folded]
        if len(by_network) == 1:
            return by_network[0]
        raise CellError(_("No such channel in the project: %(value)s.") % {"value": text})

    def _default_channel(self, network: str) -> Channel | None:
        if self.channel is not None:
            return self.channel
        same = [c for c in self._channels if c.network == network]
        return same[0] if len(same) == 1 else None

    def _header_of(self, key: str) -> str:
        return next((c[2] for c in self.columns if c[1].key == key), key)

    # -- posts --
    def _post(self, row, data):
        preset = self.preset
        if preset.key == "facebook_insights":
            return self._facebook(row, data)
        network = data.get("network") or preset.network
        published = data["published_at"]
        channel = data.get("channel") or self._default_channel(network)
        title = data.get("title", "")
        if data.get("post_id"):
            key = f"{network}:{data['post_id']}"
        elif data.get("url"):
            key = f"{network}:{data['url']}"
        else:
            digest = hashlib.sha1(title.encode()).hexdigest()[:12]
            key = f"{network}:{published:%Y%m%dT%H%M%S}:{digest}"
        captured = data.get("captured_at") or published + CAPTURE_AFTER
        if captured < published:
            message = _("The capture time is before the publication.")
            return None, [Problem(row, self._header_of("captured_at"), message)]
        attrs = {
            "published_at": published,
            "network": network,
            "channel_id": channel.pk if channel else None,
            "format": data.get("format", "")[:20],
            "media_type": data.get("media_type") or "",
            "rubric": data.get("rubric", "")[:40],
            "title": title[:300],
            "url": data.get("url", "")[:500],
            "is_promoted": bool(data.get("is_promoted")),
            "has_expert_input": bool(data.get("has_expert_input")),
            "followers_at_publication": data.get("followers_at_publication"),
        }
        counters = {name: data.get(name) for name in POST_COUNTERS}
        return Record(row, (_key(key),), attrs, counters, captured), []

    def _facebook(self, row, data):
        """Places the post: the latest moment in its month, on its weekday (1 = Sunday) at its
        hour, that is not later than the post above (the file lists the newest first). When no
        day of the month keeps that order, the first such weekday of the month is taken."""
        month, weekday, hour = data["month"], data["weekday"], data["hour"]
        problems = []
        if not 1 <= month <= 12:
            problems.append(Problem(row, self._header_of("month"), _("A month is 1 to 12.")))
        if not 1 <= weekday <= 7:
            message = _("A weekday is 1 (Sunday) to 7 (Saturday).")
            problems.append(Problem(row, self._header_of("weekday"), message))
        if not 0 <= hour <= 24:
            problems.append(Problem(row, self._header_of("hour"), _("An hour is 0 to 23.")))
        if problems:
            return None, problems
        python_weekday = (weekday + 5) % 7  # 1 = Sunday -> 6, 2 = Monday -> 0
        year = self.year
        days = [
            dt.date(year, month, d)
            for d in range(1, calendar.monthrange(year, month)[1] + 1)
            if dt.date(year, month, d).weekday() == python_weekday
        ]
        moments = [
            dt.datetime.combine(d, dt.time(hour % 24), tzinfo=self.tz)
            + dt.timedelta(days=hour // 24)
            for d in days
        ]
        fitting = [m for m in moments if self._previous is None or m <= self._previous]
        placed = max(fitting) if fitting else moments[0]
        self._previous = placed
        published = placed.astimezone(dt.UTC)
        kind = data["type"] or "Post"
        category = data.get("category") or ""
        base = f"facebook_insights:{year}:{placed:%Y%m%dT%H}:{kind}:{category}"
        repeat = self._seen_keys.get(base, 0)
        self._seen_keys[base] = repeat + 1
        key = base if not repeat else f"{base}#{repeat}"
        # The file's own words, so the title does not depend on the importer's language.
        title = f"{kind} · Category {category}" if category else kind
        channel = self._default_channel("facebook")
        attrs = {
            "published_at": published,
            "network": "facebook",
            "channel_id": channel.pk if channel else None,
            "format": presets.FACEBOOK_FORMATS.get(kind.casefold(), "post"),
            "media_type": presets.FACEBOOK_MEDIA.get(kind.casefold(), ""),
            "rubric": "",
            "title": title[:300],
            "url": "",
            "is_promoted": bool(data.get("is_promoted")),
            "has_expert_input": False,
            "followers_at_publication": data.get("followers_at_publication"),
        }
        counters = {name: data.get(name) for name in POST_COUNTERS}
        return Record(row, (key,), attrs, counters, published + CAPTURE_AFTER), []

    # -- days --
    def _channel_day(self, row, data):
        channel = data.get("channel") or self._default_channel(self.preset.network or "~")
        if channel is None:
            message = _("Which channel? Name it in the column or choose one for the file.")
            return None, [Problem(row, self._header_of("channel"), message)]
        counters = {name: data.get(name) for name in CHANNEL_COUNTERS}
        return Record(row, (channel.pk, data["date"]), {}, counters), []

    def _business_day(self, row, data):
        channel = data.get("channel") or self.channel
        campaign = (data.get("campaign") or "")[:120]
        counters = {name: data.get(name) for name in BUSINESS_COUNTERS}
        key = (data["date"], channel.pk if channel else None, campaign)
        return Record(row, key, {}, counters), []


def _key(text: str) -> str:
    """A post key that fits the column: long keys are shortened to a digest."""
    if len(text) <= 200:
        return text
    return text[:150] + ":" + hashlib.sha256(text.encode()).hexdigest()[:40]


# --- writing ---------------------------------------------------------------------------------


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: Counts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


POST_ATTRS = (
    "published_at",
    "network",
    "channel_id",
    "format",
    "media_type",
    "rubric",
    "title",
    "url",
    "is_promoted",
    "has_expert_input",
    "followers_at_publication",
)
LATEST = tuple(f"latest_{name}" for name in POST_COUNTERS)


def _insert(model, rows: list[dict], *, need_ids: bool = False) -> list[int]:
    """Inserts new rows given as {attname: value} (every row with the same keys) and returns
    their ids when asked: with COPY on PostgreSQL (ids taken from the table's sequence first),
    with ``bulk_create`` elsewhere. Runs in the caller's transaction."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objs = model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH)
        return [obj.pk for obj in objs]
    meta = model._meta
    names = list(rows[0])
    columns = [meta.get_field(name).column for name in names]
    quote = connection.ops.quote_name
    ids: list[int] = []
    with connection.cursor() as cursor:
        if need_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
            columns = [meta.pk.column, *columns]
        sql = f"COPY {quote(meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            if need_ids:
                for pk, row in zip(ids, rows, strict=True):
                    copy.write_row([pk, *row.values()])
            else:
                for row in rows:
                    copy.write_row(list(row.values()))
    return ids


def _last_wins(records: list[Record], key) -> list[Record]:
    by_key = {}
    for record in records:
        by_key[key(record)] = record
    return list(by_key.values())


def write_posts(project, batch: Import | None, records: list[Record]) -> Counts:
    counts = Counts()
    records = _last_wins(records, lambda r: (r.key[0], r.captured_at))
    keys = {r.key[0] for r in records}
    found = Post.objects.filter(project=project, external_id__in=keys)
    existing = {p.external_id: p for p in found}
    batch_id = batch.pk if batch else None
    # New posts as plain rows (no model instances: this is the hot path of large imports).
    fresh: dict[str, dict] = {}
    for record in records:
        key = record.key[0]
        if key in existing:
            continue
        row = fresh.get(key)
        if row is None:
            row = fresh[key] = {
                "project_id": project.pk,
                "external_id": key,
                "source": Source.IMPORT,
                **record.attrs,
                "last_captured_at": None,
            }
        if row["last_captured_at"] is None or record.captured_at >= row["last_captured_at"]:
            row["last_captured_at"] = record.captured_at
            for name in POST_COUNTERS:
                row[f"latest_{name}"] = record.counters.get(name)
    fresh_ids = dict(zip(fresh, _insert(Post, list(fresh.values()), need_ids=True), strict=True))
    snapshots: dict[tuple, PostSnapshot] = {}
    if existing:
        times = {r.captured_at for r in records if r.key[0] in existing}
        ids = [p.pk for p in existing.values()]
        # A range, not an IN list of times: the planner walks the (post, captured_at) index.
        found = PostSnapshot.objects.filter(
            post_id__in=ids, captured_at__gte=min(times), captured_at__lte=max(times)
        )
        for snap in found:
            if snap.captured_at in times:
                snapshots[(snap.post_id, snap.captured_at)] = snap
    to_create, to_update, changed_posts = [], [], {}
    for record in records:
        key = record.key[0]
        if key in fresh_ids:
            counts.created += 1
            to_create.append(_snapshot_row(fresh_ids[key], record, batch_id))
            continue
        post = existing[key]
        snap = snapshots.get((post.pk, record.captured_at))
        changed = False
        if snap is None:
            to_create.append(_snapshot_row(post.pk, record, batch_id))
            changed = True
        elif any(getattr(snap, k) != v for k, v in record.counters.items()):
            for name, value in record.counters.items():
                setattr(snap, name, value)
            snap.batch_id = batch_id
            to_update.append(snap)
            changed = True
        if any(getattr(post, k) != v for k, v in record.attrs.items()):
            for name, value in record.attrs.items():
                setattr(post, name, value)
            changed_posts[post.pk] = post
            changed = True
        if post.last_captured_at is None or record.captured_at >= post.last_captured_at:
            latest = {f"latest_{k}": v for k, v in record.counters.items()}
            if post.last_captured_at != record.captured_at or any(
                getattr(post, k) != v for k, v in latest.items()
            ):
                post.last_captured_at = record.captured_at
                for name, value in latest.items():
                    setattr(post, name, value)
                changed_posts[post.pk] = post
        if changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
    _insert(PostSnapshot, to_create)
    if to_update:
        PostSnapshot.objects.bulk_update(to_update, [*POST_COUNTERS, "batch"], batch_size=500)
    if changed_posts:
        fields = [*POST_ATTRS, *LATEST, "last_captured_at"]
        Post.objects.bulk_update(changed_posts.values(), fields, batch_size=500)
    return counts


def _snapshot_row(post_id: int, record: Record, batch_id: int | None) -> dict:
    row = {"post_id": post_id, "captured_at": record.captured_at}
    for name in POST_COUNTERS:
        row[name] = record.counters.get(name)
    row["source"] = Source.IMPORT
    row["batch_id"] = batch_id
    return row


def write_channel_days(project, records: list[Record]) -> Counts:
    records = _last_wins(records, lambda r: r.key)
    channels = {r.key[0] for r in records}
    dates = {r.key[1] for r in records}
    existing = {
        (d.channel_id, d.date): d
        for d in ChannelDay.objects.filter(project=project, channel_id__in=channels, date__in=dates)
    }

    def fields(key) -> dict:
        return {"project_id": project.pk, "channel_id": key[0], "date": key[1]}

    return _upsert_days(ChannelDay, CHANNEL_COUNTERS, records, existing, fields)


def write_business_days(project, records: list[Record]) -> Counts:
    records = _last_wins(records, lambda r: r.key)
    dates = {r.key[0] for r in records}
    existing = {
        (d.date, d.channel_id, d.campaign): d
        for d in BusinessDay.objects.filter(project=project, date__in=dates)
    }

    def fields(key) -> dict:
        return {"project_id": project.pk, "date": key[0], "channel_id": key[1], "campaign": key[2]}

    return _upsert_days(BusinessDay, BUSINESS_COUNTERS, records, existing, fields)


def _upsert_days(model, counters, records: list[Record], existing: dict, fields) -> Counts:
    """Creates the days that are new, updates those whose counters changed, counts the rest."""
    counts = Counts()
    to_create, to_update = [], []
    for record in records:
        day = existing.get(record.key)
        if day is None:
            to_create.append({**fields(record.key), "source": Source.IMPORT, **record.counters})
            counts.created += 1
        elif any(getattr(day, k) != v for k, v in record.counters.items()):
            for name, value in record.counters.items():
                setattr(day, name, value)
            day.source = Source.IMPORT
            to_update.append(day)
            counts.updated += 1
        else:
            counts.unchanged += 1
    _insert(model, to_create)
    if to_update:
        model.objects.bulk_update(to_update, [*counters, "source"], batch_size=500)
    return counts


def _day_of(record: Record, tz: dt.tzinfo) -> dt.date | None:
    published = record.attrs.get("published_at")
    if isinstance(published, dt.datetime):
        return published.astimezone(tz).date() if published.tzinfo else published.date()
    return next((part for part in record.key if isinstance(part, dt.date)), None)


def _widen_period(project, batch: Import | None, records: list[Record]) -> None:
    """Keeps on ``batch`` (in memory; ``_done`` saves it) the first and last day written."""
    if batch is None:
        return
    tz = zoneinfo.ZoneInfo(project.timezone or "UTC")
    days = [d for d in (_day_of(r, tz) for r in records) if d is not None]
    if days:
        low, high = min(days), max(days)
        batch.period_start = min(filter(None, (batch.period_start, low)))
        batch.period_end = max(filter(None, (batch.period_end, high)))


def write(project, batch: Import | None, target: str, records: list[Record]) -> Counts:
    _widen_period(project, batch, records)
    if target == presets.POSTS:
        return write_posts(project, batch, records)
    if target == presets.CHANNEL_DAYS:
        return write_channel_days(project, records)
    return write_business_days(project, records)


# --- the request -----------------------------------------------------------------------------


@dataclass
class Options:
    preset: presets.Preset
    year: int | None = None
    channel: Channel | None = None
    mapping: dict = field(default_factory=dict)


def check_options(project, preset_key, year=None, channel=None, mapping=None) -> Options:
    """The request's own problems, as a ValidationError (the API answers 422)."""
    errors: dict[str, list[str]] = {}
    preset = presets.get(preset_key or "")
    if preset is None:
        known = ", ".join(presets.PRESETS)
        errors["preset"] = [_("Unknown preset. Known: %(known)s.") % {"known": known}]
    if year in ("", None):
        year = None
    else:
        try:
            year = int(year)
        except (TypeError, ValueError):
            year = None
            errors["year"] = [_("The year is a number, like 2014.")]
        else:
            if not 1990 <= year <= 2100:
                errors["year"] = [_("The year is out of range.")]
    if preset is not None and preset.needs_year and year is None and "year" not in errors:
        errors["year"] = [_("This preset needs the year of the posts (the file has no years).")]
    chosen = None
    if channel not in ("", None):
        chosen = project.channels.filter(pk=channel).first() if str(channel).isdigit() else None
        if chosen is None:
            errors["channel"] = [_("No such channel in the project.")]
    mapping = {str(k): str(v) for k, v in (mapping or {}).items() if v}
    if preset is not None and preset.generic:
        fields = {f.key for f in preset.fields}
        if not mapping:
            errors["mapping"] = [_("Map the file's columns to fields.")]
        elif not set(mapping.values()) <= fields:
            bad = ", ".join(sorted(set(mapping.values()) - fields))
            errors["mapping"] = [_("Unknown fields: %(fields)s.") % {"fields": bad}]
    if errors:
        raise ValidationError(errors)
    return Options(preset, year, chosen, mapping)


def _options_of(batch: Import) -> Options:
    stored = batch.mapping or {}
    channel = None
    if stored.get("channel"):
        channel = batch.project.channels.filter(pk=stored["channel"]).first()
    return Options(presets.get(batch.preset), batch.year, channel, stored.get("columns") or {})


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def create_import(
    actor,
    project,
    upload,
    *,
    preset: str,
    year=None,
    channel=None,
    mapping=None,
    run_now: bool | None = None,
    dispatch: bool = True,
) -> Import:
    """Checks the request and stores the file as an import. ``run_now`` None runs small files
    (up to ``INLINE_ROWS`` rows) at once and queues larger ones (dispatching the Celery task on
    commit unless ``dispatch`` is false — the CLI runs the job itself)."""
    options = check_options(project, preset, year, channel, mapping)
    name = (getattr(upload, "name", "") or "upload.csv").rsplit("/", 1)[-1]
    size = getattr(upload, "size", None)
    if not size:
        raise ValidationError({"file": [_("The file is empty.")]})
    if not name.lower().endswith(EXTENSIONS):
        raise ValidationError({"file": [_("Upload a CSV or XLSX file.")]})
    total = count_rows(upload, name)
    if total == 0:
        raise ValidationError({"file": [_("The file has no rows below the header.")]})
    stored = {"columns": options.mapping} if options.mapping else {}
    if options.channel is not None:
        stored["channel"] = options.channel.pk
    batch = Import(
        project=project,
        preset=options.preset.key,
        mapping=stored,
        year=options.year,
        filename=name[:255],
        sha256=_sha256(upload),
        total_rows=total,
        created_by=actor,
    )
    upload.seek(0)
    batch.file.save(name, File(upload, name=name), save=False)
    batch.save()
    if run_now is None:
        run_now = total <= INLINE_ROWS
    if run_now:
        run(batch.pk)
        batch.refresh_from_db()
    elif dispatch:
        transaction.on_commit(lambda: enqueue("zveno.analytics.tasks.run_import", batch.pk))
    return batch


# --- the job ---------------------------------------------------------------------------------


def _parser(project, options: Options) -> Parser:
    return Parser(
        project, options.preset, year=options.year, channel=options.channel, mapping=options.mapping
    )


def _progress(batch_id: int, done: int) -> None:
    Import.objects.filter(pk=batch_id).update(processed_rows=done)


def run(import_id: int, progress: Progress | None = None) -> Import | None:
    """Runs a queued import; returns it, or None when another worker has claimed it."""
    claimed = Import.objects.filter(pk=import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now(), processed_rows=0
    )
    if not claimed:
        return None
    batch = Import.objects.select_related("project").get(pk=import_id)
    try:
        _execute(batch, progress)
    except ValidationError as exc:  # the file as a whole: say why in words
        Import.objects.filter(pk=import_id).update(
            status=ImportStatus.FAILED,
            message=" ".join(exc.messages)[:2000],
            finished_at=timezone.now(),
        )
    except Exception as exc:  # the job must end, whatever broke
        logger.exception("import %s failed", import_id)
        Import.objects.filter(pk=import_id).update(
            status=ImportStatus.FAILED,
            message=str(exc)[:2000] or exc.__class__.__name__,
            finished_at=timezone.now(),
        )
    batch.refresh_from_db()
    return batch


def _fail(batch: Import, errors: list[Problem], count: int, processed: int) -> None:
    message = _("%(count)s problems found; nothing was imported.") % {"count": count}
    Import.objects.filter(pk=batch.pk).update(
        status=ImportStatus.FAILED,
        errors=[p.as_dict() for p in errors[:MAX_ERRORS]],
        message=message,
        processed_rows=processed,
        created=0,
        updated=0,
        unchanged=0,
        finished_at=timezone.now(),
    )


def _done(batch: Import, done: int, counts: Counts) -> None:
    Import.objects.filter(pk=batch.pk).update(
        status=ImportStatus.DONE,
        total_rows=done,
        processed_rows=done,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        errors=[],
        message="",
        period_start=batch.period_start,
        period_end=batch.period_end,
        finished_at=timezone.now(),
    )


def _execute(batch: Import, progress: Progress | None) -> None:
    options = _options_of(batch)
    project = batch.project
    total = batch.total_rows
    if connection.vendor == "postgresql":
        _one_pass(batch, options, progress)
        return

    # Pass 1: check every row; progress is visible to others as it goes.
    errors: list[Problem] = []
    error_count = 0
    done = 0
    check = _parser(project, options)
    with batch.file.open("rb") as binary, open_rows(binary, batch.filename) as rows:
        for number, values in rows:
            if number == 1:
                header_errors = check.read_header(values)
                if header_errors:
                    _fail(batch, header_errors, len(header_errors), 0)
                    return
                continue
            _record, problems = check.parse(number, values)
            if problems:
                error_count += len(problems)
                if len(errors) < MAX_ERRORS:
                    errors.extend(problems)
            done += 1
            if done % PROGRESS_EVERY == 0:
                _progress(batch.pk, done)
                if progress:
                    progress("check", done, total)
    if progress:
        progress("check", done, total)
    if error_count:
        _fail(batch, errors, error_count, done)
        return
    _progress(batch.pk, done)

    # Pass 2: write every row in one transaction.
    counts = Counts()
    written = 0
    target = options.preset.target
    with (
        transaction.atomic(),
        batch.file.open("rb") as binary,
        open_rows(binary, batch.filename) as rows,
    ):
        writer = _parser(project, options)
        pending: list[Record] = []
        for number, values in rows:
            if number == 1:
                if writer.read_header(values):
                    raise ImportFailed(_("The header changed while importing."))
                continue
            record, problems = writer.parse(number, values)
            if problems:
                raise ImportFailed(problems[0].message)
            pending.append(record)
            if len(pending) >= BATCH:
                counts.add(write(project, batch, target, pending))
                written += len(pending)
                pending = []
                if progress:
                    progress("write", written, total)
        if pending:
            counts.add(write(project, batch, target, pending))
            written += len(pending)
        _done(batch, done, counts)
    if progress:
        progress("write", written, total)


class _Rollback(Exception):
    pass


def _one_pass(batch: Import, options: Options, progress: Progress | None) -> None:
    """PostgreSQL: check and write in one pass inside one transaction, rolled back when any row
    has a problem (the remaining rows are still checked, to report them all). Progress goes
    through a second connection, outside the data transaction, so others see it move."""
    table = connection.ops.quote_name(Import._meta.db_table)
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    with side.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s", [batch.pk])
        # Inside an outer transaction (tests) the record is invisible to the side connection.
        visible = cursor.fetchone() is not None
    if not visible:
        side.close()
        side = None

    def report(done: int) -> None:
        if side is not None:
            with side.cursor() as cursor:
                sql = f"UPDATE {table} SET processed_rows = %s WHERE id = %s"
                cursor.execute(sql, [done, batch.pk])

    total = batch.total_rows
    target = options.preset.target
    errors: list[Problem] = []
    error_count = done = 0
    counts = Counts()
    try:
        with (
            transaction.atomic(),
            batch.file.open("rb") as binary,
            open_rows(binary, batch.filename) as rows,
        ):
            reader = _parser(batch.project, options)
            pending: list[Record] = []
            for number, values in rows:
                if number == 1:
                    errors = reader.read_header(values)
                    error_count = len(errors)
                    if errors:
                        raise _Rollback
                    continue
                record, problems = reader.parse(number, values)
                done += 1
                if problems:
                    error_count += len(problems)
                    if len(errors) < MAX_ERRORS:
                        errors.extend(problems)
                    pending = []
                elif not error_count:
                    pending.append(record)
                    if len(pending) >= BATCH:
                        counts.add(write(batch.project, batch, target, pending))
                        pending = []
                if done % PROGRESS_EVERY == 0:
                    report(done)
                    if progress:
                        progress("rows", done, total)
            if error_count:
                raise _Rollback
            if pending:
                counts.add(write(batch.project, batch, target, pending))
            if progress:
                progress("rows", done, total)
            _done(batch, done, counts)
    except _Rollback:
        _fail(batch, errors, error_count, done)
    finally:
        if side is not None:
            side.close()


def sweep() -> int:
    """Requeues imports a dead worker left behind (running > 30 min, queued > 10 min) and sends
    them to the queue again; returns how many were sent."""
    now = timezone.now()
    Import.objects.filter(status=ImportStatus.RUNNING, started_at__lt=now - STUCK_RUNNING).update(
        status=ImportStatus.QUEUED
    )
    stale = list(
        Import.objects.filter(status=ImportStatus.QUEUED)
        .filter(created_at__lt=now - STUCK_QUEUED)
        .values_list("pk", flat=True)
    )
    for pk in stale:
        enqueue("zveno.analytics.tasks.run_import", pk)
    return len(stale)


# --- preview ---------------------------------------------------------------------------------


def suggest_mapping(preset: presets.Preset, header: list) -> dict[str, str]:
    """For the generic mapper: columns whose header is one of a field's known names."""
    names = {presets.normalize(n): f.key for f in preset.fields for n in f.names}
    out, used = {}, set()
    for column in header:
        key = names.get(presets.normalize(column))
        if key and key not in used:
            out[cell_text(column)] = key
            used.add(key)
    return out


def preview(project, binary, name: str, options: Options, *, limit: int = 10, scan: int = 200):
    """The file's columns, the first ``limit`` parsed rows and the problems of the first
    ``scan`` rows (the import itself checks them all)."""
    parser = _parser(project, options)
    header, rows_out, problems = [], [], []
    with open_rows(binary, name) as rows:
        for number, values in rows:
            if number == 1:
                header = [cell_text(v) for v in values]
                if options.preset.generic and not options.mapping:
                    break
                problems.extend(parser.read_header(values))
                if problems:
                    break
                continue
            if number > scan + 1:
                break
            record, row_problems = parser.parse(number, values)
            problems.extend(row_problems)
            if record is not None and len(rows_out) < limit:
                rows_out.append(_display(record))
    return {"header": header, "rows": rows_out, "errors": [p.as_dict() for p in problems]}


def _display(record: Record) -> dict:
    out = {"row": record.row}
    attrs = dict(record.attrs)
    if "published_at" in attrs:
        out["published_at"] = attrs["published_at"]
        out["title"] = attrs.get("title", "")
        out["format"] = attrs.get("format", "")
        out["network"] = attrs.get("network", "")
    else:
        out["date"] = record.key[1] if isinstance(record.key[0], int) else record.key[0]
    out["counters"] = {k: v for k, v in record.counters.items() if v is not None}
    return out
