"""``{% message_content message %}``: one message's content, as every conversation shows it."""

from django import template

from desk.message_content import message_view

register = template.Library()


@register.inclusion_tag("desk/_message_content.html")
def message_content(message) -> dict:
    return {"c": message_view(message), "message": message}
