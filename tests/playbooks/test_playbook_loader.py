"""The built-in playbooks, the YAML round trip, and the validator's error reports."""

from __future__ import annotations

import copy
import pickle
import re
from collections.abc import Callable
from typing import Any

import pytest

from zveno.playbooks import loader
from zveno.playbooks.loader import BUILTIN_KEYS, dump, load_builtin, load_file, load_text
from zveno.playbooks.schema import (
    AREA_CODES,
    CADENCES,
    Playbook,
    PlaybookError,
    PlaybookIssue,
)
from zveno.playbooks.validation import validate

CYRILLIC = re.compile(r"[\u0400-\u04FF]")


def builtin_document(key: str = "real_estate") -> dict[str, Any]:
    """A fresh, mutable copy of a built-in playbook as plain data."""
    return load_builtin()[key].to_dict()


def issues_of(document: Any, source: str = "custom.yaml") -> list[PlaybookIssue]:
    with pytest.raises(PlaybookError) as caught:
        validate(document, source)
    return caught.value.errors


def index_of(items: list[dict[str, Any]], field: str, value: str) -> int:
    return next(i for i, item in enumerate(items) if item[field] == value)


# --- the built-ins ------------------------------------------------------------------------------


def test_all_five_builtins_load_under_their_keys():
    playbooks = load_builtin()
    assert list(playbooks) == list(BUILTIN_KEYS)
    assert set(BUILTIN_KEYS) == {
        "real_estate",
        "info_product",
        "ecommerce",
        "expert_brand",
        "local_business",
    }
    for key, playbook in playbooks.items():
        assert isinstance(playbook, Playbook)
        assert playbook.key == key


def test_builtins_are_read_once_and_cannot_be_edited_in_place():
    first, second = load_builtin(), load_builtin()
    assert first["real_estate"] is second["real_estate"]
    first.pop("real_estate")  # the returned dict is the caller's own
    assert "real_estate" in load_builtin()
    raci = second["real_estate"].area("strategy").raci
    with pytest.raises(TypeError):
        raci["smm"] = "A"  # type: ignore[index]
    with pytest.raises(TypeError):
        second["real_estate"].effort["post"].pop("copywriter")  # type: ignore[attr-defined]


@pytest.mark.parametrize("key", BUILTIN_KEYS)
def test_round_trip_is_exact(key):
    playbook = load_builtin()[key]
    text = dump(playbook)
    again = load_text(text)
    assert again == playbook
    assert dump(again) == text


@pytest.mark.parametrize("key", BUILTIN_KEYS)
def test_shipped_files_are_in_the_dump_format(key):
    playbook = load_builtin()[key]
    shipped = (loader.DATA_DIR / f"{key}.yaml").read_text(encoding="utf-8")
    assert shipped == dump(playbook)


def test_an_edited_copy_round_trips_and_differs_from_the_original():
    document = builtin_document("info_product")
    document["key"] = "info_product_school"
    document["stages"][0]["duration_days"] = 10
    document["stages"][0]["checklist"].append(
        {"ru": "Согласовать бюджет на рекламу", "en": "Agree the advertising budget"}
    )
    edited = validate(document, "workspace copy")
    assert load_text(dump(edited)) == edited
    assert edited != load_builtin()["info_product"]
    assert edited.stages[0].checklist[-1].en == "Agree the advertising budget"
    assert edited.total_duration_days == load_builtin()["info_product"].total_duration_days + 3


def test_load_file_and_pickle(tmp_path):
    path = tmp_path / "export.yaml"
    path.write_text(dump(load_builtin()["ecommerce"]), encoding="utf-8")
    playbook = load_file(path)
    assert playbook == load_builtin()["ecommerce"]
    assert pickle.loads(pickle.dumps(playbook)) == playbook
    assert hash(playbook) == hash(load_builtin()["ecommerce"])


# --- invariants every built-in keeps ------------------------------------------------------------


