"""The demo's content plans, as data: per case, a month of items (day from today, state, rubric,
format, channels, title, text), the expert's request for changes, and the advertising item.
``demo.content`` seeds them through the content services."""

from __future__ import annotations

from zveno.demo.plans.courses import LAUNCH, SOLO
from zveno.demo.plans.realtors import REALTOR_KAZAN, REALTOR_MSK
from zveno.demo.plans.sofas import SOFA

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
