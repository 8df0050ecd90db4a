"""R18 at the service level: the one contact of a person, whatever identity form a reply takes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bots.identities import (
    CREATED,
    MATCHED_BY_IDENTITY,
    MATCHED_BY_NINTH_DIGIT,
    MATCHED_BY_PHONE,
    contact_for_inbound,
    contact_record_identity,
)
from bots.models import Contact
from tests.bots.factories import BotFactory, ContactFactory, SubBotFactory

pytestmark = pytest.mark.django_db

NEW, OLD = "+5511987654321", "+551187654321"
OLD_NODE = "551187654321@wa.gw.msging.net"


def test_R18_a_reply_from_the_form_without_the_ninth_digit_finds_the_contact():
    contact = ContactFactory(phone=NEW)
    match = contact_for_inbound(bot=contact.bot, phone=OLD, identity=OLD_NODE)
    assert (match.contact, match.matched_by) == (contact, MATCHED_BY_NINTH_DIGIT)
    assert match.store_identity == OLD_NODE
    assert Contact.objects.count() == 1


def test_R18_a_reply_from_the_nine_digit_form_finds_a_contact_stored_without_it():
    contact = ContactFactory(phone=OLD)
    match = contact_for_inbound(bot=contact.bot, phone=NEW)
    assert (match.contact, match.matched_by) == (contact, MATCHED_BY_NINTH_DIGIT)


def test_R18_the_identity_on_record_wins_whatever_the_phone_says():
    contact = ContactFactory(phone="+5511912345678", whatsapp_identity=OLD_NODE)
    match = contact_for_inbound(bot=contact.bot, phone=OLD, identity=OLD_NODE)
    assert (match.contact, match.matched_by, match.store_identity) == (
        contact,
        MATCHED_BY_IDENTITY,
        "",
    )


def test_R18_the_same_phone_is_a_phone_match():
    contact = ContactFactory(phone=NEW)
    assert contact_for_inbound(bot=contact.bot, phone=NEW).matched_by == MATCHED_BY_PHONE


def test_R18_an_unknown_person_is_created_in_todays_form_with_the_identity():
    bot = BotFactory()
    match = contact_for_inbound(bot=bot, phone=OLD, identity=OLD_NODE, name="Ana")
    assert match.matched_by == CREATED
    contact = Contact.objects.get()
    assert (contact.phone, contact.whatsapp_identity, contact.name) == (NEW, OLD_NODE, "Ana")
    # The next message finds it by its identity.
    again = contact_for_inbound(bot=bot, phone=OLD, identity=OLD_NODE)
    assert (again.contact, again.matched_by) == (contact, MATCHED_BY_IDENTITY)


def test_R18_contacts_belong_to_the_router_not_to_its_sub_bot():
    sub = SubBotFactory()
    contact = ContactFactory(bot=sub.router, phone=NEW)
    assert contact_for_inbound(bot=sub, phone=OLD).contact == contact


@pytest.mark.parametrize(
    ("stored", "incoming"),
    [
        pytest.param("+5511933334444", "+551133334444", id="landline-never-matches-a-mobile"),
        pytest.param("+551133334444", "+5511933334444", id="mobile-never-matches-a-landline"),
        pytest.param("+14155552671", "+1415552671", id="foreign-untouched"),
    ],
)
def test_R18_landlines_and_foreign_numbers_are_never_rewritten(stored, incoming):
    contact = ContactFactory(phone=stored)
    match = contact_for_inbound(bot=contact.bot, phone=incoming)
    assert match.matched_by == CREATED
    assert match.contact != contact and match.contact.phone == incoming


def test_R18_another_bots_contact_is_never_matched():
    other = ContactFactory(phone=NEW, whatsapp_identity=OLD_NODE)
    bot = BotFactory()
    match = contact_for_inbound(bot=bot, phone=OLD, identity=OLD_NODE)
    assert match.matched_by == CREATED and match.contact.bot == bot != other.bot


def test_R18_the_lookup_is_one_query_on_the_indexes():
    contact = ContactFactory(phone=NEW)
    with CaptureQueriesContext(connection) as ctx:
        contact_for_inbound(bot=contact.bot, phone=OLD, identity=OLD_NODE)
    assert len(ctx.captured_queries) == 1


def test_R18_two_existing_rows_of_one_person_are_merged_into_todays_form():
    bot = BotFactory()
    old = ContactFactory(bot=bot, phone=OLD, name="", whatsapp_identity=OLD_NODE)
    new = ContactFactory(bot=bot, phone=NEW, name="Ana Souza")
    match = contact_for_inbound(bot=bot, phone=OLD, identity=OLD_NODE)
    assert match.contact.pk == new.pk and match.merged == (old.pk,)
    assert match.matched_by == MATCHED_BY_IDENTITY
    kept = Contact.objects.get()
    assert (kept.phone, kept.name, kept.whatsapp_identity) == (NEW, "Ana Souza", OLD_NODE)


def test_R18_record_identity_keeps_what_a_send_resolved():
    contact = ContactFactory(phone=NEW)
    assert contact_record_identity(contact=contact, identity="5511987654321@WA.gw.msging.net/x")
    contact.refresh_from_db()
    assert contact.whatsapp_identity == "5511987654321@wa.gw.msging.net"
    assert not contact_record_identity(contact=contact, identity="5511987654321@wa.gw.msging.net")
    assert not contact_record_identity(contact=contact, identity="not an identity")
