"""The matrix, its agreement versions, stages and tasks: services, pages and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zveno.playbooks import loader
from zveno.projects import services as project_services
from zveno.team import services
from zveno.team.models import Assignment, ChecklistItem, Task, TaskStatus
from zveno.workspaces import services as ws
from zveno.workspaces.roles import JobRole

pytestmark = pytest.mark.django_db


def cell(project, area_code, membership) -> str:
    row = Assignment.objects.filter(
        area__project=project, area__code=area_code, membership=membership
    )
    return row.values_list("letters", flat=True).first() or ""


def test_choosing_a_playbook_builds_stages_tasks_matrix_and_goals(world):
    playbook = loader.get_builtin("real_estate")
    alpha = world.alpha
    assert alpha.areas.count() == len(playbook.areas)
    assert alpha.stages.count() == len(playbook.stages)
    assert alpha.tasks.count() == sum(len(s.checklist) for s in playbook.stages)
    assert alpha.goals.filter(status="draft").count() == len(playbook.kpis)
    first, second = alpha.stages.order_by("order")[:2]
    assert first.start_date == alpha.start_date
    assert first.end_date == alpha.start_date + dt.timedelta(
        days=playbook.stages[0].duration_days - 1
    )
    assert second.start_date == first.end_date + dt.timedelta(days=1)
    # The default letters follow each person's roles.
    copy_area = playbook.area("copy")
    copywriter = world.copywriter_membership
    assert cell(alpha, "copy", copywriter) == copy_area.raci["copywriter"]
    expert = alpha.memberships.get(user=world.users["expert"])
    expert_letters = playbook.area("expert_knowledge").raci["expert"]
    assert cell(alpha, "expert_knowledge", expert) == expert_letters
    assert alpha.agreements.get().version == 1


def test_an_area_whose_role_is_missing_goes_to_the_smm_as_a_fallback(world):
    # Nobody in alpha is a targetologist: targeted ads fall to the SMM, marked as fallback.
    smm = world.alpha.memberships.get(user=world.users["smm"])
    row = Assignment.objects.get(
        area__project=world.alpha, area__code="targeted_ads", membership=smm
    )
    assert "R" in row.letters and row.fallback


def test_a_person_with_several_roles_gets_the_union_of_letters(world):
    owner = world.users["owner"]
    project = project_services.start_project(
        owner, world.workspace_a, name="Один за всех", playbook="real_estate",
        networks=["telegram"], my_roles=[JobRole.SMM, JobRole.COPYWRITER, JobRole.DESIGNER],
        start_date=dt.date(2026, 12, 1),
    )  # fmt: skip
    me = project.memberships.get(user=owner)
    playbook = loader.get_builtin("real_estate")
    raci = playbook.area("visuals").raci
    expected = {raci.get(r, "") for r in ("smm", "copywriter", "designer")} - {""}
    assert set(cell(project, "visuals", me)) >= set("".join(expected))


def test_changes_after_an_acceptance_start_a_new_version_with_a_diff(world):
    owner = world.users["owner"]
    area = world.alpha.areas.get(code="copy")
    services.set_cell(owner, area, world.copywriter_membership, "C")
    assert world.alpha.agreements.count() == 1  # still open: it follows the matrix
    v1 = world.alpha.agreements.get()
    assert v1.snapshot["cells"]["copy"][str(world.copywriter_membership.pk)] == "C"
    services.accept_agreement(world.users["copywriter"], v1)
    services.set_cell(owner, area, world.copywriter_membership, "R")
    v2 = world.alpha.agreements.get(version=2)
    from zveno.team.matrix import diff

    lines = diff(v1.snapshot, v2.snapshot)
    assert [(x.kind, x.before, x.after) for x in lines] == [("changed", "C", "R")]
    with pytest.raises(ValidationError):
        services.accept_agreement(world.users["smm"], v1)  # an old version cannot be accepted
    with pytest.raises(PermissionDenied):  # only a manager of the team edits the matrix
        services.set_cell(world.users["copywriter"], area, world.copywriter_membership, "A")


def test_cycling_a_cell_through_the_page(world, login):
    client = login(world.users["smm"])
    url = f"/p/alpha/matrix/copy/{world.copywriter_membership.pk}/"
    before = cell(world.alpha, "copy", world.copywriter_membership)
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    after = cell(world.alpha, "copy", world.copywriter_membership)
    assert after != before
    assert 'id="area-copy"' in response.content.decode()
    assert login(world.users["copywriter"]).post(url).status_code == 403
    assert cell(world.alpha, "copy", world.copywriter_membership) == after


def test_matrix_page_shows_every_area_and_person(world, login, django_assert_max_num_queries):
    client = login(world.users["expert"])
    with django_assert_max_num_queries(25):
        page = client.get("/p/alpha/matrix/").content.decode()
    assert page.count('class="area-col" scope="row"') == world.alpha.areas.count()
    assert "Copywriter" in page or "Копирайтер" in page
    assert "hx-post" not in page  # the expert reads, managers edit


def test_matrix_api_round_trip_and_validation(world, api):
    smm = api(world, "smm")
    matrix = smm.get("/api/v1/projects/alpha/matrix").json()
    assert {a["code"] for a in matrix["areas"]} == set(
        world.alpha.areas.values_list("code", flat=True)
    )
    cells = {a["code"]: a["cells"] for a in matrix["areas"]}
    mid = str(world.copywriter_membership.pk)
    cells["copy"][mid] = "AR"
    response = smm.put("/api/v1/projects/alpha/matrix", {"cells": cells})
    assert response.status_code == 200, response.content
    assert set(cell(world.alpha, "copy", world.copywriter_membership)) == {"A", "R"}
    bad = dict(cells, copy={mid: "X"})
    response = smm.put("/api/v1/projects/alpha/matrix", {"cells": bad})
    assert response.status_code == 422
    assert set(cell(world.alpha, "copy", world.copywriter_membership)) == {"A", "R"}
    assert (
        api(world, "copywriter").put("/api/v1/projects/alpha/matrix", {"cells": cells}).status_code
        == 403
    )


def test_assignee_moves_their_task_and_ticks_the_checklist_others_cannot(world, login):
    task = world.alpha.tasks.filter(assignee=world.copywriter_membership).first()
    copywriter = login(world.users["copywriter"])
    response = copywriter.post(f"/p/alpha/tasks/{task.pk}/status/", {"status": "in_progress"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS
    with pytest.raises(PermissionDenied):
        services.update_task(world.users["copywriter"], task, title="renamed")
    item = services.add_checklist_item(world.users["copywriter"], task, "Согласовать с экспертом")
    response = copywriter.post(f"/p/alpha/checklist/{item.pk}/tick/", {"done": "1"})
    item.refresh_from_db()
    assert item.done and item.done_by == world.users["copywriter"]
    expert = login(world.users["expert"])
    assert expert.post(f"/p/alpha/checklist/{item.pk}/tick/", {"done": "0"}).status_code == 403
    assert ChecklistItem.objects.get(pk=item.pk).done


def test_stage_with_end_before_start_is_refused(world):
    with pytest.raises(ValidationError) as error:
        services.create_stage(
            world.users["owner"], world.alpha, name="Эфир",
            start_date=dt.date(2026, 12, 10), end_date=dt.date(2026, 12, 1),
        )  # fmt: skip
    assert "end_date" in error.value.message_dict


def test_task_api_create_list_and_patch(world, api):
    smm = api(world, "smm")
    stage = world.alpha.stages.first()
    payload = {
        "title": "Снять рилс о районе",
        "stage_id": stage.pk,
        "assignee_id": world.copywriter_membership.pk,
        "estimate_hours": "3",
        "due_date": "2026-11-20",
    }
    created = smm.post("/api/v1/projects/alpha/tasks", payload)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["area"] == (stage.area.code if stage.area else None)
    listed = smm.get(f"/api/v1/projects/alpha/tasks?stage_id={stage.pk}").json()
    assert body["id"] in {t["id"] for t in listed}
    moved = api(world, "copywriter").patch(
        f"/api/v1/projects/alpha/tasks/{body['id']}", {"status": "done"}
    )
    assert moved.status_code == 200 and moved.json()["status"] == "done"
    assert Task.objects.get(pk=body["id"]).completed_at is not None
    renamed = api(world, "copywriter").patch(
        f"/api/v1/projects/alpha/tasks/{body['id']}", {"title": "x"}
    )
    assert renamed.status_code == 403
    assert api(world, "outsider").get("/api/v1/projects/alpha/tasks").status_code == 404


def test_new_member_gets_default_letters(world):
    owner = world.users["owner"]
    from tests.conftest import make_user

    designer = make_user("designer")
    membership = ws.add_member(owner, world.alpha, designer, [JobRole.DESIGNER], 10)
    playbook = loader.get_builtin("real_estate")
    assert cell(world.alpha, "visuals", membership) == playbook.area("visuals").raci["designer"]


def test_networks_follow_the_project_settings_and_the_api(world, api, login):
    client = login(world.users["smm"])
    form = {
        "name": world.alpha.name, "slug": "alpha", "niche": "real_estate", "goal_type": "leads",
        "start_date": "2026-11-02", "timezone": "Europe/Moscow", "status": "active",
        "networks": ["telegram", "vk"],
    }  # fmt: skip
    assert client.post("/p/alpha/settings/", form).status_code == 302
    active = set(world.alpha.channels.filter(is_active=True).values_list("network", flat=True))
    assert active == {"telegram", "vk"}
    assert world.alpha.channels.filter(network="instagram", is_active=False).exists()  # paused
    response = api(world, "smm").patch("/api/v1/projects/alpha", {"networks": ["instagram"]})
    assert response.status_code == 200 and response.json()["networks"] == ["instagram"]
    bad = api(world, "smm").patch("/api/v1/projects/alpha", {"networks": ["myspace"]})
    assert bad.status_code == 422


def test_the_board_shows_the_newest_finished_tasks_and_links_to_all(world, login):
    world.alpha.tasks.update(status=TaskStatus.DONE)
    total = world.alpha.tasks.count()
    page = login(world.users["smm"]).get("/p/alpha/tasks/").content.decode()
    column = page.split('class="column column-done"')[1]
    assert column.count('class="task-card') == min(total, 12)
    assert "?view=list&amp;status=done" in column
    listed = login(world.users["smm"]).get("/p/alpha/tasks/?view=list&status=done").content.decode()
    assert listed.count("task-done") == total
