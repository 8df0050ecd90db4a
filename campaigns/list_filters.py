"""The campaign list's filters: status, date range, creator and a search by name."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from bots.widgets import FastSelect
from campaigns.models import CampaignStatus

DATE_RANGE_REVERSED = "date_range_reversed"


class CampaignListFilterForm(forms.Form):
    q = forms.CharField(label=_("Search by name"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False, widget=FastSelect)
    date_from = forms.DateField(
        label=_("From date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_by = forms.TypedChoiceField(
        label=_("Created by"), required=False, coerce=int, empty_value=None, widget=FastSelect
    )

    def __init__(self, *args, creators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *CampaignStatus.choices]
        self.fields["created_by"].choices = [("", _("Anyone"))] + [
            (user.pk, user.get_full_name() or user.get_username()) for user in creators
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise ValidationError(
                _("The start date is after the end date."), code=DATE_RANGE_REVERSED
            )
        return data

    def filters(self) -> dict:
        """The selector's keyword arguments; an invalid field filters nothing."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "status": data.get("status") or "",
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "created_by_id": data.get("created_by"),
            "search": data.get("q") or "",
        }

    @property
    def is_filtered(self) -> bool:
        return any(self.filters().values())
