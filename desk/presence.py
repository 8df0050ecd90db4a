"""Attendant statuses as Blip has them: Online, Pause (with a reason), Invisible, Offline (R21).

Every move goes through ``attendant_change_status``: legal per ATTENDANT_TRANSITIONS, a
compare-and-set on the old status, one history row, and an attendant turning Online receives the
waiting tickets at once (automatic mode). The open Desk page sends ``attendant_heartbeat``; the
Desk timers set Offline whoever's page has been gone longer than the bot allows.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from desk.assignment import attendant_fill_slots, desk_settings_for
from desk.live import events as live
from desk.models import Attendant, AttendantStatusChange, PauseReason

Source = AttendantStatusChange.Source


def _status_error(message: str, code: str) -> ValidationError:
    return ValidationError({"status": ValidationError(message, code=code)})


def _checked_reason(attendant: Attendant, status: str, reason: PauseReason | None):
    if status not in Attendant.Status.values:
        raise _status_error(_("Unknown status."), "attendant_status")
    if reason is None:
        return None
    if status != Attendant.Status.PAUSE:
        raise _status_error(_("Only a pause has a reason."), "pause_reason_without_pause")
    if reason.bot_id != attendant.bot_id or not reason.is_active:
        raise _status_error(_("This pause reason is not available."), "pause_reason_other_bot")
    return reason


@transaction.atomic
def attendant_change_status(
    *,
    attendant: Attendant,
    status: str,
    pause_reason: PauseReason | None = None,
    source: str = Source.DESK,
    by=None,
    now: dt.datetime | None = None,
) -> Attendant:
    """Move the attendant to ``status`` (with a pause reason), record it, distribute if Online."""
    now = now or timezone.now()
    reason = _checked_reason(attendant, status, pause_reason)
    current = Attendant.objects.filter(pk=attendant.pk).values("status", "pause_reason_id").get()
    old, old_reason = current["status"], current["pause_reason_id"]
    if (old, old_reason) == (status, reason.pk if reason else None):
        attendant.refresh_from_db()
        return attendant
    if not Attendant.can_move(old, status):
        raise _status_error(_("This status change is not allowed."), "attendant_transition")
    fields = {"status": status, "pause_reason": reason, "status_changed_at": now}
    if source == Source.DESK:
        fields["last_seen_at"] = now  # the Desk page is open: its heartbeat clock starts now
    won = Attendant.objects.filter(pk=attendant.pk, status=old, pause_reason_id=old_reason).update(
        **fields
    )
    if not won:
        raise _status_error(_("Your status changed meanwhile: try again."), "attendant_changed")
    AttendantStatusChange.objects.create(
        attendant=attendant,
        old_status=old,
        status=status,
        pause_reason=reason,
        reason_name=reason.name if reason else "",
        source=source,
        changed_by=by if by is not None and by.is_authenticated else None,
        changed_at=now,
    )
    live.attendant_status_changed(attendant_id=attendant.pk)
    if status == Attendant.Status.ONLINE:
        attendant_fill_slots(attendant_id=attendant.pk, now=now)
    attendant.refresh_from_db()
    return attendant


def attendant_heartbeat(*, attendant: Attendant, now: dt.datetime | None = None) -> None:
    """The attendant's Desk is open (the page's beat, or a ping on its socket): one UPDATE."""
    attendant_seen(attendant_id=attendant.pk, now=now)


def attendant_seen(*, attendant_id: int, now: dt.datetime | None = None) -> None:
    Attendant.objects.filter(pk=attendant_id).update(last_seen_at=now or timezone.now())


def attendants_offline_when_gone(*, now: dt.datetime | None = None) -> list[int]:
    """Offline for whoever's Desk page stopped its heartbeat longer ago than their bot allows.

    An attendant never seen on the Desk (set Online in the admin) is left alone: no page of
    theirs has gone. Idempotent: the compare-and-set only moves whoever is still not Offline
    with the same last heartbeat.
    """
    now = now or timezone.now()
    gone = []
    candidates = Attendant.objects.exclude(status=Attendant.Status.OFFLINE).filter(
        last_seen_at__isnull=False, last_seen_at__lt=now - dt.timedelta(minutes=1)
    )
    minutes_by_bot: dict[int, int | None] = {}
    for attendant in candidates.order_by("pk"):
        if attendant.bot_id not in minutes_by_bot:
            minutes_by_bot[attendant.bot_id] = desk_settings_for(
                bot_id=attendant.bot_id
            ).offline_after_minutes
        minutes = minutes_by_bot[attendant.bot_id]
        if not minutes or now - attendant.last_seen_at < dt.timedelta(minutes=minutes):
            continue
        if _set_offline(attendant, now):
            gone.append(attendant.pk)
    return gone


@transaction.atomic
def _set_offline(attendant: Attendant, now: dt.datetime) -> bool:
    won = Attendant.objects.filter(
        pk=attendant.pk, status=attendant.status, last_seen_at=attendant.last_seen_at
    ).update(status=Attendant.Status.OFFLINE, pause_reason=None, status_changed_at=now)
    if won:
        AttendantStatusChange.objects.create(
            attendant=attendant,
            old_status=attendant.status,
            status=Attendant.Status.OFFLINE,
            source=Source.HEARTBEAT,
            changed_at=now,
        )
        live.attendant_status_changed(attendant_id=attendant.pk)
    return bool(won)
