from django import template
from django.utils import formats

from campaigns.sending.progress import campaign_progress as progress_of
from campaigns.sending.slots import slot_time

register = template.Library()


@register.simple_tag
def campaign_progress(campaign) -> dict:
    return progress_of(campaign=campaign)


register.filter("slot_time", slot_time)


@register.filter
def grouped(number) -> str:
    """A count with thousands grouped as the reader's language writes them (10.000 / 10,000)."""
    return formats.number_format(number, force_grouping=True)
