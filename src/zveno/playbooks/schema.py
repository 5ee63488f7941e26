"""The playbook schema: frozen dataclasses, the closed vocabularies and the errors (the
validator that checks a document against them is ``validation``).

A playbook describes one niche: goal type, responsibility areas with a default RACI per job role,
ordered stages, the recommended team by scope, the content mix, formats and cadence per network,
KPI templates and effort norms. Every human-readable text is bilingual (``{ru, en}``).

``validation.validate(document, source)`` turns plain data (parsed YAML, or JSON from a
workspace's custom copy) into a ``Playbook``. It checks the whole document and raises one
``PlaybookError`` listing every problem, each with the source, the path inside the document
(``stages[2].checklist[0].ru``) and what is wrong, so a hand-edited file is fixed in one pass.

Units and conventions:

* ``team`` counts the marketing team the SMM specialist or producer assembles. The expert is the
  client and is never part of it; the client's own sales staff are not counted either.
* ``cadence`` is a level of publishing intensity per network: ``low`` is up to about three feed
  publications a week, ``medium`` about daily, ``high`` several a day with daily stories and reels.
* ``networks[].formats`` gives units per week; ``0.25`` is once a month.
* ``effort`` gives hours per unit: a post, a carousel, a reels clip, a long video, an article, an
  e-mail, a live broadcast, a lead magnet, a warm-up step; for ``stories`` one unit is a day's
  series of 5-10 frames.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, NoReturn

GOAL_TYPES = ("leads", "launch_sales", "reach_traffic", "brand")

AREA_CODES = (
    "strategy",
    "audience_research",
    "content_plan",
    "expert_knowledge",
    "copy",
    "visuals",
    "stories",
    "reels_video",
    "publishing",
    "community",
    "sales_dm",
    "targeted_ads",
    "analytics",
    "trend_watch",
    "team_organisation",
    "ecosystem",
)

# The same codes as zveno.workspaces.roles.JobRole; repeated here so that playbooks load without
# Django (the loader is plain Python and is used by tests and tooling outside a project).
ROLES = (
    "expert",
    "smm",
    "producer",
    "copywriter",
    "designer",
    "stories_maker",
    "reels_maker",
    "video_editor",
    "targetologist",
    "sales",
    "community_manager",
    "analyst",
)

RACI_LETTERS = ("R", "A", "C", "I")

CADENCES = ("low", "medium", "high")

RUBRICS = (
    "expert_stories",
    "useful",
    "market_insight",
    "cases",
    "social_proof",
    "engagement",
    "selling",
    "personal",
    "behind_scenes",
    "product",
)

NETWORKS = (
    "telegram",
    "vk",
    "instagram",
    "odnoklassniki",
    "dzen",
    "youtube",
    "rutube",
    "tiktok",
    "website",
    "email",
)

FORMATS = (
    "post",
    "carousel",
    "stories",
    "reels",
    "video",
    "article",
    "email",
    "live",
    "lead_magnet",
    "warmup_step",
)

METRICS = (
    "reach",
    "post_reach",
    "er_reach",
    "followers",
    "dialogues",
    "leads",
    "lead_magnet_downloads",
    "email_subscribers",
    "site_visits",
    "sales",
    "revenue",
    "err_telegram",
)

KPI_KINDS = ("absolute", "multiple", "growth_pct")

MIN_CHECKLIST_ITEMS = 4
MIN_DELIVERABLES = 1
MIN_RUBRICS = 5

# The seed's first case: without the expert's own stories the feed became "a Wikipedia, articles
# but no personality", and no clients came. The expert has to do or at least shape this area.
EXPERT_AREA = "expert_knowledge"
EXPERT_LETTERS = ("R", "C")


# --- values -------------------------------------------------------------------------------------


class FrozenMap(dict):
    """A read-only dict. Built-in playbooks are cached and shared, so nobody may edit them in place.

    It is still a dict: it compares equal to a plain dict, serialises anywhere a dict does,
    pickles and deep-copies, and is hashable so that a whole ``Playbook`` is.
    """

    __slots__ = ()

    def _read_only(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("playbook data is read-only; copy it with dict(...) or to_dict()")

    __setitem__ = __delitem__ = _read_only
    clear = pop = popitem = setdefault = update = __ior__ = _read_only

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __reduce__(self) -> tuple[type[FrozenMap], tuple[dict[Any, Any]]]:
        return (type(self), (dict(self),))

    def __repr__(self) -> str:
        return f"FrozenMap({dict.__repr__(self)})"


@dataclass(frozen=True, slots=True)
class Text:
    """A human-readable text in both interface languages."""

    ru: str
    en: str

    def get(self, language: str) -> str:
        """The text for a Django language code ("ru", "en", "en-us"); Russian is the default."""
        return self.en if language.lower().startswith("en") else self.ru

    def __str__(self) -> str:
        return self.ru


@dataclass(frozen=True, slots=True)
class Area:
    """A responsibility area with its default RACI letter per job role."""

    code: str
    name: Text
    description: Text
    raci: Mapping[str, str]

    @property
    def accountable(self) -> str:
        return next(role for role, letter in self.raci.items() if letter == "A")

    @property
    def responsible(self) -> tuple[str, ...]:
        return tuple(role for role, letter in self.raci.items() if letter == "R")

    def letter(self, role: str) -> str | None:
        return self.raci.get(role)


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage of a project, in order: what it is for, how long, whose area, what to do."""

    code: str
    name: Text
    purpose: Text
    duration_days: int
    area: str
    checklist: tuple[Text, ...]
    deliverables: tuple[Text, ...]


