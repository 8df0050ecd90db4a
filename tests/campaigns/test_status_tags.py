"""The status badges the tables build in Python (status_tags), as the partials printed them."""

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.translation import override

from campaigns.models import Campaign, Recipient
from campaigns.templatetags.status_tags import campaign_status, recipient_status, short_datetime

CS, RS = Campaign.Status, Recipient.Status


@pytest.mark.parametrize(
    ("status", "badge"),
    [(CS.SENT, "ok"), (CS.CANCELED, "bad"), (CS.SCHEDULED, "warn"), (CS.DRAFT, "")],
)
def test_campaign_badge_class_per_status(status, badge):
    html = campaign_status(Campaign(status=status))
    assert html.startswith(f'<span class="status-badge {badge}" data-testid="campaign-status"')
    assert f'data-status="{status}">' in html


def test_a_reply_says_when_it_was_delivered_and_read():
    at = timezone.now() - dt.timedelta(hours=1)
    with override("en"):
        html = recipient_status(Recipient(status=RS.REPLIED, delivered_at=at, read_at=at))
        assert f'title="Delivered {short_datetime(at)} · Read {short_datetime(at)}"' in html
    assert 'data-testid="replied-proof"' in html


def test_a_deferred_send_says_until_when_escaped():
    later = timezone.now() + dt.timedelta(hours=3)
    with override("en"):
        html = recipient_status(Recipient(status=RS.PENDING, deferred_until=later))
    assert 'data-testid="deferred-until"' in html and "WhatsApp&#x27;s messaging limit" in html
    assert "deferred until" in html


def test_a_plain_status_is_just_its_label():
    with override("en"):
        assert recipient_status(Recipient(status=RS.FAILED)) == (
            '<span class="recipient-status">Failed</span>'
        )
