"""The report page, client links and scheduled e-mails, and who may do what with them."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from tests.analytics.test_report_data import END, START, fill
from zveno.analytics.models import ReportDelivery, ReportLink, ReportSchedule
from zveno.analytics.services import reports as report_services

pytestmark = pytest.mark.django_db

NOV = "?from=2026-11-01&to=2026-11-30"


def url(name, *args):
    return reverse(f"analytics:{name}", args=args)


# --- the page -----------------------------------------------------------------------------------


def test_the_page_shows_the_report_with_charts(world, login, django_assert_max_num_queries):
    fill(world)
    client = login(world.users["copywriter"])
    with django_assert_max_num_queries(60):
        response = client.get(url("reports", "alpha") + NOV)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Квартира у метро №11" in page and "Заявки за ноябрь" in page
    assert page.count("<svg") == 4 and 'class="chart chart-funnel"' in page
    assert url("report_pdf", "alpha") + NOV.replace("&", "&amp;") in page
    assert url("report_links", "alpha") not in page  # the copywriter cannot share


@pytest.mark.dated
def test_period_presets(world, login):
    client = login(world.users["owner"])
    today = timezone.localdate()
    page = client.get(url("reports", "alpha") + "?period=last_month")
    report = page.context["report"]
    assert report.end == today.replace(day=1) - dt.timedelta(days=1)
    assert report.start == report.end.replace(day=1)
    week = client.get(url("reports", "alpha") + "?period=last_week").context["report"]
    assert week.start.weekday() == 0 and (week.end - week.start).days == 6
    bad = client.get(url("reports", "alpha") + "?from=2026-11-30&to=2026-11-01")
    assert bad.context["choice"] == "this_month"  # a bad custom period falls back
    assert url("report_links", "alpha") in bad.content.decode()  # the owner may share


def test_pdf_and_xlsx_downloads(world, login):
    fill(world)
    client = login(world.users["expert"])
    pdf = client.get(url("report_pdf", "alpha") + NOV)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert 'filename="alpha-report-20261101-20261130.pdf"' in pdf["Content-Disposition"]
    xlsx = client.get(url("report_xlsx", "alpha") + NOV)
    assert len(load_workbook(io.BytesIO(xlsx.content)).sheetnames) == 6


def test_another_projects_expert_sees_nothing(world, login):
    client = login(world.users["other_expert"])
    for name in ("reports", "report_pdf", "report_xlsx", "report_links", "report_schedules"):
        assert client.get(url(name, "alpha")).status_code == 404, name


# --- client links -------------------------------------------------------------------------------


def _create_link(client, days=30):
    response = client.post(
        url("report_links", "alpha"), {"from": "2026-11-01", "to": "2026-11-30", "days": days}
    )
    assert response.status_code == 200
    found = re.search(r'value="(http[^"]+/r/([^/"]+)/)"', response.content.decode())
    return found.group(2)


def test_a_link_opens_the_report_without_login_until_revoked(world, login, client):
    fill(world)
    owner = login(world.users["owner"])
    token = _create_link(owner, days=7)
    link = ReportLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()  # only the hash is kept
    assert token not in str(ReportLink.objects.values_list())
    assert link.expires_at - timezone.now() > dt.timedelta(days=6, hours=23)
    assert (link.period_start, link.period_end) == (START, END)
    # the links page no longer shows the token
    assert token not in owner.get(url("report_links", "alpha")).content.decode()

    client.logout()
    public = client.get(url("report_public", token))
    assert public.status_code == 200
    page = public.content.decode()
    assert "Альфа-канарейка" in page and "Квартира у метро №11" in page
    assert 'name="robots" content="noindex' in page and public["X-Robots-Tag"].startswith("noindex")
    assert 'class="tabs"' not in page and "sidebar" not in page  # no navigation
    pdf = client.get(url("report_public_pdf", token))
    assert pdf.content.startswith(b"%PDF")

    owner = login(world.users["owner"])
    assert owner.post(url("report_link_revoke", "alpha", link.pk)).status_code == 302
    client.logout()
    gone = client.get(url("report_public", token))
    assert gone.status_code == 404
    assert _("This link has expired") in gone.content.decode()
    assert client.get(url("report_public_pdf", token)).status_code == 404


def test_an_expired_or_unknown_link_is_a_clear_404(world, client):
    link, raw = report_services.create_link(world.users["owner"], world.alpha, START, END, 30)
    assert client.get(url("report_public", raw)).status_code == 200
    ReportLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    response = client.get(url("report_public", raw))
    assert response.status_code == 404 and _("This link has expired") in response.content.decode()
    assert client.get(url("report_public", "no-such-token")).status_code == 404


def test_link_lifetimes_and_who_may_create_them(world, login):
    for days in (7, 30, 90):
        link, _raw = report_services.create_link(world.users["smm"], world.alpha, START, END, days)
        assert abs((link.expires_at - timezone.now()) - dt.timedelta(days=days)) < dt.timedelta(1)
    with translation.override("en"), pytest.raises(Exception, match="7, 30 or 90"):
        report_services.create_link(world.users["smm"], world.alpha, START, END, 365)
    before = ReportLink.objects.count()
    copywriter = login(world.users["copywriter"])
    form = {"from": "2026-11-01", "to": "2026-11-30", "days": 30}
    response = copywriter.post(url("report_links", "alpha"), form)
    assert response.status_code == 403
    link = ReportLink.objects.first()
    assert copywriter.post(url("report_link_revoke", "alpha", link.pk)).status_code == 403
    assert ReportLink.objects.count() == before and not ReportLink.objects.filter(
        revoked_at__isnull=False
    )
    outsider = login(world.users["other_expert"])
    assert outsider.post(url("report_link_revoke", "alpha", link.pk)).status_code == 404


# --- schedules and delivery -------------------------------------------------------------------


def _schedule(world, frequency="weekly", formats=("pdf", "xlsx"), people=("expert", "smm")):
    return report_services.create_schedule(
        world.users["owner"], world.alpha, frequency,
        [world.users[p].pk for p in people], list(formats),
    )  # fmt: skip


NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)  # a Wednesday


def test_periods():
    today = dt.date(2026, 11, 25)
    assert report_services.last_period("weekly", today) == (dt.date(2026, 11, 16),
                                                            dt.date(2026, 11, 22))  # fmt: skip
    assert report_services.last_period("weekly", dt.date(2026, 11, 23)) == (
        dt.date(2026, 11, 16), dt.date(2026, 11, 22))  # fmt: skip
    assert report_services.last_period("monthly", today) == (dt.date(2026, 10, 1),
                                                             dt.date(2026, 10, 31))  # fmt: skip
    assert report_services.last_period("monthly", dt.date(2026, 1, 1)) == (
        dt.date(2025, 12, 1), dt.date(2025, 12, 31))  # fmt: skip


def test_due_reports_are_sent_once_per_recipient(world):
    world.users["expert"].language = "en"
    world.users["expert"].save()
    schedule = _schedule(world)
    assert report_services.send_due(NOW) == 1
    assert len(mail.outbox) == 2
    by_person = {m.to[0]: m for m in mail.outbox}
    english = by_person[world.users["expert"].email]
    assert english.subject == "Альфа-канарейка: report for 16.11.2026 – 22.11.2026"
    russian = by_person[world.users["smm"].email]
    with translation.override("ru"):
        expected = _("%(project)s: report for %(a)s – %(b)s") % {
            "project": "Альфа-канарейка", "a": "16.11.2026", "b": "22.11.2026"}  # fmt: skip
    assert russian.subject == expected
    names = [a[0] for a in english.attachments]
    assert names == ["alpha-report-20261116-20261122.pdf", "alpha-report-20261116-20261122.xlsx"]
    assert english.attachments[0][1].startswith(b"%PDF")
    delivery = ReportDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.schedule) == ("sent", 1, schedule)
    assert ReportSchedule.objects.get().last_period_end == dt.date(2026, 11, 22)
    # again, the same day or later the same week: nothing new
    assert report_services.send_due(NOW) == 0
    assert report_services.send_due(NOW + dt.timedelta(days=3)) == 0
    assert len(mail.outbox) == 2 and ReportDelivery.objects.count() == 1
    # the next week brings the next period
    assert report_services.send_due(NOW + dt.timedelta(days=7)) == 1
    assert len(mail.outbox) == 4


def test_monthly_pdf_only_and_members_only(world):
    _schedule(world, "monthly", formats=["pdf"], people=["owner"])
    # a recipient who has left the project gets nothing
    from zveno.workspaces.models import ProjectMembership

    schedule = _schedule(world, "monthly", formats=["pdf"], people=["copywriter"])
    ProjectMembership.objects.filter(user=world.users["copywriter"]).delete()
    assert report_services.send_due(NOW) == 2
    assert [m.to for m in mail.outbox] == [[world.users["owner"].email]]
    assert [a[0] for a in mail.outbox[0].attachments] == ["alpha-report-20261001-20261031.pdf"]
    assert schedule.deliveries.get().status == "sent"


def test_a_failing_delivery_is_retried_three_times_with_its_error(world, settings):
    _schedule(world)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    for attempt in (1, 2, 3):
        assert report_services.send_due(NOW) == 0
        delivery = ReportDelivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("failed", attempt)
        assert delivery.error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert report_services.send_due(NOW) == 0  # three attempts were the limit
    assert ReportDelivery.objects.get().attempts == 3 and mail.outbox == []


def test_schedules_page(world, login):
    owner = login(world.users["owner"])
    page = owner.get(url("report_schedules", "alpha"))
    assert page.status_code == 200 and "Expert" in page.content.decode()
    form = {"frequency": "monthly", "recipients": [world.users["expert"].pk], "formats": ["xlsx"]}
    response = owner.post(url("report_schedules", "alpha"), form)
    assert response.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert schedule.formats == ["xlsx"] and list(schedule.recipients.all()) == [
        world.users["expert"]
    ]
    # a non-member cannot be a recipient; nothing is saved
    form = {"frequency": "weekly", "recipients": [world.users["outsider"].pk], "formats": ["pdf"]}
    refused = owner.post(url("report_schedules", "alpha"), form)
    assert refused.status_code == 422 and ReportSchedule.objects.count() == 1
    # the copywriter may not manage schedules; another project's expert does not see them
    copywriter = login(world.users["copywriter"])
    assert copywriter.get(url("report_schedules", "alpha")).status_code == 403
    delete = url("report_schedule_delete", "alpha", schedule.pk)
    assert copywriter.post(delete).status_code == 403
    assert login(world.users["other_expert"]).post(delete).status_code == 404
    assert login(world.users["owner"]).post(delete).status_code == 302
    assert not ReportSchedule.objects.exists()


def test_a_claim_left_by_a_dead_worker_is_taken_again_later(world):
    schedule = _schedule(world, people=["owner"])
    delivery = ReportDelivery.objects.create(
        schedule=schedule, period_start=dt.date(2026, 11, 16), period_end=dt.date(2026, 11, 22),
        status="sending", attempts=1, sent_at=NOW - dt.timedelta(minutes=5),
    )  # fmt: skip
    assert report_services.send_due(NOW) == 0 and mail.outbox == []  # another worker is on it
    ReportDelivery.objects.filter(pk=delivery.pk).update(sent_at=NOW - dt.timedelta(hours=1))
    assert report_services.send_due(NOW) == 1 and len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_list_pages_make_a_bounded_number_of_queries(world, login, django_assert_max_num_queries):
    owner = login(world.users["owner"])
    for frequency in ("weekly", "monthly", "weekly"):
        _schedule(world, frequency)
    for _i in range(6):
        report_services.create_link(world.users["owner"], world.alpha, START, END, 7)
    report_services.send_due(NOW)
    with django_assert_max_num_queries(20):
        page = owner.get(url("report_schedules", "alpha"))
    assert page.content.decode().count('action="/p/alpha/analytics/reports/schedules/') == 3
    with django_assert_max_num_queries(20):
        page = owner.get(url("report_links", "alpha"))
    assert page.content.decode().count("/revoke/") == 6
