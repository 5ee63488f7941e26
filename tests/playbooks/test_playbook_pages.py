"""The playbook pages: library, detail, clone, the editor, import and export, a project's playbook.

Forms are filled the way a browser fills them: the editor page is read, its inputs are collected,
one or two are changed and everything is posted back.
"""

from __future__ import annotations

import copy
import datetime as dt
from html.parser import HTMLParser
from importlib.resources import files

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zveno.analytics.models import Goal
from zveno.playbooks.models import CustomPlaybook, ProjectPlaybook
from zveno.team.models import Area, Assignment, Stage, Task

DATA = files("zveno.playbooks") / "data"


def data_file(key: str) -> dict:
    """A built-in playbook read straight from its YAML file, independently of the loader."""
    return yaml.safe_load((DATA / f"{key}.yaml").read_text(encoding="utf-8"))


def url(name: str, **kwargs) -> str:
    return reverse(f"playbooks:{name}", kwargs=kwargs)


class FormReader(HTMLParser):
    """The fields a browser would send for the first form with the given CSS class."""

    def __init__(self, css_class: str):
        super().__init__()
        self.css_class = css_class
        self.inside = False
        self.done = False
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done and self.css_class in (a.get("class") or "").split():
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields[name] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select" and name:
            self._select = name
            self.fields[name] = ""
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside, self.done = False, True
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            # Browsers drop the one newline that follows <textarea>.
            value = self.fields[self._textarea] + data
            self.fields[self._textarea] = value.removeprefix("\n")


def editor_fields(client, ws: str, key: str) -> dict[str, str]:
    response = client.get(url("edit", ws=ws, key=key))
    assert response.status_code == 200
    reader = FormReader("pb-editor")
    reader.feed(response.content.decode())
    assert reader.fields, "the editor form was not found"
    return reader.fields


def stored(world, key: str = "alpha_playbook") -> dict:
    return CustomPlaybook.objects.get(workspace=world.workspace_a, key=key).document


def error_next_to(html: str, input_id: str) -> str:
    """The error text rendered in the same field block as the input."""
    start = html.index(f'id="{input_id}"')
    end = html.find('<div class="field', start)
    block = html[start : end if end != -1 else None]
    assert 'class="error' in block, f"no error next to {input_id}"
    return block


# --- the library and one playbook ----------------------------------------------------------------


def test_list_shows_builtins_and_the_workspaces_own(world, login):
    client = login(world.users["smm"])  # any member may look
    response = client.get(url("list", ws="ws-a"))
    body = response.content.decode()
    assert response.status_code == 200
    for key in ("real_estate", "info_product", "ecommerce", "expert_brand", "local_business"):
        assert url("detail", ws="ws-a", key=key) in body
    assert url("detail", ws="ws-a", key="alpha_playbook") in body
    assert url("clone", ws="ws-a", key="real_estate") not in body  # not a manager
    assert url("import", ws="ws-a") not in body

    body = login(world.users["owner"]).get(url("list", ws="ws-a")).content.decode()
    assert url("clone", ws="ws-a", key="real_estate") in body
    assert url("edit", ws="ws-a", key="alpha_playbook") in body
    assert url("import", ws="ws-a") in body


def test_list_query_count_does_not_grow_with_playbooks(world, login, django_assert_max_num_queries):
    client = login(world.users["owner"])
    for n in range(5):
        client.post(url("clone", ws="ws-a", key="real_estate"), {"key": f"copy_{n}"})
    with django_assert_max_num_queries(20):
        assert client.get(url("list", ws="ws-a")).status_code == 200


