"""label_of prints what get_FOO_display() prints, for the rows that show many labels."""

import pytest
from django.utils.translation import override

from bots.labels import label_of
from campaigns.models import Campaign, Recipient
from desk.models import Attendant


@pytest.mark.parametrize(
    ("instance", "field", "choices"),
    [
        (Campaign(status="sent_with_failures"), "status", Campaign.Status),
        (Campaign(routing="attendant"), "routing", Campaign.Routing),
        (Recipient(status="replied"), "status", Recipient.Status),
        (Attendant(status="pause"), "status", Attendant.Status),
    ],
)
@pytest.mark.parametrize("language", ["en", "pt-br"])
def test_same_label_as_get_display(instance, field, choices, language):
    with override(language):
        expected = getattr(instance, f"get_{field}_display")()
        assert label_of(choices, getattr(instance, field)) == expected


def test_an_unknown_value_is_printed_as_is():
    assert label_of(Campaign.Status, "bogus") == Campaign(status="bogus").get_status_display()
