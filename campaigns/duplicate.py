"""Duplicate a campaign: the wizard's answers of an earlier campaign, as each step's initial data.

The template and the reply routing come along, and the contact for an individual send; a bulk
audience is chosen again (its CSV belongs to the earlier campaign). Each step still validates
what it gets, so a template no longer approved or an attendant who left is caught as usual.
"""

from django.utils.translation import gettext as _

from bots.access import scope
from campaigns.models import Campaign, MessageTemplate


def duplicate_source(*, user, bot, campaign_id, roles) -> Campaign | None:
    """The campaign to copy, if the user may see it and it belongs to ``bot``."""
    if not str(campaign_id or "").isdigit():
        return None
    qs = scope(Campaign.objects.select_related("template", "routing_bot"), user, roles=roles)
    return qs.filter(pk=int(campaign_id), bot=bot).first()


def wizard_initial(campaign: Campaign) -> dict[str, dict]:
    """Initial data of each wizard step (formtools' ``get_form_initial``), by step name."""
    return {
        "audience": _audience(campaign),
        "content": _content(campaign),
        "routing": _routing(campaign),
    }


def _audience(campaign: Campaign) -> dict:
    initial = {"name": _("%(name)s (copy)") % {"name": campaign.name}, "kind": campaign.kind}
    if campaign.kind == Campaign.Kind.INDIVIDUAL:
        recipient = campaign.recipients.select_related("contact").order_by("id").first()
        if recipient is not None:
            initial["phone"] = recipient.contact.phone
            initial["contact_name"] = recipient.contact.name
    return initial


def _content(campaign: Campaign) -> dict:
    template = campaign.template
    if template.status != MessageTemplate.Status.APPROVED:
        return {}  # step 2 asks for another template
    params = campaign.parameters or {}
    initial: dict = {"template": template.pk}
    for number, value in enumerate(params.get("body") or [], start=1):
        initial[f"var_{number}"] = value
    bulk = campaign.kind == Campaign.Kind.BULK
    if params.get("header"):
        initial["header_column" if bulk else "header_url"] = params["header"]
    if params.get("button"):
        initial["button_column" if bulk else "button_value"] = params["button"]
    return initial


def _routing(campaign: Campaign) -> dict:
    initial: dict = {"routing": campaign.routing, "routing_bot": campaign.routing_bot_id}
    if campaign.routing == Campaign.Routing.FLOW:
        initial["flow_block"] = campaign.flow_block_id
    elif campaign.routing == Campaign.Routing.TEAM:
        initial["team"] = campaign.team_id
    else:
        initial["human_block"] = campaign.flow_block_id
        initial["attendant_email"] = campaign.attendant_email
    return initial
