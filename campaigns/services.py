"""Writes on templates and campaigns. Status moves go through compare-and-set updates."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bots.models import Bot, Contact, FlowBlock
from campaigns import validation
from campaigns.audience import AudienceError
from campaigns.models import Campaign, CampaignStatus, MessageTemplate, Recipient
from desk.models import Team

AUDIENCE_EMPTY = "audience_empty"


class IllegalTransition(ValidationError):
    pass


def campaign_move(*, campaign: Campaign, to: str, **fields) -> bool:
    """Move ``campaign`` to status ``to`` if it is still in the status we read; True on success.

    The UPDATE is filtered on the old status, so two processes racing for the same move cannot
    both win, on SQLite as on PostgreSQL.
    """
    old = campaign.status
    if not Campaign.can_move(old, to):
        raise IllegalTransition(
            _("A campaign cannot go from %(old)s to %(new)s."),
            code="campaign_illegal_transition",
            params={"old": old, "new": to},
        )
    won = Campaign.objects.filter(pk=campaign.pk, status=old).update(status=to, **fields) == 1
    if won:
        campaign.status = to
        for name, value in fields.items():
            setattr(campaign, name, value)
    return won


@transaction.atomic
def campaign_cancel(*, campaign: Campaign) -> bool:
    """Cancel a campaign not yet finished; recipients not yet claimed are failed as canceled.

    Batches already queued then find no Pending recipient to claim, so they send nothing; a
    recipient claimed before the cancel is already on its way and ends Sent or Failed.
    """
    if campaign.is_final:
        return False
    if not campaign_move(campaign=campaign, to=CampaignStatus.CANCELED, finished_at=timezone.now()):
        return False
    Recipient.objects.filter(campaign=campaign, status=Recipient.Status.PENDING).update(
        status=Recipient.Status.FAILED,
        failure_code="canceled",
        failure_reason=_("Campaign canceled before sending."),
    )
    return True


def template_set_status(*, template: MessageTemplate, status: str) -> None:
    if status not in MessageTemplate.Status.values:
        raise ValidationError(
            {"status": ValidationError(_("Unknown status."), code="template_status")}
        )
    MessageTemplate.objects.filter(pk=template.pk).update(status=status)
    template.status = status


# --- Campaign creation (the wizard's single write) -------------------------------------------

AUDIENCE_BATCH = 500
# CSV columns that also name the contact (Brazilian spreadsheets say "nome").
NAME_COLUMNS = ("name", "nome")


@dataclass(frozen=True, slots=True)
class AudienceMember:
    """One person to message: E.164 phone, optional name, CSV columns as extras."""

    phone: str
    name: str = ""
    extras: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportCounts:
    size: int = 0
    skipped: int = 0
    opted_out: int = 0


def resolve_recipient_parameters(
    *, kind: str, parameters: dict, extras: dict[str, str]
) -> dict[str, Any]:
    """The values one recipient gets: as typed (individual) or read from its CSV columns (bulk)."""
    params = parameters or {}
    if kind == Campaign.Kind.INDIVIDUAL:
        return {
            "body": list(params.get("body", [])),
            "header": params.get("header") or None,
            "button": params.get("button") or None,
        }
    header, button = params.get("header"), params.get("button")
    return {
        "body": [extras.get(column, "") for column in params.get("body", [])],
        "header": extras.get(header) if header else None,
        "button": extras.get(button) if button else None,
    }


def campaign_new(
    *,
    bot: Bot,
    created_by,
    name: str,
    kind: str,
    template: MessageTemplate,
    parameters: dict,
    routing: str,
    routing_bot: Bot,
    flow_block: FlowBlock | None = None,
    team: Team | None = None,
    attendant_email: str = "",
    scheduled_at: datetime | None = None,
) -> Campaign:
    """An unsaved campaign that passed the send-time rules (R1, R3–R9) and full_clean."""
    campaign = Campaign(
        bot=bot,
        created_by=created_by,
        name=name,
        kind=kind,
        template=template,
        parameters=parameters,
        routing=routing,
        routing_bot=routing_bot,
        flow_block=flow_block,
        team=team,
        attendant_email=(attendant_email or "").strip().lower(),
        scheduled_at=scheduled_at,
    )
    # The rule checks first, so a refusal carries the rule's code (R5–R9) rather than a bare
    # constraint message; they run again in campaign_submit once the audience is stored.
    validation.validate_campaign_for_send(campaign=campaign)
    campaign.full_clean()
    return campaign


def campaign_set_audience_counts(*, campaign: Campaign, counts: "ImportCounts") -> None:
    """Record the audience's counts; an audience with nobody to send to is refused."""
    if counts.size == 0:
        raise ValidationError(
            {
                "audience": ValidationError(
                    _("The audience has nobody to send to."), code=AUDIENCE_EMPTY
                )
            }
        )
    Campaign.objects.filter(pk=campaign.pk).update(
        audience_size=counts.size, skipped_rows=counts.skipped, opted_out_count=counts.opted_out
    )
    campaign.audience_size = counts.size
    campaign.skipped_rows = counts.skipped
    campaign.opted_out_count = counts.opted_out


