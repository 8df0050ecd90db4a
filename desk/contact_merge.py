"""The Desk's part of merging two contact rows of one person (R18, ``bots.merge``).

Two rows of one person may each hold a current directive and an active ticket, which the unique
indexes allow once per contact. Before the rows move, the newer directive stays current and the
older is superseded (R12: a later send wins); of two active tickets the one being attended (else
the older) stays, and the other ends Transferred into it, so its attendant sees where it went.
"""

from django.dispatch import receiver
from django.utils import timezone

from bots.merge import contact_merging
from desk.models import ACTIVE_TICKET_STATUSES, ReplyDirective, Ticket, TicketStatus


@receiver(contact_merging, dispatch_uid="desk_contact_merging")
def settle_desk_rows(sender, *, keep, drop, **kwargs) -> None:
    _settle_directives(keep, drop)
    _settle_tickets(keep, drop)


def _settle_directives(keep, drop) -> None:
    current = list(
        ReplyDirective.objects.filter(contact__in=[keep, drop], superseded=False).order_by(
            "-sent_at", "-id"
        )
    )
    if len(current) > 1:
        ReplyDirective.objects.filter(pk__in=[d.pk for d in current[1:]]).update(superseded=True)


def _settle_tickets(keep, drop) -> None:
    active = sorted(
        Ticket.objects.filter(contact__in=[keep, drop], status__in=ACTIVE_TICKET_STATUSES),
        key=lambda t: (t.status != TicketStatus.OPEN, t.created_at, t.pk),
    )
    if len(active) < 2:
        return
    stays, other = active[0], active[1]
    fields = {"status": TicketStatus.TRANSFERRED, "closed_at": timezone.now()}
    if not Ticket.objects.filter(transferred_to=stays).exists():
        fields["transferred_to"] = stays  # one-to-one: only when nothing was transferred to it
    if Ticket.can_move(other.status, TicketStatus.TRANSFERRED):
        Ticket.objects.filter(pk=other.pk, status=other.status).update(**fields)
