"""The demo's content: a month of items per case, in every state, with expert requests.

Everything goes through the content services, so history, steps and approvals are real: the
SMM (or the step's taker) moves items, the expert approves. Case 1 shows items stuck at the
expert and requests she never answers; case 2 shows an expert who answers on time.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from zveno.content import requests, services
from zveno.content.models import Activity, ExpertRequest, Publication, State, StepKind

S = State
NET = {"tg": "telegram", "ig": "instagram", "vk": "vk", "yt": "youtube", "dz": "dzen",
       "em": "email", "web": "website"}  # fmt: skip
# The path of an item to each state: transitions by the mover, "approve" by the approver.
PATH = {
    S.IDEA: [],
    S.COPY: [S.COPY],
    S.DESIGN: [S.COPY, S.DESIGN],
    S.REVIEW: [S.COPY, S.DESIGN, S.REVIEW],
    S.EXPERT_APPROVAL: [S.COPY, S.DESIGN, S.REVIEW, "review_ok"],
    S.CHANGES_REQUESTED: [S.COPY, S.DESIGN, S.REVIEW, "review_ok", "changes"],
    S.APPROVED: [S.COPY, S.DESIGN, S.REVIEW, "review_ok", "expert_ok"],
    S.SCHEDULED: [S.COPY, S.DESIGN, S.REVIEW, "review_ok", "expert_ok", S.SCHEDULED],
    S.PUBLISHED: [S.COPY, S.DESIGN, S.REVIEW, "review_ok", "expert_ok", S.SCHEDULED, S.PUBLISHED],
    S.CANCELLED: [S.COPY, S.CANCELLED],
}

# (day from today, state, rubric, format, channels, title, text)
REALTOR_MSK = [
    (
        -26,
        S.PUBLISHED,
        "useful",
        "post",
        "tg vk",
        "Как проверить квартиру перед покупкой: 7 шагов",
        "Выписка из ЕГРН, история переходов права, прописанные жильцы и долги по ЖКУ — "
        "рассказываю, что проверить до задатка.",
    ),
    (
        -23,
        S.PUBLISHED,
        "market_insight",
        "carousel",
        "ig tg",
        "Ставки по ипотеке в ноябре: что изменилось",
        "Разбираю, как решения ЦБ отразились на рыночной ипотеке и кому выгоднее семейная.",
    ),
    (
        -20,
        S.PUBLISHED,
        "useful",
        "article",
        "tg",
        "Разбор района: Хамовники для семьи с детьми",
        "Школы, парки, транспорт и цены за метр — плюсы и минусы района на конец года.",
    ),
    (
        -13,
        S.PUBLISHED,
        "useful",
        "post",
        "tg vk",
        "Налоговый вычет при покупке квартиры",
        "До 260 тысяч за квартиру и до 390 тысяч за проценты по ипотеке: как получить.",
    ),
    (
        -9,
        S.PUBLISHED,
        "market_insight",
        "post",
        "tg",
        "Разбор района: Марьино — цены и инфраструктура",
        "Что изменилось после открытия новых станций и сколько стоит метр сегодня.",
    ),
    (
        -6,
        S.CANCELLED,
        "cases",
        "reels",
        "ig",
        "История сделки: обмен двушки на трёшку",
        "Нужен рассказ Ольги о сделке — материала нет, рилс снят с плана.",
    ),
    (
        -4,
        S.PUBLISHED,
        "useful",
        "carousel",
        "ig vk",
        "Ипотека с господдержкой: 5 частых ошибок",
        "Собрали ошибки, из-за которых банк отказывает или ставка выше обещанной.",
    ),
    (
        0,
        S.SCHEDULED,
        "useful",
        "post",
        "tg vk",
        "Чек-лист для продавца: документы на сделку",
        "Паспорт, выписка ЕГРН, согласие супруга, справка об отсутствии долгов — полный список.",
    ),
    (
        1,
        S.APPROVED,
        "engagement",
        "stories",
        "ig",
        "Вопрос-ответ: задавайте вопросы о покупке",
        "Собираем вопросы подписчиков, ответы — в пятницу.",
    ),
    (
        2,
        S.EXPERT_APPROVAL,
        "expert_stories",
        "post",
        "tg ig vk",
        "Как я продала квартиру за 9 дней: история сделки",
        "Черновик по открытым данным: нужны детали от Ольги — цена, сроки, возражения покупателя.",
    ),
    (
        3,
        S.EXPERT_APPROVAL,
        "market_insight",
        "post",
        "tg",
        "Мнение эксперта: что будет с ценами на вторичку в декабре",
        "Прогноз подготовлен SMM по аналитике ЦИАН; ждём комментарий Ольги.",
    ),
    (
        4,
        S.EXPERT_APPROVAL,
        "cases",
        "carousel",
        "ig vk",
        "Кейс: одобрение ипотеки после отказа банка",
        "Карусель по сделке прошлого месяца — нужно подтверждение фактов у эксперта.",
    ),
    (
        5,
        S.EXPERT_APPROVAL,
        "personal",
        "reels",
        "ig",
        "Один день риэлтора: показы, задаток, сделка",
        "Сценарий рилс без съёмки эксперта — согласовать подачу с Ольгой.",
    ),
    (
        6,
        S.CHANGES_REQUESTED,
        "selling",
        "post",
        "tg vk",
        "Продать квартиру дороже: бесплатная оценка",
        "Оставьте заявку — подготовлю оценку по аналогам за 24 часа.",
    ),
    (
        7,
        S.REVIEW,
        "social_proof",
        "carousel",
        "ig",
        "Отзывы клиентов за осень",
        "Пять отзывов покупателей и продавцов с разрешения клиентов.",
    ),
    (
        9,
        S.DESIGN,
        "useful",
        "carousel",
        "ig vk",
        "Разбор района: Новая Москва — стоит ли покупать",
        "Коммунарка, Сосенское, Внуково: транспорт, школы и реальные цены.",
    ),
    (
        11,
        S.COPY,
        "market_insight",
        "article",
        "tg",
        "Итоги года на рынке недвижимости Москвы",
        "Тезисы: ставки, объём сделок, новостройки против вторички.",
    ),
    (14, S.IDEA, "expert_stories", "reels", "ig", "Ошибка, которая стоила клиенту 500 тысяч", ""),
]

REALTOR_KAZAN = [
    (
        -25,
        S.PUBLISHED,
        "expert_stories",
        "post",
        "tg ig",
        "История сделки: однушка в Ново-Савиновском за 12 дней",
        "Марина рассказывает, как нашла покупателя через сарафан и провела сделку без скидки.",
    ),
    (
        -18,
        S.PUBLISHED,
        "useful",
        "post",
        "tg",
        "Семейная ипотека в Татарстане: кому положена",
        "Условия, лимиты и региональные доплаты для семей с детьми.",
    ),
    (
        -15,
        S.PUBLISHED,
        "cases",
        "reels",
        "ig",
        "Кейс: переезд из Набережных Челнов в Казань",
        "Продажа и покупка в один день — как Марина синхронизировала две сделки.",
    ),
    (
        -12,
        S.PUBLISHED,
        "market_insight",
        "post",
        "tg ig",
        "Разбор района: Вахитовский — центр или нет?",
        "Мнение Марины: где в центре ещё можно купить с потенциалом роста.",
    ),
    (
        -8,
        S.PUBLISHED,
        "social_proof",
        "carousel",
        "ig",
        "Отзывы покупателей: осень",
        "Четыре семьи, которые купили квартиры с Мариной.",
    ),
    (
        -5,
        S.PUBLISHED,
        "expert_stories",
        "reels",
        "ig tg",
        "Почему сделка сорвалась за день до подписания",
        "Марина записала видео о прописанном ребёнке и как это проверить.",
    ),
    (
        0,
        S.SCHEDULED,
        "useful",
        "post",
        "tg",
        "Как вернуть задаток, если сделка не состоялась",
        "Разбираем договор задатка и аванса на примерах Марины.",
    ),
    (
        1,
        S.APPROVED,
        "personal",
        "stories",
        "ig",
        "Закулисье: как проходит показ",
        "Марина показывает, что проверяет на первом просмотре.",
    ),
    (
        3,
        S.EXPERT_APPROVAL,
        "market_insight",
        "post",
        "tg ig",
        "Прогноз Марины: рынок Казани зимой",
        "Мнение эксперта о спросе и скидках в декабре–феврале.",
    ),
    (
        4,
        S.CHANGES_REQUESTED,
        "cases",
        "carousel",
        "ig",
        "Кейс: ипотека для самозанятого",
        "Как одобрили ипотеку клиенту без официальной зарплаты.",
    ),
    (
        6,
        S.REVIEW,
        "selling",
        "post",
        "tg ig",
        "Подбор квартиры под ключ: 3 места на декабрь",
        "Марина берёт три новых клиента на подбор — запись в директ.",
    ),
    (
        8,
        S.DESIGN,
        "useful",
        "carousel",
        "ig",
        "Разбор района: Салмачи и Залесный",
        "Новые ЖК, дороги и школы — что важно знать до покупки.",
    ),
    (
        10,
        S.COPY,
        "expert_stories",
        "post",
        "tg",
        "Три вопроса, которые я задаю каждому продавцу",
        "Тезисы Марины из голосового сообщения.",
    ),
    (13, S.IDEA, "engagement", "post", "tg", "Ваш вопрос — мой ответ: ипотека", ""),
    (
        15,
        S.CANCELLED,
        "cases",
        "reels",
        "ig",
        "Кейс: продажа квартиры с долгами по ЖКУ",
        "Отменено: клиент попросил не публиковать историю.",
    ),
]

LAUNCH = [
    (
        -27,
        S.PUBLISHED,
        "useful",
        "lead_magnet",
        "tg ig web",
        "Лид-магнит: гайд «5 шагов к первому клиенту»",
        "Бесплатный гайд за подписку на рассылку — старт прогрева.",
    ),
    (
        -24,
        S.PUBLISHED,
        "expert_stories",
        "post",
        "tg vk",
        "Как я пришла в профессию: история Виктории",
        "Личная история автора курса — первая точка прогрева.",
    ),
    (
        -18,
        S.PUBLISHED,
        "cases",
        "carousel",
        "ig vk",
        "Кейс ученицы: от нуля до 150 тысяч за месяц",
        "Карусель с цифрами и скриншотами ученицы прошлого потока.",
    ),
    (
        -12,
        S.PUBLISHED,
        "useful",
        "live",
        "ig yt tg",
        "Бесплатный эфир: как упаковать экспертность",
        "Анонс и трансляция эфира, запись — в Telegram.",
    ),
    (
        -10,
        S.PUBLISHED,
        "selling",
        "post",
        "tg vk em",
        "Открытие корзины: курс «Запуск с нуля»",
        "Старт продаж, ранняя цена 48 часов.",
    ),
    (
        -8,
        S.PUBLISHED,
        "selling",
        "post",
        "vk tg",
        "Реклама: бесплатный марафон у партнёра",
        "Рекламная интеграция в канале партнёра с маркировкой.",
    ),
    (
        -6,
        S.PUBLISHED,
        "social_proof",
        "reels",
        "ig",
        "Отзывы учеников: видео-нарезка",
        "Три ученицы рассказывают о результатах после курса.",
    ),
    (
        -3,
        S.PUBLISHED,
        "selling",
        "email",
        "em",
        "Письмо: последние места по ранней цене",
        "Напоминание подписчикам рассылки о дедлайне.",
    ),
    (
        0,
        S.SCHEDULED,
        "engagement",
        "stories",
        "ig tg",
        "Сторис: ответы на вопросы о курсе",
        "Виктория отвечает на вопросы о формате и оплате.",
    ),
    (
        1,
        S.APPROVED,
        "cases",
        "post",
        "tg vk dz",
        "История ученицы: первая продажа за 10 дней",
        "Подробный разбор пути ученицы прошлого потока.",
    ),
    (
        2,
        S.EXPERT_APPROVAL,
        "selling",
        "post",
        "tg vk em",
        "Закрытие корзины: осталось 24 часа",
        "Финальный пост продаж — текст согласует Виктория.",
    ),
    (
        3,
        S.REVIEW,
        "useful",
        "video",
        "yt dz",
        "Запись эфира: разбор воронки прогрева",
        "Полная запись с таймкодами.",
    ),
    (
        4,
        S.CHANGES_REQUESTED,
        "personal",
        "reels",
        "ig",
        "Закулисье запуска: команда за работой",
        "Рилс про команду: продюсер, копирайтер, сторисмейкер.",
    ),
    (
        5,
        S.DESIGN,
        "social_proof",
        "carousel",
        "ig vk",
        "Отзывы учеников: карусель со скриншотами",
        "10 отзывов из чата потока.",
    ),
    (
        7,
        S.COPY,
        "useful",
        "warmup_step",
        "tg em",
        "Прогрев второго потока: цепочка из 3 писем",
        "Черновик цепочки писем.",
    ),
    (
        9,
        S.CANCELLED,
        "selling",
        "post",
        "vk",
        "Скидка для VK-аудитории",
        "Отменено: продюсер решил не давать отдельную скидку.",
    ),
    (12, S.IDEA, "expert_stories", "live", "ig yt", "Эфир: итоги запуска и планы", ""),
]

SOLO = [
    (
        -12,
        S.PUBLISHED,
        "useful",
        "lead_magnet",
        "tg web",
        "Лид-магнит: чек-лист «Готов ли ты к запуску»",
        "Чек-лист за подписку — сделан за вечер без дизайнера.",
    ),
    (
        -10,
        S.PUBLISHED,
        "expert_stories",
        "post",
        "tg ig vk",
        "Знакомство: кто такая Виктория",
        "Пост-знакомство для всех соцсетей сразу.",
    ),
    (
        -6,
        S.PUBLISHED,
        "engagement",
        "stories",
        "ig",
        "Прогрев: сторис-опрос о боли аудитории",
        "Опрос в сторис, ответы в директ — обрабатывает та же SMM.",
    ),
    (
        -4,
        S.PUBLISHED,
        "cases",
        "post",
        "tg vk",
        "Кейс ученицы: первые деньги на консультациях",
        "История ученицы по переписке.",
    ),
    (
        -2,
        S.PUBLISHED,
        "selling",
        "post",
        "tg ig vk dz",
        "Эфир в четверг: как продавать без давления",
        "Анонс бесплатного эфира.",
    ),
    (
        0,
        S.SCHEDULED,
        "selling",
        "live",
        "ig yt",
        "Эфир: как продавать без давления",
        "Трансляция эфира и продажа курса в конце.",
    ),
    (
        1,
        S.APPROVED,
        "social_proof",
        "carousel",
        "ig",
        "Отзывы учеников первого потока",
        "Скриншоты отзывов.",
    ),
    (
        3,
        S.EXPERT_APPROVAL,
        "selling",
        "post",
        "tg vk em",
        "Открытие корзины курса",
        "Текст продающего поста ждёт Викторию.",
    ),
    (4, S.REVIEW, "useful", "video", "yt dz", "Видео: разбор трёх воронок", "Монтаж готов."),
    (
        5,
        S.CHANGES_REQUESTED,
        "personal",
        "post",
        "tg",
        "Почему я запускаю курс сейчас",
        "Личный пост от лица Виктории.",
    ),
    (
        6,
        S.DESIGN,
        "cases",
        "carousel",
        "ig vk",
        "Кейс: ученица из декрета",
        "Карусель по истории ученицы.",
    ),
    (8, S.COPY, "selling", "email", "em", "Письмо: закрытие корзины", "Черновик письма."),
    (
        10,
        S.CANCELLED,
        "engagement",
        "stories",
        "ig",
        "Сторис-марафон 7 дней",
        "Отменён: не хватает рук на ежедневные сторис.",
    ),
    (13, S.IDEA, "expert_stories", "reels", "ig", "Рилс: мой первый провальный запуск", ""),
]

SOFA = [
    (
        -27,
        S.PUBLISHED,
        "product",
        "carousel",
        "ig vk",
        "Подборка: диваны для маленькой гостиной",
        "Пять моделей до 2 метров с ценами и ссылками на сайт.",
    ),
    (
        -24,
        S.PUBLISHED,
        "useful",
        "post",
        "tg vk",
        "Как ухаживать за велюром: 6 правил",
        "Чистка, пылесос, пятна от кофе — памятка по уходу за тканью.",
    ),
    (
        -21,
        S.PUBLISHED,
        "social_proof",
        "reels",
        "ig",
        "UGC: диван «Лофт» в интерьере покупателей",
        "Фото и видео от покупателей с отметкой магазина.",
    ),
    (
        -12,
        S.PUBLISHED,
        "useful",
        "carousel",
        "ig vk",
        "Рогожка, велюр или микровелюр: что выбрать",
        "Сравнение тканей по износостойкости и уходу.",
    ),
    (
        -9,
        S.PUBLISHED,
        "cases",
        "post",
        "vk tg",
        "Кейс: диван для семьи с котом",
        "Ткань «антикоготь» после года эксплуатации.",
    ),
    (
        -6,
        S.PUBLISHED,
        "engagement",
        "stories",
        "ig",
        "Опрос: какой цвет дивана выбрать?",
        "Голосование за цвет новой коллекции.",
    ),
    (
        -3,
        S.PUBLISHED,
        "useful",
        "post",
        "tg vk web",
        "Доставка и подъём: как это устроено",
        "Сроки по Москве и области, подъём на этаж и сборка.",
    ),
    (
        0,
        S.SCHEDULED,
        "selling",
        "post",
        "ig vk tg",
        "Чёрная пятница: −20 % на диваны в наличии",
        "Список моделей и ссылка на каталог.",
    ),
    (
        1,
        S.APPROVED,
        "product",
        "carousel",
        "ig",
        "Подборка: диваны-кровати для ежедневного сна",
        "Механизмы трансформации и высота спального места.",
    ),
    (
        3,
        S.EXPERT_APPROVAL,
        "useful",
        "article",
        "web",
        "Гид по механизмам: еврокнижка, дельфин, аккордеон",
        "Статья для сайта — Сергей проверяет технические детали.",
    ),
    (
        4,
        S.REVIEW,
        "social_proof",
        "carousel",
        "ig vk",
        "UGC: ваши диваны в новогоднем интерьере",
        "Подборка фото покупателей.",
    ),
    (
        5,
        S.CHANGES_REQUESTED,
        "behind_scenes",
        "reels",
        "ig",
        "Как мы тестируем ткани на истирание",
        "Тест Мартиндейла на камеру.",
    ),
    (
        7,
        S.DESIGN,
        "product",
        "post",
        "vk tg",
        "Новинка: модульный диван «Тетрис»",
        "Анонс новой модели с размерами.",
    ),
    (
        9,
        S.COPY,
        "useful",
        "post",
        "tg",
        "Как вывести пятно от вина с обивки",
        "Пошаговая инструкция от технолога.",
    ),
    (
        11,
        S.CANCELLED,
        "selling",
        "stories",
        "ig",
        "Розыгрыш пуфа среди подписчиков",
        "Отменён: правила розыгрыша не согласованы.",
    ),
    (14, S.IDEA, "engagement", "post", "vk", "Конкурс: лучший уголок для чтения", ""),
]

SPECS = {
    "realtor-msk": REALTOR_MSK,
    "realtor-kazan": REALTOR_KAZAN,
    "course-launch": LAUNCH,
    "course-launch-solo": SOLO,
    "sofa-shop": SOFA,
}
CHANGES = {
    "realtor-msk": "Ольга: без фамилии клиента и с реальной комиссией, иначе не публикуем.",
    "realtor-kazan": "Марина: цифры по ставке устарели, поправьте на декабрьские.",
    "course-launch": "Виктория: добавьте в рилс меня и оставьте только живые кадры.",
    "course-launch-solo": "Виктория: слишком официально, пишите моим голосом.",
    "sofa-shop": "Сергей: на видео старая партия ткани, переснимите с новой.",
}
AD = {"title": "Реклама: бесплатный марафон у партнёра", "erid": "2SDnjcR2tqN",
      "advertiser": "ИП Романова Виктория Андреевна"}  # fmt: skip


def load(workspace, users: dict, today: dt.date) -> None:
    smm = users["demo"]
    for project in workspace.projects.select_related("workspace"):
        spec = SPECS.get(project.slug)
        if spec is None:
            continue
        members = list(project.memberships.select_related("user"))
        experts = [m.user for m in members if "expert" in m.roles]
        expert = experts[0] if experts else smm
        channels = {c.network: c for c in project.channels.filter(is_active=True)}
        takers = {kind: _taker(project, kind, smm) for kind in (StepKind.COPY, StepKind.DESIGN)}
        takers[StepKind.REVIEW] = _taker(project, StepKind.REVIEW, smm)
        items = [_item(project, smm, expert, takers, channels, today, row) for row in spec]
        _requests(project, smm, expert, today, items)
        _backdate(project, items, today, spec)


def _taker(project, kind: str, fallback):
    """Who does a step: its assignee unless it is the expert (then the SMM holds the role)."""
    member = services.assignee_for(project, kind)
    if member is None or "expert" in member.roles:
        return fallback
    return member.user


def _item(project, smm, expert, takers, channels, today: dt.date, row):
    day, state, rubric, fmt, nets, title, text = row
    wanted = [channels[NET[n]] for n in nets.split() if NET[n] in channels]
    if not wanted:
        wanted = list(channels.values())[:1]
    hour = 19 if fmt in ("stories", "reels", "live") else 12
    when = dt.datetime.combine(today + dt.timedelta(days=day), dt.time(hour))
    extra = {}
    if title == AD["title"]:
        extra = {"is_ad": True, "erid": AD["erid"], "advertiser": AD["advertiser"]}
    item = services.create_item(
        smm, project, title=title, format=fmt, channel_ids=[c.pk for c in wanted],
        rubric=rubric, planned_at=when, text=text, goal=_goal(rubric), **extra,
    )  # fmt: skip
    for step in PATH[state]:
        if step == "review_ok":
            _as(takers[StepKind.REVIEW], smm, lambda who: services.approve(who, item, "Ок"))
        elif step == "expert_ok":
            services.approve(expert, item, "Согласовано")
        elif step == "changes":
            services.request_changes(expert, item, CHANGES[project.slug], return_to="copy")
        elif step == S.DESIGN:
            _as(takers[StepKind.COPY], smm, lambda who: services.transition(who, item, S.DESIGN))
        elif step == S.REVIEW:
            _as(takers[StepKind.DESIGN], smm, lambda who: services.transition(who, item, S.REVIEW))
        elif step == S.CANCELLED:
            services.cancel(smm, item, "Снято с плана")
        else:
            services.transition(smm, item, step)
    if state == S.PUBLISHED:
        _published(item, project, when)
    return item


def _as(who, smm, action) -> None:
    try:
        action(who)
    except PermissionDenied:
        action(smm)


def _goal(rubric: str) -> str:
    return {"selling": "sales", "cases": "leads", "expert_stories": "leads",
            "engagement": "engagement", "social_proof": "leads"}.get(rubric, "reach")  # fmt: skip


def _published(item, project, when: dt.datetime) -> None:
    zone = zoneinfo.ZoneInfo(project.timezone)
    moment = when.replace(tzinfo=zone).astimezone(dt.UTC)
    slug = project.slug.replace("-", "_")
    publications = list(item.publications.select_related("channel"))
    for publication in publications:
        post = 100 + item.pk
        publication.url = {
            "telegram": f"https://t.me/{slug}/{post}",
            "instagram": f"https://www.instagram.com/p/{slug}{post}/",
            "vk": f"https://vk.com/wall-{slug}_{post}",
            "youtube": f"https://www.youtube.com/watch?v={slug}{post}",
            "dzen": f"https://dzen.ru/a/{slug}{post}",
            "website": f"https://{slug.replace('_', '-')}.ru/blog/{post}",
        }.get(publication.channel.network, "")
        publication.published_at = moment
    Publication.objects.bulk_update(publications, ["url", "published_at"])


def _backdate(project, items, today: dt.date, spec) -> None:
    """The history happened before the item's day (case 1: stuck at the expert for days)."""
    now = timezone.now()
    days = {item.pk: row[0] for item, row in zip(items, spec, strict=True)}
    states = {item.pk: row[1] for item, row in zip(items, spec, strict=True)}
    activities = list(Activity.objects.filter(item__in=items).order_by("item_id", "pk"))
    seen: dict[int, int] = {}
    for activity in activities:
        n = seen[activity.item_id] = seen.get(activity.item_id, -1) + 1
        day = days[activity.item_id]
        start = now + dt.timedelta(days=min(day, 0) - 7)
        if states[activity.item_id] == S.EXPERT_APPROVAL and project.slug == "realtor-msk":
            start = now - dt.timedelta(days=9 - day)
        activity.created_at = min(start + dt.timedelta(hours=6 * n), now)
    Activity.objects.bulk_update(activities, ["created_at"], batch_size=200)


