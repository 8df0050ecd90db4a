"""Map a service's ValidationError onto a form, so users see messages, never stack traces."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def apply_validation_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Attach ``error`` to the form: to its field when the form has it, else to the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        target = field if field in form.fields else None
        if field == NON_FIELD_ERRORS:
            target = None
        form.add_error(target, ValidationError(errors))


def error_codes(error: ValidationError) -> set[str]:
    """Every code inside ``error``: what callers and tests compare, never the wording."""
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors if e.code}
    return {e.code for e in error.error_list if e.code}
