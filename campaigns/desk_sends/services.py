"""Sending an approved template from the Desk to 1–15 contacts (R27), all or nothing.

Each contact gets an individual campaign made by ``individual_send_create`` — the API's path,
through ``campaign_create`` and ``campaigns.validation`` — routed to the sending attendant, so
R1, R5–R9, R16/R20 and R23 refuse a Desk send with the codes they give everywhere (R28) and
R26's messaging tier paces it like any other send. What only the Desk adds is checked here: the
attendant's permission, how many contacts, and the per-contact cap, counted while the contacts'
rows are locked so that two attendants sending to one person at once cannot both pass.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bots.identities import contact_for_inbound
from bots.models import Bot, Contact, FlowBlock
from bots.phones import format_phone
from campaigns import validation
from campaigns.desk_sends.selectors import cap_for, contact_label, is_allowed, recent_send_times
from campaigns.individual import individual_send_create
from campaigns.models import Campaign, DeskSend, MessageTemplate
from desk.models import Attendant

MAX_CONTACTS = 15

R27_NOT_ALLOWED = "R27_not_allowed"
R27_CONTACT_COUNT = "R27_contact_count"
R27_DUPLICATE_CONTACT = "R27_duplicate_contact"
R27_CONTACT_CAP = "R27_contact_cap"


@dataclass(frozen=True)
class DeskSendTarget:
    """One contact of a Desk send: its E.164 phone (or identity) and the template's values."""

    phone: str
    identity: str = ""
    parameters: dict = field(default_factory=dict)
    name: str = ""  # for a contact with no name yet


def desk_send_create(
    *,
    attendant: Attendant,
    template: MessageTemplate,
    targets: list[DeskSendTarget],
    human_block: FlowBlock | None = None,
) -> list[DeskSend]:
    """Send ``template`` to every target as ``attendant``, or refuse it all.

    Refusals that concern one contact (bad values, opted out, cap reached) are collected for
    every contact and raised together under ``contacts``, each with the contact's ``index``;
    any other refusal is the campaign rules' own error, raised as it is.
    """
    _check_allowed(attendant)
    check_count(targets)
    with transaction.atomic():
        contacts = _contacts_locked(bot=attendant.bot.top_level, targets=targets)
        _check_contacts(template=template, targets=targets, contacts=contacts)
        block = human_block or default_human_block(bot=attendant.bot)
        return [
            _send_one(
                attendant=attendant, template=template, target=t, contact=c, human_block=block
            )
            for t, c in zip(targets, contacts, strict=True)
        ]


def default_human_block(*, bot: Bot) -> FlowBlock | None:
    """The human-attendance block a Desk send's reply enters: the attendant's bot's first."""
    return bot.blocks.filter(kind=FlowBlock.Kind.HUMAN).order_by("pk").first()


def _check_allowed(attendant: Attendant) -> None:
    if not is_allowed(attendant=attendant):
        raise ValidationError(
            _("You are not allowed to send active messages from the Desk: ask your bot's admin."),
            code=R27_NOT_ALLOWED,
        )


def check_count(targets: list[DeskSendTarget]) -> None:
    if not 1 <= len(targets) <= MAX_CONTACTS:
        raise ValidationError(
            {
                "contacts": ValidationError(
                    _("Choose from 1 to %(max)d contacts (you chose %(count)d)."),
                    code=R27_CONTACT_COUNT,
                    params={"max": MAX_CONTACTS, "count": len(targets)},
                )
            }
        )


def _contacts_locked(*, bot: Bot, targets: list[DeskSendTarget]) -> list[Contact]:
    """Each target's contact (found as a reply would find it, R18, or created), locked.

    The rows are locked in id order, so two sends sharing contacts wait for each other instead
    of deadlocking; the second then counts the first's messages (R27's cap).
    """
    found = [
        contact_for_inbound(bot=bot, phone=t.phone, identity=t.identity, name=t.name).contact
        for t in targets
    ]
    ids = sorted({c.pk for c in found})
    rows = Contact.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    locked = {c.pk: c for c in rows}
    return [locked[c.pk] for c in found]


