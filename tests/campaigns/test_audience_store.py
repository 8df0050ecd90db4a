"""audience_store on both of its paths: ORM batches, and COPY + set-based SQL (PostgreSQL).

Every behaviour is checked on each path, so the two stay interchangeable.
"""

import pytest
from django.db import IntegrityError, transaction

from bots.models import Contact
from campaigns.audience import AudienceError
from campaigns.audience_store import AudienceMember, audience_store, pg_copy
from campaigns.models import Recipient
from tests.bots.factories import BotFactory, ContactFactory, SubBotFactory
from tests.campaigns.factories import CampaignFactory
from tests.services import require_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["batched", pytest.param("copy", marks=pytest.mark.postgres)])
def path(request, settings):
    """Which of the two paths stores the audience in this test."""
    if request.param == "copy":
        require_postgres()
        settings.AUDIENCE_COPY_MIN_ROWS = 0
    else:
        settings.AUDIENCE_COPY_MIN_ROWS = 10**9
    return request.param


def bulk(bot=None, **fields):
    return CampaignFactory(bulk=True, bot=bot or BotFactory(), **fields)


def members(*phones, **extras):
    return [AudienceMember(p, extras={"nome": f"N{p[-2:]}", **extras}) for p in phones]


def test_R16_new_contacts_and_their_recipients_with_resolved_parameters(path):
    campaign = bulk(parameters={"body": ["nome", "cidade"], "button": "pedido"})
    audience = members("+5511900000001", "+5511900000002", cidade="Rio", pedido="A1")
    counts = audience_store(campaign=campaign, audience=audience)
    assert (counts.size, counts.skipped, counts.opted_out) == (2, 0, 0)
    contact = Contact.objects.get(bot=campaign.bot, phone="+5511900000001")
    assert contact.name == "N01"
    assert contact.extras == {"nome": "N01", "cidade": "Rio", "pedido": "A1"}
    assert (contact.email, contact.opted_out) == ("", False)  # the model's defaults
    assert contact.created_at is not None and contact.updated_at is not None
    recipient = Recipient.objects.get(campaign=campaign, contact=contact)
    assert recipient.parameters == {"body": ["N01", "Rio"], "header": None, "button": "A1"}
    assert (recipient.status, recipient.attempts, recipient.failure_code) == ("pending", 0, "")


def test_individual_parameters_are_the_typed_values(path):
    campaign = CampaignFactory(parameters={"body": ["Ana"]})
    audience_store(campaign=campaign, audience=[AudienceMember("+5511900000001", "Ana")])
    recipient = Recipient.objects.get(campaign=campaign)
    assert recipient.parameters == {"body": ["Ana"], "header": None, "button": None}
    assert recipient.contact.name == "Ana"


def test_existing_contact_takes_the_new_name_and_extras_on_top(path):
    bot = BotFactory()
    old = ContactFactory(bot=bot, phone="+5511900000001", name="Antigo", extras={"x": "1"})
    audience_store(campaign=bulk(bot), audience=members("+5511900000001", cidade="BH"))
    old.refresh_from_db()
    assert old.name == "N01"
    assert old.extras == {"x": "1", "nome": "N01", "cidade": "BH"}
    assert Contact.objects.filter(bot=bot).count() == 1


def test_a_row_without_a_name_keeps_the_contacts_name_and_leaves_it_untouched(path):
    bot = BotFactory()
    old = ContactFactory(bot=bot, phone="+5511900000001", name="Bia", extras={"x": "1"})
    before = old.updated_at
    audience_store(
        campaign=bulk(bot, parameters={"body": ["x"]}),
        audience=[AudienceMember("+5511900000001", extras={"x": "1"})],
    )
    old.refresh_from_db()
    assert (old.name, old.extras) == ("Bia", {"x": "1"})
    assert old.updated_at == before  # nothing changed, nothing written


def test_contacts_of_a_router_campaign_live_on_the_router(path):
    sub = SubBotFactory()
    campaign = bulk(sub.router, routing_bot=sub, flow_block__bot=sub)
    audience_store(campaign=campaign, audience=members("+5511900000001"))
    assert Contact.objects.get(phone="+5511900000001").bot == sub.router


