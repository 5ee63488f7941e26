"""The content workflow through the services: steps, approvals, levels, erid, history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.content.conftest import make_item, to_review
from zveno.content import checks, services
from zveno.content.models import ContentItem, Decision, PolicyMode, State

UTC = dt.UTC


def test_full_path_to_approved(world, item):
    item = to_review(world, item)
    assert item.state == State.REVIEW
    item.refresh_from_db()
    services.approve(world.users["smm"], item, "Хорошо")
    item.refresh_from_db()
    assert item.state == State.EXPERT_APPROVAL
    services.approve(world.users["expert"], item, "Согласовано")
    item.refresh_from_db()
    assert item.state == State.APPROVED
    steps = {s.kind: s for s in item.steps.all()}
    assert set(steps) == {"copy", "design", "review", "expert_approval"}
    assert all(s.done_at for s in steps.values())
    assert steps["copy"].done_by == world.users["copywriter"]
    assert steps["expert_approval"].done_by == world.users["expert"]
    assert [a.user.username for a in item.approvals.all()] == ["smm", "expert"]
    verbs = list(item.activities.values_list("verb", flat=True))
    assert verbs == ["created", "transition", "transition", "transition", "approved", "approved"]


def test_steps_are_assigned_from_the_matrix(world, item):
    assignees = {s.kind: s.assignee.user.username for s in item.steps.select_related("assignee")}
    # copy: the copywriter is R; visuals has no designer, so the SMM stands in; content plan: SMM.
    assert assignees == {
        "copy": "copywriter", "design": "smm", "review": "smm", "expert_approval": "expert"
    }  # fmt: skip


def test_due_dates_counted_backwards_from_the_playbook_norms(world, item):
    """real_estate carousel: copywriter 1.0 h, designer 1.5, smm 0.25, expert 0.25; each step gets
    at least its minimum window (copy 2, design 2, review 1, the expert a working day).

    Planned Tuesday 17 Nov 2026 11:00 Moscow (08:00 UTC); working hours 10:00-19:00:
    expert due 1 h before it, Tuesday 10:00 MSK (07:00 UTC);
    review due one working day earlier, Monday 10:00 MSK;
    design due 1 h earlier, Friday 18:00 MSK (the weekend is skipped);
    copy due 2 h earlier, Friday 16:00 MSK.
    """
    due = {s.kind: s.due_at for s in item.steps.all()}
    assert item.planned_at == dt.datetime(2026, 11, 17, 8, 0, tzinfo=UTC)
    assert due == {
        "expert_approval": dt.datetime(2026, 11, 17, 7, 0, tzinfo=UTC),
        "review": dt.datetime(2026, 11, 16, 7, 0, tzinfo=UTC),
        "design": dt.datetime(2026, 11, 13, 15, 0, tzinfo=UTC),
        "copy": dt.datetime(2026, 11, 13, 13, 0, tzinfo=UTC),
    }


def test_due_dates_skip_the_weekend(world):
    """A post on Monday 16 Nov 10:30 Moscow: the expert's step is due Friday 18:30 (1 h of lead,
    half an hour of it on Monday), the review the day before; design and copy follow."""
    item = make_item(world, format="post", planned_at=dt.datetime(2026, 11, 16, 10, 30))
    due = {s.kind: s.due_at for s in item.steps.all()}
    assert due["expert_approval"] == dt.datetime(2026, 11, 13, 15, 30, tzinfo=UTC)
    assert due["review"] == dt.datetime(2026, 11, 12, 15, 30, tzinfo=UTC)
    assert due["design"] == dt.datetime(2026, 11, 12, 14, 30, tzinfo=UTC)
    assert due["copy"] == dt.datetime(2026, 11, 12, 12, 30, tzinfo=UTC)


def test_changes_requested_returns_to_the_chosen_step(world, item):
    to_review(world, item)
    services.approve(world.users["smm"], item)
    services.request_changes(world.users["expert"], item, "Другое фото", return_to="design")
    item.refresh_from_db()
    assert (item.state, item.changes_from) == (State.CHANGES_REQUESTED, "design")
    assert item.steps.get(kind="design").done_at is None
    assert item.steps.get(kind="copy").done_at is not None  # copy need not be redone
    with pytest.raises(PermissionDenied):  # the copywriter does not own the design step
        services.transition(world.users["copywriter"], item, "review")
    services.transition(world.users["smm"], item, "review")
    item.refresh_from_db()
    assert item.state == State.REVIEW and item.approval_round == 2
    services.approve(world.users["smm"], item)
    services.approve(world.users["expert"], item, "Теперь да")
    item.refresh_from_db()
    assert item.state == State.APPROVED
    decisions = list(item.approvals.values_list("user__username", "decision", "round"))
    assert decisions == [
        ("smm", Decision.APPROVED, 1),
        ("expert", Decision.CHANGES_REQUESTED, 1),
        ("smm", Decision.APPROVED, 2),
        ("expert", Decision.APPROVED, 2),
    ]


def test_only_the_right_people_move_a_step(world, item):
    services.transition(world.users["smm"], item, "copy")
    with pytest.raises(PermissionDenied):  # the expert never works on an item
        services.transition(world.users["expert"], item, "design")
    services.transition(world.users["copywriter"], item, "design")
    with pytest.raises(PermissionDenied):  # design belongs to the SMM standing in
        services.transition(world.users["copywriter"], item, "review")
    services.transition(world.users["smm"], item, "review")
    with pytest.raises(PermissionDenied):
        services.approve(world.users["copywriter"], item)
    with pytest.raises(PermissionDenied):  # the expert's level comes second
        services.approve(world.users["expert"], item)
    services.approve(world.users["owner"], item)  # a producer reviews as the SMM would
    with pytest.raises(PermissionDenied):  # approving as the expert is the expert's own act
        services.approve(world.users["owner"], item)
    with pytest.raises(ValidationError):  # levels are passed by approving, not by a transition
        services.transition(world.users["smm"], item, "approved")


def test_the_expert_cannot_edit(world, item):
    with pytest.raises(PermissionDenied):
        services.update_item(world.users["expert"], item, text="Моя правка")
    item.refresh_from_db()
    assert item.text == ""


def test_advertising_needs_an_erid_to_be_approved(world):
    item = make_item(world, is_ad=True, advertiser="ООО «Застройщик»")
    to_review(world, item)
    services.approve(world.users["smm"], item)
    with pytest.raises(ValidationError):
        services.approve(world.users["expert"], item)
    item.refresh_from_db()
    assert item.state == State.EXPERT_APPROVAL
    assert not item.approvals.filter(user__username="expert").exists()
    services.update_item(world.users["smm"], item, erid="2VtzqwXyZ1")
    services.approve(world.users["expert"], item)
    item.refresh_from_db()
    assert item.state == State.APPROVED


def test_no_approval_policy_goes_from_design_to_approved(world, item):
    services.set_policy(world.users["owner"], world.alpha, PolicyMode.NONE)
    services.transition(world.users["smm"], item, "copy")
    services.transition(world.users["copywriter"], item, "design")
    services.transition(world.users["smm"], item, "approved")
    item.refresh_from_db()
    assert item.state == State.APPROVED


def test_custom_level_with_all_needs_every_approver(world):
    members = {m.user.username: m for m in world.alpha.memberships.select_related("user")}
    services.set_policy(
        world.users["owner"], world.alpha, PolicyMode.CUSTOM,
        [{"name": "Команда и эксперт", "rule": "all",
          "approvers": [members["smm"], members["expert"]]}],
    )  # fmt: skip
    item = make_item(world)
    to_review(world, item)
    with pytest.raises(PermissionDenied):
        services.approve(world.users["copywriter"], item)
    services.approve(world.users["expert"], item)
    item.refresh_from_db()
    assert item.state == State.REVIEW  # the SMM has not approved yet
    with pytest.raises(ValidationError):
        services.approve(world.users["expert"], item)  # approving twice counts once
    services.approve(world.users["smm"], item)
    item.refresh_from_db()
    assert item.state == State.APPROVED


def test_custom_levels_with_any_pass_one_by_one(world):
    members = {m.user.username: m for m in world.alpha.memberships.select_related("user")}
    services.set_policy(
        world.users["owner"], world.alpha, PolicyMode.CUSTOM,
        [{"name": "SMM", "rule": "any", "approvers": [members["smm"], members["owner"]]},
         {"name": "Эксперт", "rule": "any", "approvers": [members["expert"]]}],
    )  # fmt: skip
    item = make_item(world)
    to_review(world, item)
    services.approve(world.users["owner"], item)
    item.refresh_from_db()
    assert (item.state, item.current_level) == (State.REVIEW, 2)
    services.approve(world.users["expert"], item)
    item.refresh_from_db()
    assert item.state == State.APPROVED


def test_scheduling_and_publishing_mark_the_publications(world, item):
    services.set_policy(world.users["owner"], world.alpha, PolicyMode.SMM)
    to_review(world, item)
    services.approve(world.users["smm"], item)
    with pytest.raises(PermissionDenied):
        services.transition(world.users["copywriter"], item, "scheduled")
    services.transition(world.users["smm"], item, "scheduled")
    services.transition(world.users["smm"], item, "published")
    item = ContentItem.objects.get(pk=item.pk)
    assert item.state == State.PUBLISHED
    assert {p.status for p in item.publications.all()} == {"published"}


def test_length_warnings_per_network(world):
    item = make_item(world, text="а" * 1500)  # a carousel: Telegram allows a 1024 caption
    warnings = checks.length_warnings(item)
    assert [(w["network"], w["limit"], w["length"]) for w in warnings] == [("telegram", 1024, 1500)]
    post = make_item(world, format="post", text="б" * 3000)
    networks = {w["network"]: w["limit"] for w in checks.length_warnings(post)}
    assert networks == {"instagram": 2200}


def test_rubrics_come_from_the_playbook(world):
    item = make_item(world, rubric="cases")
    assert item.rubric.code == "cases" and item.rubric.target_share == 10
    assert world.alpha.rubrics.count() == 8
    with pytest.raises(ValidationError):
        make_item(world, rubric="nonsense")


def test_no_level_is_skipped_by_a_transition(world, item):
    services.transition(world.users["smm"], item, "copy")
    services.transition(world.users["copywriter"], item, "design")
    for target in ("expert_approval", "approved", "published"):
        with pytest.raises(ValidationError):
            services.transition(world.users["owner"], item, target)
    item.refresh_from_db()
    assert item.state == State.DESIGN


def test_moving_the_planned_time_moves_the_open_due_dates(world, item):
    services.transition(world.users["smm"], item, "copy")
    services.transition(world.users["copywriter"], item, "design")
    copy_due = item.steps.get(kind="copy").due_at
    services.update_item(world.users["smm"], item, planned_at=dt.datetime(2026, 11, 24, 11, 0))
    due = {s.kind: s.due_at for s in item.steps.all()}
    assert due["copy"] == copy_due  # done steps keep their dates
    assert due["design"] == dt.datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # Friday 18:00 MSK
    assert item.activities.filter(verb="updated").exists()


def test_rubrics_are_editable_per_project(world):
    make_item(world)
    rubric = world.alpha.rubrics.get(code="cases")
    with pytest.raises(PermissionDenied):
        services.update_rubric(world.users["copywriter"], rubric, name="Кейсы", target_share=20)
    services.update_rubric(world.users["smm"], rubric, name="Сделки", target_share=20)
    rubric.refresh_from_db()
    assert (rubric.name, rubric.target_share) == ("Сделки", 20)
    with pytest.raises(ValidationError):
        services.update_rubric(world.users["smm"], rubric, name="Сделки", target_share=120)
