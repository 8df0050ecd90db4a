"""Quick replies (respostas prontas, R25): the ones a ticket offers, filled for its customer."""

from django.db.models import Q

from desk.models import QUICK_REPLY_VARIABLE, QuickReply, Ticket


def fill_quick_reply(text: str, *, name: str, extras: dict) -> str:
    """Replace {name}, {first_name} and {<extras key>}; a variable the contact lacks goes empty.

    The attendant sees the result in the reply box and edits it before sending.
    """
    name = (name or "").strip()
    values = {**{k: str(v) for k, v in (extras or {}).items()}}
    values["name"] = name
    values["first_name"] = name.split()[0] if name else ""
    return QUICK_REPLY_VARIABLE.sub(lambda m: values.get(m.group(1), ""), text)


def quick_replies_for(*, ticket: Ticket) -> list[dict]:
    """The bot's quick replies for every team and those of the ticket's team, filled in."""
    rows = QuickReply.objects.filter(
        Q(team__isnull=True) | Q(team_id=ticket.team_id), bot_id=ticket.bot_id
    ).order_by("title", "pk")
    return filled_for(ticket, [(row.pk, row.title, row.text) for row in rows])


def filled_for(ticket: Ticket, rows: list[tuple[int, str, str]]) -> list[dict]:
    """Quick replies read as (pk, title, text), filled in for the ticket's customer."""
    contact = ticket.contact
    extras = contact.extras if isinstance(contact.extras, dict) else {}
    return [
        {"id": pk, "title": title, "text": fill_quick_reply(text, name=contact.name, extras=extras)}
        for pk, title, text in rows
    ]
