"""In the admin, as an operator clicks it: a Draft sent after its confirmation page, and an
opted-out contact opted back in after its own (issue 8, items 4 and 6)."""

from django.contrib.auth import get_user_model
from django.utils import timezone

from bots.models import Bot, Contact
from campaigns.drafts import campaign_draft_set_contact
from campaigns.models import Campaign, MessageTemplate
from campaigns.services import campaign_new
from tests.browser.conftest import DESKTOP, PHONE, screenshot


def _shoot(page, name):
    screenshot(page, f"{name}-1280")
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-390")
    page.set_viewport_size(DESKTOP)


def _run_action(page, action):
    page.select_option("select[name=action]", action)
    page.click("button[name=index], .actions button[type=submit]")


def test_a_draft_is_sent_from_the_admin_after_its_confirmation(page, demo, login):
    loja = Bot.objects.get(slug="loja")
    campaign = campaign_new(
        bot=loja,
        created_by=get_user_model().objects.get(username="operador"),
        name="Novidades da loja",
        kind=Campaign.Kind.INDIVIDUAL,
        template=MessageTemplate.objects.get(bot=loja, name="boas_vindas"),
        parameters={"body": []},
        routing=Campaign.Routing.FLOW,
        routing_bot=loja,
        flow_block=loja.blocks.filter(kind="standard").first(),
    )
    campaign.save()
    campaign_draft_set_contact(campaign=campaign, phone="+5511987654321", name="Fulana")
    login("operador", "demo", "/admin/campaigns/campaign/")
    page.check(f"input[name=_selected_action][value='{campaign.pk}']")
    _run_action(page, "send_or_schedule")
    page.wait_for_selector("#send-confirmation")
    assert "Fulana" not in page.inner_text("#send-confirmation")  # the count, not the people
    assert "1 destinatário" in page.inner_text(f"tr[data-campaign='{campaign.pk}']")
    _shoot(page, "admin-send-confirmation")
    page.click("#confirm-send")
    page.wait_for_selector(".messagelist .success")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    _shoot(page, "admin-send-done")


def test_an_opted_out_contact_is_opted_back_in_after_the_confirmation(page, demo, login):
    contact = Contact.objects.create(
        bot=Bot.objects.get(slug="loja"),
        phone="+5521987654321",
        name="Carla Dias",
        opted_out=True,
        opted_out_at=timezone.now(),
        opt_out_source="keyword",
    )
    login("operador", "demo", "/admin/bots/contact/?opted_out__exact=1")
    page.check(f"input[name=_selected_action][value='{contact.pk}']")
    _run_action(page, "opt_back_in")
    page.wait_for_selector("#opt-in-warning")
    assert "Carla Dias" in page.inner_text("#opt-in-contacts")
    _shoot(page, "admin-opt-in-confirmation")
    page.click("#confirm-opt-in")
    page.wait_for_selector(".messagelist .success")
    contact.refresh_from_db()
    assert not contact.opted_out
