"""The report's recipients table: filters, search, and the page's rows with their outcome."""

import re
from dataclasses import dataclass

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bots.phones import format_phone
from bots.url_keys import url_for_key
from bots.widgets import FastSelect
from campaigns.models import Campaign, CampaignResults, Recipient
from campaigns.reporting.explain import explain_failure
from campaigns.reporting.outcomes import OUTCOME_LABELS, outcomes_for, with_outcome
from campaigns.templatetags.status_tags import short_datetime

RS = Recipient.Status
PAGE_SIZE = 50
YES, NO = "yes", "no"


@dataclass(frozen=True)
class RecipientFilters:
    status: str = ""
    failure: str = ""
    replied: str = ""
    outcome: str = ""
    search: str = ""

    @property
    def active(self) -> bool:
        return any((self.status, self.failure, self.replied, self.outcome, self.search))


class RecipientFilterForm(forms.Form):
    q = forms.CharField(label=_("Phone or name"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False, widget=FastSelect)
    failure = forms.ChoiceField(label=_("Failure reason"), required=False, widget=FastSelect)
    replied = forms.ChoiceField(
        label=_("Replied"),
        required=False,
        choices=[("", _("Either")), (YES, _("Replied")), (NO, _("Did not reply"))],
        widget=FastSelect,
    )
    outcome = forms.ChoiceField(label=_("Reply routing"), required=False, widget=FastSelect)

    def __init__(self, *args, campaign: Campaign, results: CampaignResults | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        statuses = [(v, label) for v, label in RS.choices if v != RS.SENDING]
        self.fields["status"].choices = [("", _("All")), *statuses]
        self.fields["failure"].choices = [("", _("Any"))] + [
            (code, explain_failure(code)[0]) for code in failure_codes_of(campaign, results)
        ]
        self.fields["outcome"].choices = [("", _("Any"))] + [
            (code, OUTCOME_LABELS[code]) for code in outcomes_for(campaign)
        ]

    def filters(self) -> RecipientFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return RecipientFilters(
            status=data.get("status") or "",
            failure=data.get("failure") or "",
            replied=data.get("replied") or "",
            outcome=data.get("outcome") or "",
            search=(data.get("q") or "").strip(),
        )


def failure_codes_of(campaign: Campaign, results: CampaignResults | None = None) -> list[str]:
    """The failure codes the campaign's recipients have: those of the failure groups of
    ``results`` when the page has them (the report: the same codes as its failures table, the
    groups being read from the same failed rows), else read on the failed rows (a DISTINCT over
    every failed recipient of the campaign: 1-5 ms for 2,000 of them)."""
    if results is not None:
        return sorted({f["code"] for f in results.figures.get("failures", [])})
    return sorted(
        Recipient.objects.filter(campaign=campaign, status=RS.FAILED)
        .values_list("failure_code", flat=True)
        .distinct()
        .order_by()
    )


def recipients_filtered(
    *, campaign: Campaign, filters: RecipientFilters, now=None
) -> QuerySet[Recipient]:
    """The campaign's recipients matching ``filters``, in id order.

    The outcome is only joined in when it is filtered on: the plain table counts and pages on
    the (campaign, status) index alone, whatever the size of the campaign.
    """
    qs = Recipient.objects.filter(campaign=campaign)
    if filters.status == RS.PENDING:
        qs = qs.filter(status__in=[RS.PENDING, RS.SENDING])
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.failure:
        qs = qs.filter(status=RS.FAILED, failure_code=filters.failure)
    if filters.replied == YES:
        qs = qs.filter(status=RS.REPLIED)
    elif filters.replied == NO:
        qs = qs.exclude(status=RS.REPLIED)
    if filters.search:
        qs = qs.filter(_search(filters.search))
    if filters.outcome:
        qs = with_outcome(qs, campaign, now).filter(outcome=filters.outcome)
    return qs.order_by("id")


def _search(text: str) -> Q:
    digits = re.sub(r"\D", "", text)
    found = Q(contact__name__icontains=text)
    if len(digits) >= 3:
        found |= Q(contact__phone__contains=digits)
    return found


class KnownCountPaginator(Paginator):
    """A paginator told its count (the rolled-up total) instead of counting a million rows."""

    def __init__(self, *args, known_count: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._known_count = known_count

    @cached_property
    def count(self) -> int:
        if self._known_count is not None:
            return self._known_count
        return super().count


def recipients_page(
    *,
    campaign: Campaign,
    filters: RecipientFilters,
    page_number,
    results: CampaignResults | None,
    now=None,
):
    """One page of the table, each row with its outcome, ticket and contact."""
    qs = recipients_filtered(campaign=campaign, filters=filters, now=now)
    known = results.total if results is not None and not filters.active else None
    paginator = KnownCountPaginator(qs.values_list("id", flat=True), PAGE_SIZE, known_count=known)
    page = paginator.get_page(page_number)
    ids = list(page.object_list)
    rows = with_outcome(
        Recipient.objects.filter(pk__in=ids).select_related("contact"), campaign, now
    ).order_by("id")
    page.object_list = list(rows)
    return page


def word_rows(recipients, *, campaign: Campaign | None = None) -> list[Recipient]:
    """The recipients tables' rows with their words worked out once here, not by a dozen
    template lookups and filters per row (fifty rows a page): the phone as people write it, when
    it was sent and, with ``campaign`` (the report), the reply's link to the conversation and
    its label, and the reply routing's label (``outcome`` from ``with_outcome``)."""
    rows = list(recipients)
    conversation = (
        url_for_key("campaigns:recipient_conversation", campaign.pk) if campaign else None
    )
    for row in rows:
        row.phone_text = format_phone(row.contact.phone or "")
        row.sent_text = short_datetime(row.sent_at) or "—"
        if campaign is None:
            continue
        row.outcome_label = OUTCOME_LABELS.get(row.outcome, "")
        if row.replied_at:
            row.conversation_url = conversation(row.pk)
            what = (
                gettext("ticket #%(n)s") % {"n": row.ticket_number}
                if row.ticket_number
                else gettext("conversation")
            )
            row.reply_text = f"{short_datetime(row.replied_at)} · {what}"
    return rows
