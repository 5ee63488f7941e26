"""The health rules: each firing and not firing, the seed's scenarios, thresholds, sorting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from tests.conftest import make_user
from zveno.playbooks import services as playbook_services
from zveno.projects import services as project_services
from zveno.team import health, health_settings
from zveno.team import services as team_services
from zveno.team.models import Area, HealthSettings
from zveno.workspaces import services as ws
from zveno.workspaces.roles import JobRole as R

pytestmark = pytest.mark.django_db

SIX_NETWORKS = ["telegram", "instagram", "vk", "youtube", "dzen", "email"]


def start(world, *, playbook="real_estate", networks=("telegram",), roles=(R.SMM,), hours=40,
          team=(), days_ago=0):  # fmt: skip
    """A project of workspace A: its team first, then the playbook (so the matrix fits them)."""
    owner = world.users["owner"]
    project = project_services.start_project(
        owner, world.workspace_a, networks=list(networks), my_roles=list(roles), name="Проект",
        start_date=dt.date.today() - dt.timedelta(days=days_ago),
    )  # fmt: skip
    ws.update_member(owner, project.memberships.get(user=owner), capacity_hours=Decimal(hours))
    for username, member_roles, member_hours in team:
        join(world, project, username, member_roles, member_hours)
    playbook_services.choose_playbook(owner, project, playbook)
    return project


def join(world, project, username, roles, hours=20):
    return ws.add_member(
        world.users["owner"], project, make_user(username, name=username.title()), roles, hours
    )


def set_cell(world, project, code, membership, letters):
    area = Area.objects.get(project=project, code=code)
    team_services.set_cell(world.users["owner"], area, membership, letters)


def findings(project, code=None):
    with translation.override("en"):
        found = health.evaluate(project)
    return [f for f in found if code is None or f.code == code]


@pytest.fixture
def engaged(world):
    """Case 2: a realtor with an SMM and an engaged expert, on Telegram."""
    project = start(world, team=[("marina", [R.EXPERT], 8)])
    return project, project.memberships.get(user__username="marina")


@pytest.fixture
def solo(world):
    """Case 3, first phase: one person in every role on six networks of an info-product launch."""
    return start(world, playbook="info_product", networks=SIX_NETWORKS, roles=R.values, hours=20)


# --- the acceptance scenarios -----------------------------------------------------------------


def test_the_solo_launch_carries_overload_findings_with_their_numbers(solo):
    found = findings(solo)
    codes = {f.code for f in found}
    assert {"H5", "H6", "H7", "H9"} <= codes
    roles = next(f for f in found if f.code == "H5" and "roles" in f.evidence)
    assert roles.evidence == {"person": "Owner", "roles": 12, "limit": 4}
    overload = next(f for f in found if f.code == "H6")
    assert overload.severity == "critical"
    assert overload.evidence["overloaded_weeks"] == 4 and overload.evidence["of_weeks"] == 4
    assert overload.evidence["peak_percent"] > 400
    team = next(f for f in found if f.code == "H7")
    assert team.severity == "critical"
    assert team.evidence["team_size"] == 1 and team.evidence["recommended"] == 5
    assert team.evidence["missing_roles"] == ["producer", "copywriter", "stories_maker",
                                              "reels_maker"]  # fmt: skip
    networks = next(f for f in found if f.code == "H9")
    assert networks.evidence["networks"] == 6
    assert networks.evidence["hours_needed"] == 93.8  # 93.75 rounded
    assert networks.evidence["capacity_hours"] == 20.0
    assert networks.evidence["sustainable_networks"] == 3  # dzen, email, youtube: 18 h
    assert "12" in roles.title and "1 of 5" in team.title


def test_the_engaged_experts_project_has_no_critical_finding(engaged):
    project, _expert = engaged
    found = findings(project)
    assert not [f for f in found if f.severity == "critical"], found
    assert not [f for f in found if f.code in {"H3", "H9"}]


def test_removing_the_experts_part_in_expert_knowledge_raises_h3(world, engaged):
    project, expert = engaged
    set_cell(world, project, "expert_knowledge", expert, "")
    h3 = findings(project, "H3")
    assert len(h3) == 1 and h3[0].severity == "critical"
    assert h3[0].evidence == {"person": "Marina", "area": "Expert knowledge and stories"}
    assert "Wikipedia" in h3[0].explanation
    set_cell(world, project, "expert_knowledge", expert, "I")
    assert findings(project, "H3")
    set_cell(world, project, "expert_knowledge", expert, "C")
    assert not findings(project, "H3")


# --- H1, H2: the matrix -----------------------------------------------------------------------


def test_h1_an_area_without_or_with_several_accountables(world, engaged):
    project, expert = engaged
    owner_member = project.memberships.get(user=world.users["owner"])
    assert not findings(project, "H1")
    # strategy: the expert is A in real estate; take it away
    set_cell(world, project, "strategy", expert, "")
    [none] = findings(project, "H1")
    assert none.severity == "critical"
    assert none.evidence == {"areas": ["Strategy and positioning"], "count": 1}
    set_cell(world, project, "strategy", expert, "A")
    set_cell(world, project, "strategy", owner_member, "AR")
    [several] = findings(project, "H1")
    assert several.severity == "warning" and several.evidence["count"] == 1


def test_h2_an_area_without_a_responsible(world, engaged):
    project, _expert = engaged
    owner_member = project.memberships.get(user=world.users["owner"])
    assert not findings(project, "H2")
    set_cell(world, project, "copy", owner_member, "A")
    [h2] = findings(project, "H2")
    assert h2.severity == "critical"
    assert h2.evidence == {"areas": ["Copywriting"], "count": 1}


# --- H4: the expert's involvement -------------------------------------------------------------


def test_h4_fires_without_an_expert(world):
    project = start(world)
    [h4] = findings(project, "H4")
    assert h4.evidence == {"experts": 0} and h4.severity == "warning"
    assert not findings(project, "H3")  # no expert at all is H4's finding only


def test_h4_fires_when_the_expert_is_out_of_the_content(world, engaged):
    project, expert = engaged
    assert not findings(project, "H4")
    for code in ("content_plan", "stories", "reels_video"):
        set_cell(world, project, code, expert, "I")
    [h4] = findings(project, "H4")
    assert h4.evidence["person"] == "Marina"
    assert h4.evidence["areas"] == ["Content plan", "Stories", "Reels and video"]
    set_cell(world, project, "stories", expert, "C")
    assert not findings(project, "H4")


def test_h4_takes_expert_requests_from_a_plugged_in_source(engaged, monkeypatch):
    project, _expert = engaged

    def requests(p):
        return health.ExpertInput(unanswered_requests=3, share_percent=12.5, items=16)

    monkeypatch.setattr(health, "EXPERT_INPUT_SOURCES", [requests])
    [h4] = findings(project, "H4")
    assert h4.evidence == {
        "unanswered_requests": 3,
        "expert_input_share": 12.5,
        "minimum_share": 30,
    }

    def fine(p):
        return health.ExpertInput(unanswered_requests=0, share_percent=45.0)

    monkeypatch.setattr(health, "EXPERT_INPUT_SOURCES", [fine])
    assert not findings(project, "H4")


# --- H5, H6: people ---------------------------------------------------------------------------


def test_h5_too_many_roles_and_its_threshold(world):
    project = start(world, roles=[R.SMM, R.COPYWRITER, R.DESIGNER])
    assert not [f for f in findings(project, "H5") if "roles" in f.evidence]
    owner_member = project.memberships.get()
    ws.update_member(world.users["owner"], owner_member, roles=[*owner_member.roles, R.ANALYST])
    [h5] = [f for f in findings(project, "H5") if "roles" in f.evidence]
    assert h5.evidence == {"person": "Owner", "roles": 4, "limit": 4}
    health_settings.save_settings(world.users["owner"], world.workspace_a, roles_alarm=5)
    assert not [f for f in findings(project, "H5") if "roles" in f.evidence]


def test_h5_responsible_for_too_many_areas(world, engaged):
    project, _expert = engaged
    [h5] = findings(project, "H5")  # the lone SMM is R in every area without its role
    assert h5.evidence["responsible_areas"] > 10 and h5.evidence["limit"] == 10
    health_settings.save_settings(world.users["owner"], world.workspace_a, max_responsible_areas=16)
    assert not findings(project, "H5")


def test_h6_overload_in_two_of_four_weeks_and_its_thresholds(world):
    # 9.75 h of telegram work a week, plus the stage tasks; a project running for a month (in its
    # first week a lone creator's staffing findings are warnings: see test_first_day)
    project = start(world, hours=8, days_ago=30)
    [h6] = findings(project, "H6")
    assert h6.evidence["person"] == "Owner"
    assert h6.evidence["overloaded_weeks"] >= 2 and h6.evidence["of_weeks"] == 4
    assert h6.evidence["capacity_hours"] == 8.0
    severity = "critical" if h6.evidence["peak_percent"] > 150 else "warning"
    assert h6.severity == severity
    health_settings.save_settings(world.users["owner"], world.workspace_a, overload_percent=300)
    assert not findings(project, "H6")
    health_settings.save_settings(
        world.users["owner"], world.workspace_a, overload_percent=100, overload_weeks=5,
        horizon_weeks=4 + 4,
    )  # fmt: skip
    [h6] = findings(project, "H6")
    assert h6.evidence["of_weeks"] == 8


def test_h6_does_not_fire_with_room_to_spare(engaged):
    project, _expert = engaged
    assert not findings(project, "H6")


def test_h6_for_the_expert_is_at_most_a_warning(world):
    # 7.75 h of expert input a week against the one hour the expert gives
    project = start(world, networks=["telegram", "instagram"], team=[("olga", [R.EXPERT], 1)])
    [h6] = [f for f in findings(project, "H6") if f.evidence["person"] == "Olga"]
    assert h6.severity == "warning" and h6.evidence["peak_percent"] > 150


# --- H7, H9: the team against the scope -------------------------------------------------------


def test_h7_a_small_team_is_a_warning_a_solo_launch_is_critical(world, engaged, solo):
    project, _expert = engaged
    [h7] = findings(project, "H7")  # real estate, 1 network, medium: SMM + stories maker
    assert h7.severity == "warning"
    assert h7.evidence == {
        "team_size": 1, "recommended": 2, "missing_roles": ["stories_maker"], "networks": 1,
    }  # fmt: skip
    join(world, project, "alina", [R.STORIES_MAKER])
    assert not findings(project, "H7")


def test_h9_fires_only_when_the_networks_need_more_than_the_capacity(world):
    project = start(world, networks=["telegram", "instagram"], hours=30)  # 35.25 h needed
    [h9] = findings(project, "H9")
    assert h9.severity == "warning"
    assert h9.evidence["hours_needed"] == 35.2  # 35.25, rounded half to even
    assert h9.evidence["sustainable_networks"] == 1  # telegram: 9.75 h
    join(world, project, "kopi", [R.COPYWRITER], hours=10)
    assert not findings(project, "H9")


# --- H8: scope creep --------------------------------------------------------------------------


def test_h8_work_outside_the_accepted_agreement(world):
    alpha = world.alpha
    copywriter = world.copywriter_membership
    agreement = alpha.agreements.get()
    set_cell(world, alpha, "visuals", copywriter, "R")
    assert not findings(alpha, "H8")  # nothing accepted yet: the open version follows the matrix
    team_services.accept_agreement(world.users["copywriter"], agreement)
    assert not findings(alpha, "H8")
    set_cell(world, alpha, "analytics", copywriter, "R")  # after acceptance: version 2 starts
    analytics = Area.objects.get(project=alpha, code="analytics")
    team_services.create_task(
        world.users["owner"], alpha, title="Отчёт", area=analytics, assignee=copywriter
    )
    [h8] = findings(alpha, "H8")
    assert h8.evidence == {
        "person": "Copywriter", "areas": ["Analytics and reporting"], "open_tasks": 1,
        "agreement_version": 1,
    }  # fmt: skip
    assert h8.severity == "warning"


# --- H10, sorting, settings -------------------------------------------------------------------


def test_h10_lists_areas_handed_over_for_lack_of_a_role(world, solo):
    [h10] = findings(world.alpha, "H10")
    assert h10.severity == "info" and h10.evidence["person"] == "Smm"
    assert "Targeted ads" in h10.evidence["areas"]
    assert h10.evidence["count"] == len(h10.evidence["areas"])
    assert not findings(solo, "H10")  # a person in every role needs no fallback


def test_findings_are_sorted_by_severity_then_code(world, solo):
    found = findings(solo)
    ranks = [health.SEVERITY_RANK[f.severity] for f in found]
    assert ranks == sorted(ranks)
    for rank in set(ranks):
        numbers = [int(f.code[1:]) for f in found if health.SEVERITY_RANK[f.severity] == rank]
        assert numbers == sorted(numbers)
    assert health.sort_key(health.Finding("H10", "warning", "", "")) > health.sort_key(
        health.Finding("H9", "warning", "", "")
    )


def test_evaluating_reads_defaults_and_never_creates_settings(world, solo):
    findings(solo)
    assert not HealthSettings.objects.exists()


def test_numbers_in_the_text_follow_the_active_language(solo):
    with translation.override("ru"):
        h9 = next(f for f in health.evaluate(solo) if f.code == "H9")
    assert "93,8" in h9.explanation  # the evidence keeps the raw number
    assert h9.evidence["hours_needed"] == 93.8
    with translation.override("en"):
        h9 = next(f for f in health.evaluate(solo) if f.code == "H9")
        items = dict(h9.evidence_items())
    assert "93.8" in h9.explanation
    assert items["Hours needed a week"] == "93.8" and items["Networks"] == "6"


def test_health_settings_service_checks_access_and_ranges(world):
    with pytest.raises(PermissionDenied):
        health_settings.save_settings(world.users["smm"], world.workspace_a, roles_alarm=5)
    with pytest.raises(ValidationError) as error:
        health_settings.save_settings(world.users["owner"], world.workspace_a, roles_alarm=1)
    assert "roles_alarm" in error.value.message_dict
    with pytest.raises(ValidationError):
        health_settings.save_settings(
            world.users["owner"], world.workspace_a, overload_weeks=6, horizon_weeks=4
        )
    saved = health_settings.save_settings(world.users["owner"], world.workspace_a, roles_alarm=6)
    assert saved.roles_alarm == 6 and saved.horizon_weeks == 4
    assert health_settings.settings_for(world.workspace_b).roles_alarm == 4  # another workspace


def test_evaluate_reads_a_bounded_number_of_queries(world, solo, django_assert_max_num_queries):
    for i in range(6):
        ws.add_member(world.users["owner"], solo, make_user(f"p{i}"), [R.COPYWRITER])
    with django_assert_max_num_queries(16):
        health.evaluate(solo)
