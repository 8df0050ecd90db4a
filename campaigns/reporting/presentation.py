"""The report's figures shaped for the page: labelled rows, rates, and the charts' data."""

import datetime as dt

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignResults
from campaigns.reporting.explain import explain_failure
from campaigns.reporting.outcomes import OUTCOME_LABELS, OUTCOME_SHORT_LABELS, outcomes_for


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def funnel_rows(results: CampaignResults) -> list[dict]:
    """Each step with its count, its share of the audience and of the step before."""
    steps = [
        ("total", _("Audience"), results.total),
        ("sent", _("Sent"), results.sent),
        ("delivered", _("Delivered"), results.delivered),
        ("read", _("Read"), results.read),
        ("replied", _("Replied"), results.replied),
        ("tickets_opened", _("Ticket opened"), results.tickets_opened),
        ("human_answered", _("Answered by a person"), results.human_answered),
    ]
    rows, previous = [], None
    for key, label, count in steps:
        rows.append(
            {
                "key": key,
                "label": label,
                "count": count,
                "of_total": _share(count, results.total),
                "of_previous": _share(count, previous) if previous is not None else None,
            }
        )
        previous = count
    return rows


def failure_rows(results: CampaignResults) -> list[dict]:
    rows = []
    for failure in results.figures.get("failures", []):
        title, text = explain_failure(failure["code"], failure.get("reason") or "")
        rows.append(
            {
                "code": failure["code"],
                "count": failure["count"],
                "title": title,
                "explanation": text,
                "share": _share(failure["count"], results.failed),
            }
        )
    return rows


def outcome_rows(campaign: Campaign, results: CampaignResults) -> list[dict]:
    found = results.figures.get("outcomes", {})
    total = sum(found.get(code, 0) for code in outcomes_for(campaign))
    return [
        {
            "code": code,
            "label": str(OUTCOME_LABELS[code]),
            "count": found.get(code, 0),
            "share": _share(found.get(code, 0), total),
        }
        for code in outcomes_for(campaign)
    ]


def hourly_rows(results: CampaignResults) -> dict:
    """Replies per hour, each hour labelled in the operator's time zone."""
    series = results.figures.get("replies_per_hour") or {}
    if not series.get("start"):
        return {"rows": [], "later": 0}
    start = dt.datetime.fromisoformat(series["start"])
    rows = []
    for index, count in enumerate(series["counts"]):
        moment = timezone.localtime(start + dt.timedelta(hours=index))
        rows.append(
            {
                "label": formats.date_format(moment, "SHORT_DATETIME_FORMAT"),
                "short": moment.strftime("%d/%m %Hh"),
                "count": count,
            }
        )
    return {"rows": rows, "later": series.get("later", 0)}


def chart_data(campaign: Campaign, results: CampaignResults) -> dict:
    """What the charts draw (json_script): the same numbers as the tables beside them."""
    funnel = funnel_rows(results)
    hourly = hourly_rows(results)
    outcomes = outcome_rows(campaign, results)
    return {
        "funnel": {"labels": [r["label"] for r in funnel], "values": [r["count"] for r in funnel]},
        "hourly": {
            "labels": [r["short"] for r in hourly["rows"]],
            "values": [r["count"] for r in hourly["rows"]],
            "series": _("Replies"),
        },
        "outcomes": {
            "labels": [str(OUTCOME_SHORT_LABELS[r["code"]]) for r in outcomes],
            "values": [r["count"] for r in outcomes],
        },
    }


def report_context(campaign: Campaign, results: CampaignResults | None) -> dict:
    if results is None:
        return {"results": None}
    timing = results.figures.get("timing", {})
    return {
        "results": results,
        "funnel": funnel_rows(results),
        "failures": failure_rows(results),
        "outcomes": outcome_rows(campaign, results),
        "hourly": hourly_rows(results),
        "timing": {
            "reply": timing.get("reply") or {"n": 0},
            "human": timing.get("human") or {"n": 0},
        },
        "charts": chart_data(campaign, results),
    }
