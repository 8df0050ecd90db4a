"""``{% message_content message %}``: one message's content, as every conversation shows it."""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.safestring import mark_safe

from desk.message_content import message_view

register = template.Library()

PARTIAL = "desk/_message_content.html"

# What ``desk/_message_content.html`` renders for a plain text, most messages of a conversation:
# written here, one format per bubble instead of a template render (a context, a dozen nodes).
# tests/desk/test_message_content.py checks it against the partial, which stays the reference.
_TEXT = (
    '<div class="msg-content" data-testid="message-content" data-content="text">\n'
    '\n  <span class="text">{}</span>\n\n</div>\n'
)


@register.simple_tag(takes_context=True)
def message_content(context, message) -> str:
    view = message_view(message)
    if view["kind"] == "text" and context.autoescape:
        return mark_safe(_TEXT.format(linebreaksbr(view["text"])))  # linebreaksbr escaped it
    # As an inclusion tag: the partial once per render, a fresh context for each message.
    partial = context.render_context.get(PARTIAL)
    if partial is None:
        partial = context.render_context[PARTIAL] = context.template.engine.get_template(PARTIAL)
    return partial.render(context.new({"c": view, "message": message}))
