"""R18: two contact rows of one person become one, with everything that pointed at either."""

import datetime as dt
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bots.merge import contacts_merge, duplicates_merge
from bots.models import Contact, ContactState, Message
from campaigns.models import Recipient
from desk.models import ReplyDirective
from tests.bots.factories import (
    BotFactory,
    ContactFactory,
    ContactStateFactory,
    FlowBlockFactory,
    MessageFactory,
)
from tests.campaigns.factories import CampaignFactory, RecipientFactory
from tests.desk.factories import AttendantFactory, ReplyDirectiveFactory, TicketFactory
from tests.services import require_postgres

NEW, OLD = "+5511987654321", "+551187654321"
S = Recipient.Status


def _person_in_two_rows():
    """One person stored twice, each row with its own history: what R18 found in old data."""
    now = timezone.now()
    bot = BotFactory()
    keep = ContactFactory(bot=bot, phone=NEW, name="Ana Souza", extras={"plano": "ouro"})
    drop = ContactFactory(
        bot=bot, phone=OLD, name="", email="ana@example.com", opted_out=True,
        whatsapp_identity="551187654321@wa.gw.msging.net", extras={"plano": "x", "cidade": "SP"},
    )  # fmt: skip
    for contact in (keep, drop):
        MessageFactory(contact=contact, bot=bot)
    ana = AttendantFactory(bot=bot)
    older = ReplyDirectiveFactory(contact=keep, attendant=ana, sent_at=now - dt.timedelta(hours=2))
    newer = ReplyDirectiveFactory(contact=drop, attendant=ana, sent_at=now - dt.timedelta(hours=1))
    open_ticket = TicketFactory(bot=bot, contact=drop, open=True)
    waiting = TicketFactory(bot=bot, contact=keep)
    ContactStateFactory(contact=keep, block=FlowBlockFactory(bot=bot))
    their_state = ContactStateFactory(contact=drop, block=FlowBlockFactory(bot=bot))
    ContactState.objects.filter(pk=their_state.pk).update(updated_at=now + dt.timedelta(1))
    both = CampaignFactory(bot=bot)
    ours = RecipientFactory(campaign=both, contact=keep, status=S.SENT, sent_at=now)
    theirs = RecipientFactory(
        campaign=both, contact=drop, status=S.REPLIED, sent_at=now, replied_at=now
    )
    Recipient.objects.filter(pk=ours.pk).update(delivered_at=now)
    only_theirs = RecipientFactory(campaign=CampaignFactory(bot=bot), contact=drop)
    return type(
        "Person",
        (),
        {
            "keep": keep, "drop": drop, "older": older, "newer": newer, "open": open_ticket,
            "waiting": waiting, "their_state": their_state, "ours": ours, "theirs": theirs,
            "only_theirs": only_theirs, "now": now,
        },
    )  # fmt: skip


def _assert_merged(p):
    assert list(Contact.objects.values_list("pk", flat=True)) == [p.keep.pk]
    kept = Contact.objects.get()
    assert (kept.phone, kept.name, kept.email, kept.opted_out) == (
        NEW,
        "Ana Souza",
        "ana@example.com",
        True,  # the person asked to opt out on the other row: that wish stands
    )
    assert kept.whatsapp_identity == "551187654321@wa.gw.msging.net"
    assert kept.extras == {"plano": "ouro", "cidade": "SP"}
    assert Message.objects.filter(contact=kept).count() == 2
    # One current directive, the newer send's (R12).
    assert list(ReplyDirective.objects.filter(superseded=False)) == [p.newer]
    assert ReplyDirective.objects.filter(contact=kept).count() == 2
    # One active ticket: the one being attended; the waiting one went into it.
    p.open.refresh_from_db()
    p.waiting.refresh_from_db()
    assert (p.open.contact_id, p.open.status) == (kept.pk, "open")
    assert (p.waiting.status, p.waiting.transferred_to_id) == ("transferred", p.open.pk)
    # One recipient per campaign: the one furthest along, with the other's delivery time.
    assert not Recipient.objects.filter(pk=p.ours.pk).exists()
    theirs = Recipient.objects.get(pk=p.theirs.pk)
    assert (theirs.contact_id, theirs.status, theirs.delivered_at) == (kept.pk, "replied", p.now)
    assert Recipient.objects.get(pk=p.only_theirs.pk).contact_id == kept.pk
    assert ContactState.objects.get().pk == p.their_state.pk  # changed last, so it wins


@pytest.mark.django_db
def test_R18_merge_moves_messages_tickets_directives_recipients_and_state():
    p = _person_in_two_rows()
    assert contacts_merge(keep=p.keep, drop=p.drop) is True
    _assert_merged(p)


@pytest.mark.django_db
def test_R18_merge_is_safe_to_run_twice():
    p = _person_in_two_rows()
    assert contacts_merge(keep=p.keep, drop=p.drop) is True
    assert contacts_merge(keep=p.keep, drop=p.drop) is False
    _assert_merged(p)


@pytest.mark.django_db
def test_R18_merge_refuses_contacts_of_two_bots():
    with pytest.raises(ValueError):
        contacts_merge(keep=ContactFactory(), drop=ContactFactory())


@pytest.mark.django_db
def test_R18_the_sweep_merges_pairs_renames_lone_old_forms_and_then_finds_nothing():
    p = _person_in_two_rows()
    lone = ContactFactory(phone="+552187654321")
    landline = ContactFactory(phone="+551133334444")
    dry = duplicates_merge(dry_run=True)
    assert (dry.merged, dry.renamed) == (1, 1)
    assert Contact.objects.count() == 4  # a dry run changes nothing
    report = duplicates_merge()
    assert (report.merged, report.renamed) == (1, 1)
    lone.refresh_from_db()
    landline.refresh_from_db()
    assert (lone.phone, landline.phone) == ("+5521987654321", "+551133334444")
    assert Contact.objects.filter(pk=p.drop.pk).exists() is False
    again = duplicates_merge()
    assert (again.merged, again.renamed) == (0, 0)


@pytest.mark.django_db
def test_R18_merge_duplicate_contacts_command_reports_and_scopes_to_a_bot():
    p = _person_in_two_rows()
    other = ContactFactory(phone="+552187654321")
    out = io.StringIO()
    call_command("merge_duplicate_contacts", "--bot", p.keep.bot.slug, stdout=out)
    assert "1 duplicate contact(s) were merged; 0 contact(s)" in out.getvalue()
    other.refresh_from_db()
    assert other.phone == "+552187654321"  # another bot: untouched


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_R18_merge_on_postgresql_and_two_merges_racing_merge_once():
    require_postgres()
    p = _person_in_two_rows()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            results.append(contacts_merge(keep=p.keep, drop=p.drop))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [False, True]
    _assert_merged(p)
