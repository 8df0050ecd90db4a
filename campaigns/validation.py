"""The send-time checks of a campaign (R1, R3–R9), shared by the wizard, admin, API and scheduler.

Every failure is a ``ValidationError`` keyed by the field to fix, with a stable code that names the
rule, so that each caller can point the operator at the right step.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from bots.models import Bot
from campaigns.models import Campaign, MessageTemplate
from campaigns.models.campaign import FALLBACK_MAX_MINUTES
from campaigns.selectors import is_opted_out
from desk.absence import absence_on
from desk.models import Attendant

# Stable error codes: tests, the wizard and the scheduler's failure_code rely on them.
R1_NOT_CONNECTED = "R1_not_connected"
R3_ROUTING_INCOMPLETE = "R3_routing_incomplete"
R4_SUB_BOT_REQUIRED = "R4_sub_bot_required"
R5_ATTENDANT_NOT_IN_TEAM = "R5_attendant_not_in_team"
R6_ATTENDANT_BULK = "R6_attendant_bulk"
R7_DESK_DISABLED = "R7_desk_disabled"
R8_NO_HUMAN_BLOCK = "R8_no_human_block"
R9_ROUTER_CONTEXT_OFF = "R9_router_context_off"
R22_FALLBACK_MINUTES = "R22_fallback_minutes"
R22_FALLBACK_NEEDS_ATTENDANT = "R22_fallback_needs_attendant"
R23_ATTENDANT_ABSENT = "R23_attendant_absent"
R23_SUBSTITUTE_UNAVAILABLE = "R23_substitute_unavailable"
TEMPLATE_NOT_APPROVED = "template_not_approved"
BLOCK_OTHER_BOT = "block_other_bot"
TEAM_OTHER_BOT = "team_other_bot"
TEAM_DESK_DISABLED = "team_desk_disabled"
R16_CONTACT_OPTED_OUT = "R16_contact_opted_out"
SCHEDULE_IN_PAST = "schedule_in_past"
COLUMN_UNKNOWN = "column_unknown"


def _add(errors: dict, field: str, message: str, code: str, **params) -> None:
    errors.setdefault(field, []).append(ValidationError(message, code=code, params=params))


def validate_campaign_for_send(*, campaign: Campaign) -> None:
    """Raise ValidationError({field: [errors]}) unless the campaign may be sent now.

    On success, ``campaign.attendant`` holds who receives the reply: the attendant resolved from
    the e-mail, or their substitute while they are absent (R23, ``campaign.absent_attendant``).
    """
    errors: dict[str, list[ValidationError]] = {}
    bot = campaign.bot
    if not bot.is_connected_to_whatsapp:
        _add(
            errors,
            "bot",
            _("The bot %(bot)s is not connected to WhatsApp: connect its channel first."),
            R1_NOT_CONNECTED,
            bot=bot.name,
        )
    template = campaign.template
    if template.status != MessageTemplate.Status.APPROVED:
        _add(
            errors,
            "template",
            _("The template %(name)s is not approved (status: %(status)s)."),
            TEMPLATE_NOT_APPROVED,
            name=template.name,
            status=template.get_status_display(),
        )
    _check_routing(campaign, errors)
    _check_fallback(campaign, errors)
    if errors:
        raise ValidationError(errors)


def _check_routing(campaign: Campaign, errors: dict) -> None:
    target = campaign.routing_bot
    if campaign.bot.is_router and target.pk == campaign.bot.pk:
        _add(
            errors,
            "routing_bot",
            _("This bot is a router: choose the sub-bot that takes the reply."),
            R4_SUB_BOT_REQUIRED,
        )
        return
    if campaign.routing == Campaign.Routing.FLOW:
        _check_flow(campaign, errors)
    elif campaign.routing == Campaign.Routing.TEAM:
        _check_team(campaign, errors)
    else:
        _check_attendant(campaign, errors)


def _check_flow(campaign: Campaign, errors: dict) -> None:
    block = campaign.flow_block
    if block is None:
        _add(errors, "flow_block", _("Choose the flow block."), R3_ROUTING_INCOMPLETE)
    elif block.bot_id != campaign.routing_bot_id:
        _add(
            errors,
            "flow_block",
            _("The block %(block)s is not in the flow of %(bot)s."),
            BLOCK_OTHER_BOT,
            block=block.name,
            bot=campaign.routing_bot.name,
        )


def _check_team(campaign: Campaign, errors: dict) -> None:
    team, target = campaign.team, campaign.routing_bot
    if not target.desk_enabled:
        _add(
            errors,
            "routing_bot",
            _("Desk is not enabled on %(bot)s: enable it or route to a flow block."),
            TEAM_DESK_DISABLED,
            bot=target.name,
        )
    if team is None:
        _add(errors, "team", _("Choose the Desk team."), R3_ROUTING_INCOMPLETE)
    elif team.bot_id != target.pk:
        _add(
            errors,
            "team",
            _("The team %(team)s is not a Desk team of %(bot)s."),
            TEAM_OTHER_BOT,
            team=team.name,
            bot=target.name,
        )


def _check_attendant(campaign: Campaign, errors: dict) -> None:
    target = campaign.routing_bot
    if campaign.kind == Campaign.Kind.BULK:
        _add(
            errors,
            "routing",
            _(
                "Routing to an attendant is only for individual sends; route a bulk campaign "
                "to a flow block or a Desk team."
            ),
            R6_ATTENDANT_BULK,
        )
    if not target.desk_enabled:
        _add(
            errors,
            "routing_bot",
            _("Desk is not enabled on %(bot)s, so no attendant can take the reply."),
            R7_DESK_DISABLED,
            bot=target.name,
        )
    _check_human_block(campaign, errors)
    if target.is_sub_bot and not target.uses_router_context:
        _add(
            errors,
            "routing_bot",
            _("The sub-bot %(bot)s does not use the router context: turn it on in the router."),
            R9_ROUTER_CONTEXT_OFF,
            bot=target.name,
        )
    _resolve_attendant(campaign, errors)


def _check_human_block(campaign: Campaign, errors: dict) -> None:
    target, block = campaign.routing_bot, campaign.flow_block
    if not target.blocks.filter(kind="human").exists():
        _add(
            errors,
            "flow_block",
            _("%(bot)s has no human-attendance block in its flow."),
            R8_NO_HUMAN_BLOCK,
            bot=target.name,
        )
    elif block is None:
        _add(errors, "flow_block", _("Choose the human-attendance block."), R3_ROUTING_INCOMPLETE)
    elif block.bot_id != target.pk or not block.is_human:
        _add(
            errors,
            "flow_block",
            _("The block %(block)s is not a human-attendance block of %(bot)s."),
            R8_NO_HUMAN_BLOCK,
            block=block.name,
            bot=target.name,
        )


def _resolve_attendant(campaign: Campaign, errors: dict) -> None:
    email = (campaign.attendant_email or "").strip().lower()
    campaign.attendant_email = email
    if not email:
        _add(errors, "attendant_email", _("Enter the attendant's e-mail."), R3_ROUTING_INCOMPLETE)
        return
    attendant = (
        Attendant.objects.filter(
            bot=campaign.routing_bot, email__iexact=email, teams__bot=campaign.routing_bot
        )
        .distinct()
        .first()
    )
    if attendant is None:
        campaign.attendant = None
        _add(
            errors,
            "attendant_email",
            _(
                "No attendant with the e-mail %(email)s is in a Desk team of %(bot)s. "
                "Go back to step 3 and enter an attendant of that bot."
            ),
            R5_ATTENDANT_NOT_IN_TEAM,
            email=email,
            bot=campaign.routing_bot.name,
        )
        return
    campaign.attendant = attendant
    _apply_absence(campaign, attendant, errors)


def send_day(campaign: Campaign):
    """The operator's calendar day the campaign goes out: its scheduled time's, else today."""
    return timezone.localdate(campaign.scheduled_at or timezone.now())


def _in_a_team_of(attendant: Attendant, bot) -> bool:
    return attendant.bot_id == bot.pk and attendant.teams.filter(bot=bot).exists()


def _apply_absence(campaign: Campaign, attendant: Attendant, errors: dict) -> None:
    """R23: an absent attendant's reply goes to their substitute, or the send is refused."""
    campaign.absent_attendant = None
    absence = absence_on(attendant=attendant, day=send_day(campaign))
    if absence is None:
        return
    dates = {
        "email": attendant.email,
        "until": formats.date_format(absence.ends_on, "SHORT_DATE_FORMAT"),
        "back": formats.date_format(absence.returns_on, "SHORT_DATE_FORMAT"),
    }
    substitute = absence.substitute
    if substitute is None:
        _add(
            errors,
            "attendant_email",
            _(
                "%(email)s is absent until %(until)s and back on %(back)s, with no substitute: "
                "choose another attendant, or send after they are back."
            ),
            R23_ATTENDANT_ABSENT,
            **dates,
        )
    elif not _in_a_team_of(substitute, campaign.routing_bot) or absence_on(
        attendant=substitute, day=send_day(campaign)
    ):
        _add(
            errors,
            "attendant_email",
            _(
                "%(email)s is absent until %(until)s and their substitute %(substitute)s cannot "
                "take the reply now: choose another attendant."
            ),
            R23_SUBSTITUTE_UNAVAILABLE,
            substitute=substitute.email,
            **dates,
        )
    else:
        campaign.absent_attendant, campaign.attendant = attendant, substitute


