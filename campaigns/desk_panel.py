"""What the Desk's contact panel shows of campaigns: the ones that reached the contact.

The Desk cannot import campaigns (campaigns → desk → bots), so this app registers the reader.
"""

import datetime as dt

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from bots.models import Contact
from campaigns.models import Campaign, DeskSend, MessageTemplate, Recipient
from desk.models import Attendant
from desk.workspace import Reach, register_reach_provider

SHOWN = 5


# The few fields the panel prints, written out: the ticket page asks on every load, and
# compiling this four-join read through the ORM cost more than running it (the statement is
# the one the ORM wrote for the same values_list, so PostgreSQL plans it alike).
_REACHING_SQL = """
SELECT r.sent_at, r.status, c.name, t.name, ds.id, a.name, a.email
FROM {recipient} r
INNER JOIN {campaign} c ON r.campaign_id = c.id
INNER JOIN {template} t ON c.template_id = t.id
LEFT OUTER JOIN {desk_send} ds ON c.id = ds.campaign_id
LEFT OUTER JOIN {attendant} a ON ds.attendant_id = a.id
WHERE r.contact_id = %s AND r.sent_at IS NOT NULL
ORDER BY r.sent_at DESC, r.id DESC
LIMIT {limit}
"""


def _aware(value) -> dt.datetime:
    """A datetime from raw SQL: SQLite hands it back naive (in UTC), or as text."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return value.replace(tzinfo=dt.UTC) if timezone.is_naive(value) else value


def campaigns_reaching(contact: Contact) -> list[Reach]:
    sql = _REACHING_SQL.format(
        recipient=Recipient._meta.db_table,
        campaign=Campaign._meta.db_table,
        template=MessageTemplate._meta.db_table,
        desk_send=DeskSend._meta.db_table,
        attendant=Attendant._meta.db_table,
        limit=SHOWN,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [contact.pk])
        rows = cursor.fetchall()
    statuses = dict(Recipient.Status.choices)
    return [
        Reach(
            label=_label(name, template, sender if desk_send else None),
            at=_aware(sent_at),
            detail=str(statuses.get(status, status)),
        )
        for sent_at, status, name, template, desk_send, *sender in rows
    ]


def _label(name: str, template: str, sender: list | None) -> str:
    """A campaign's name; an active message from the Desk (R27) says who sent which template."""
    if sender is None:
        return name
    sender_name, sender_email = sender
    return _("%(template)s, sent from the Desk by %(attendant)s") % {
        "template": template,
        "attendant": sender_name or sender_email,
    }


register_reach_provider(campaigns_reaching)
