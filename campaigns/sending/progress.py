"""Reads for the live progress panel of a campaign."""

from django.db.models import Count, Max, Min
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.models import Campaign, Recipient
from campaigns.sending.slots import slot_time

S = Recipient.Status
# Delivered, read and replied were all sent first.
SENT_STATUSES = (S.SENT, S.DELIVERED, S.READ, S.REPLIED)


def status_counts(*, campaign: Campaign) -> dict[str, int]:
    """Recipients per status (every status present, 0 when none): one grouped count."""
    counts = dict.fromkeys(S.values, 0)
    rows = campaign.recipients.values("status").annotate(n=Count("pk")).order_by()
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def failure_groups(*, campaign: Campaign) -> list[dict]:
    """The commonest failure reasons (code, the gateway's words, recipients), 20 at most."""
    reasons = (
        campaign.recipients.filter(status=S.FAILED)
        .values("failure_code", "failure_reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "failure_code")[:20]
    )
    return [
        {"code": r["failure_code"], "reason": r["failure_reason"], "count": r["n"]} for r in reasons
    ]


def campaign_progress(
    *,
    campaign: Campaign,
    by_status: dict[str, int] | None = None,
    failures: list[dict] | None = None,
) -> dict:
    """The panel's figures; ``by_status`` and ``failures`` when the caller already has them
    (the detail page of a large finished campaign reads them from its roll-up)."""
    counts = dict.fromkeys(S.values, 0)
    counts.update(status_counts(campaign=campaign) if by_status is None else by_status)
    if failures is None:
        failures = failure_groups(campaign=campaign) if counts[S.FAILED] else []
    return {
        "id": campaign.pk,
        "status": campaign.status,
        "status_label": str(campaign.get_status_display()),
        "is_final": campaign.is_final,
        "total": sum(counts.values()),
        "sent": sum(counts[s] for s in SENT_STATUSES),
        "failed": counts[S.FAILED],
        "pending": counts[S.PENDING] + counts[S.SENDING],
        "by_status": counts,
        "failure_code": campaign.failure_code,
        "failure_reason": campaign.failure_reason,
        "failures": failures,
        **import_progress(campaign=campaign),
        **deferred_progress(campaign=campaign, pending=counts[S.PENDING]),
    }


def deferred_progress(*, campaign: Campaign, pending: int) -> dict:
    """Recipients waiting for the bot's messaging window (R26) and when the first and last of
    them should go out."""
    waiting = {"n": 0, "first": None, "last": None}
    if pending and not campaign.is_final:
        waiting = campaign.recipients.filter(
            status=S.PENDING, deferred_until__isnull=False
        ).aggregate(n=Count("pk"), first=Min("deferred_until"), last=Max("deferred_until"))
    label = ""
    if waiting["n"]:
        values = {
            "n": number_format(waiting["n"], force_grouping=True),
            "time": slot_time(waiting["first"]),
            "last": slot_time(waiting["last"]),
        }
        if values["time"] == values["last"]:
            label = ngettext(
                "%(n)s recipient waits for WhatsApp's messaging limit: deferred until %(time)s.",
                "%(n)s recipients wait for WhatsApp's messaging limit: deferred until %(time)s.",
                waiting["n"],
            )
        else:
            label = ngettext(
                "%(n)s recipient waits for WhatsApp's messaging limit: the first deferred "
                "until %(time)s, the last until %(last)s.",
                "%(n)s recipients wait for WhatsApp's messaging limit: the first deferred "
                "until %(time)s, the last until %(last)s.",
                waiting["n"],
            )
        label %= values
    return {
        "deferred": waiting["n"],
        "deferred_next": waiting["first"],
        "deferred_last": waiting["last"],
        "deferred_label": label,
    }


def import_progress(*, campaign: Campaign) -> dict:
    """How far the background import of a large CSV got (campaigns/importing.py)."""
    done, total = campaign.import_rows_done, campaign.import_rows_total
    importing = campaign.import_status == Campaign.ImportStatus.IMPORTING and not campaign.is_final
    label = _("Preparing the audience: %(done)s of %(total)s rows") % {
        "done": number_format(done, force_grouping=True),
        "total": number_format(total, force_grouping=True),
    }
    return {
        "importing": importing,
        "import_status": campaign.import_status,
        "import_rows_done": done,
        "import_rows_total": total,
        "import_error": campaign.import_error,
        "import_label": label if importing else "",
    }
