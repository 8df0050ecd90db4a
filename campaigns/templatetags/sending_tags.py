from django import template

from campaigns.sending.progress import campaign_progress as progress_of

register = template.Library()


@register.simple_tag
def campaign_progress(campaign) -> dict:
    return progress_of(campaign=campaign)