@pytest.mark.parametrize("key", BUILTIN_KEYS)
def test_every_area_has_one_accountable_and_a_responsible(key):
    playbook = load_builtin()[key]
    assert [area.code for area in playbook.areas] == list(AREA_CODES)
    for area in playbook.areas:
        letters = list(area.raci.values())
        assert letters.count("A") == 1, area.code
        assert area.responsible, area.code
        assert area.accountable not in area.responsible


@pytest.mark.parametrize("key", BUILTIN_KEYS)
def test_the_expert_takes_part_in_expert_knowledge(key):
    assert load_builtin()[key].area("expert_knowledge").letter("expert") in {"R", "C"}


@pytest.mark.parametrize("key", BUILTIN_KEYS)
def test_stages_are_complete_and_point_at_defined_areas(key):
    playbook = load_builtin()[key]
    area_codes = {area.code for area in playbook.areas}
    assert len(playbook.stages) >= 5
    for stage in playbook.stages:
        assert stage.area in area_codes
        assert stage.duration_days > 0
        assert len(stage.checklist) >= 4
        assert stage.deliverables


@pytest.mark.parametrize("key", BUILTIN_KEYS)
def test_team_recommendation_exists_for_every_scope(key):
    playbook = load_builtin()[key]
    for cadence in CADENCES:
        for networks in range(1, 16):
            matching = [s for s in playbook.team if s.cadence == cadence and s.covers(networks)]
            assert len(matching) == 1, (cadence, networks)
            assert playbook.team_for(networks, cadence) is matching[0]
            assert matching[0].headcount >= 1
            assert "expert" not in matching[0].roles


@pytest.mark.parametrize("key", BUILTIN_KEYS)
def test_content_mix_and_effort(key):
    playbook = load_builtin()[key]
    assert len(playbook.content_mix) >= 5
    assert sum(rubric.share for rubric in playbook.content_mix) == 100
    assert playbook.formats_used <= set(playbook.effort)
    for per_role in playbook.effort.values():
        assert all(hours > 0 for hours in per_role.values())


@pytest.mark.parametrize("key", BUILTIN_KEYS)
def test_texts_are_translated(key):
    texts = list(load_builtin()[key].texts())
    assert len(texts) > 100
    for path, text in texts:
        assert CYRILLIC.search(text.ru), path
        assert not CYRILLIC.search(text.en), path
        assert text.get("en-us") == text.en
        assert text.get("ru") == text.ru


def test_info_product_has_the_launch_chain_after_preparation():
    codes = [stage.code for stage in load_builtin()["info_product"].stages]
    chain = ["lead_magnet", "warm_up", "open_cart", "close_cart", "after_launch"]
    positions = [codes.index(code) for code in chain]
    assert positions == sorted(positions)
    assert codes.index("strategy") < positions[0]
    assert codes.index("audience_research") < positions[0]
    assert load_builtin()["info_product"].goal_type == "launch_sales"


def test_info_product_launch_team_is_three_to_five_people_on_three_or_more_networks():
    playbook = load_builtin()["info_product"]
    for cadence in CADENCES:
        for networks in range(3, 16):
            assert 3 <= playbook.team_for(networks, cadence).headcount <= 5, (cadence, networks)
    # One person on six networks is exactly the overload the seed warns about.
    assert playbook.team_for(6, "high").headcount > 1


def test_info_product_kpis_follow_the_seed_launch():
    kpis = {(k.metric, k.kind): k.value for k in load_builtin()["info_product"].kpis}
    assert kpis[("reach", "multiple")] == 5
    assert kpis[("dialogues", "multiple")] == 3
    assert kpis[("lead_magnet_downloads", "multiple")] == 2
    assert kpis[("email_subscribers", "multiple")] == 2


def test_goal_types_and_niche_kpis():
    playbooks = load_builtin()
    assert playbooks["real_estate"].goal_type == "leads"
    assert playbooks["ecommerce"].goal_type == "reach_traffic"
    assert playbooks["expert_brand"].goal_type == "brand"
    ecommerce = {(k.metric, k.kind) for k in playbooks["ecommerce"].kpis}
    assert ("site_visits", "growth_pct") in ecommerce
    real_estate = {k.metric for k in playbooks["real_estate"].kpis}
    assert {"leads", "dialogues"} <= real_estate