def test_detail_reads_like_a_playbook(world, login):
    source = data_file("real_estate")
    body = login(world.users["smm"]).get(url("detail", ws="ws-a", key="real_estate")).content
    body = body.decode()
    for stage in source["stages"]:
        assert stage["name"]["ru"] in body
        assert stage["checklist"][0]["ru"] in body
        assert stage["deliverables"][0]["ru"] in body
    assert source["areas"][0]["name"]["ru"] in body
    assert source["content_mix"][0]["name"]["ru"] in body
    assert source["kpis"][0]["name"]["ru"] in body
    assert source["team"][0]["note"]["ru"] in body
    total = sum(stage["duration_days"] for stage in source["stages"])
    assert f"{total} " in body
    assert url("export", ws="ws-a", key="real_estate") in body
    assert url("edit", ws="ws-a", key="real_estate") not in body  # built-ins are cloned


def test_detail_speaks_the_readers_language(world, login):
    owner = world.users["owner"]
    owner.language = "en"
    owner.save(update_fields=["language"])
    source = data_file("real_estate")
    body = login(owner).get(url("detail", ws="ws-a", key="alpha_playbook")).content.decode()
    assert source["stages"][0]["name"]["en"] in body
    assert source["stages"][0]["name"]["ru"] not in body
    assert url("edit", ws="ws-a", key="alpha_playbook") in body


def test_unknown_key_is_404(world, login):
    client = login(world.users["owner"])
    assert client.get(url("detail", ws="ws-a", key="no_such")).status_code == 404
    assert client.get(url("edit", ws="ws-a", key="real_estate")).status_code == 404


@pytest.mark.parametrize("persona", ["outsider", "other_expert", "copywriter", "expert"])
def test_people_outside_the_workspace_get_404(world, login, persona):
    client = login(world.users[persona])
    for name in ("list", "import"):
        assert client.get(url(name, ws="ws-a")).status_code == 404
    for name in ("detail", "clone", "edit", "export"):
        assert client.get(url(name, ws="ws-a", key="alpha_playbook")).status_code == 404
    assert client.post(url("clone", ws="ws-a", key="real_estate")).status_code == 404
    assert CustomPlaybook.objects.filter(workspace=world.workspace_a).count() == 1


def test_a_member_who_does_not_manage_may_read_but_not_write(world, login):
    client = login(world.users["smm"])
    assert client.get(url("export", ws="ws-a", key="alpha_playbook")).status_code == 200
    assert client.post(url("clone", ws="ws-a", key="real_estate")).status_code == 403
    assert client.get(url("edit", ws="ws-a", key="alpha_playbook")).status_code == 403
    assert client.get(url("import", ws="ws-a")).status_code == 403
    assert CustomPlaybook.objects.filter(workspace=world.workspace_a).count() == 1


# --- clone and the editor ------------------------------------------------------------------------


def test_clone_then_edit_a_duration_and_a_checklist_line(world, login):
    client = login(world.users["owner"])
    response = client.post(url("clone", ws="ws-a", key="real_estate"), {"key": "realty_spb"})
    assert response.status_code == 302
    assert response["Location"] == url("edit", ws="ws-a", key="realty_spb")
    before = copy.deepcopy(stored(world, "realty_spb"))
    assert before["key"] == "realty_spb"

    fields = editor_fields(client, "ws-a", "realty_spb")
    fields["stages-2-duration_days"] = "10"
    ru = fields["stages-2-checklist_ru"].splitlines()
    en = fields["stages-2-checklist_en"].splitlines()
    ru[1] = "Собрать 20+ историй сделок"
    en[1] = "Collect 20+ deal stories"
    fields["stages-2-checklist_ru"] = "\n".join(ru)
    fields["stages-2-checklist_en"] = "\n".join(en)
    response = client.post(url("edit", ws="ws-a", key="realty_spb"), {**fields, "action": "save"})

    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == url("detail", ws="ws-a", key="realty_spb")
    expected = copy.deepcopy(before)
    expected["stages"][2]["duration_days"] = 10
    expected["stages"][2]["checklist"][1] = {
        "ru": "Собрать 20+ историй сделок",
        "en": "Collect 20+ deal stories",
    }
    assert stored(world, "realty_spb") == expected


