"""Step 2's check of a bulk campaign's mapping: columns that fill the template but have empty
cells would make those rows fail at the send, so the operator sees how many and may skip them.

Mixed into ``campaigns.forms.ContentForm``; the count comes from step 1's scan (empty cells per
column) and, only when a mapped column has some, from a second read of the file.
"""

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from campaigns.audience import mapped_columns

VARIABLE_CELLS_EMPTY = "template_variable_cells_empty"


class EmptyCellsCheck(forms.Form):
    skip_rows_missing = forms.BooleanField(
        label=_("Skip the rows with an empty cell in these columns"), required=False
    )

    def init_empty_cells(
        self, empty_cells: dict[str, int] | None, count_rows_missing: Callable | None
    ) -> None:
        self.empty_cells = empty_cells or {}
        self.count_rows_missing = count_rows_missing
        self.rows_missing, self.columns_missing = 0, []

    def _check_empty_cells(self, data) -> None:
        """Rows whose mapped cells are empty would fail at the send: flag them, offer to skip."""
        columns = [c for c in mapped_columns(data["parameters"]) if self.empty_cells.get(c)]
        if not columns or self.count_rows_missing is None:
            return
        self.rows_missing, self.columns_missing = self.count_rows_missing(columns), columns
        if not self.rows_missing:
            return
        if data.get("skip_rows_missing"):
            data["parameters"]["skip_rows_missing"] = True
            return
        self.add_error(
            "skip_rows_missing",
            ValidationError(
                ngettext(
                    "%(count)d row has an empty cell in the columns %(columns)s: fill the file, "
                    "choose another column or skip that row.",
                    "%(count)d rows have an empty cell in the columns %(columns)s: fill the file, "
                    "choose another column or skip those rows.",
                    self.rows_missing,
                ),
                code=VARIABLE_CELLS_EMPTY,
                params={"count": self.rows_missing, "columns": ", ".join(columns)},
            ),
        )