def test_R16_opted_out_left_out_and_counted_bad_rows_counted(path):
    bot = BotFactory()
    ContactFactory(bot=bot, phone="+5511900000001", opted_out=True)
    audience = [
        *members("+5511900000001", "+5511900000002"),
        AudienceError(4, "phone_invalid", {"value": "abc"}),
    ]
    counts = audience_store(campaign=bulk(bot), audience=audience)
    assert (counts.size, counts.skipped, counts.opted_out) == (1, 1, 1)
    assert list(Recipient.objects.values_list("contact__phone", flat=True)) == ["+5511900000002"]


def test_R16_a_repeated_phone_keeps_its_first_row_and_counts_as_skipped(path):
    campaign = bulk()
    audience = [
        AudienceMember("+5511900000001", extras={"nome": "Primeira"}),
        AudienceMember("+5511900000002", extras={"nome": "Bia"}),
        AudienceMember("+5511900000001", extras={"nome": "Segunda"}),
    ]
    counts = audience_store(campaign=campaign, audience=audience)
    assert (counts.size, counts.skipped) == (2, 1)
    recipient = Recipient.objects.get(campaign=campaign, contact__phone="+5511900000001")
    assert recipient.parameters["body"] == ["Primeira"]


def test_run_again_adds_only_the_missing_recipients(path):
    campaign = bulk()
    audience_store(campaign=campaign, audience=members("+5511900000001"))
    counts = audience_store(campaign=campaign, audience=members("+5511900000001", "+5511900000002"))
    assert counts.size == 1
    assert Recipient.objects.filter(campaign=campaign).count() == 2


def test_progress_reports_rows_read_and_can_stop_the_import(path, monkeypatch):
    monkeypatch.setattr(pg_copy, "PROGRESS_EVERY", 2)
    seen = []
    audience = members(*(f"+55119000000{i:02d}" for i in range(1, 6)))
    audience_store(campaign=bulk(), audience=audience, progress=seen.append)
    assert seen[-1] == 5 and seen == sorted(seen)

    class Stop(Exception):
        pass

    def stop(rows):
        raise Stop

    campaign = bulk()
    with pytest.raises(Stop):
        audience_store(campaign=campaign, audience=audience, progress=stop)
    assert not Recipient.objects.filter(campaign=campaign).exists()


def test_failing_midway_stores_nobody(path):
    """A failure after part of the rows were read or written leaves no contact, no recipient."""
    bot = BotFactory()
    campaign = bulk(bot)

    def audience():
        yield from members(*(f"+55119000001{i:02d}" for i in range(50)))
        raise OSError("the file went away")

    with pytest.raises(OSError, match="went away"):
        audience_store(campaign=campaign, audience=audience())
    assert not Contact.objects.filter(bot=bot).exists()
    assert not Recipient.objects.exists()


def test_a_database_refusal_of_the_recipients_rolls_back_the_contacts_written(path, monkeypatch):
    def refuse(*args, **kwargs):
        raise IntegrityError("refused")

    if path == "copy":
        monkeypatch.setattr(pg_copy, "_insert_recipients", refuse)
    else:
        monkeypatch.setattr(Recipient.objects, "bulk_create", refuse)
    bot = BotFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        audience_store(campaign=bulk(bot), audience=members("+5511900000001", "+5511900000002"))
    assert not Contact.objects.filter(bot=bot).exists()
    assert not Recipient.objects.exists()


def test_a_phone_the_database_refuses_stores_nobody(path):
    bot = BotFactory()
    # Not E.164 (the parser never lets one through): the contact constraint refuses it.
    audience = [*members("+5511900000001", "+5511900000002"), AudienceMember("5511900000003")]
    with pytest.raises(IntegrityError), transaction.atomic():
        audience_store(campaign=bulk(bot), audience=audience)
    assert not Contact.objects.filter(bot=bot).exists()
    assert not Recipient.objects.exists()
