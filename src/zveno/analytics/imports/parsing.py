"""Parsing an import file: the request's options, the header against a preset, and each row
into a :class:`Record` or row-level problems (row, column, message); the preview of a file."""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import hashlib
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from zveno.analytics import presets
from zveno.analytics.imports.reading import open_rows
from zveno.analytics.models import BUSINESS_COUNTERS, CHANNEL_COUNTERS, POST_COUNTERS, MediaType
from zveno.core.rows import Problem, cell_text
from zveno.publishing.models import Channel, Network

CAPTURE_AFTER = dt.timedelta(days=90)  # capture time of "lifetime" figures without one


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
        self._by_network: dict[str, Channel | None] = {}  # the default channel of a network
        self._previous: dt.datetime | None = None  # Facebook: the post above
        self._seen_keys: dict[str, int] = {}  # Facebook: repeats of one placed key
        self._required = [spec for spec in preset.fields if spec.required]
        self._build = {
            presets.POSTS: self._post,
            presets.CHANNEL_DAYS: self._channel_day,
            presets.BUSINESS_DAYS: self._business_day,
        }[preset.target]
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
        return self._build(row, data)

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
        if network not in self._by_network:
            same = [c for c in self._channels if c.network == network]
            self._by_network[network] = same[0] if len(same) == 1 else None
        return self._by_network[network]

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


def parser_for(project, options: Options) -> Parser:
    return Parser(
        project, options.preset, year=options.year, channel=options.channel, mapping=options.mapping
    )


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
    parser = parser_for(project, options)
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
