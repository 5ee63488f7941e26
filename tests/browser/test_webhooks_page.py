"""An owner adds a webhook for their CRM, copies the secret shown once and sends a test."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot
from tests.conftest import PASSWORD, make_user
from tests.fakes.receiver import Receiver
from zveno.workspaces import services as ws

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_adds_a_webhook_and_sends_a_test(new_page, settings):
    settings.ZVENO_WEBHOOKS_ALLOW_PRIVATE = True  # the CRM listens on this machine
    owner = make_user("anna", name="Анна Смирнова")
    ws.create_workspace(owner, "Агентство «Тест»", slug="agency")
    receiver = Receiver().start()
    try:
        page, console = new_page()
        page.goto("/w/agency/webhooks/")
        page.fill("#id_username", "anna")
        page.fill("#id_password", PASSWORD)
        page.click(".content form button.primary, .public-card form button.primary")
        page.wait_for_url("**/w/agency/webhooks/")
        page.fill("#id_url", receiver.url + "/crm")
        page.fill("#id_description", "amoCRM")
        page.check("input[name=events][value='approval.decided']")
        page.check("input[name=events][value='publication.published']")
        page.click(".content form button.primary")
        page.wait_for_url("**/w/agency/webhooks/*/")
        receiver.secret = page.locator("code.secret").inner_text().strip()
        assert receiver.secret.startswith("whsec_")
        shot(page, "webhooks-01-created")
        page.click("text=Отправить тест")
        page.wait_for_selector("tr[data-status=delivered]")
        assert receiver.accepted and receiver.accepted[0]["event"] == "ping"
        assert page.locator("code.secret").count() == 0  # the secret is not shown again
        shot(page, "webhooks-02-tested")
        assert console.errors == []
    finally:
        receiver.stop()