def _check_contacts(
    *, template: MessageTemplate, targets: list[DeskSendTarget], contacts: list[Contact]
) -> None:
    cap = cap_for(bot=contacts[0].bot)
    now = timezone.now()
    errors: list[ValidationError] = []
    seen: set[int] = set()
    for index, (target, contact) in enumerate(zip(targets, contacts, strict=True)):
        for error in _contact_errors(template, target, contact, cap=cap, now=now, seen=seen):
            errors.append(for_contact(error, contact=contact, index=index))
        seen.add(contact.pk)
    if errors:
        raise ValidationError({"contacts": errors})


def _contact_errors(template, target, contact, *, cap, now, seen) -> list[ValidationError]:
    if contact.pk in seen:
        return [
            ValidationError(_("This contact is on the list twice."), code=R27_DUPLICATE_CONTACT)
        ]
    errors = []
    try:
        template.check_parameters(target.parameters)
    except ValidationError as error:
        errors.extend(error.error_list)
    try:
        validation.check_contact_reachable(bot=contact.bot, phone=contact.phone)
    except ValidationError as error:
        errors.extend(error.error_dict["phone"])
    over_cap = cap_error(contact, cap=cap, now=now)
    if over_cap is not None:
        errors.append(over_cap)
    return errors


def cap_error(contact: Contact, *, cap, now: dt.datetime) -> ValidationError | None:
    """R27: the contact already got ``cap.count`` Desk messages in the last ``cap.hours``."""
    window = dt.timedelta(hours=cap.hours)
    times = recent_send_times(contact=contact, since=now - window)
    if len(times) < cap.count:
        return None
    # The oldest messages leave the window first: the next send is allowed once enough have.
    next_at = times[len(times) - cap.count] + window
    message = ngettext(
        "already received %(count)d active message from the Desk in the last %(hours)d hours "
        "(at most %(cap)d): the next one can be sent from %(next)s.",
        "already received %(count)d active messages from the Desk in the last %(hours)d hours "
        "(at most %(cap)d): the next one can be sent from %(next)s.",
        len(times),
    )
    params = {
        "count": len(times),
        "hours": cap.hours,
        "cap": cap.count,
        "next": formats.date_format(timezone.localtime(next_at), "SHORT_DATETIME_FORMAT"),
        "next_at": next_at.isoformat(),
    }
    return ValidationError(message, code=R27_CONTACT_CAP, params=params)


def for_contact(error: ValidationError, *, contact: Contact, index: int) -> ValidationError:
    """``error`` as a sentence naming the contact, keeping its code and params (and the index)."""
    text = error.message % error.params if error.params else error.message
    params = {**(error.params or {}), "index": index, "contact": contact_label(contact)}
    sentence = _("%(contact)s: %(problem)s") % {"contact": params["contact"], "problem": text}
    # The sentence is final; ValidationError formats it with params again, so keep its % signs.
    return ValidationError(
        sentence.replace("%", "%%"),
        code=error.code,
        params=params,
    )


def _send_one(
    *,
    attendant: Attendant,
    template: MessageTemplate,
    target: DeskSendTarget,
    contact: Contact,
    human_block: FlowBlock | None,
) -> DeskSend:
    name = _("Desk · %(attendant)s → %(contact)s") % {
        "attendant": attendant.name or attendant.email,
        "contact": contact.name or format_phone(contact.phone),
    }
    campaign = individual_send_create(
        phone=contact.phone,
        identity=target.identity,
        bot=contact.bot,
        created_by=attendant.user,
        name=name[:200],
        kind=Campaign.Kind.INDIVIDUAL,
        template=template,
        parameters=target.parameters,
        routing=Campaign.Routing.ATTENDANT,
        routing_bot=attendant.bot,
        flow_block=human_block,
        attendant_email=attendant.email,
    )
    return DeskSend.objects.create(attendant=attendant, contact=contact, campaign=campaign)
