"""Writes of the Desk. Every function owns its transaction and validates before saving."""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bots.models import Bot, Contact, FlowBlock
from desk.models import (
    DEFAULT_TEAM_NAME,
    Attendant,
    ReplyDirective,
    Team,
    TeamMembership,
)

DIRECTIVE_LIFETIME = dt.timedelta(hours=24)


def team_ensure_default(*, bot: Bot) -> Team:
    team, _created = Team.objects.get_or_create(bot=bot, name=DEFAULT_TEAM_NAME)
    return team


@transaction.atomic
def attendant_set_teams(*, attendant: Attendant, teams: Iterable[Team]) -> None:
    """Replace the attendant's teams; each must belong to the attendant's bot."""
    teams = list(teams)
    for team in teams:
        TeamMembership(attendant=attendant, team=team).clean()
    TeamMembership.objects.filter(attendant=attendant).exclude(team__in=teams).delete()
    existing = set(
        TeamMembership.objects.filter(attendant=attendant).values_list("team_id", flat=True)
    )
    TeamMembership.objects.bulk_create(
        [TeamMembership(attendant=attendant, team=t) for t in teams if t.pk not in existing]
    )


def attendant_change_status(*, attendant: Attendant, status: str) -> Attendant:
    if status not in Attendant.Status.values:
        raise ValidationError(
            {"status": ValidationError(_("Unknown status."), code="attendant_status")}
        )
    Attendant.objects.filter(pk=attendant.pk).update(
        status=status, status_changed_at=timezone.now()
    )
    attendant.refresh_from_db(fields=["status", "status_changed_at"])
    return attendant


@transaction.atomic
def directive_create(
    *,
    contact: Contact,
    bot: Bot,
    sent_at: dt.datetime,
    source_label: str,
    source_id: int | None = None,
    attendant: Attendant | None = None,
    team: Team | None = None,
    human_block: FlowBlock | None = None,
) -> ReplyDirective:
    """Leave a directive for the contact's next reply, valid 24 h after the send (R11).

    A later send replaces the earlier directive (R12): the current one is superseded in the same
    transaction, and the partial unique index guarantees one current directive per contact even
    when two sends to the same contact race.
    """
    ReplyDirective.objects.filter(contact=contact, superseded=False).update(superseded=True)
    directive = ReplyDirective(
        contact=contact,
        bot=bot,
        attendant=attendant,
        team=team,
        human_block=human_block,
        source_label=source_label[:200],
        source_id=source_id,
        sent_at=sent_at,
        valid_until=sent_at + DIRECTIVE_LIFETIME,
    )
    directive.full_clean(validate_constraints=False)
    directive.save()
    return directive