def audience_store(
    *,
    campaign: Campaign,
    audience: Iterable,
    write_batch: Callable[[Campaign, list, "ImportCounts", int], None] | None = None,
) -> "ImportCounts":
    """Store ``audience`` as contacts and recipients, AUDIENCE_BATCH members at a time.

    ``write_batch(campaign, members, counts, rows_read)`` writes one batch; the default is
    ``audience_store_batch``. The background import wraps it in its own short transaction and
    records ``rows_read`` (members and skipped rows so far) as progress.
    """
    write = write_batch or _write_batch
    counts = ImportCounts()
    batch: list[AudienceMember] = []
    rows = 0
    for item in audience:
        rows += 1
        if isinstance(item, AudienceError):
            counts.skipped += 1
            continue
        batch.append(item)
        if len(batch) >= AUDIENCE_BATCH:
            write(campaign, batch, counts, rows)
            batch = []
    if batch:
        write(campaign, batch, counts, rows)
    return counts


def _write_batch(campaign: Campaign, members: list, counts: ImportCounts, _rows: int) -> None:
    audience_store_batch(campaign, members, counts)


def _member_name(member) -> str:
    name = getattr(member, "name", "") or ""
    if not name:
        extras = member.extras or {}
        name = next((extras[c] for c in NAME_COLUMNS if extras.get(c)), "")
    return name[:200]


def audience_store_batch(campaign: Campaign, members: list, counts: ImportCounts) -> None:
    """Upsert one batch of contacts and add their recipients: a handful of queries per batch.

    A recipient already in the campaign is left as it is (a background import run twice).
    """
    owner = campaign.bot.top_level
    by_phone = {m.phone: m for m in members}
    ids, opted_out = _upsert_contacts(owner, by_phone)
    recipients = []
    for phone, member in by_phone.items():
        if phone in opted_out:
            counts.opted_out += 1
            continue
        params = resolve_recipient_parameters(
            kind=campaign.kind, parameters=campaign.parameters, extras=member.extras or {}
        )
        recipients.append(Recipient(campaign=campaign, contact_id=ids[phone], parameters=params))
    Recipient.objects.bulk_create(recipients, ignore_conflicts=True)
    counts.size += len(recipients)


def _upsert_contacts(owner: Bot, by_phone: dict) -> tuple[dict[str, int], set[str]]:
    """Contact ids by phone (existing ones updated, missing ones created) and the opted-out."""
    now = timezone.now()
    ids: dict[str, int] = {}
    opted_out: set[str] = set()
    changed = []
    # Plain tuples, not model instances: at 100,000 rows the ORM's per-instance cost shows.
    for pk, phone, name, extras, out in Contact.objects.filter(
        bot=owner, phone__in=list(by_phone)
    ).values_list("id", "phone", "name", "extras", "opted_out"):
        ids[phone] = pk
        if out:
            opted_out.add(phone)
        member = by_phone[phone]
        new_name = _member_name(member) or name
        new_extras = {**(extras or {}), **(member.extras or {})}
        if new_name != name or new_extras != extras:
            changed.append(Contact(pk=pk, name=new_name, extras=new_extras, updated_at=now))
    if changed:
        Contact.objects.bulk_update(changed, ["name", "extras", "updated_at"])
    new = [
        Contact(bot=owner, phone=p, name=_member_name(m), extras=dict(m.extras or {}))
        for p, m in by_phone.items()
        if p not in ids
    ]
    if new:
        # A contact created meanwhile (an inbound message) is updated rather than duplicated.
        Contact.objects.bulk_create(
            new,
            update_conflicts=True,
            unique_fields=["bot", "phone"],
            update_fields=["name", "extras", "updated_at"],
        )
        missing = [c.phone for c in new if c.pk is None]  # backends that return no ids
        ids.update({c.phone: c.pk for c in new if c.pk is not None})
        if missing:
            ids.update(
                Contact.objects.filter(bot=owner, phone__in=missing).values_list("phone", "id")
            )
    return ids, opted_out
