"""The content plan as a spreadsheet: XLSX and CSV export, and an all-or-nothing import.

One row per publication (an item without channels gives one row with an empty network), dates and
times in the project's time zone. Headers are Russian or English by the reader's language; the
import accepts both, in any order, and also the optional columns "advertising" and "advertiser".
Rows of one item come one after another; the import groups consecutive rows with the same topic,
format, rubric, goal, brief, erid and link into one item (a network already in the group starts a
new item). The status, responsible and approver columns are for reading: imported items start at
the idea stage and their steps are assigned from the matrix.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext as _

from zveno.content import bulk, selectors, services
from zveno.content.models import ContentItem, Goal, State, StepKind
from zveno.core import bounds, exports, files
from zveno.core.rows import Problem, cell_text
from zveno.publishing import services as publishing
from zveno.publishing.models import Format, Network
from zveno.workspaces import access
from zveno.workspaces.models import Project
from zveno.workspaces.roles import Capability

# The file format is a contract with the spreadsheets people keep, so its headers are fixed here
# in both languages rather than left to the translation catalogue.
COLUMNS: list[tuple[str, str, str]] = [
    ("date", "Date", "Дата"),
    ("time", "Time", "Время"),
    ("network", "Network", "Соцсеть"),
    ("format", "Format", "Формат"),
    ("rubric", "Rubric", "Рубрика"),
    ("goal", "Goal", "Цель"),
    ("topic", "Topic", "Тема"),
    ("text", "Text", "Текст"),
    ("visual_brief", "Visual brief", "ТЗ на визуал"),
    ("status", "Status", "Статус"),
    ("responsible", "Responsible", "Ответственный"),
    ("approver", "Approver", "Согласующий"),
    ("erid", "erid", "erid"),
    ("link", "Link", "Ссылка"),
]
OPTIONAL: list[tuple[str, str, str]] = [
    ("advertising", "Advertising", "Реклама"),
    ("advertiser", "Advertiser", "Рекламодатель"),
]
REQUIRED = ("date", "network", "format", "topic")
YES = {"1", "yes", "y", "true", "да", "д", "+", "реклама"}
DEFAULT_TIME = dt.time(10, 0)
MAX_ROWS = 5000


def headers(language: str | None) -> list[str]:
    ru = (language or "").startswith("ru")
    return [r if ru else e for _key, e, r in COLUMNS]


# --- export ------------------------------------------------------------------------------------


def _labels(choices, language: str) -> dict[str, str]:
    with translation.override(language):
        return {value: str(label) for value, label in choices}


def _names(item: ContentItem) -> tuple[str, str]:
    """The copy step's assignee (responsible) and the last approval step's (approver)."""
    steps = {s.kind: s for s in item.steps.all()}

    def name(kind):
        step = steps.get(kind)
        return step.assignee.user.display_name if step and step.assignee else ""

    return name(StepKind.COPY), name(StepKind.EXPERT_APPROVAL) or name(StepKind.REVIEW)


def rows(
    project: Project, language: str, start: dt.date | None = None, end: dt.date | None = None
) -> list[list[str]]:
    """The plan's rows in the file's column order (strings, dates as DD.MM.YYYY)."""
    zone = zoneinfo.ZoneInfo(project.timezone)
    formats, goals = _labels(Format.choices, language), _labels(Goal.choices, language)
    states, networks = _labels(State.choices, language), _labels(Network.choices, language)
    out = []
    qs = selectors.filtered(project, start, end).prefetch_related("steps__assignee__user")
    qs = qs.exclude(state=State.CANCELLED).order_by(F("planned_at").asc(nulls_last=True), "pk")
    for item in qs:
        responsible, approver = _names(item)
        pubs = list(item.publications.all()) or [None]
        for pub in pubs:
            when = pub.effective_planned_at if pub else item.planned_at
            local = when.astimezone(zone) if when else None
            out.append([
                local.strftime("%d.%m.%Y") if local else "",
                local.strftime("%H:%M") if local else "",
                networks.get(pub.channel.network, pub.channel.network) if pub else "",
                formats.get(item.format, item.format),
                item.rubric.name if item.rubric else "",
                goals.get(item.goal, item.goal),
                item.title,
                pub.effective_text if pub else item.text,
                item.visual_brief,
                states.get(item.state, item.state),
                responsible,
                approver,
                item.erid,
                item.link,
            ])  # fmt: skip
    return out


def to_csv(project: Project, language: str, **period) -> bytes:
    """UTF-8 with a BOM so that Excel opens Cyrillic right; ';' for Russian spreadsheets."""
    buffer = io.StringIO()
    delimiter = ";" if language.startswith("ru") else ","
    writer = exports.csv_writer(buffer, delimiter=delimiter)
    writer.writerow(headers(language))
    writer.writerows(rows(project, language, **period))
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(project: Project, language: str, **period) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Content plan")[:31]
    exports.append_row(sheet, headers(language))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows(project, language, **period):
        exports.append_row(sheet, row)
    widths = [12, 8, 14, 14, 22, 14, 40, 60, 40, 16, 20, 20, 16, 30]
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = Alignment(vertical="top", wrap_text=cell.column in (7, 8, 9))
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- import ------------------------------------------------------------------------------------


@dataclass
class Report:
    """What an import did: items created, or the problems that stopped it (then nothing is).

    ``missing_rubrics`` and ``missing_networks`` name what the file uses and the project lacks
    (a plan exported from another project): imported again with ``create_missing`` they are
    created first (``created_rubrics``, ``created_channels``)."""

    created: int = 0
    problems: list[Problem] = field(default_factory=list)
    missing_rubrics: list[str] = field(default_factory=list)
    missing_networks: list[str] = field(default_factory=list)
    created_rubrics: list[str] = field(default_factory=list)
    created_channels: list[str] = field(default_factory=list)

    @property
    def missing_network_names(self) -> list[str]:
        names = dict(Network.choices)
        return [str(names.get(n, n)) for n in self.missing_networks]

    @property
    def only_missing(self) -> bool:
        """Every problem is a missing rubric or channel: creating them makes the file import."""
        return bool(self.missing_rubrics or self.missing_networks) and all(
            p.column in ("rubric", "network") and p.message in missing_messages()
            for p in self.problems
        )

    @property
    def errors(self) -> list[dict]:
        return [p.as_dict() for p in self.problems]


@dataclass
class Row:
    """One valid row, ready to become an item or one more publication of the item above it."""

    number: int
    title: str
    format: str
    rubric: str
    goal: str
    planned_at: dt.datetime | None
    channel_id: int | None
    text: str
    visual_brief: str
    erid: str
    link: str
    is_ad: bool
    advertiser: str

    @property
    def key(self) -> tuple:
        return (self.title, self.format, self.rubric, self.goal, self.visual_brief, self.erid,
                self.link, self.is_ad, self.advertiser)  # fmt: skip


def _read_xlsx(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    return [list(r) for r in book.worksheets[0].iter_rows(values_only=True, max_row=MAX_ROWS)]


def _read_csv(data: bytes, encoding: str) -> list[list]:
    text = data.decode(encoding)
    delimiter = files.delimiter(text.split("\n", 1)[0])
    return [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]


def read_table(data: bytes, filename: str = "") -> list[list]:
    """The file's cells; XLSX or CSV told by the content (``core.files.sniff``), whatever the
    name says; a file that is no table raises ``ValidationError`` saying what it is."""
    found = files.sniff(io.BytesIO(data))
    if found.kind == files.XLSX:
        return _read_xlsx(data)
    return _read_csv(data, found.encoding)


def _lookup(choices) -> dict[str, str]:
    """Codes and labels in both languages, lower-cased, to codes."""
    found = {}
    for language in ("en", "ru"):
        for value, label in _labels(choices, language).items():
            found[label.strip().lower()] = value
            found[value.lower()] = value
    return found


def _date(value) -> dt.date | None:
    day = _any_date(value)
    if not bounds.day_ok(day):  # a year 9999 would break every page that steps through it
        raise ValueError(str(value))
    return day


def _any_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    for pattern in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def _time(value) -> dt.time:
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, dt.time):
        return value
    text = cell_text(value)
    if not text:
        return DEFAULT_TIME
    for pattern in ("%H:%M", "%H:%M:%S", "%H.%M"):
        try:
            return dt.datetime.strptime(text, pattern).time()
        except ValueError:
            continue
    raise ValueError(text)


def missing_messages() -> tuple[str, str]:
    """The two problems that creating rubrics and channels solves, in the active language."""
    return (_("Unknown rubric."), _("The project has no channel on this network."))


NEW_RUBRIC = "+"  # prefix of a rubric code still to create: "+" and the name as in the file


class _Parser:
    """Turns the table into valid rows, collecting every problem instead of stopping at one."""

    def __init__(self, project: Project, create_missing: bool = False):
        self.project = project
        self.create_missing = create_missing
        self.missing_rubrics: dict[str, str] = {}  # lower-cased name -> the name in the file
        self.missing_networks: dict[str, int] = {}  # network -> a placeholder channel id (< 0)
        self.formats, self.goals = _lookup(Format.choices), _lookup(Goal.choices)
        self.networks = _lookup(Network.choices)
        self.channels: dict[str, int] = {}
        for channel in project.channels.order_by("-is_active", "pk"):
            self.channels.setdefault(channel.network, channel.pk)
        self.rubrics = {}
        # Read only: a project without rubrics gets its playbook's when the items are written.
        for rubric in list(project.rubrics.all()) or services.playbook_rubrics(project):
            self.rubrics[rubric.code.lower()] = rubric.code
            self.rubrics[rubric.name.strip().lower()] = rubric.code
        self.problems: list[Problem] = []

    def fail(self, row: int, column: str, message: str) -> None:
        self.problems.append(Problem(row, column, message))

    def columns(self, header: list) -> dict[str, int]:
        known = {}
        for key, en, ru in COLUMNS + OPTIONAL:
            known[en.lower()] = known[ru.lower()] = known[key] = key
        found = {}
        for index, title in enumerate(header):
            key = known.get(cell_text(title).lower())
            if key and key not in found:
                found[key] = index
        for key in REQUIRED:
            if key not in found:
                self.fail(1, key, _("The column is missing."))
        return found

    def row(self, number: int, cells: dict[str, object]) -> Row | None:
        before = len(self.problems)
        text = {k: cell_text(v) for k, v in cells.items()}
        title = text.get("topic", "")
        if not title:
            self.fail(number, "topic", _("The topic is empty."))
        elif len(title) > 300:
            self.fail(number, "topic", _("The topic is longer than 300 characters."))
        fmt = self.formats.get(text.get("format", "").lower())
        if fmt is None:
            self.fail(number, "format", _("Unknown format."))
        rubric = ""
        if text.get("rubric"):
            rubric = self.rubrics.get(text["rubric"].lower(), "")
            if not rubric:
                self.missing_rubrics.setdefault(text["rubric"].lower(), text["rubric"])
                if self.create_missing:
                    rubric = NEW_RUBRIC + text["rubric"].lower()
                else:
                    self.fail(number, "rubric", _("Unknown rubric."))
        goal = self.goals.get(text.get("goal", "").lower()) if text.get("goal") else Goal.REACH
        if goal is None:
            self.fail(number, "goal", _("Unknown goal."))
        channel_id = None
        if text.get("network"):
            network = self.networks.get(text["network"].lower())
            channel_id = self.channels.get(network) if network else None
            if network is None:
                self.fail(number, "network", _("Unknown network."))
            elif channel_id is None:
                placeholder = self.missing_networks.setdefault(
                    network, -1 - len(self.missing_networks)
                )
                if self.create_missing:
                    channel_id = placeholder
                else:
                    self.fail(number, "network", _("The project has no channel on this network."))
        planned_at = self._when(number, cells)
        link = text.get("link", "")
        if link:
            try:
                URLValidator()(link)
            except ValidationError:
                self.fail(number, "link", _("Not a valid link."))
        erid = text.get("erid", "")
        is_ad = bool(erid) or text.get("advertising", "").lower() in YES
        if is_ad and not erid:
            self.fail(number, "erid", _("An advertising item needs an erid."))
        if len(self.problems) > before:
            return None
        return Row(
            number, title, fmt, rubric, goal, planned_at, channel_id, text.get("text", ""),
            text.get("visual_brief", ""), erid, link, is_ad, text.get("advertiser", "")[:300],
        )  # fmt: skip

    def _when(self, number: int, cells: dict) -> dt.datetime | None:
        day = None
        if cell_text(cells.get("date")):
            try:
                day = _date(cells.get("date"))
            except ValueError:
                self.fail(number, "date", _("Not a date: use DD.MM.YYYY."))
        try:
            moment = _time(cells.get("time"))
        except ValueError:
            self.fail(number, "time", _("Not a time: use HH:MM."))
            return None
        return dt.datetime.combine(day, moment) if day else None  # naive: the project's zone


def parse(
    project: Project, table: list[list], create_missing: bool = False
) -> tuple[list[list[Row]], list[Problem]]:
    """Valid rows grouped into items, and every problem found."""
    return _parse(_Parser(project, create_missing), table)


def _parse(parser: _Parser, table: list[list]) -> tuple[list[list[Row]], list[Problem]]:
    if not table:
        parser.fail(1, "", _("The file is empty."))
        return [], parser.problems
    columns = parser.columns(table[0])
    if parser.problems:
        return [], parser.problems
    groups: list[list[Row]] = []
    for number, line in enumerate(table[1:], start=2):
        cells = {key: line[i] if i < len(line) else None for key, i in columns.items()}
        if not any(cell_text(v) for v in cells.values()):
            continue
        row = parser.row(number, cells)
        if row is None:
            continue
        last = groups[-1] if groups else None
        same = last is not None and last[0].key == row.key and last[-1].number == number - 1
        if same and row.channel_id and row.channel_id not in {r.channel_id for r in last}:
            last.append(row)
        else:
            groups.append([row])
    if not groups and not parser.problems:
        parser.fail(2, "", _("The file has no rows."))
    return groups, parser.problems


def _drafts(groups: list[list[Row]]) -> list[bulk.Draft]:
    """Each group of rows as one item; a row's time or text differing from the first row's is its
    channel's own."""
    drafts = []
    for group in groups:
        first = group[0]
        fields = {
            "title": first.title, "format": first.format, "rubric": first.rubric,
            "goal": first.goal, "planned_at": first.planned_at, "text": first.text,
            "visual_brief": first.visual_brief, "link": first.link, "is_ad": first.is_ad,
            "erid": first.erid, "advertiser": first.advertiser,
        }  # fmt: skip
        channels = [
            (
                row.channel_id,
                row.planned_at if row.planned_at != first.planned_at else None,
                row.text if row.text != first.text else "",
            )
            for row in group
            if row.channel_id
        ]
        drafts.append(bulk.Draft(first.number, fields, channels))
    return drafts


