"""Seeding the demo workspace: the four case studies as projects, with their people.

Passwords are random and printed once; running the demo again gives everyone a new one.
Each app's part of the story is a module of this package (``team``, ``content``, ``analytics``),
called from ``load``; the package sits above the apps and writes only through their services.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from zveno.demo import analytics as analytics_demo
from zveno.demo import content as content_demo
from zveno.demo import progress
from zveno.demo import publishing as publishing_demo
from zveno.demo import team as team_demo
from zveno.playbooks import services as playbook_services
from zveno.projects import services as project_services
from zveno.workspaces import services as ws
from zveno.workspaces.models import GoalType, Niche, Project, Workspace
from zveno.workspaces.roles import JobRole as R
from zveno.workspaces.roles import WorkspaceRole

WORKSPACE_SLUG = "demo"


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    who: str


PEOPLE = {
    # username: (name, e-mail, workspace role or None)
    "demo": ("Анна Смирнова", "anna@demo.zveno.local", WorkspaceRole.OWNER),
    "dmitry": ("Дмитрий Орлов", "dmitry@demo.zveno.local", WorkspaceRole.MEMBER),
    "elena": ("Елена Соколова", "elena@demo.zveno.local", WorkspaceRole.MEMBER),
    "alina": ("Алина Ким", "alina@demo.zveno.local", WorkspaceRole.MEMBER),
    "maxim": ("Максим Лебедев", "maxim@demo.zveno.local", WorkspaceRole.MEMBER),
    "polina": ("Полина Гришина", "polina@demo.zveno.local", WorkspaceRole.MEMBER),
    "igor": ("Игорь Белов", "igor@demo.zveno.local", WorkspaceRole.MEMBER),
    "olga": ("Ольга Кузнецова", "olga@demo.zveno.local", None),
    "marina": ("Марина Волкова", "marina@demo.zveno.local", None),
    "viktoria": ("Виктория Романова", "viktoria@demo.zveno.local", None),
    "sergey": ("Сергей Павлов", "sergey@demo.zveno.local", None),
}

ROLE_NOTES = {
    "demo": "владелец, SMM во всех проектах",
    "dmitry": "продюсер запуска",
    "elena": "копирайтер запуска",
    "alina": "сторисмейкер запуска",
    "maxim": "рилсмейкер запуска",
    "polina": "дизайнер запуска",
    "igor": "отдел продаж запуска",
    "olga": "эксперт: риэлтор, кейс 1",
    "marina": "эксперт: риэлтор, кейс 2",
    "viktoria": "эксперт: автор курса, кейс 3",
    "sergey": "эксперт: магазин мягкой мебели, кейс 4",
}


def _projects(today: dt.date) -> list[dict]:
    start = today - dt.timedelta(days=60)
    return [
        {
            "slug": "realtor-msk",
            "name": "Риэлтор Ольга Кузнецова",
            "niche": Niche.REAL_ESTATE,
            "goal_type": GoalType.LEADS,
            "start_date": start,
            "description": (
                "Кейс 1. На старте договорились: SMM делает посты, сторис и контент-план. "
                "Когда понадобились заявки, SMM попросила экспертный контент — истории сделок, "
                "мысли по рынку, свежие данные, — но эксперт в работу не включилась. "
                "Соцсети стали «Википедией»: статьи есть, личности нет, клиенты не пришли."
            ),
            "team": {"demo": ([R.SMM], 30), "olga": ([R.EXPERT], 2)},
            "playbook": "real_estate",
            "networks": ["telegram", "instagram", "vk"],
            "cadence": "low",
        },
        {
            "slug": "realtor-kazan",
            "name": "Риэлтор Марина Волкова (Казань)",
            "niche": Niche.REAL_ESTATE,
            "goal_type": GoalType.LEADS,
            "start_date": start,
            "timezone": "Europe/Moscow",
            "description": (
                "Кейс 2. Эксперт активно участвует: делится мыслями, знает тонкости рынка, "
                "обсуждает контент. Стратегию строим вместе и подстраиваемся под тренды. "
                "Соцсети стали инструментом привлечения клиентов, охваты и вовлечённость "
                "выросли в несколько раз."
            ),
            "team": {"demo": ([R.SMM], 30), "marina": ([R.EXPERT], 4)},
            "playbook": "real_estate",
            "networks": ["telegram", "instagram"],
            "cadence": "low",
        },
        {
            "slug": "course-launch",
            "name": "Запуск онлайн-курса Виктории Романовой",
            "niche": Niche.INFO_PRODUCT,
            "goal_type": GoalType.LAUNCH_SALES,
            "start_date": today - dt.timedelta(days=30),
            "end_date": today + dt.timedelta(days=30),
            "description": (
                "Кейс 3. Первый заход: один SMM-специалист на 6+ соцсетях ежедневно — контент, "
                "дизайн, сторис, прогревы, продажи в комментариях; потенциал не раскрыт. "
                "Второй заход: продюсер, отдел продаж, сторисмейкер, рилсмейкер и копирайтер. "
                "Цели: охваты ×5, диалоги ×3, лид-магниты и e-mail база ×2. "
                "Итог: 6,5 млн ₽ за 2 недели."
            ),
            "team": {
                "demo": ([R.SMM], 40),
                "viktoria": ([R.EXPERT], 24),
                "dmitry": ([R.PRODUCER], 30),
                "elena": ([R.COPYWRITER], 40),
                "alina": ([R.STORIES_MAKER], 30),
                "maxim": ([R.REELS_MAKER], 30),
                "polina": ([R.DESIGNER], 30),
                "igor": ([R.SALES], 40),
            },
            "playbook": "info_product",
            "networks": ["telegram", "instagram", "vk", "youtube", "dzen", "email", "website"],
            "cadence": "medium",
        },
        {
            "slug": "course-launch-solo",
            "name": "Запуск курса: первый заход — одна на всё",
            "niche": Niche.INFO_PRODUCT,
            "goal_type": GoalType.LAUNCH_SALES,
            "start_date": today - dt.timedelta(days=14),
            "end_date": today + dt.timedelta(days=45),
            "description": (
                "Кейс 3, первый заход. SMM-специалист одна: контент, дизайн, сторис, посты, "
                "прогревы, продажи в комментариях и переписках; больше шести соцсетей ежедневно. "
                "Она сразу предупредила, что для запуска нужна команда из 3–5 человек, — команду "
                "не собрали. Результаты были, но потенциал проекта остался нереализованным."
            ),
            "team": {
                "demo": (
                    [
                        R.SMM,
                        R.COPYWRITER,
                        R.DESIGNER,
                        R.STORIES_MAKER,
                        R.REELS_MAKER,
                        R.VIDEO_EDITOR,
                        R.SALES,
                    ],
                    40,
                ),
                "viktoria": ([R.EXPERT], 5),
            },
            "playbook": "info_product",
            "networks": ["telegram", "instagram", "vk", "youtube", "dzen", "email", "website"],
            "cadence": "medium",
        },
        {
            "slug": "sofa-shop",
            "name": "Магазин мягкой мебели «Диван-Град»",
            "niche": Niche.ECOMMERCE,
            "goal_type": GoalType.REACH_TRAFFIC,
            "start_date": today - dt.timedelta(days=90),
            "description": (
                "Кейс 4. Один специалист в пяти ролях: SMM, копирайтер, дизайнер, "
                "видеомонтажёр и контент-мейкер. Цель — охваты и трафик на сайт. "
                "Итог: трафик на сайт +281 % без рекламного бюджета, только за счёт контента."
            ),
            "team": {
                "demo": ([R.SMM, R.COPYWRITER, R.DESIGNER, R.VIDEO_EDITOR, R.REELS_MAKER], 30),
                "sergey": ([R.EXPERT], 2),
            },
            "playbook": "ecommerce",
            "networks": ["instagram", "vk", "telegram", "website"],
            "cadence": "medium",
        },
    ]


def load() -> list[Login]:
    """Creates the demo workspace, or gives its people new passwords if it exists; a load left
    unfinished (the server stopped while it ran in the background) is finished."""
    logins = load_people()
    load_rest()
    return logins


def load_people(
    meanwhile: Callable[[], None] | None = None, *, owner_first: bool = False
) -> list[Login]:
    """The demo's people and its workspace (their logins work before the rest is there); a new
    workspace is marked as loading until ``load_rest`` has run. ``meanwhile`` (the migrations of
    a first start) runs while the passwords are hashed. ``owner_first``: on a new workspace only
    the owner's password is hashed now, the others by ``load_rest`` a moment later (hashing is
    most of the work before the first page)."""
    User = get_user_model()
    logins, users = [], {}
    passwords = {username: secrets.token_urlsafe(9) for username in PEOPLE}
    later: dict[str, str] = {}
    if owner_first and not _workspace_exists():
        later = {name: password for name, password in passwords.items() if name != "demo"}
    now = [name for name in passwords if name not in later]
    # Password hashing is deliberately slow and releases the GIL: hash on every core at once,
    # beside whatever else has to happen first.
    with ThreadPoolExecutor() as pool:
        hashing = pool.map(make_password, [passwords[name] for name in now])
        if meanwhile is not None:
            meanwhile()
        hashes = dict(zip(now, hashing, strict=True))
    with transaction.atomic():
        for username, (name, email, _role) in PEOPLE.items():
            user, _ = User.objects.get_or_create(
                username=username, defaults={"name": name, "email": email}
            )
            if username in hashes:
                user.password = hashes[username]
            else:
                user.set_unusable_password()  # until load_rest hashes the printed one
            user.save()
            users[username] = user
            logins.append(Login(username, passwords[username], ROLE_NOTES[username]))
        if _workspace_exists():
            return logins
        owner = users["demo"]
        workspace = ws.create_workspace(owner, "Агентство «Звено» (демо)", slug=WORKSPACE_SLUG)
        for username, (_n, _e, role) in PEOPLE.items():
            if role and role != WorkspaceRole.OWNER:
                ws.add_workspace_member(workspace, users[username], role)
    # The passwords still to hash wait beside the secret key, in the data directory.
    progress.record([], len(_steps()), passwords=later)
    return logins


def _workspace_exists() -> bool:
    """Whether the demo workspace is there (False on a database with no tables yet)."""
    if Workspace._meta.db_table not in connection.introspection.table_names():
        return False
    return Workspace.objects.filter(slug=WORKSPACE_SLUG).exists()


def _hash_waiting_passwords() -> None:
    """The printed passwords of the people other than the owner, hashed outside any transaction
    (a write transaction would keep the server's logins waiting meanwhile)."""
    waiting = progress.waiting_passwords()
    if not waiting:
        return
    with ThreadPoolExecutor() as pool:
        hashes = dict(zip(waiting, pool.map(make_password, waiting.values()), strict=True))
    User = get_user_model()
    with transaction.atomic():
        for username, hashed in hashes.items():
            User.objects.filter(username=username).update(password=hashed)


def load_rest() -> bool:
    """Loads what the demo workspace still lacks, one committed step at a time (each short, so the
    server's own writes — a login — never wait long); False when nothing was left to load."""
    state = progress.current()
    workspace = Workspace.objects.filter(slug=WORKSPACE_SLUG).first()
    if state is None or workspace is None:
        progress.finish()
        return False
    steps = _steps()
    done = [name for name in state.done if name in dict(steps)]
    _hash_waiting_passwords()
    progress.record(done, len(steps))
    users = {u.username: u for u in get_user_model().objects.filter(username__in=PEOPLE)}
    today = timezone.localdate()
    for name, step in steps:
        if name in done:
            continue
        with transaction.atomic():
            step(workspace, users, today)
        done.append(name)
        progress.record(done, len(steps))
    progress.finish()
    return True


def _steps() -> list[tuple[str, Callable]]:
    """The demo's parts, each one transaction of a second or two (a project's content, its
    history): the server's writes wait for one step at most."""
    slugs = [spec["slug"] for spec in _projects(dt.date.today())]
    rng = analytics_demo.random_source()  # one stream across the projects, in their order
    return [
        ("projects", _start_projects),
        ("team", team_demo.load),
        *[(f"content:{s}", partial(content_demo.load, only=s)) for s in slugs],
        *[(f"analytics:{s}", partial(analytics_demo.load, only=s, rng=rng)) for s in slugs],
        # After the analytics: the deliveries' posts are the ones the analytics already hold.
        ("publishing", publishing_demo.load),
    ]


def _start_projects(workspace, users: dict, today: dt.date) -> None:
    owner = users["demo"]
    for spec in _projects(today):
        team = spec.pop("team")
        playbook = spec.pop("playbook")
        project = project_services.start_project(owner, workspace, my_roles=team["demo"][0], **spec)
        project.memberships.filter(user=owner).update(capacity_hours=team["demo"][1])
        for username, (roles, hours) in team.items():
            if username != "demo":
                ws.add_member(owner, project, users[username], roles, hours)
        # The playbook is chosen once the whole team is there, so the matrix fits the team.
        playbook_services.choose_playbook(owner, project, playbook, spec["cadence"])


def format_logins(logins: list[Login]) -> str:
    width = max(len(login.username) for login in logins)
    lines = ["Demo logins (passwords are new each time `zveno demo` runs):"]
    lines += [f"  {x.username:<{width}}  {x.password}   {x.who}" for x in logins]
    return "\n".join(lines)


def project_slugs() -> list[str]:
    return list(
        Project.objects.filter(workspace__slug=WORKSPACE_SLUG).values_list("slug", flat=True)
    )
