"""Sends through the API: the request's plain values handed to the wizard's own services.

Nothing here decides whether a send is valid: phones go through ``bots.phones``, bulk rows
through the audience CSV parser, the send-time rules through ``campaigns.validation`` and
``campaign_new`` / ``campaign_create`` (R1, R3–R9, R15…). This module only finds the rows the
request names (template, sub-bot, block, team) within the key's bot.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from api.models import ApiKey
from bots.models import Bot, FlowBlock
from campaigns import individual, validation
from campaigns.audience import AudienceError, AudienceFileError, AudienceParser, scan_audience
from campaigns.audience_store import AudienceMember
from campaigns.dispatch import campaign_create
from campaigns.forms import AUDIENCE_MESSAGES, BAD_ROWS_NOT_SKIPPED, NO_VALID_ROWS
from campaigns.importing import campaign_create_importing
from campaigns.individual import individual_send_create
from campaigns.models import Campaign, MessageTemplate
from campaigns.selectors import opted_out_phones
from campaigns.wizard import inline_max_rows
from desk.models import Attendant, Team

TEMPLATE_NOT_FOUND = "template_not_found"
TEMPLATE_AMBIGUOUS = "template_language_required"
ROUTING_BOT_OTHER = "routing_bot_other"
BLOCK_NOT_FOUND = "block_not_found"
TEAM_NOT_FOUND = "team_not_found"
R14_ATTENDANT_NOT_ONLINE = "R14_attendant_not_online"
PHONE_COLUMN = "phone"
ROW_ERRORS_SHOWN = 200


def _invalid(field_name: str, message: str, code: str, **params) -> ValidationError:
    return ValidationError({field_name: ValidationError(message, code=code, params=params)})


def template_find(*, bot: Bot, name: str, language: str = "") -> MessageTemplate:
    """The bot's template by name (and language); another bot's template is not found."""
    found = list(MessageTemplate.objects.filter(bot=bot, name=name.strip()))
    if language:
        found = [t for t in found if t.language.lower() == language.strip().lower()]
    if not found:
        raise _invalid(
            "template", _("No template %(name)s on this bot."), TEMPLATE_NOT_FOUND, name=name
        )
    if len(found) > 1:
        raise _invalid(
            "language",
            _("The template %(name)s exists in several languages: say which one."),
            TEMPLATE_AMBIGUOUS,
            name=name,
        )
    return found[0]


def routing_resolve(*, bot: Bot, routing: dict) -> dict:
    """``campaign_new``'s routing fields from the request's names (slug, block id, team name).

    A name that matches nothing of the key's bot is refused here; a row of the wrong (sub-)bot
    is passed on, and campaigns.validation refuses it with the wizard's code.
    """
    kind = routing["type"]
    target = _routing_bot(bot=bot, slug=routing.get("bot") or "")
    family = [bot.pk, *bot.sub_bots.values_list("pk", flat=True)]
    block_id = (routing.get("flow_block") or "").strip()
    team_name = (routing.get("team") or "").strip()
    block = team = None
    if block_id and kind != Campaign.Routing.TEAM:
        block = _in_family(FlowBlock, family, target, block_id=block_id)
        if block is None:
            raise _invalid(
                "routing.flow_block",
                _("No block %(block)s in this bot's flow."),
                BLOCK_NOT_FOUND,
                block=block_id,
            )
    if team_name and kind == Campaign.Routing.TEAM:
        team = _in_family(Team, family, target, name__iexact=team_name)
        if team is None:
            raise _invalid(
                "routing.team", _("No Desk team %(team)s."), TEAM_NOT_FOUND, team=team_name
            )
    email = routing.get("attendant_email") or ""
    minutes = routing.get("fallback_minutes")
    return {
        "routing": kind,
        "routing_bot": target,
        "flow_block": block,
        "team": team,
        "attendant_email": email if kind == Campaign.Routing.ATTENDANT else "",
        # R22: minutes given means "hand it to the team"; the validation checks them.
        "fallback": Campaign.Fallback.WAIT if minutes is None else Campaign.Fallback.TEAM,
        "fallback_minutes": minutes,
    }


def _routing_bot(*, bot: Bot, slug: str) -> Bot:
    if not slug or slug == bot.slug:
        return bot
    target = Bot.objects.filter(slug=slug, router=bot).first()
    if target is None:
        raise _invalid(
            "routing.bot",
            _("%(slug)s is not a sub-bot of %(bot)s."),
            ROUTING_BOT_OTHER,
            slug=slug,
            bot=bot.name,
        )
    return target


def _in_family(model, family: list[int], target: Bot, **lookup):
    """The target's own row first; else one of a sibling sub-bot (validation names the rule)."""
    rows = list(model.objects.filter(bot_id__in=family, **lookup))
    return next((r for r in rows if r.bot_id == target.pk), rows[0] if rows else None)


def _common(*, key: ApiKey, data: dict, kind: str) -> dict:
    bot = key.bot
    scheduled_at: datetime | None = data.get("scheduled_at")
    validation.check_schedule(scheduled_at=scheduled_at)
    template = template_find(bot=bot, name=data["template"], language=data.get("language", ""))
    params = data.get("parameters") or {}
    return {
        "bot": bot,
        "created_by": key.created_by,
        "kind": kind,
        "template": template,
        "parameters": {
            "body": list(params.get("body") or []),
            "header": params.get("header") or None,
            "button": params.get("button") or None,
        },
        "scheduled_at": scheduled_at,
        **routing_resolve(bot=bot, routing=data["routing"]),
    }