def _requests(project, smm, expert, today: dt.date, items) -> None:
    by_title = {i.title: i for i in items}
    now = timezone.now()
    if project.slug == "realtor-msk":
        asks = [
            ("Расскажите историю сделки, где вы продали квартиру за 9 дней: цена, сроки, "
             "какие были возражения у покупателя?", "story", -6, -12,
             ["Как я продала квартиру за 9 дней: история сделки"]),
            ("Нужно ваше мнение: что будет с ценами на вторичку в декабре? Хватит голосового "
             "на 2 минуты.", "opinion", -3, -8,
             ["Мнение эксперта: что будет с ценами на вторичку в декабре"]),
        ]  # fmt: skip
        for question, kind, due, asked, titles in asks:
            found = requests.ask(
                smm, project, question=question, kind=kind,
                due_date=today + dt.timedelta(days=due),
                item_ids=[by_title[t].pk for t in titles if t in by_title],
            )  # fmt: skip
            ExpertRequest.objects.filter(pk=found.pk).update(
                asked_at=now + dt.timedelta(days=asked)
            )
    elif project.slug == "realtor-kazan":
        asks = [
            ("Запишите видео: почему сделка сорвалась за день до подписания?", "video", -7, -10,
             "Почему сделка сорвалась за день до подписания",
             "Видео записала, прикладываю текст: проверяйте прописанных детей до задатка."),
            ("Ваш прогноз по рынку Казани на зиму — спрос, скидки, ставки.", "opinion", 2, -2,
             "Прогноз Марины: рынок Казани зимой",
             "Зимой спрос падает на 15–20 %, продавцы готовы торговаться, ставки держатся."),
            ("Три вопроса, которые вы задаёте каждому продавцу — надиктуйте голосом.", "story",
             4, -1, "Три вопроса, которые я задаю каждому продавцу",
             "Почему продаёте, кто прописан, были ли перепланировки."),
        ]  # fmt: skip
        for question, kind, due, asked, title, reply in asks:
            found = requests.ask(
                smm, project, question=question, kind=kind,
                due_date=today + dt.timedelta(days=due), item_ids=[by_title[title].pk],
            )  # fmt: skip
            requests.answer(expert, found, text=reply)
            ExpertRequest.objects.filter(pk=found.pk).update(
                asked_at=now + dt.timedelta(days=asked),
                answered_at=now + dt.timedelta(days=min(asked + 1, 0)),
            )