def test_saving_the_form_unchanged_keeps_the_document(world, login):
    client = login(world.users["owner"])
    before = copy.deepcopy(stored(world))
    fields = editor_fields(client, "ws-a", "alpha_playbook")
    response = client.post(url("edit", ws="ws-a", key="alpha_playbook"), fields)
    assert response.status_code == 302
    after = stored(world)
    assert after == before
    assert yaml.safe_dump(after) == yaml.safe_dump(before)  # ints stay ints, floats stay floats


def test_the_grids_edit_shares_cadence_and_effort(world, login):
    client = login(world.users["owner"])
    before = copy.deepcopy(stored(world))
    fields = editor_fields(client, "ws-a", "alpha_playbook")
    fields["share-0"] = str(before["content_mix"][0]["share"] + 5)
    fields["share-1"] = str(before["content_mix"][1]["share"] - 5)
    fields["rate-telegram-post"] = "5"
    fields["rate-dzen-article"] = "0,5"  # a new network, with a decimal comma
    fields["effort-article-copywriter"] = "3"
    fields["effort-post-expert"] = ""  # the norm is removed
    response = client.post(url("edit", ws="ws-a", key="alpha_playbook"), fields)
    assert response.status_code == 302, response.content.decode()[:3000]
    after = stored(world)
    assert after["content_mix"][0]["share"] == before["content_mix"][0]["share"] + 5
    plans = {plan["network"]: plan["formats"] for plan in after["networks"]}
    assert plans["telegram"]["post"] == 5
    assert plans["dzen"] == {"article": 0.5}
    assert after["networks"][-1]["network"] == "dzen"  # new networks go last
    assert after["effort"]["article"] == {"copywriter": 3}
    assert "expert" not in after["effort"]["post"]


def test_a_broken_form_names_the_fields_and_saves_nothing(world, login):
    client = login(world.users["owner"])
    before = copy.deepcopy(stored(world))
    fields = editor_fields(client, "ws-a", "alpha_playbook")
    fields["share-0"] = str(before["content_mix"][0]["share"] + 7)  # shares sum to 107
    fields["stages-1-duration_days"] = "-3"
    fields["stages-0-name_en"] = ""
    response = client.post(url("edit", ws="ws-a", key="alpha_playbook"), fields)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing was saved" in body or "Ничего не сохранено" in body
    for path in ("stages[1].duration_days", "stages[0].name.en", "content_mix"):
        assert f"<code>{path}</code>" in body  # the summary at the top names each field
    assert "rubric shares sum to 107" in body
    block = error_next_to(body, "id_stages-1-duration_days")
    assert "must be at least 1, got -3" in block
    assert "text is empty" in error_next_to(body, "id_stages-0-name_en")
    assert 'value="-3"' in body  # what was typed stays in the form
    assert stored(world) == before


def test_a_broken_checklist_line_is_shown_at_its_textarea(world, login):
    client = login(world.users["owner"])
    before = copy.deepcopy(stored(world))
    fields = editor_fields(client, "ws-a", "alpha_playbook")
    lines = fields["stages-0-checklist_en"].splitlines()
    fields["stages-0-checklist_en"] = "\n".join(lines[:-1])  # one English line fewer
    fields["rate-telegram-post"] = "lots"
    response = client.post(url("edit", ws="ws-a", key="alpha_playbook"), fields)
    body = response.content.decode()
    path = f"stages[0].checklist[{len(lines) - 1}].en"
    assert f"<code>{path}</code>" in body
    assert "missing required field" in error_next_to(body, "id_stages-0-checklist_en")
    assert "<code>networks[0].formats.post</code>" in body
    assert stored(world) == before


