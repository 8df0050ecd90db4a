from django import template
from django.utils.text import capfirst

from desk.reasons import render_reason

register = template.Library()


@register.simple_tag
def ticket_reason(ticket) -> str:
    # A sentence of its own in the ticket panel: it starts with a capital.
    return capfirst(
        render_reason(ticket.routing_code, ticket.routing_params, ticket.routing_reason)
    )


@register.simple_tag
def routing_reason(routing) -> str:
    return render_reason(routing.reason_code, routing.reason_params, routing.reason)
