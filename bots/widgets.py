"""A <select> printed in Python, for the list filters every page view renders.

Django renders a Select through its form templates with an {% include %} per option and another
for each option's attributes: ~400 Python calls an option, the bulk of a list page's filter form.
``FastSelect`` prints the same HTML as select.html / select_option.html / attrs.html (tested
against them); option groups still go through the templates.
"""

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


def _attrs(attrs: dict) -> str:
    """attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(' {}="{}"', name, str(value)) if value is not True else f" {name}",)
            for name, value in attrs.items()
            if value is not False
        ),
    )


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        if self.template_name != forms.Select.template_name or (
            self.option_template_name != forms.Select.option_template_name
        ):
            return super().render(name, value, attrs, renderer)
        widget = self.get_context(name, value, attrs)["widget"]
        if any(group_name for group_name, _choices, _index in widget["optgroups"]):
            return super().render(name, value, attrs, renderer)
        options = "".join(
            format_html(
                '\n  <option value="{}"{}>{}</option>\n',  # the option template ends a line
                str(option["value"]),
                _attrs(option["attrs"]),
                option["label"],
            )
            for _name, choices, _index in widget["optgroups"]
            for option in choices
        )
        opening = format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))
        return mark_safe(f"{opening}{options}\n</select>")  # parts escaped above
