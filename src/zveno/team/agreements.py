"""Reading agreement versions and rendering them: the page, the Markdown and the PDF document.

Reads only; every write goes through ``team/services.py``. Names, roles and letters come from
the version's frozen snapshot, never from today's team: the document says what was agreed.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from zveno.core.pdf import css_string, html_to_pdf
from zveno.team import matrix
from zveno.team.models import LETTERS, Agreement
from zveno.workspaces.models import Project
from zveno.workspaces.roles import Capability, JobRole

NOTE_MAX_LENGTH = 4000
# More people than this and the matrix goes on a landscape page.
PORTRAIT_MAX_PEOPLE = 6


# --- the words ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Letter:
    """One RACI letter with its name in the current language."""

    code: str
    term: str
    meaning: str


def legend() -> list[Letter]:
    return [
        Letter("R", _("Responsible"), _("does the work")),
        Letter("A", _("Accountable"), _("owns the result and signs it off")),
        Letter("C", _("Consulted"), _("gives input before and during the work")),
        Letter("I", _("Informed"), _("is told about the result")),
    ]


def role_labels(roles: list[str]) -> list[str]:
    labels = dict(JobRole.choices)
    return [str(labels.get(role, role)) for role in roles]


# --- versions ----------------------------------------------------------------------------------


def versions(project: Project) -> QuerySet[Agreement]:
    """Every version of the project's agreement, newest first, with its acceptance count."""
    return project.agreements.annotate(accepted=Count("acceptances")).order_by("-version")


def latest(project: Project) -> Agreement | None:
    return project.agreements.order_by("-version").first()


def version_for(project: Project, version: int) -> Agreement:
    """One version of the project's agreement; 404 if there is no such version."""
    agreement = project.agreements.filter(version=version).first()
    if agreement is None:
        raise Http404
    return agreement


