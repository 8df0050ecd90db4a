"""Failure codes of recipients as an operator understands them: a title and what to do."""

from django.utils.translation import gettext_lazy as _

FAILURE_EXPLANATIONS = {
    "opted_out": (
        _("Contact opted out"),
        _("The contact asked this bot not to send active messages; nothing was sent."),
    ),
    "invalid_parameters": (
        _("Template variables missing"),
        _(
            "A variable of the template had no value for this contact (an empty CSV cell or a "
            "missing column). Fix the audience file and send to these contacts again."
        ),
    ),
    "gateway_permanent": (
        _("Refused by WhatsApp"),
        _(
            "Blip or WhatsApp refused the message: the number has no WhatsApp, blocked the "
            "business, or the template was paused. Sending again will not help."
        ),
    ),
    "gateway_retries_exhausted": (
        _("WhatsApp unavailable"),
        _(
            "Blip kept answering with temporary errors; the message was tried several times "
            "and then given up. A later campaign to these contacts should go through."
        ),
    ),
    "unknown_outcome": (
        _("Outcome unknown"),
        _(
            "The connection dropped after the message was handed over, so it is unknown whether "
            "it left. It is never sent twice; a delivery receipt, if one comes, corrects it."
        ),
    ),
    "delivery_failed": (
        _("Not delivered"),
        _("WhatsApp accepted the message but reported that it could not deliver it."),
    ),
    "campaign_failed": (
        _("Campaign stopped at dispatch"),
        _(
            "The scheduled campaign failed its checks when its time came (an attendant left "
            "the team, a template stopped being approved…); nothing was sent."
        ),
    ),
    "canceled": (
        _("Campaign canceled"),
        _("The campaign was canceled before this message went out."),
    ),
    "audience_import_failed": (
        _("Audience import failed"),
        _("The audience file could not be imported, so nothing was sent."),
    ),
}


def explain_failure(code: str, reason: str = "") -> tuple[str, str]:
    """The title and explanation of a failure code; unknown codes show the stored reason."""
    if code in FAILURE_EXPLANATIONS:
        title, text = FAILURE_EXPLANATIONS[code]
        return str(title), str(text)
    return (code or str(_("Other"))), reason