@transaction.atomic
def _write(actor, project: Project, parser: _Parser, prepared: bulk.Prepared, report: Report):
    """The only transaction of an import: the rubrics and channels the file names and the project
    lacks (with ``create_missing``), then every prepared item, or nothing."""
    rubrics, channels = {}, {}
    for lower, name in parser.missing_rubrics.items():
        rubrics[NEW_RUBRIC + lower] = services.add_rubric(actor, project, name).code
        report.created_rubrics.append(name)
    names = dict(Network.choices)
    for network, placeholder in parser.missing_networks.items():
        channel = publishing.add_channel(actor, project, network, name=str(names[network]))
        channels[placeholder] = channel.pk
        report.created_channels.append(str(channel))
    report.created = bulk.write(actor, project, prepared, channels=channels, rubrics=rubrics)


def import_plan(
    actor, project: Project, data: bytes, filename: str = "", *, create_missing: bool = False
) -> Report:
    """Checks the whole file, then creates all its items in one transaction, or nothing.

    Reading, parsing and checking every row happen outside any transaction (SQLite's write lock
    is free meanwhile); the one transaction holds prepared rows and bulk inserts only. With
    ``create_missing`` the rubrics and channels the file names and the project lacks are created
    first, in that transaction; that needs ``manage_project``."""
    access.require(actor, project, Capability.EDIT_CONTENT)
    report, parser, groups = _check(project, data, filename, create_missing)
    if report.problems:
        return report
    try:
        if create_missing and (parser.missing_rubrics or parser.missing_networks):
            access.require(actor, project, Capability.MANAGE_PROJECT)
        prepared = bulk.prepare(actor, project, _drafts(groups))
        _write(actor, project, parser, prepared, report)
    except PermissionDenied:
        message = _(
            "Only someone who manages the project can create its rubrics and channels; ask the "
            "SMM or the owner, or add them in the project's settings first."
        )
        return _refused(report, [Problem(1, "", message)])
    except bulk.Refused as refused:
        return _refused(report, _problems(refused.number, refused.error))
    except ValidationError as error:  # the project changed between the check and the write
        return _refused(report, _problems(1, error))
    return report