def test_stage_buttons_add_move_and_remove_without_saving(world, login):
    client = login(world.users["owner"])
    before = copy.deepcopy(stored(world))
    edit_url = url("edit", ws="ws-a", key="alpha_playbook")
    fields = editor_fields(client, "ws-a", "alpha_playbook")
    count = len(before["stages"])

    response = client.post(edit_url, {**fields, "action": "add"})
    reader = FormReader("pb-editor")
    reader.feed(response.content.decode())
    assert reader.fields["stage_count"] == str(count + 1)
    assert reader.fields[f"stages-{count}-code"] == ""

    response = client.post(edit_url, {**fields, "action": "up:1"})
    reader = FormReader("pb-editor")
    reader.feed(response.content.decode())
    assert reader.fields["stages-0-code"] == before["stages"][1]["code"]
    assert reader.fields["stages-1-code"] == before["stages"][0]["code"]

    response = client.post(edit_url, {**fields, "action": "remove:0"})
    reader = FormReader("pb-editor")
    reader.feed(response.content.decode())
    assert reader.fields["stage_count"] == str(count - 1)
    assert reader.fields["stages-0-code"] == before["stages"][1]["code"]
    assert stored(world) == before

    # Saving the re-rendered form applies the move.
    reader.fields["action"] = "save"
    response = client.post(edit_url, reader.fields)
    assert response.status_code == 302
    assert [s["code"] for s in stored(world)["stages"]] == [s["code"] for s in before["stages"][1:]]


