"""R20 on the campaigns' side: later sends skip a contact who opted out, saying why."""

import pytest
from django.core.exceptions import ValidationError

from bots.errors import error_codes
from bots.phones import normalize_phone
from campaigns.audience_store import AudienceMember
from campaigns.dispatch import campaign_create
from campaigns.models import Campaign, Recipient
from campaigns.sending import engine
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory
from tests.campaigns.factories import MessageTemplateFactory, bulk_campaign_with_recipients

pytestmark = pytest.mark.django_db


def test_R20_a_contact_who_opts_out_before_the_send_is_skipped_with_the_reason():
    campaign = bulk_campaign_with_recipients(2, status=Campaign.Status.SENDING)
    quitter, stays = campaign.recipients.order_by("pk")
    quitter.contact.opted_out = True
    quitter.contact.save()
    engine.send_recipients(campaign_id=campaign.pk, recipient_ids=[quitter.pk, stays.pk])
    quitter.refresh_from_db()
    stays.refresh_from_db()
    assert (quitter.status, quitter.failure_code) == ("failed", "opted_out")
    assert stays.status == "sent"


def test_R20_an_audience_of_opted_out_contacts_only_is_refused_with_its_code():
    bot = BotFactory()
    ContactFactory(bot=bot, phone="+5511987654321", opted_out=True)
    with pytest.raises(ValidationError) as error:
        campaign_create(
            bot=bot,
            created_by=None,
            name="Ofertas",
            kind=Campaign.Kind.INDIVIDUAL,
            template=MessageTemplateFactory(bot=bot),
            parameters={"body": ["Ana"]},
            routing=Campaign.Routing.FLOW,
            routing_bot=bot,
            flow_block=FlowBlockFactory(bot=bot),
            audience=[AudienceMember(phone=normalize_phone("(11) 8765-4321"))],  # R18: same one
        )
    assert error_codes(error.value) == {"R20_all_opted_out"}
    assert not Campaign.objects.exists() and not Recipient.objects.exists()