def _refused(report: Report, problems: list[Problem]) -> Report:
    report.created, report.problems = 0, problems
    report.created_rubrics, report.created_channels = [], []  # rolled back with the rest
    return report


def _problems(number: int, error: ValidationError) -> list[Problem]:
    pairs = (
        [(k, " ".join(v)) for k, v in error.message_dict.items()]
        if hasattr(error, "error_dict")
        else [("", " ".join(error.messages))]
    )
    return [Problem(number, k, m) for k, m in pairs]


def _check(project: Project, data: bytes, filename: str, create_missing: bool):
    """Reads and parses the file: the report (with its problems) and, when none, the rows."""
    try:
        table = read_table(data, filename)
    except ValidationError as exc:  # a picture, an archive, an old .xls: say what it is
        return Report(0, [Problem(1, "", " ".join(exc.messages))]), None, []
    except Exception:  # a broken zip, a wrong encoding: the file as a whole is the problem
        problem = Problem(1, "", _("The file is not an XLSX or a UTF-8 CSV table."))
        return Report(0, [problem]), None, []
    if len(table) > MAX_ROWS:
        return Report(0, [Problem(MAX_ROWS + 1, "", _("The file has too many rows."))]), None, []
    parser = _Parser(project, create_missing)
    groups, problems = _parse(parser, table)
    report = Report(
        0, problems, list(parser.missing_rubrics.values()), list(parser.missing_networks)
    )
    return report, parser, groups