@transaction.atomic
def message_send(*, key: ApiKey, data: dict) -> Campaign:
    """One active message to one contact: an individual campaign, sent now or scheduled.

    The contact is named by phone or by WhatsApp identity (R18).
    """
    phone, identity = recipient_address(data)
    fields = _common(key=key, data=data, kind=Campaign.Kind.INDIVIDUAL)
    fields["name"] = data.get("name") or _("API: %(template)s to %(phone)s") % {
        "template": fields["template"].name,
        "phone": phone,
    }
    return individual_send_create(
        phone=phone, identity=identity, contact_name=data.get("contact_name") or "", **fields
    )


def recipient_address(data: dict) -> tuple[str, str]:
    """(E.164 phone, WhatsApp identity or "") of an individual send."""
    return individual.recipient_address(
        phone=data.get("phone") or "", identity=data.get("identity") or ""
    )


@dataclass
class BulkResult:
    campaign: Campaign
    skipped: list[dict] = field(default_factory=list)


def bulk_create(*, key: ApiKey, data: dict) -> BulkResult:
    """A bulk campaign from rows checked exactly as the lines of an audience CSV (R16)."""
    fields = _common(key=key, data=data, kind=Campaign.Kind.BULK)
    fields["name"] = data["name"]
    content = rows_to_csv(data["rows"])
    try:
        scan = scan_audience(
            io.BytesIO(content), opted_out=opted_out_phones(bot=key.bot), max_errors=None
        )
    except AudienceFileError as exc:
        message = AUDIENCE_MESSAGES.get(exc.code, exc.code) % exc.params
        raise _invalid("rows", message, exc.code, **exc.params) from None
    validation.check_bulk_parameters(
        template=fields["template"], parameters=fields["parameters"], columns=scan["columns"]
    )
    errors = [row_error(e) for e in scan["errors"]]
    _check_rows(scan=scan, errors=errors, skip=data.get("skip_invalid_rows", False))
    if scan["total_rows"] > inline_max_rows():
        campaign = campaign_create_importing(
            **fields, audience_file=File(io.BytesIO(content)), rows_total=scan["total_rows"]
        )
    else:
        parser = AudienceParser(io.BytesIO(content))
        members = (
            item if isinstance(item, AudienceError) else AudienceMember(item.phone, "", item.extras)
            for item in parser
        )
        campaign = campaign_create(**fields, audience=members)
    return BulkResult(campaign=campaign, skipped=errors[:ROW_ERRORS_SHOWN])


def _check_rows(*, scan: dict, errors: list[dict], skip: bool) -> None:
    if scan["valid_rows"] - scan["opted_out"] <= 0:
        raise ValidationError(
            {
                "rows": [
                    ValidationError(_("No row can be sent to."), code=NO_VALID_ROWS),
                    *_row_validation_errors(errors),
                ]
            }
        )
    if errors and not skip:
        message = _(
            "%(count)d rows have errors: fix them, or send skip_invalid_rows=true to leave "
            "them out."
        ) % {"count": len(errors)}
        raise ValidationError(
            {
                "rows": [
                    ValidationError(message, code=BAD_ROWS_NOT_SKIPPED),
                    *_row_validation_errors(errors[:ROW_ERRORS_SHOWN]),
                ]
            }
        )


def _row_validation_errors(errors: list[dict]) -> list[ValidationError]:
    return [
        ValidationError(e["message"], code=e["code"], params={"index": e["index"]}) for e in errors
    ]


def rows_to_csv(rows: list[dict]) -> bytes:
    """The rows as the audience CSV they stand for: phone first, then every column seen."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update({name: None for name in row if name != PHONE_COLUMN})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([PHONE_COLUMN, *columns])
    for row in rows:
        writer.writerow([row.get(PHONE_COLUMN, ""), *(row.get(c, "") for c in columns)])
    return buffer.getvalue().encode()


def row_error(error: dict) -> dict:
    """A parser error (by CSV line) as the API's row error (by index in ``rows``)."""
    params = error["params"]
    if error["code"] == "duplicate_phone":
        message = _("%(phone)s already appears in row %(index)s.") % {
            "phone": params["phone"],
            "index": params["first_line"] - 2,
        }
    else:
        message = AUDIENCE_MESSAGES.get(error["code"], error["code"]) % params
    return {"index": error["line"] - 2, "code": error["code"], "message": str(message)}


def attendant_warnings(*, campaign: Campaign) -> list[dict]:
    """R14: a campaign routed to an attendant who is not Online right now (a warning only)."""
    attendant = campaign.attendant
    if campaign.routing != Campaign.Routing.ATTENDANT or attendant is None:
        return []
    if attendant.status == Attendant.Status.ONLINE:
        return []
    message = _("%(email)s is %(status)s right now, not Online: the reply will wait for them.") % {
        "email": attendant.email,
        "status": attendant.get_status_display(),
    }
    return [{"code": R14_ATTENDANT_NOT_ONLINE, "message": message, "field": "routing"}]