def test_htmx_gets_only_the_stages(world, login):
    client = login(world.users["owner"])
    fields = editor_fields(client, "ws-a", "alpha_playbook")
    response = client.post(
        url("edit", ws="ws-a", key="alpha_playbook"),
        {**fields, "action": "add"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="sec-stages">')
    assert "<html" not in body


def test_a_new_stage_without_texts_is_refused_by_path(world, login):
    client = login(world.users["owner"])
    before = copy.deepcopy(stored(world))
    fields = editor_fields(client, "ws-a", "alpha_playbook")
    count = len(before["stages"])
    fields["stage_count"] = str(count + 1)
    fields[f"stages-{count}-code"] = "bonus"
    fields[f"stages-{count}-area"] = "copy"
    fields[f"stages-{count}-duration_days"] = "3"
    response = client.post(url("edit", ws="ws-a", key="alpha_playbook"), fields)
    body = response.content.decode()
    assert f"<code>stages[{count}].name.ru</code>" in body
    assert f"<code>stages[{count}].checklist</code>" in body
    assert stored(world) == before


def test_the_yaml_document_saves_everything_or_nothing(world, login):
    client = login(world.users["owner"])
    edit_url = url("edit", ws="ws-a", key="alpha_playbook")
    document = copy.deepcopy(stored(world))
    document["areas"][0]["raci"]["analyst"] = "I"
    response = client.post(edit_url, {"mode": "yaml", "document": yaml.safe_dump(document)})
    assert response.status_code == 302
    assert stored(world)["areas"][0]["raci"]["analyst"] == "I"

    before = copy.deepcopy(stored(world))
    document["areas"][0]["raci"]["astrologer"] = "C"
    response = client.post(edit_url, {"mode": "yaml", "document": yaml.safe_dump(document)})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<code>areas[0].raci.astrologer</code>" in body
    assert stored(world) == before


@pytest.mark.parametrize("key", ["alpha_playbook", "real_estate", "Bad Key"])
def test_clone_with_a_taken_or_malformed_key_is_refused(world, login, key):
    client = login(world.users["owner"])
    response = client.post(url("clone", ws="ws-a", key="real_estate"), {"key": key})
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert CustomPlaybook.objects.filter(workspace=world.workspace_a).count() == 1


def test_clone_without_a_key_makes_one_up(world, login):
    client = login(world.users["owner"])
    response = client.post(url("clone", ws="ws-a", key="info_product"))
    assert response.status_code == 302
    copy_ = CustomPlaybook.objects.get(workspace=world.workspace_a, based_on="info_product")
    assert response["Location"] == url("edit", ws="ws-a", key=copy_.key)


# --- import and export ---------------------------------------------------------------------------


def upload(text: str, name: str = "playbook.yaml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="application/yaml")


def broken(change) -> str:
    document = data_file("real_estate")
    document["key"] = "imported"
    change(document)
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def _unknown_role(doc):
    doc["areas"][3]["raci"]["astrologer"] = "C"


def _missing_english(doc):
    del doc["stages"][2]["name"]["en"]


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (broken(_unknown_role), "areas[3].raci.astrologer"),
        (broken(_missing_english), "stages[2].name.en"),
        ("key: imported\nstages: [\n  - oops", "document"),
    ],
    ids=["unknown-role", "missing-english", "invalid-yaml"],
)
def test_a_malformed_file_names_the_field_and_saves_nothing(world, login, text, path):
    client = login(world.users["owner"])
    rows = CustomPlaybook.objects.count()
    response = client.post(url("import", ws="ws-a"), {"file": upload(text)})
    body = response.content.decode()
    assert response.status_code == 200
    assert f"<code>{path}</code>:" in body
    assert CustomPlaybook.objects.count() == rows


def test_invalid_yaml_says_where(world, login):
    client = login(world.users["owner"])
    response = client.post(url("import", ws="ws-a"), {"file": upload("key: a\n  bad: [")})
    assert "invalid YAML at line" in response.content.decode()


def test_export_then_import_into_another_workspace_is_equal(world, login):
    owner = login(world.users["owner"])
    response = owner.get(url("export", ws="ws-a", key="alpha_playbook"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="alpha_playbook.yaml"'
    text = response.content.decode()

    other = login(world.users["outsider"])  # owns workspace B
    response = other.post(url("import", ws="ws-b"), {"file": upload(text, "alpha_playbook.yaml")})
    assert response.status_code == 302
    assert response["Location"] == url("detail", ws="ws-b", key="alpha_playbook")
    imported = CustomPlaybook.objects.get(workspace=world.workspace_b, key="alpha_playbook")
    assert imported.document == stored(world)
    assert other.get(url("export", ws="ws-b", key="alpha_playbook")).content.decode() == text


def test_a_builtin_exports_in_the_data_file_format(world, login):
    response = login(world.users["smm"]).get(url("export", ws="ws-a", key="real_estate"))
    assert yaml.safe_load(response.content) == data_file("real_estate")


def test_import_replaces_an_existing_key_only_when_asked(world, login):
    client = login(world.users["owner"])
    document = copy.deepcopy(stored(world))
    document["stages"][0]["duration_days"] = 11
    text = yaml.safe_dump(document, allow_unicode=True)
    response = client.post(url("import", ws="ws-a"), {"file": upload(text)})
    assert response.status_code == 200
    assert "<code>key</code>:" in response.content.decode()
    assert stored(world)["stages"][0]["duration_days"] != 11

    response = client.post(url("import", ws="ws-a"), {"file": upload(text), "replace": "on"})
    assert response.status_code == 302
    assert stored(world)["stages"][0]["duration_days"] == 11
    assert CustomPlaybook.objects.filter(workspace=world.workspace_a).count() == 1


# --- a project's playbook ------------------------------------------------------------------------


def test_choosing_a_playbook_instantiates_it(world, login):
    project = world.alpha2  # no playbook yet; only the owner sees it
    source = data_file("info_product")
    client = login(world.users["owner"])
    response = client.post(
        url("project_playbook", slug=project.slug),
        {"action": "choose", "playbook": "info_product", "cadence": "high"},
    )
    assert response.status_code == 302

    chosen = ProjectPlaybook.objects.get(project=project)
    assert (chosen.key, chosen.cadence) == ("info_product", "high")
    stages = list(Stage.objects.filter(project=project).order_by("order"))
    assert [s.code for s in stages] == [s["code"] for s in source["stages"]]
    start = project.start_date
    for stage, spec in zip(stages, source["stages"], strict=True):
        assert stage.start_date == start
        assert stage.end_date == start + dt.timedelta(days=spec["duration_days"] - 1)
        assert stage.tasks.count() == len(spec["checklist"])
        start = stage.end_date + dt.timedelta(days=1)
    assert Task.objects.filter(project=project).count() == sum(
        len(s["checklist"]) for s in source["stages"]
    )
    drafts = Goal.objects.filter(project=project, status="draft", source="playbook:info_product")
    assert drafts.count() == len(source["kpis"])
    assert Area.objects.filter(project=project).count() == len(source["areas"])
    assert Assignment.objects.filter(area__project=project).exists()

    body = client.get(url("project_playbook", slug=project.slug)).content.decode()
    assert source["name"]["ru"] in body
    assert source["stages"][0]["name"]["ru"] in body


def test_replacing_the_playbook_warns_and_rebuilds(world, login):
    client = login(world.users["smm"])  # the project's SMM manages it
    page = client.get(url("project_playbook", slug="alpha")).content.decode()
    assert 'class="pb-warning"' in page
    response = client.post(
        url("project_playbook", slug="alpha"),
        {"action": "choose", "playbook": "alpha_playbook", "cadence": "medium"},
    )
    assert response.status_code == 302
    chosen = ProjectPlaybook.objects.get(project=world.alpha)
    assert chosen.key == "alpha_playbook"
    assert chosen.custom == world.custom_playbook


def test_the_project_page_says_when_its_playbook_changed_since(world, login):
    owner = world.users["owner"]
    client = login(owner)
    client.post(
        url("project_playbook", slug="alpha"),
        {"action": "choose", "playbook": "alpha_playbook", "cadence": "medium"},
    )
    page = client.get(url("project_playbook", slug="alpha")).content.decode()
    assert 'class="pb-note"' not in page
    fields = editor_fields(client, "ws-a", "alpha_playbook")
    fields["stages-0-duration_days"] = "12"
    assert client.post(url("edit", ws="ws-a", key="alpha_playbook"), fields).status_code == 302
    page = client.get(url("project_playbook", slug="alpha")).content.decode()
    assert 'class="pb-note"' in page
    # The project keeps the version it was started with.
    chosen = ProjectPlaybook.objects.get(project=world.alpha)
    assert chosen.document["stages"][0]["duration_days"] != 12


def test_the_cadence_changes_alone(world, login):
    client = login(world.users["owner"])
    stages_before = list(Stage.objects.filter(project=world.alpha).values_list("pk", flat=True))
    response = client.post(
        url("project_playbook", slug="alpha"), {"action": "cadence", "cadence": "low"}
    )
    assert response.status_code == 302
    assert ProjectPlaybook.objects.get(project=world.alpha).cadence == "low"
    assert list(Stage.objects.filter(project=world.alpha).values_list("pk", flat=True)) == (
        stages_before
    )


@pytest.mark.parametrize("persona", ["expert", "copywriter"])
def test_team_members_see_the_playbook_but_cannot_choose(world, login, persona):
    client = login(world.users[persona])
    page = client.get(url("project_playbook", slug="alpha"))
    assert page.status_code == 200
    assert 'name="playbook"' not in page.content.decode()
    before = ProjectPlaybook.objects.get(project=world.alpha).document
    response = client.post(
        url("project_playbook", slug="alpha"),
        {"action": "choose", "playbook": "ecommerce", "cadence": "medium"},
    )
    assert response.status_code == 403
    after = ProjectPlaybook.objects.get(project=world.alpha)
    assert (after.key, after.document) == ("real_estate", before)


def test_outsiders_do_not_see_the_projects_playbook(world, login):
    client = login(world.users["other_expert"])
    assert client.get(url("project_playbook", slug="alpha")).status_code == 404
    response = client.post(
        url("project_playbook", slug="alpha"), {"action": "choose", "playbook": "ecommerce"}
    )
    assert response.status_code == 404
    assert ProjectPlaybook.objects.get(project=world.alpha).key == "real_estate"
