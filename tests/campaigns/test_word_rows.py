"""The recipients tables' words, worked out per row in Python (reporting/recipients.py)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from bots.models import Contact
from bots.phones import format_phone
from campaigns.models import Campaign, Recipient
from campaigns.reporting.outcomes import OUTCOME_LABELS
from campaigns.reporting.recipients import word_rows
from campaigns.templatetags.status_tags import short_datetime


def recipient(pk, **fields) -> Recipient:
    row = Recipient(pk=pk, contact=Contact(phone="+5511987654321"), **fields)
    row.outcome, row.ticket_number = "", None
    return row


def test_report_rows_link_the_reply_with_its_ticket_or_the_conversation():
    at = timezone.now()
    campaign = Campaign(pk=7)
    with_ticket, plain, silent = (
        recipient(1, replied_at=at),
        recipient(2, replied_at=at),
        recipient(3),
    )
    with_ticket.ticket_number, with_ticket.outcome = 42, next(iter(OUTCOME_LABELS))
    with override("en"):
        rows = word_rows([with_ticket, plain, silent], campaign=campaign)
        assert rows[0].reply_text == f"{short_datetime(at)} · ticket #42"
        assert rows[1].reply_text == f"{short_datetime(at)} · conversation"
    assert rows[0].conversation_url == reverse(
        "campaigns:recipient_conversation", args=[campaign.pk, 1]
    )
    assert rows[0].outcome_label == OUTCOME_LABELS[with_ticket.outcome]
    assert not hasattr(rows[2], "reply_text") and rows[2].outcome_label == ""
    assert rows[2].phone_text == format_phone("+5511987654321") and rows[2].sent_text == "—"


def test_detail_rows_get_the_phone_and_when_sent_only():
    at = timezone.now()
    (row,) = word_rows([recipient(1, sent_at=at)])
    assert (row.phone_text, row.sent_text) == (format_phone("+5511987654321"), short_datetime(at))
    assert not hasattr(row, "outcome_label")