def snapshot_digest(agreement: Agreement) -> str:
    """A fingerprint of what a reader saw, so that an acceptance is of exactly that text."""
    payload = json.dumps([agreement.snapshot, agreement.note], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def export_filename(agreement: Agreement, extension: str) -> str:
    return f"{agreement.project.slug}-agreement-v{agreement.version}.{extension}"


# --- the document ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Duty:
    """The areas where one person holds one letter."""

    letter: Letter
    areas: list[str]


@dataclass(frozen=True)
class Person:
    """A team member as the snapshot froze them, with what they are for each area."""

    id: int
    user_id: int
    name: str
    roles: list[str]  # labels in the document's language
    duties: list[Duty]


@dataclass(frozen=True)
class Row:
    """One area of the matrix: its name and the letters of each person, in team order."""

    area: str
    cells: list[list[Letter]]


@dataclass(frozen=True)
class Signature:
    person: Person
    accepted_at: datetime | None


@dataclass(frozen=True)
class Change:
    """One readable line of the difference from the previous version."""

    kind: str
    text: str


@dataclass
class Document:
    """Everything the page, the Markdown and the PDF show about one version."""

    agreement: Agreement
    language: str
    legend: list[Letter]
    people: list[Person]
    rows: list[Row]
    signatures: list[Signature]
    previous: Agreement | None
    changes: list[Change]
    latest_version: int

    @property
    def is_latest(self) -> bool:
        return self.agreement.version == self.latest_version

    @property
    def accepted_count(self) -> int:
        return sum(1 for s in self.signatures if s.accepted_at is not None)

    @property
    def is_open(self) -> bool:
        """The newest version follows the matrix (and its note may change) until accepted."""
        return self.is_latest and self.accepted_count == 0

    @property
    def wide(self) -> bool:
        return len(self.people) > PORTRAIT_MAX_PEOPLE


def _area_names(snapshot: dict, language: str) -> list[tuple[str, str]]:
    key = "name_en" if language == "en" else "name_ru"
    return [(area["code"], area.get(key) or area["code"]) for area in snapshot["areas"]]


def people_view(snapshot: dict, language: str = "ru") -> list[Person]:
    """Each person of a snapshot with the areas where they are R, A, C or I."""
    areas = _area_names(snapshot, language)
    by_code = {letter.code: letter for letter in legend()}
    people = []
    for member in snapshot["members"]:
        mid = str(member["id"])
        duties = []
        for code in LETTERS:
            held = [
                name for area, name in areas if code in snapshot["cells"].get(area, {}).get(mid, "")
            ]
            if held:
                duties.append(Duty(by_code[code], held))
        people.append(
            Person(
                member["id"],
                member["user_id"],
                member["name"],
                role_labels(member["roles"]),
                duties,
            )
        )
    return people


def matrix_rows(snapshot: dict, language: str = "ru") -> list[Row]:
    by_code = {letter.code: letter for letter in legend()}
    ids = [str(member["id"]) for member in snapshot["members"]]
    rows = []
    for code, name in _area_names(snapshot, language):
        row = snapshot["cells"].get(code, {})
        rows.append(
            Row(name, [[by_code[c] for c in row.get(mid, "") if c in by_code] for mid in ids])
        )
    return rows


def changes(previous: Agreement | None, agreement: Agreement, language: str = "ru") -> list[Change]:
    """The difference from the previous version, one readable line each.

    A newcomer's or a new area's letters go on its one line instead of a line per cell.
    """
    if previous is None:
        return []
    old, new = previous.snapshot, agreement.snapshot
    diff = matrix.diff(old, new, language)
    who = {m["name"]: _who(m) for m in [*old["members"], *new["members"]]}
    new_people = {line.person for line in diff if line.kind == "member_added"}
    new_areas = {line.area for line in diff if line.kind == "area_added"}
    duties = {p.name: p.duties for p in people_view(new, language)}
    letters_in = _letters_by_area(new, language)
    lines = []
    for line in diff:
        if line.kind == "changed" and (line.person in new_people or line.area in new_areas):
            continue
        lines.append(_readable(line, who, duties, letters_in))
    return lines + _role_changes(old, new)


def _who(member: dict) -> str:
    return " ".join([", ".join(role_labels(member["roles"])), member["name"]]).strip()


def _letters_by_area(snapshot: dict, language: str) -> dict[str, str]:
    """'Maria Smirnova RA, Elena Sokolova C' for each area name."""
    people = [(str(m["id"]), m["name"]) for m in snapshot["members"]]
    result = {}
    for code, area in _area_names(snapshot, language):
        row = snapshot["cells"].get(code, {})
        result[area] = ", ".join(f"{name} {row[mid]}" for mid, name in people if row.get(mid))
    return result


def _readable(line: matrix.DiffLine, who: dict, duties: dict, letters_in: dict) -> Change:
    person = who.get(line.person, line.person)
    if line.kind == "member_added":
        held = "; ".join(
            f"{d.letter.code}: {', '.join(d.areas)}" for d in duties.get(line.person, [])
        )
        text = _("Joined the team: %(who)s") % {"who": person}
        return Change(line.kind, f"{text} — {held}" if held else text)
    if line.kind == "member_removed":
        return Change(line.kind, _("No longer on the team: %(who)s") % {"who": person})
    if line.kind == "area_added":
        text = _("New area: “%(area)s”") % {"area": line.area}
        held = letters_in.get(line.area, "")
        return Change(line.kind, f"{text} — {held}" if held else text)
    if line.kind == "area_removed":
        return Change(line.kind, _("Area removed: “%(area)s”") % {"area": line.area})
    text = _("%(who)s: “%(area)s” %(before)s → %(after)s") % {
        "who": person,
        "area": line.area,
        "before": line.before or "—",
        "after": line.after or "—",
    }
    return Change(line.kind, text)


def _role_changes(old: dict, new: dict) -> list[Change]:
    # matrix.diff compares letters only; a new role is part of what the client agreed to.
    before = {m["id"]: m for m in old["members"]}
    lines = []
    for member in new["members"]:
        was = before.get(member["id"])
        if was is not None and was["roles"] != member["roles"]:
            text = _("%(name)s: roles %(before)s → %(after)s") % {
                "name": member["name"],
                "before": ", ".join(role_labels(was["roles"])) or "—",
                "after": ", ".join(role_labels(member["roles"])) or "—",
            }
            lines.append(Change("roles_changed", text))
    return lines


def document(agreement: Agreement, language: str) -> Document:
    """The version in the given language (the caller's translation is restored afterwards)."""
    project = agreement.project
    with translation.override(language):
        people = people_view(agreement.snapshot, language)
        accepted = dict(agreement.acceptances.values_list("user_id", "accepted_at"))
        previous = (
            project.agreements.filter(version__lt=agreement.version).order_by("-version").first()
        )
        latest_version = project.agreements.aggregate(newest=Max("version"))["newest"]
        return Document(
            agreement=agreement,
            language=language,
            legend=legend(),
            people=people,
            rows=matrix_rows(agreement.snapshot, language),
            signatures=[Signature(p, accepted.get(p.user_id)) for p in people],
            previous=previous,
            changes=changes(previous, agreement, language),
            latest_version=latest_version,
        )


def page_context(agreement: Agreement, user, granted, language: str) -> dict:
    """What the agreement page needs beyond the document: what this viewer may do."""
    doc = document(agreement, language)
    mine = next((s for s in doc.signatures if s.person.user_id == user.pk), None)
    return {
        "doc": doc,
        "agreement": agreement,
        "versions": versions(agreement.project),
        "my_signature": mine,
        "can_accept": doc.is_latest and mine is not None and mine.accepted_at is None,
        "can_edit_note": doc.is_open and granted.can(Capability.MANAGE_TEAM),
        "digest": snapshot_digest(agreement),
        "note_max_length": NOTE_MAX_LENGTH,
    }


# --- exports -----------------------------------------------------------------------------------


_MARKDOWN_SPECIAL = "\\`*_[]<>|#"


def markdown_text(text: str) -> str:
    """Plain text (a name, an area, a line of the note) that Markdown shows as it is."""
    text = " ".join(str(text).split())
    return "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in text)


def _export_context(agreement: Agreement, language: str) -> dict:
    doc = document(agreement, language)
    with translation.override(language):
        words = _words()
        if doc.previous is not None:
            words["changes"] = _("Changes from version %(version)s") % {
                "version": doc.previous.version
            }
        return {
            "doc": doc,
            "agreement": agreement,
            "project": agreement.project,
            "page_css": _page_counter_css(),
            "footer_css": css_string(
                f"{agreement.project.name} · {_('Who does what')} · v{agreement.version}"
            ),
            "words": words,
        }


def _words() -> dict[str, str]:
    # The Markdown template is not scanned by makemessages (it only reads .html, .txt, .py), so
    # its words are translated here.
    return {
        "title": _("Who does what"),
        "project": _("Project"),
        "version": _("Version"),
        "date": _("Date"),
        "note": _("Note"),
        "legend": _("RACI legend"),
        "matrix": _("Responsibility matrix"),
        "duties": _("Who is responsible for what"),
        "no_duties": _("No areas in this version."),
        "acceptances": _("Acceptances"),
    }


def _page_counter_css() -> str:
    """'Page 2 of 5' as a CSS content value, in the document's language."""
    parts = re.split(r"(%\((?:page|pages)\)s)", _("Page %(page)s of %(pages)s"))
    counters = {"%(page)s": "counter(page)", "%(pages)s": "counter(pages)"}
    return " ".join(counters.get(part) or css_string(part) for part in parts if part)


def render_markdown(agreement: Agreement, language: str) -> str:
    context = _export_context(agreement, language)
    with translation.override(language):
        context["md"] = _markdown_parts(context["doc"])
        return render_to_string("team/agreement.md", context)


def _markdown_parts(doc: Document) -> dict:
    """The document's text, escaped for Markdown (the template is rendered without escaping)."""
    esc = markdown_text
    head = [
        _("Area"),
        *(f"{p.name} ({', '.join(p.roles)})" if p.roles else p.name for p in doc.people),
    ]
    table = ["| " + " | ".join(esc(h) for h in head) + " |"]
    table.append("|" + "|".join([" --- ", *[" :---: "] * len(doc.people)]) + "|")
    for row in doc.rows:
        cells = ["".join(letter.code for letter in cell) or " " for cell in row.cells]
        table.append("| " + " | ".join([esc(row.area), *cells]) + " |")
    people = [
        {
            "name": esc(p.name),
            "roles": esc(", ".join(p.roles)),
            "duties": [
                {
                    "code": d.letter.code,
                    "term": esc(d.letter.term),
                    "areas": esc(", ".join(d.areas)),
                }
                for d in p.duties
            ],
        }
        for p in doc.people
    ]
    signatures = [
        {
            "name": esc(s.person.name),
            "roles": esc(", ".join(s.person.roles)),
            "when": _when(s.accepted_at),
        }
        for s in doc.signatures
    ]
    return {
        "project": esc(doc.agreement.project.name),
        "note_lines": [esc(line) for line in doc.agreement.note.splitlines()],
        "matrix": "\n".join(table),
        "people": people,
        "signatures": signatures,
        "changes": [esc(c.text) for c in doc.changes],
    }


def _when(accepted_at: datetime | None) -> str:
    if accepted_at is None:
        return _("not accepted yet")
    stamp = formats.date_format(timezone.localtime(accepted_at), "j E Y, H:i T")
    return _("accepted on %(date)s") % {"date": stamp}


def render_pdf(agreement: Agreement, language: str) -> bytes:
    """The "who does what" document as a PDF; PdfUnavailable if WeasyPrint cannot run here."""
    html = render_to_string("team/agreement_pdf.html", _export_context(agreement, language))
    return html_to_pdf(html)
