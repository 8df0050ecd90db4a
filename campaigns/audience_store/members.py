"""What an audience is made of before it is stored: members, their parameters, the counts."""

from dataclasses import dataclass, field
from typing import Any

# CSV columns that also name the contact (Brazilian spreadsheets say "nome").
NAME_COLUMNS = ("name", "nome")
INDIVIDUAL = "individual"


@dataclass(frozen=True, slots=True)
class AudienceMember:
    """One person to message: E.164 phone, optional name, CSV columns as extras."""

    phone: str
    name: str = ""
    extras: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportCounts:
    """Recipients stored, rows skipped (bad or repeated phones) and opted-out contacts left out."""

    size: int = 0
    skipped: int = 0
    opted_out: int = 0


def resolve_recipient_parameters(
    *, kind: str, parameters: dict, extras: dict[str, str]
) -> dict[str, Any]:
    """The values one recipient gets: as typed (individual) or read from its CSV columns (bulk)."""
    params = parameters or {}
    if kind == INDIVIDUAL:
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


def member_name(member: AudienceMember) -> str:
    """The contact's name: given, or read from a name column of the CSV."""
    name = getattr(member, "name", "") or ""
    if not name:
        extras = member.extras or {}
        name = next((extras[c] for c in NAME_COLUMNS if extras.get(c)), "")
    return name[:200]
