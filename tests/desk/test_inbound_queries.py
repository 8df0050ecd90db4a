"""The number of SQL queries of one inbound message is a constant, whatever the data size."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bots.models import Contact
from bots.services import contact_move_to_block
from desk.models import ReplyDirective
from desk.services import directive_create
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory
from tests.desk.factories import (
    AttendanceRuleFactory,
    AttendantFactory,
    RuleConditionFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def _grow(bot, attendant, block, n, start):
    """n more contacts of the bot, each with a directive and a state, inserted in bulk."""
    contacts = Contact.objects.bulk_create(
        Contact(bot=bot, phone=f"+55119{start + i:08d}") for i in range(n)
    )
    now = timezone.now()
    ReplyDirective.objects.bulk_create(
        ReplyDirective(
            contact=c,
            bot=bot,
            attendant=attendant,
            source_label="bulk",
            sent_at=now,
            valid_until=now + timezone.timedelta(hours=24),
        )
        for c in contacts
    )
    for c in contacts[:50]:
        contact_move_to_block(contact=c, bot=bot, block=block)


def _queries(client, bot, phone, envelope_id):
    body = {
        "id": envelope_id,
        "from": f"{phone[1:]}@wa.gw.msging.net",
        "type": "text/plain",
        "content": "quero comprar",
    }
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(
            f"/webhooks/blip/{bot.slug}/messages",
            data=json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Key {bot.webhook_secret}"},
        )
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_query_count_of_one_message_does_not_grow_with_the_data(client):
    bot = BotFactory()
    block = FlowBlockFactory(bot=bot, human=True)
    team = TeamFactory(bot=bot, name="Vendas")
    attendant = AttendantFactory(bot=bot, teams=[team])
    for _ in range(3):
        RuleConditionFactory(rule=AttendanceRuleFactory(bot=bot, team=team), values=["x"])
    # The bot's first ticket creates its number sequence: a one-off, kept out of the count.
    warm = ContactFactory(bot=bot)
    contact_move_to_block(contact=warm, bot=bot, block=block)
    _queries(client, bot, warm.phone, "warm-up")
    counts = []
    for size, start in ((10, 0), (2000, 10)):
        _grow(bot, attendant, block, size, start)
        probe = ContactFactory(bot=bot)
        contact_move_to_block(contact=probe, bot=bot, block=block)
        directive_create(
            contact=probe, bot=bot, sent_at=timezone.now(), source_label="C", attendant=attendant
        )
        first = _queries(client, bot, probe.phone, f"new-{size}")  # opens a directed ticket
        again = _queries(client, bot, probe.phone, f"again-{size}")  # joins it
        counts.append((first, again))
    assert counts[0] == counts[1]
    # Pinned so a new query in the hot path is a deliberate change, not an accident. Both include
    # the SAVEPOINT and RELEASE of the test's own transaction (BEGIN and COMMIT in production).
    # PostgreSQL: the bot, the facts, and one statement for every write (envelope, message,
    # ticket number, ticket or R24 reset, link, routing record). SQLite writes them one by one.
    # Placing the new ticket (R21), live events, Replied and the contact's time run after commit.
    assert counts[0] == ((5, 5) if connection.vendor == "postgresql" else (13, 9))
