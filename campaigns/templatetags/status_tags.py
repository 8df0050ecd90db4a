"""A campaign's and a recipient's status badges, built in Python for the tables.

They were {% include %}d once per row: on the report and the campaign's page (fifty recipients)
and on the list (twenty-five campaigns) an include cost more than the rest of its row. Same
HTML as the partials they replace, same msgids.
"""

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from bots.labels import label_of
from campaigns.models import Campaign, Recipient
from campaigns.sending.slots import slot_time

register = template.Library()

CS, RS = Campaign.Status, Recipient.Status
BADGE_CLASS = {
    CS.SENT: "ok",
    CS.FAILED: "bad",
    CS.CANCELED: "bad",
    CS.SENT_WITH_FAILURES: "warn",
    CS.SCHEDULED: "warn",
}


@register.simple_tag
def campaign_status(campaign) -> str:
    return format_html(
        '<span class="status-badge {}" data-testid="campaign-status" data-status="{}">{}</span>',
        BADGE_CLASS.get(campaign.status, ""),
        campaign.status,
        label_of(CS, campaign.status),
    )


def short_datetime(value) -> str:
    """What ``|date:"SHORT_DATETIME_FORMAT"`` prints: the local time, or nothing."""
    if value is None:
        return ""
    return formats.date_format(timezone.template_localtime(value), "SHORT_DATETIME_FORMAT")


@register.simple_tag
def recipient_status(recipient) -> str:
    """The status; a reply says it was delivered and read (when), a deferred send until when."""
    if recipient.status == RS.REPLIED:
        title = (
            f"{_('Delivered')} {short_datetime(recipient.delivered_at)} · "
            f"{_('Read')} {short_datetime(recipient.read_at)}"
        )
        detail = format_html(
            ' <span class="muted small recipient-proof" data-testid="replied-proof"'
            ' title="{}">· {}</span>',
            title,
            _("delivered and read"),
        )
    elif recipient.status == RS.PENDING and recipient.deferred_until:
        detail = format_html(
            ' <span class="muted small recipient-deferred" data-testid="deferred-until"'
            ' title="{}">· {}</span>',
            _(
                "WhatsApp's messaging limit for this number was reached; it goes out on its own"
                " when the 24-hour window frees."
            ),
            _("deferred until %(when)s") % {"when": slot_time(recipient.deferred_until)},
        )
    else:
        detail = ""
    return format_html(
        '<span class="recipient-status">{}{}</span>', label_of(RS, recipient.status), detail
    )