# --- validation errors --------------------------------------------------------------------------


def _drop(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        target = doc
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return mutate


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        target = doc
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


EXPERT_AREA = AREA_CODES.index("expert_knowledge")

CASES = [
    ("missing field", _drop(["summary"]), "summary", "missing required field"),
    ("missing stage field", _drop(["stages", 1, "purpose"]), "stages[1].purpose", "missing"),
    (
        "missing English text",
        _drop(["stages", 2, "checklist", 0, "en"]),
        "stages[2].checklist[0].en",
        "missing required field",
    ),
    ("empty Russian text", _set(["name", "ru"], "  "), "name.ru", "empty"),
    (
        "English left untranslated",
        _set(["stages", 0, "name", "en"], "Стратегия"),
        "stages[0].name.en",
        "Cyrillic",
    ),
    (
        "Russian text in English",
        _set(["areas", 0, "description", "ru"], "Strategy"),
        "areas[0].description.ru",
        "no Cyrillic",
    ),
    ("text is not a mapping", _set(["summary"], "Недвижимость"), "summary", "expected a mapping"),
    ("placeholder", _set(["name", "en"], "TODO"), "name.en", "placeholder"),
    ("wrong type", _set(["stages", 0, "duration_days"], "7"), "stages[0].duration_days", "integer"),
    ("boolean is not an integer", _set(["version"], True), "version", "got a boolean"),
    (
        "negative duration",
        _set(["stages", 1, "duration_days"], -3),
        "stages[1].duration_days",
        "at least 1",
    ),
    ("unknown goal", _set(["goal_type"], "sales"), "goal_type", "unknown goal type"),
    ("unknown field", _set(["stagess"], []), "stagess", "unknown field"),
    (
        "unknown role",
        _set(["areas", 0, "raci", "smm_manager"], "R"),
        "areas[0].raci.smm_manager",
        "unknown role",
    ),
    (
        "unknown RACI letter",
        _set(["areas", 1, "raci", "smm"], "X"),
        "areas[1].raci.smm",
        "R, A, C, I",
    ),
    (
        "two accountable",
        _set(["areas", 2, "raci", "copywriter"], "A"),
        "areas[2].raci",
        "exactly one A",
    ),
    (
        "nobody responsible",
        _set(["areas", 4, "raci"], {"smm": "A", "copywriter": "C"}),
        "areas[4].raci",
        "at least one R",
    ),
    (
        "expert only informed about expert knowledge",
        _set(["areas", EXPERT_AREA, "raci", "expert"], "I"),
        f"areas[{EXPERT_AREA}].raci.expert",
        "expert must be R or C",
    ),
    ("unknown area code", _set(["areas", 0, "code"], "seo"), "areas[0].code", "unknown area"),
    (
        "stage references an unknown area",
        _set(["stages", 1, "area"], "seo"),
        "stages[1].area",
        "unknown area 'seo'",
    ),
    (
        "too short checklist",
        lambda doc: doc["stages"][0].update(checklist=doc["stages"][0]["checklist"][:3]),
        "stages[0].checklist",
        "at least 4",
    ),
    (
        "no deliverables",
        _set(["stages", 3, "deliverables"], []),
        "stages[3].deliverables",
        "at least 1",
    ),
    (
        "duplicate stage code",
        _set(["stages", 1, "code"], "strategy"),
        "stages[1].code",
        "duplicate stage code",
    ),
    (
        "shares not summing to 100",
        lambda doc: doc["content_mix"][0].update(share=doc["content_mix"][0]["share"] + 5),
        "content_mix",
        "sum to 105",
    ),
    (
        "unknown rubric",
        _set(["content_mix", 0, "code"], "memes"),
        "content_mix[0].code",
        "unknown rubric",
    ),
    (
        "unknown network",
        _set(["networks", 0, "network"], "facebook"),
        "networks[0].network",
        "unknown network",
    ),
    (
        "unknown format",
        _set(["networks", 0, "formats", "shorts"], 2),
        "networks[0].formats.shorts",
        "unknown format",
    ),
    (
        "negative cadence",
        _set(["networks", 0, "formats", "post"], -1),
        "networks[0].formats.post",
        "at least 0",
    ),
    ("unknown metric", _set(["kpis", 0, "metric"], "likes"), "kpis[0].metric", "unknown metric"),
    ("multiple of one", _set(["kpis", 0, "value"], 1), "kpis[0].value", "greater than 1"),
    ("unknown KPI kind", _set(["kpis", 0, "kind"], "ratio"), "kpis[0].kind", "unknown KPI kind"),
    (
        "zero effort hours",
        _set(["effort", "post", "designer"], 0),
        "effort.post.designer",
        "greater than 0",
    ),
    (
        "effort for unknown role",
        _set(["effort", "post", "intern"], 1.0),
        "effort.post.intern",
        "unknown role",
    ),
    ("format without effort norm", _drop(["effort", "reels"]), "effort", "'reels'"),
    (
        "expert in the team",
        _set(["team", 0, "roles", "expert"], 1),
        "team[0].roles.expert",
        "client",
    ),
    ("zero headcount", _set(["team", 1, "roles", "smm"], 0), "team[1].roles.smm", "at least 1"),
    (
        "unknown cadence",
        _set(["team", 0, "cadence"], "daily"),
        "team[0].cadence",
        "unknown cadence",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_malformed_document_names_the_path(mutate, path, fragment):
    document = builtin_document()
    mutate(document)
    issues = issues_of(document, "broken.yaml")
    matching = [issue for issue in issues if issue.path == path]
    assert matching, f"no issue at {path}; got {[str(i) for i in issues]}"
    assert any(fragment in issue.message for issue in matching), [str(i) for i in matching]
    assert all(issue.source == "broken.yaml" for issue in issues)


def _team_ranges(doc: dict[str, Any], cadence: str) -> list[dict[str, Any]]:
    return [scope for scope in doc["team"] if scope["cadence"] == cadence]


def test_team_gap_is_reported():
    document = builtin_document()
    _team_ranges(document, "medium")[0]["max_networks"] = 1  # 1, then 3-5: 2 is missing
    issues = issues_of(document)
    assert any("networks 2 not covered at cadence 'medium'" in i.message for i in issues)


def test_team_overlap_is_reported():
    document = builtin_document()
    _team_ranges(document, "low")[0]["max_networks"] = 4  # 1-4 and 3-5
    issues = issues_of(document)
    assert any(i.message == "networks 3-4 also covered by team[0] at cadence 'low'" for i in issues)


def test_team_without_open_end_is_reported():
    document = builtin_document()
    _team_ranges(document, "high")[-1]["max_networks"] = 8
    issues = issues_of(document)
    assert any("9+ networks at cadence 'high'" in i.message for i in issues)


def test_team_missing_a_cadence_is_reported():
    document = builtin_document()
    document["team"] = [scope for scope in document["team"] if scope["cadence"] != "high"]
    issues = issues_of(document)
    assert [i.message for i in issues if i.path == "team"] == [
        "no recommendation for cadence 'high'"
    ]


def test_removed_area_is_missing_and_stages_pointing_at_it_fail():
    document = builtin_document()
    document["areas"] = [area for area in document["areas"] if area["code"] != "analytics"]
    issues = issues_of(document)
    assert any(i.path == "areas" and "missing areas: analytics" in i.message for i in issues)
    analytics_stage = index_of(document["stages"], "area", "analytics")
    assert any(i.path == f"stages[{analytics_stage}].area" for i in issues)


def test_all_problems_are_collected_in_one_error():
    document = builtin_document()
    del document["stages"][2]["checklist"][0]["ru"]
    document["stages"][1]["duration_days"] = -1
    document["networks"][0]["network"] = "facebook"
    with pytest.raises(PlaybookError) as caught:
        validate(document, "real_estate_copy.yaml")
    paths = {issue.path for issue in caught.value.errors}
    assert paths == {"stages[2].checklist[0].ru", "stages[1].duration_days", "networks[0].network"}
    message = str(caught.value)
    assert message.startswith("3 problems")
    assert "real_estate_copy.yaml: stages[2].checklist[0].ru: missing required field" in message


def test_a_document_that_is_not_a_mapping():
    issues = issues_of(["key", "real_estate"], "list.yaml")
    assert len(issues) == 1
    assert issues[0].path == ""
    assert str(issues[0]).startswith("list.yaml: expected a mapping")


def test_empty_document_reports_every_missing_field():
    issues = issues_of({}, "empty.yaml")
    assert {issue.path for issue in issues} == {
        "key",
        "version",
        "name",
        "summary",
        "goal_type",
        "areas",
        "stages",
        "team",
        "content_mix",
        "networks",
        "kpis",
        "effort",
    }


def test_invalid_yaml_names_the_source_and_line():
    with pytest.raises(PlaybookError) as caught:
        load_text("key: real_estate\nname: [unclosed\n", source="broken.yaml")
    (issue,) = caught.value.errors
    assert issue.source == "broken.yaml"
    assert "invalid YAML at line" in issue.message


def test_duplicate_yaml_key_is_an_error_not_a_silent_overwrite():
    text = dump(load_builtin()["local_business"]).replace(
        "goal_type: leads\n", "goal_type: leads\ngoal_type: brand\n", 1
    )
    with pytest.raises(PlaybookError) as caught:
        load_text(text, source="dup.yaml")
    assert "duplicate key 'goal_type'" in str(caught.value)


def test_load_file_error_names_the_file(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        dump(load_builtin()["expert_brand"]).replace("duration_days: 7", "duration_days: 0", 1),
        encoding="utf-8",
    )
    with pytest.raises(PlaybookError) as caught:
        load_file(path)
    (issue,) = caught.value.errors
    assert issue.source == str(path)
    assert issue.path == "stages[0].duration_days"
    assert str(path) in str(caught.value)


def test_builtin_loader_rejects_a_file_whose_key_does_not_match(tmp_path, monkeypatch):
    for key in BUILTIN_KEYS:
        (tmp_path / f"{key}.yaml").write_text(dump(load_builtin()[key]), encoding="utf-8")
    (tmp_path / "ecommerce.yaml").write_text(
        dump(load_builtin()["local_business"]), encoding="utf-8"
    )
    monkeypatch.setattr(loader, "DATA_DIR", tmp_path)
    loader._builtin.cache_clear()
    try:
        with pytest.raises(PlaybookError) as caught:
            load_builtin()
        (issue,) = caught.value.errors
        assert issue.source.endswith("ecommerce.yaml")
        assert "does not match the file name" in issue.message
    finally:
        monkeypatch.undo()
        loader._builtin.cache_clear()
    assert list(load_builtin()) == list(BUILTIN_KEYS)


def test_team_for_unknown_scope():
    playbook = load_builtin()["real_estate"]
    with pytest.raises(LookupError):
        playbook.team_for(0, "low")
    with pytest.raises(LookupError):
        playbook.team_for(3, "daily")


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every field path of a document, following only the first item of each list."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list) and node:
        found += _paths(node[0], (*prefix, 0))
    return found


GARBAGE = [None, True, -1.5, "seo", [[]], {"x": 1}]


def test_garbage_anywhere_gives_a_playbook_error_never_a_crash():
    original = builtin_document("info_product")
    paths = _paths(original)
    assert len(paths) > 100
    rejected = tried = 0
    for path in paths:
        for junk in GARBAGE:
            document = copy.deepcopy(original)
            target = document
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = junk
            tried += 1
            try:
                validate(document, "junk.yaml")
            except PlaybookError as exc:
                assert exc.errors
                rejected += 1
    # Only a few replacements are valid where they land (a float for a cadence, say).
    assert rejected / tried > 0.95
