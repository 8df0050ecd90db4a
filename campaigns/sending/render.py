"""What one recipient receives: the template's components and its rendered body."""

from bots.gateway.blip import BlipClient
from campaigns.models import VARIABLE_RE, MessageTemplate


def components_for(template: MessageTemplate, parameters: dict) -> list[dict]:
    """WhatsApp components of ``template`` filled with a recipient's resolved parameters.

    ValueError when a value is missing or empty (the gateway would send "None" otherwise).
    """
    header = None
    if template.has_media_header:
        header = {"type": template.header_type, "link": parameters.get("header")}
    body = list(parameters.get("body") or [])
    if len(body) != template.variable_count:
        raise ValueError(
            f"template {template.name} takes {template.variable_count} values, got {len(body)}"
        )
    buttons = []
    if template.url_button_index is not None:
        buttons.append((template.url_button_index, parameters.get("button")))
    return BlipClient.build_components(header, [str(v) for v in body], buttons)


def render_body(template: MessageTemplate, parameters: dict) -> str:
    values = list(parameters.get("body") or [])

    def value(match) -> str:
        index = int(match.group(1)) - 1
        return str(values[index]) if 0 <= index < len(values) else match.group(0)

    return VARIABLE_RE.sub(value, template.body)