@dataclass(frozen=True, slots=True)
class TeamScope:
    """The recommended team for a number of networks (``max_networks`` None: no upper bound)."""

    min_networks: int
    max_networks: int | None
    cadence: str
    roles: Mapping[str, int]
    note: Text

    @property
    def headcount(self) -> int:
        return sum(self.roles.values())

    def covers(self, networks: int) -> bool:
        return self.min_networks <= networks and (
            self.max_networks is None or networks <= self.max_networks
        )


@dataclass(frozen=True, slots=True)
class Rubric:
    """A content rubric and its target share of the plan, in percent."""

    code: str
    name: Text
    share: int


@dataclass(frozen=True, slots=True)
class NetworkPlan:
    """The formats published on one network and how many of each per week."""

    network: str
    formats: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class KpiTemplate:
    """A goal template: a metric, a target kind and value, and the measuring window."""

    metric: str
    kind: str
    value: float
    window_days: int
    name: Text


@dataclass(frozen=True, slots=True)
class Playbook:
    """A niche playbook, validated. Build one with ``validate()`` or the loader, not by hand."""

    key: str
    version: int
    name: Text
    summary: Text
    goal_type: str
    areas: tuple[Area, ...]
    stages: tuple[Stage, ...]
    team: tuple[TeamScope, ...]
    content_mix: tuple[Rubric, ...]
    networks: tuple[NetworkPlan, ...]
    kpis: tuple[KpiTemplate, ...]
    effort: Mapping[str, Mapping[str, float]]

    def area(self, code: str) -> Area:
        for area in self.areas:
            if area.code == code:
                return area
        raise KeyError(code)

    def stage(self, code: str) -> Stage:
        for stage in self.stages:
            if stage.code == code:
                return stage
        raise KeyError(code)

    def team_for(self, networks: int, cadence: str) -> TeamScope:
        """The recommended team for a project on this many networks at this cadence."""
        for scope in self.team:
            if scope.cadence == cadence and scope.covers(networks):
                return scope
        raise LookupError(f"no team recommendation for {networks} networks at cadence {cadence!r}")

    @property
    def total_duration_days(self) -> int:
        return sum(stage.duration_days for stage in self.stages)

    @property
    def formats_used(self) -> frozenset[str]:
        return frozenset(fmt for plan in self.networks for fmt in plan.formats)

    def texts(self) -> Iterator[tuple[str, Text]]:
        """Every bilingual text with its path, for translation checks and search."""
        yield from _texts(self, "")

    def to_dict(self) -> dict[str, Any]:
        """Plain data (dicts, lists, str, numbers) in the document format ``validate`` accepts."""
        return _plain(self)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def _texts(value: Any, path: str) -> Iterator[tuple[str, Text]]:
    if isinstance(value, Text):
        yield path, value
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield from _texts(getattr(value, f.name), f"{path}.{f.name}" if path else f.name)
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}[{index}]")


# --- errors -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlaybookIssue:
    """One problem: in which file, where inside the document, and what is wrong."""

    source: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.path}" if self.path else self.source
        return f"{where}: {self.message}"


class PlaybookError(ValueError):
    """A playbook document failed validation; ``errors`` lists every problem found."""

    def __init__(self, errors: Iterable[PlaybookIssue]) -> None:
        self.errors: list[PlaybookIssue] = list(errors)
        super().__init__(self._render())

    def _render(self) -> str:
        if len(self.errors) == 1:
            return str(self.errors[0])
        lines = [f"{len(self.errors)} problems in the playbook:"]
        lines += [f"  - {issue}" for issue in self.errors]
        return "\n".join(lines)
