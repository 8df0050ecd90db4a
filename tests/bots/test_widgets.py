"""FastSelect prints what Django's Select templates print."""

import pytest
from django import forms
from django.utils.translation import gettext_lazy

from bots.widgets import FastSelect

CHOICES = [("", gettext_lazy("All")), ("sent", "Sent & <b>done</b>"), (3, "Three"), ("x", "X")]


@pytest.mark.parametrize("value", [None, "", "sent", 3, "3", ["x"]])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "id_status"}, {"id": "f", "required": True, "disabled": False}]
)
def test_same_html_as_the_select_templates(value, attrs):
    expected = forms.Select(choices=CHOICES).render("status", value, attrs)
    assert FastSelect(choices=CHOICES).render("status", value, attrs) == expected


def test_option_groups_still_render():
    grouped = [("Group & co", [("a", "A"), ("b", "B")]), ("c", "C")]
    expected = forms.Select(choices=grouped).render("g", "b", {"id": "g"})
    assert FastSelect(choices=grouped).render("g", "b", {"id": "g"}) == expected


def test_a_bound_form_field_renders_the_same():
    class Slow(forms.Form):
        status = forms.ChoiceField(choices=CHOICES, required=False)

    class Fast(forms.Form):
        status = forms.ChoiceField(choices=CHOICES, required=False, widget=FastSelect)

    assert str(Fast({"status": "sent"})["status"]) == str(Slow({"status": "sent"})["status"])
