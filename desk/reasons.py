"""Routing reasons in the reader's language and time zone.

`desk.routing` stays pure and returns a reason *code* with plain params; this module turns them
into a sentence with gettext and the active time zone when a page shows them. Rows stored before
the params existed keep their stored English sentence as the fallback.
"""

import datetime as dt

from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# A condition as a person reads it: "last message contains “comprar”". One value and many
# values are separate sentences; the negated ones name every value the message avoided.
_RELATIONS = {
    "equals": (gettext_noop("%(field)s is %(values)s"), gettext_noop("%(field)s is %(values)s")),
    "contains": (
        gettext_noop("%(field)s contains %(values)s"),
        gettext_noop("%(field)s contains %(values)s"),
    ),
    "not_equals": (
        gettext_noop("%(field)s is not %(values)s"),
        gettext_noop("%(field)s is none of %(values)s"),
    ),
    "not_contains": (
        gettext_noop("%(field)s does not contain %(values)s"),
        gettext_noop("%(field)s contains none of %(values)s"),
    ),
}
_FIELDS = {
    "last_message": gettext_noop("last message"),
    "name": gettext_noop("contact name"),
    "email": gettext_noop("contact e-mail"),
}


def _quoted(value: str) -> str:
    return f"“{value}”"


def _field(field: str) -> str:
    """The stored field (``last_message``, ``extras.cidade``) in words."""
    if field.startswith("extras."):
        return _("contact field %(key)s") % {"key": _quoted(field.removeprefix("extras."))}
    return _(_FIELDS[field])


def _condition(match: dict) -> str:
    values = [_quoted(v) for v in match["values"]]
    one, many = _RELATIONS[match["relation"]]
    listed = values[0] if len(values) == 1 else ", ".join(values[:-1]) + _(" or ") + values[-1]
    sentence = _(one if len(values) == 1 else many)
    return sentence % {"field": _field(match["field"]), "values": listed}


def _when(value: str) -> str:
    moment = timezone.localtime(dt.datetime.fromisoformat(value))
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT")


def _directive(p: dict) -> str:
    reason = _("campaign '%(campaign)s' directs the reply here until %(until)s") % {
        "campaign": p["source_label"],
        "until": _when(p["valid_until"]),
    }
    if p.get("meant_for"):
        # R23: the campaign chose an attendant who was away; their substitute took it.
        reason += " " + _("(meant for %(absent)s, who is absent: the substitute receives it)") % {
            "absent": p["meant_for"]
        }
    return reason


def _fallback(p: dict) -> str:
    return _(
        "campaign '%(campaign)s' chose %(attendant)s, who did not attend within %(minutes)s "
        "minutes: handed over to the team (R22)"
    ) % {"campaign": p["source_label"], "attendant": p["attendant"], "minutes": p["minutes"]}


def _rule(p: dict) -> str:
    conditions = f" {_('and')} ".join(_condition(m) for m in p["matches"])
    return capfirst(
        _("%(conditions)s (rule %(rule)s)")
        % {"conditions": conditions, "rule": _quoted(p["rule_name"])}
    )


def _flow(p: dict) -> str:
    if p.get("block_id"):
        return _("flow block '%(block)s'") % {"block": p["block_id"]}
    return _("start of the flow (no saved contact state)")


_RENDER = {
    "open_ticket": lambda p: _("joins the open ticket #%(n)s") % {"n": p["ticket_id"]},
    "directive": _directive,
    "rule": _rule,
    "default_team": lambda p: _("no rule matched → Default"),
    "no_default_team": lambda p: _("no rule matched and the bot has no Default team"),
    "flow_block": _flow,
    "opt_out": lambda p: _("the contact opted out of campaigns: no ticket, no flow"),
    "R22_fallback": _fallback,
    "transfer": lambda p: (
        _("transferred from ticket #%(n)s to %(target)s")
        % {"n": p["ticket"], "target": p["target"]}
    ),
}


def render_reason(code: str, params: dict | None, fallback: str = "") -> str:
    render = _RENDER.get(code or "")
    if render is None or params is None:
        return fallback
    try:
        return render(params)
    except (KeyError, TypeError, ValueError):
        return fallback
