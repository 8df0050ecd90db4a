from django import template
from django.utils import formats

from campaigns.sending.progress import campaign_progress as progress_of
from campaigns.sending.slots import slot_time

register = template.Library()


@register.simple_tag
def campaign_progress(campaign, counted=None) -> dict:
    """The live panel's figures; ``counted`` (a page's ``Tally``) spares counting again."""
    if counted is None:
        return progress_of(campaign=campaign)
    return progress_of(campaign=campaign, by_status=counted.by_status, failures=counted.failures)


register.filter("slot_time", slot_time)


@register.filter
def grouped(number) -> str:
    """A count with thousands grouped as the reader's language writes them (10.000 / 10,000)."""
    return formats.number_format(number, force_grouping=True)
