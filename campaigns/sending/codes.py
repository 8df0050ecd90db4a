"""Stable failure codes of recipients and campaigns: the progress panel groups by them."""

UNKNOWN_OUTCOME = "unknown_outcome"
OPTED_OUT = "opted_out"
INVALID_PARAMETERS = "invalid_parameters"
GATEWAY_PERMANENT = "gateway_permanent"
GATEWAY_TRANSIENT = "gateway_retries_exhausted"
CAMPAIGN_FAILED = "campaign_failed"
NO_RECIPIENTS = "no_recipients"
