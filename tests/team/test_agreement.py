"""The agreement: versions, acceptances, the note, the diff and the exports, through HTTP."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests.conftest import make_user
from zveno.team import services
from zveno.team.models import AgreementAcceptance
from zveno.workspaces import services as ws
from zveno.workspaces.roles import JobRole, WorkspaceRole

NAMES = {
    "owner": "Ольга Иванова",
    "smm": "Мария Смирнова",
    "copywriter": "Елена Соколова",
    "expert": "Иван Петров",
}
TEAM = tuple(NAMES)


@pytest.fixture
def team(world):
    """The world with Russian names; the open version 1 follows them."""
    for persona, name in NAMES.items():
        user = world.users[persona]
        user.name = name
        user.save(update_fields=["name"])
    services.sync_agreement(world.alpha, world.users["owner"])
    assert list(world.alpha.agreements.values_list("version", flat=True)) == [1]
    return world


def url(name: str, world, version: int | None = None) -> str:
    kwargs = {"slug": world.alpha.slug}
    if version is not None:
        kwargs["version"] = version
    return reverse(f"team:{name}", kwargs=kwargs)


def page(client, world, persona: str, version: int | None = None) -> str:
    client.force_login(world.users[persona])
    target = url("agreement_version", world, version) if version else url("agreement", world)
    response = client.get(target)
    assert response.status_code == 200
    return response.content.decode()


def accept(client, world, persona: str, version: int = 1):
    """Accepts as a reader does: open the page, send the form with what was read."""
    body = page(client, world, persona)
    digest = re.search(r'name="digest" value="(\w+)"', body)
    assert digest, f"{persona} sees no accept button"
    return client.post(url("agreement_accept", world, version), {"digest": digest[1]})


def expert_takes_copy(world) -> None:
    copy = world.alpha.areas.get(code="copy")
    expert = world.alpha.memberships.get(user=world.users["expert"])
    services.set_cell(world.users["owner"], copy, expert, "R")


# --- the page --------------------------------------------------------------------------------


def test_version_one_shows_the_matrix_and_who_does_what(client, team):
    body = page(client, team, "copywriter")
    assert 'class="table ag-matrix"' in body
    for name in NAMES.values():
        assert name in body
    assert "Тексты" in body and "Визуал" in body
    # the copywriter's card: R for copy, C for strategy-level areas, I for visuals
    duties = body.split('class="ag-duties"', 1)[1]
    card = duties.split("Елена Соколова", 1)[1].split("</article>", 1)[0]
    assert "Тексты" in card and "Контент-план" in card
    assert url("agreement_pdf", team, 1) in body
    assert url("agreement_markdown", team, 1) in body
    assert url("agreement_version", team, 1) in body  # the list of versions


def test_the_page_reads_a_bounded_number_of_queries(client, team, django_assert_max_num_queries):
    copy = team.alpha.areas.get(code="copy")
    expert = team.alpha.memberships.get(user=team.users["expert"])
    for letters in ("R", "C", "I"):  # three more versions, each accepted before the change
        latest = team.alpha.agreements.order_by("-version").first()
        services.accept_agreement(team.users["expert"], latest)
        services.set_cell(team.users["owner"], copy, expert, letters)
    assert team.alpha.agreements.count() == 4
    client.force_login(team.users["owner"])
    with django_assert_max_num_queries(15):
        assert client.get(url("agreement", team)).status_code == 200


def test_a_project_without_areas_has_no_agreement_yet(client, world):
    client.force_login(world.users["owner"])
    response = client.get(reverse("team:agreement", kwargs={"slug": world.alpha2.slug}))
    assert response.status_code == 200
    assert b"raci" not in response.content


# --- accepting -------------------------------------------------------------------------------


def test_each_member_accepts_and_the_time_stamp_is_shown(client, team):
    expert = team.users["expert"]
    expert.timezone = "Asia/Vladivostok"
    expert.save(update_fields=["timezone"])
    for persona in TEAM:
        response = accept(client, team, persona)
        assert response.status_code == 302
    agreement = team.alpha.agreements.get(version=1)
    stamps = dict(agreement.acceptances.values_list("user__username", "accepted_at"))
    assert set(stamps) == set(TEAM)
    assert all(stamp is not None for stamp in stamps.values())
    body = page(client, team, "expert")
    assert 'name="digest"' not in body  # accepted: no button any more
    local = stamps["expert"].astimezone(ZoneInfo("Asia/Vladivostok"))
    assert f"{local:%H:%M}" in body
    assert "Asia/Vladivostok" in body
    assert team.alpha.agreements.count() == 1  # accepting creates no version


def test_a_pending_member_is_listed_and_others_see_no_button_for_them(client, team):
    accept(client, team, "expert")
    body = page(client, team, "owner")
    acceptances = body.split('class="people ag-signatures"', 1)[1].split("</ul>", 1)[0]
    signed = re.findall(r'<li class="ag-signed">.*?<strong>(.*?)</strong>', acceptances, re.S)
    pending = re.findall(r'<li class="ag-pending">.*?<strong>(.*?)</strong>', acceptances, re.S)
    assert signed == [NAMES["expert"]]
    assert set(pending) == {NAMES["owner"], NAMES["smm"], NAMES["copywriter"]}


def test_someone_outside_the_snapshot_cannot_accept(client, team):
    """A workspace admin sees every project but is not on this team: no button, 403."""
    admin = make_user("admin2", name="Админ Второй")
    ws.add_workspace_member(team.workspace_a, admin, WorkspaceRole.ADMIN)
    body = page(client, team, "owner")  # sanity: the page works for a member
    assert 'name="digest"' in body
    client.force_login(admin)
    body = client.get(url("agreement", team)).content.decode()
    assert 'name="digest"' not in body
    digest = re.search(r'name="digest" value="(\w+)"', page(client, team, "owner"))[1]
    client.force_login(admin)
    response = client.post(url("agreement_accept", team, 1), {"digest": digest})
    assert response.status_code == 403
    assert not AgreementAcceptance.objects.filter(user=admin).exists()


@pytest.mark.parametrize("persona", ["outsider", "other_expert"])
def test_people_of_another_workspace_get_404_everywhere(client, team, persona):
    client.force_login(team.users[persona])
    for name in ("agreement_version", "agreement_markdown", "agreement_pdf"):
        assert client.get(url(name, team, 1)).status_code == 404
    assert client.get(url("agreement", team)).status_code == 404
    assert client.post(url("agreement_accept", team, 1)).status_code == 404
    assert client.post(url("agreement_note", team, 1), {"note": "x"}).status_code == 404
    assert not AgreementAcceptance.objects.exists()


def test_anonymous_is_sent_to_log_in(client, team):
    response = client.get(url("agreement", team))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_change_after_acceptance_makes_version_two_with_a_readable_diff(client, team):
    accept(client, team, "copywriter")
    expert_takes_copy(team)
    assert list(team.alpha.agreements.values_list("version", flat=True)) == [2, 1]
    v1 = team.alpha.agreements.get(version=1)
    expert_id = str(team.alpha.memberships.get(user=team.users["expert"]).pk)
    assert v1.snapshot["cells"]["copy"][expert_id] == "C"  # the accepted text never moves

    body = page(client, team, "smm")
    changes = body.split('class="ag-changes"', 1)[1].split("</ul>", 1)[0]
    assert "Эксперт (клиент) Иван Петров" in changes
    assert "Тексты" in changes
    assert "C → R" in changes
    assert url("agreement_version", team, 2) in body and url("agreement_version", team, 1) in body

    # the old version stays readable, without buttons or a note form
    old = page(client, team, "expert", version=1)
    assert 'name="digest"' not in old and 'name="note"' not in old
    assert url("agreement", team) in old  # points at the current version


def test_members_added_and_removed_are_in_the_diff(client, team):
    accept(client, team, "expert")
    newcomer = make_user("designer", name="Пётр Дизайнеров")
    ws.add_member(team.users["owner"], team.alpha, newcomer, [JobRole.DESIGNER], 10)
    ws.remove_member(team.users["owner"], team.copywriter_membership)
    body = page(client, team, "owner")
    changes = body.split('class="ag-changes"', 1)[1].split("</ul>", 1)[0]
    assert re.search(r"ag-change-member_added\">[^<]*Пётр Дизайнеров", changes)
    assert re.search(r"ag-change-member_removed\">[^<]*Елена Соколова", changes)


def test_accepting_an_old_version_is_refused(client, team):
    accept(client, team, "expert")
    body = page(client, team, "copywriter")  # read version 1 …
    digest = re.search(r'name="digest" value="(\w+)"', body)[1]
    expert_takes_copy(team)  # … meanwhile version 2 starts
    response = client.post(url("agreement_accept", team, 1), {"digest": digest})
    assert response.status_code == 302
    assert not AgreementAcceptance.objects.filter(user=team.users["copywriter"]).exists()


def test_a_version_that_changed_while_being_read_is_not_accepted(client, team):
    body = page(client, team, "copywriter")
    digest = re.search(r'name="digest" value="(\w+)"', body)[1]
    expert_takes_copy(team)  # version 1 is still open, so it follows the matrix
    assert team.alpha.agreements.count() == 1
    response = client.post(url("agreement_accept", team, 1), {"digest": digest})
    assert response.status_code == 302
    assert not AgreementAcceptance.objects.exists()
    assert accept(client, team, "copywriter").status_code == 302  # read again: accepted
    assert AgreementAcceptance.objects.count() == 1


# --- the note --------------------------------------------------------------------------------


def test_a_manager_edits_the_note_of_an_open_version(client, team):
    body = page(client, team, "smm")
    assert 'name="note"' in body
    response = client.post(url("agreement_note", team, 1), {"note": "  Эксперт пишет сам  "})
    assert response.status_code == 302
    assert team.alpha.agreements.get(version=1).note == "Эксперт пишет сам"
    assert "Эксперт пишет сам" in page(client, team, "expert")


def test_the_note_form_answers_htmx_with_its_card(client, team):
    client.force_login(team.users["owner"])
    response = client.post(
        url("agreement_note", team, 1), {"note": "Договорились"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card agreement-note" id="agreement-note"')
    assert "Договорились" in body
    # The writer has read the new note: their accept button gets the new fingerprint.
    digest = re.search(r'name="digest" value="(\w+)" id="accept-digest" hx-swap-oob', body)[1]
    response = client.post(url("agreement_accept", team, 1), {"digest": digest})
    assert response.status_code == 302
    assert AgreementAcceptance.objects.filter(user=team.users["owner"]).exists()


@pytest.mark.parametrize("persona", ["copywriter", "expert"])
def test_only_managers_edit_the_note(client, team, persona):
    body = page(client, team, persona)
    assert 'name="note"' not in body
    response = client.post(url("agreement_note", team, 1), {"note": "Моё мнение"})
    assert response.status_code == 403
    assert team.alpha.agreements.get(version=1).note == ""


def test_the_note_of_an_accepted_version_cannot_change(client, team):
    client.force_login(team.users["owner"])
    client.post(url("agreement_note", team, 1), {"note": "До принятия"})
    accept(client, team, "expert")
    assert 'name="note"' not in page(client, team, "owner")
    response = client.post(url("agreement_note", team, 1), {"note": "После принятия"})
    assert response.status_code == 302
    assert team.alpha.agreements.get(version=1).note == "До принятия"


def test_the_accept_and_note_routes_take_only_post(client, team):
    client.force_login(team.users["owner"])
    assert client.get(url("agreement_accept", team, 1)).status_code == 405
    assert client.get(url("agreement_note", team, 1)).status_code == 405


def test_an_unknown_version_is_404(client, team):
    client.force_login(team.users["owner"])
    assert client.get(url("agreement_version", team, 9)).status_code == 404
    assert client.get(url("agreement_pdf", team, 9)).status_code == 404


# --- exports ---------------------------------------------------------------------------------


def test_markdown_export_has_the_table_and_the_names(client, team):
    accept(client, team, "expert")
    client.force_login(team.users["expert"])
    response = client.get(url("agreement_markdown", team, 1))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    assert 'filename="alpha-agreement-v1.md"' in response["Content-Disposition"]
    text = response.content.decode()
    assert text.startswith("# ")
    header = next(line for line in text.splitlines() if "Елена Соколова" in line)
    assert header.startswith("| ") and header.count("|") == 6  # area + four people
    copy_row = next(line for line in text.splitlines() if line.startswith("| Тексты |"))
    assert [cell.strip() for cell in copy_row.strip("|").split("|")] == [
        "Тексты",
        "",
        "A",
        "R",
        "C",
    ]
    assert "### Иван Петров" in text


def test_markdown_export_in_english_uses_english_area_names(client, team):
    client.force_login(team.users["owner"])
    text = client.get(url("agreement_markdown", team, 1) + "?lang=en").content.decode()
    assert "# Who does what" in text
    assert "| Copywriting |" in text
    assert "Тексты" not in text


def pdf_text(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "agreement.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_pdf_export_is_a_real_pdf_with_cyrillic_names(client, team, tmp_path):
    accept(client, team, "expert")
    client.force_login(team.users["owner"])
    response = client.get(url("agreement_pdf", team, 1))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="alpha-agreement-v1.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content, tmp_path)
    for name in NAMES.values():
        assert name in text
    assert "Тексты" in text
    assert team.alpha.name in text


def test_pdf_export_without_weasyprint_explains_instead_of_crashing(client, team, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint -> ImportError
    client.force_login(team.users["copywriter"])
    response = client.get(url("agreement_pdf", team, 1))
    assert response.status_code == 503
    body = response.content.decode()
    assert "ag-pdf-unavailable" in body
    assert "libpango" in body
    assert url("agreement_markdown", team, 1) in body