def _check_fallback(campaign: Campaign, errors: dict) -> None:
    """R22: handing the reply to the team needs attendant routing and a wait within 24 h."""
    if campaign.fallback != Campaign.Fallback.TEAM:
        return
    if campaign.routing != Campaign.Routing.ATTENDANT:
        _add(
            errors,
            "fallback",
            _("Only a reply routed to an attendant can be handed over to their team."),
            R22_FALLBACK_NEEDS_ATTENDANT,
        )
    minutes = campaign.fallback_minutes
    if not minutes or not 1 <= minutes <= FALLBACK_MAX_MINUTES:
        _add(
            errors,
            "fallback_minutes",
            _("Enter after how many minutes (1 to %(max)s) the team takes the reply."),
            R22_FALLBACK_MINUTES,
            max=FALLBACK_MAX_MINUTES,
        )


# --- Checks on what an operator or a client typed, before a campaign exists ----------------


def check_contact_reachable(*, bot: Bot, phone: str) -> None:
    """An individual send to a contact who opted out of the bot's campaigns is refused."""
    if is_opted_out(bot=bot, phone=phone):
        raise ValidationError(
            {
                "phone": ValidationError(
                    _("This contact opted out of active messages."), code=R16_CONTACT_OPTED_OUT
                )
            }
        )


def check_schedule(*, scheduled_at: dt.datetime | None) -> None:
    if scheduled_at is not None and scheduled_at <= timezone.now():
        raise ValidationError(
            {
                "scheduled_at": ValidationError(
                    _("The scheduled time must be in the future."), code=SCHEDULE_IN_PAST
                )
            }
        )


def check_bulk_parameters(
    *, template: MessageTemplate, parameters: dict, columns: list[str]
) -> None:
    """A bulk campaign's parameters name audience columns: as many as the template needs."""
    try:
        template.check_parameters(parameters)
    except ValidationError as error:
        raise ValidationError({"parameters": error}) from None
    named = [*parameters.get("body", []), parameters.get("header"), parameters.get("button")]
    unknown = [name for name in named if name and name not in columns]
    if unknown:
        raise ValidationError(
            {
                "parameters": [
                    ValidationError(
                        _("Unknown column %(name)s."), code=COLUMN_UNKNOWN, params={"name": name}
                    )
                    for name in unknown
                ]
            }
        )
